"""One decode of a track read by two jobs: the waveform's peaks and the analysis.

The window reads a dropped track in two jobs on two cores: the waveform's peaks (which must
show within half a second) and the analysis (which feeds the tagger). Decoding the file in
each costs a whole decode more (0.4 s of CPU for a 4-minute MP3, on a machine where both
cores are busy until the tags are in). With a ``SharedDecode`` the waveform's decode hands
every block it reads to the analysis as well, and never waits for it: the blocks the
analysis has not read yet are held in memory. So it is used only when the whole decoded track
fits ``budget_bytes`` (256 MB: about 12 minutes of 44.1 kHz stereo); a longer track, one whose
length the header does not give, or peaks that come from the cache, are *skipped*, and the
analysis decodes the file itself as before.

The producer (``compute_peaks``) calls ``start(info)``, ``put(block)`` for each block, then
``finish()``, or ``fail(error)``/``skip()``. The consumer (``analyze_file``) calls ``info()``
(None: decode the file yourself), iterates ``blocks()``, and ``decline()``s when it stops
early or needs nothing (its result was cached), so the producer stops handing blocks over and
what was held is let go. Every call is safe from any thread.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator

import numpy as np

from albumstudio.core.errors import CancelledError
from albumstudio.core.track import AudioInfo

BUDGET_BYTES = 256 * 1024 * 1024
_POLL_S = 0.05  # how often a waiting consumer looks at its cancel event

_WAITING, _STREAMING, _DONE, _SKIPPED, _FAILED, _DECLINED = range(6)


class SharedDecode:
    """The blocks of one decode, handed from the producer's thread to the consumer's."""

    def __init__(self, budget_bytes: int = BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._cond = threading.Condition()
        self._blocks: collections.deque[np.ndarray] = collections.deque()
        self._info: AudioInfo | None = None
        self._state = _WAITING
        self._error: BaseException | None = None

    # the producer -------------------------------------------------------------------------

    def start(self, info: AudioInfo) -> bool:
        """The decode begins; False when its blocks are not wanted (skipped or declined)."""
        size = max(0, info.frames) * max(1, info.channels) * 4
        with self._cond:
            if self._state != _WAITING:
                return False
            if info.frames <= 0 or size > self.budget_bytes:
                self._state = _SKIPPED
            else:
                self._info, self._state = info, _STREAMING
            self._cond.notify_all()
            return self._state == _STREAMING

    def skip(self) -> None:
        """No decode will come (the peaks were cached): the consumer decodes the file."""
        with self._cond:
            if self._state == _WAITING:
                self._state = _SKIPPED
                self._cond.notify_all()

    def put(self, block: np.ndarray) -> bool:
        """Hand over one (frames, channels) block; False once the consumer has declined."""
        with self._cond:
            if self._state != _STREAMING:
                return False
            self._blocks.append(block)
            self._cond.notify_all()
            return True

    def finish(self) -> None:
        with self._cond:
            if self._state == _STREAMING:
                self._state = _DONE
                self._cond.notify_all()

    def fail(self, error: BaseException) -> None:
        """The decode stopped: before ``start`` the consumer decodes the file itself (and
        meets the same problem there), after it the consumer's ``blocks()`` raises ``error``."""
        with self._cond:
            if self._state == _WAITING:
                self._state = _SKIPPED
            elif self._state == _STREAMING:
                self._state, self._error = _FAILED, error
                self._blocks.clear()
            self._cond.notify_all()

    # the consumer -------------------------------------------------------------------------

    def info(self, cancel: threading.Event | None = None) -> AudioInfo | None:
        """The decoded stream's info once the producer has started, or None when there will be
        no blocks to read (decode the file yourself). Raises CancelledError on ``cancel``."""
        with self._cond:
            while self._state == _WAITING:
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                self._cond.wait(_POLL_S)
            if self._state in (_SKIPPED, _DECLINED):
                return None
            return self._info

    def blocks(self, cancel: threading.Event | None = None) -> Iterator[np.ndarray]:
        """The blocks in decode order, as they come; raises the producer's problem if its
        decode failed after starting, CancelledError on ``cancel``."""
        while True:
            with self._cond:
                while not self._blocks and self._state == _STREAMING:
                    if cancel is not None and cancel.is_set():
                        raise CancelledError()
                    self._cond.wait(_POLL_S)
                if self._blocks:
                    block = self._blocks.popleft()
                elif self._state == _DONE:
                    return
                elif self._state == _FAILED and self._error is not None:
                    raise self._error
                else:
                    raise CancelledError()
            yield block

    def decline(self) -> None:
        """Nothing more is wanted: the producer stops handing blocks over, the rest is freed."""
        with self._cond:
            if self._state in (_WAITING, _STREAMING):
                self._state = _DECLINED
            self._blocks.clear()
            self._cond.notify_all()

    def held_bytes(self) -> int:
        """The bytes of blocks handed over and not read yet (for the tests)."""
        with self._cond:
            return sum(block.nbytes for block in self._blocks)
