"""The main thread's responsiveness: a 5 ms timer whose late ticks are the stalls."""

from __future__ import annotations

TICK_MS = 5.0


class StallClock:
    """Start it, let the event loop run, then ask for the worst stall since any mark."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self._elapsed = QElapsedTimer()
        self._timer = QTimer(interval=int(TICK_MS))
        self._timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self._elapsed.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def seconds(self) -> float:
        return self._elapsed.nsecsElapsed() / 1e9

    def mark(self) -> int:
        """A place in the record to measure from."""
        return len(self.gaps)

    def worst_stall_ms(self, since: int = 0) -> float:
        """The longest tick beyond its 5 ms after ``since`` (the first gap is the start-up)."""
        return max((g - TICK_MS for g in self.gaps[since + 1:]), default=0.0)

    def _tick(self) -> None:
        now = self._elapsed.nsecsElapsed() / 1e6
        self.gaps.append(now - self._last)
        self._last = now
