"""glibc's allocator told to keep freed blocks for reuse (the window and the commands set it first).

The analysis works in chunks of 2-16 MB arrays (a chunk's frames, their spectrum, its power,
the tempogram's autocorrelations), made and freed again and again. glibc's default raises its
threshold for ``mmap`` to the largest such block freed, and its trim threshold to twice that;
a chunk frees three or four of them at once, so the top of the heap went back to the kernel
after almost every chunk and the next chunk's pages were faulted in and zeroed again. A 4-minute track's analysis took 78,000 page faults; with blocks under 32 MB kept on the
heap and up to 64 MB of free heap kept before it is returned, it takes 16,000, and 0.2-0.4 s
less CPU of 1.8-2.2 s (``benchmarks/track_understanding.py``, fresh processes in turn).

Both figures bound what is kept: a block of 32 MB or more is mapped on its own and returned
when freed (a decoded track, a cover's tensors), and at most 64 MB of free space at the top
of each heap (the main one and each thread's) is held back. glibc's own moving thresholds
reach these values once a 32 MB block has been freed; until then its trim threshold is twice
the largest mapped block freed so far (32 MB after the analysis's 16 MB arrays), which three
such arrays freed together pass. Nothing changes where the allocator is not glibc's, or where the
person set ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` themselves.
"""

from __future__ import annotations

import os
import sys

MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its moving threshold
TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD = -1  # malloc.h
_M_MMAP_THRESHOLD = -3
_done = False


def keep_freed_blocks_for_reuse() -> bool:
    """Set glibc's mmap and trim thresholds once per process; True when they are ours."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or any(
            name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # both at once: setting either stops glibc moving them (mallopt returns 1 on success)
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
