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


def one_thread_for_the_process() -> None:
    """Run every BLAS product of this process on one thread (the window and the commands call
    this first): the app's work already runs on threads of its own, one per core, and
    OpenBLAS's own worker, started with numpy, spun beside them. In the window, between a
    drop and the tags, that worker took 0.7-1.0 s of CPU on a 2-core machine while the
    counted limit above was held, and the waveform, the analysis and the tags all came later
    (paired runs: drop → analysis 1.65-1.88 s with it, 1.12-1.57 s without). Before numpy
    is loaded the environment says so, and OpenBLAS starts no thread at all; once it is
    loaded, the limit is set from the main thread and kept. An OPENBLAS_NUM_THREADS the user
    set is left as it is."""
    import os
    import sys

    if "OPENBLAS_NUM_THREADS" in os.environ and not _ours_in_environment:
        return
    _set_in_environment()
    if "numpy" in sys.modules and threading.current_thread() is threading.main_thread():
        _limit_to_one()  # never restored: see the module's notes on the main thread


_ours_in_environment = False


def _set_in_environment() -> None:
    global _ours_in_environment
    import os

    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    _ours_in_environment = True


def held() -> bool:
    """Whether some thread holds the limit now (for the tests)."""
    return _depth > 0


def _limit_to_one() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency, but the work goes on without it
        return None
    return threadpool_limits(1, user_api="blas")
