"""Tap tempo: the beats per minute of taps on a button or a key, as DJ software counts them.

Taps more than ``RESET_AFTER_S`` apart start a new count; the tempo is the median interval of
the last ``WINDOW`` taps (one stray tap does not swing it), given from the fourth tap on.
"""

from __future__ import annotations

import statistics

RESET_AFTER_S = 2.0
MIN_TAPS = 4
WINDOW = 12


class TapTempo:
    def __init__(self) -> None:
        self.taps: list[float] = []

    def tap(self, when: float) -> float | None:
        """Record a tap at ``when`` (seconds, monotonic); the tempo once there are enough."""
        if self.taps and not 0.0 < when - self.taps[-1] <= RESET_AFTER_S:
            self.taps = []
        self.taps = [*self.taps, when][-WINDOW:]
        return self.bpm()

    def bpm(self) -> float | None:
        if len(self.taps) < MIN_TAPS:
            return None
        intervals = [b - a for a, b in zip(self.taps, self.taps[1:], strict=False)]
        return round(60.0 / statistics.median(intervals), 1)

    @property
    def count(self) -> int:
        return len(self.taps)
