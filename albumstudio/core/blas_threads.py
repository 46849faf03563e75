"""BLAS on one thread for the whole process (the window and the commands set it first).

The app's numpy work already runs on threads of its own, one per core (the waveform's decode,
the analysis, the tagger's workers); OpenBLAS's own worker, started with numpy, spun beside
them. In the window, between a drop and the tags, that worker took 0.7-1.0 s of CPU on a
2-core machine although the analysis and the tagger hold BLAS to one thread while they run
(``albumstudio.audio.blas``), and the waveform, the analysis and the tags all came later
(paired runs: drop → analysis 1.65-1.88 s with it, 1.12-1.57 s without). Kept apart from the
audio layer so the command line can call it before anything imports numpy.
"""

from __future__ import annotations

import os
import sys
import threading

_ours_in_environment = False


def one_thread_for_the_process() -> None:
    """Run every BLAS product of this process on one thread. Before numpy is loaded the
    environment says so, and OpenBLAS starts no thread at all; once it is loaded, the limit is
    set from the main thread and kept (OpenBLAS then holds every thread to it). An
    OPENBLAS_NUM_THREADS the user set is left as it is."""
    global _ours_in_environment
    if "OPENBLAS_NUM_THREADS" in os.environ and not _ours_in_environment:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    _ours_in_environment = True
    if "numpy" in sys.modules and threading.current_thread() is threading.main_thread():
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - a dependency, but nothing depends on it
            return
        threadpool_limits(1, user_api="blas")  # never restored
