"""Background priority for threads whose work nobody is waiting to see first.

When a track is dropped, three things compete for the cores: the waveform's decode (the user
looks at it at once), the analysis (tempo, key and loudness a second later) and the music
tagger's network (the heaviest, wanted last). The tagger's workers run at a lower scheduling
priority, so the other two take the cores first and the network uses what they leave; the
total work does not change, only its order. On Linux a thread has a nice value of its own;
elsewhere nothing is changed (macOS and Windows would need their own calls, and a
process-wide one would slow the window too).
"""

from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICE = 10  # Linux's CFS gives a nice-10 thread about a tenth of a nice-0 one's share


def lower_this_thread(nice: int = BACKGROUND_NICE) -> bool:
    """Give the calling thread a lower priority (raise its nice value by ``nice``); False
    where that is not possible. Only for threads that end with their work: a thread's
    priority cannot be raised again without privileges."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + nice))
    except OSError:
        return False
    return True


def thread_nice() -> int | None:
    """The calling thread's nice value (Linux), None elsewhere (for the tests)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "getpriority"):
        return None
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
