"""One BLAS thread while the audio work runs, shared by the threads that ask for it.

OpenBLAS's own worker threads cost the analysis and the tagger more than they give: their
products are small (a few thousand rows), and each one waits for the second worker to be
scheduled and spins while it waits. On a loaded 2-core machine a fresh ``analyze`` of a
4-minute track spent more than twice the CPU time with them (13 s instead of 5 s). Two of our
own threads, each on one BLAS thread, use two cores without that.

The limit is process-wide in OpenBLAS, so it is counted: the analysis and the tagger run at the
same time on two threads, the first to enter sets it, the last to leave restores what was there
(a plain ``threadpool_limits`` per thread would restore two threads under the other's feet).
Measured with the OpenBLAS numpy ships (0.3.31): a count set from any thread reaches every
thread's products, except that once the main thread has set it, a later setting from another
thread no longer does, not even for its own products (the tagger's workers then ran on two
OpenBLAS threads again after a command's analysis on the main thread had set it and put it
back). So every holder sets it, and a last holder on the main thread leaves it at one.

The window and the commands also hold the whole process to one BLAS thread from their start
(``albumstudio.core.blas_threads``): these holds were not enough on their own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_depth = 0
_limits: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Hold BLAS to one thread until every holder has left (safe from any thread)."""
    global _depth, _limits
    with _lock:
        limits = _limit_to_one()  # by every holder: see above for why not the first alone
        if _depth == 0:
            _limits = limits  # the first saw what to restore
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _limits is not None:
                if threading.current_thread() is not threading.main_thread():
                    _limits.restore_original_limits()
                _limits = None


def held() -> bool:
    """Whether some thread holds the limit now (for the tests)."""
    return _depth > 0


def _limit_to_one() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency, but the work goes on without it
        return None
    return threadpool_limits(1, user_api="blas")
