"""Seconds since this process started (for the first-paint measurement)."""

from __future__ import annotations

import os
import time

_IMPORTED_AT = time.perf_counter()


def process_uptime() -> float:
    """Seconds since the OS started this process; falls back to since this module was imported."""
    try:
        with open("/proc/self/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", "rb") as handle:
            system_uptime = float(handle.read().split()[0])
        return max(0.0, system_uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED_AT
