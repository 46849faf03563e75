"""What playback plays: frame sources (a file read on demand, audio in memory) and the engine.

PlaybackEngine is the pure stream logic (numpy + soxr, no sounddevice): `fill(out)` is the body
of the audio callback, so tests drive it directly. soxr is imported only when resampling.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any, BinaryIO, Protocol, runtime_checkable

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

log = logging.getLogger(__name__)

READ_BLOCK = 4096
RAMP_SECONDS = 0.01
MIN_LOOP_SECONDS = 0.01
_CENTER = math.sqrt(0.5)

# (left, right) gains per input channel, in the WAVE channel order for each count.
_STEREO_GAINS: dict[int, list[tuple[float, float]]] = {
    3: [(1, 0), (0, 1), (_CENTER, _CENTER)],
    4: [(1, 0), (0, 1), (1, 0), (0, 1)],
    5: [(1, 0), (0, 1), (_CENTER, _CENTER), (1, 0), (0, 1)],
    6: [(1, 0), (0, 1), (_CENTER, _CENTER), (0, 0), (1, 0), (0, 1)],
    7: [(1, 0), (0, 1), (_CENTER, _CENTER), (0, 0), (_CENTER, _CENTER), (1, 0), (0, 1)],
    8: [(1, 0), (0, 1), (_CENTER, _CENTER), (0, 0), (1, 0), (0, 1), (1, 0), (0, 1)],
}


@runtime_checkable
class FrameSource(Protocol):
    """Float32 audio that can be read from any frame; reads may come from the audio thread."""

    sample_rate: int
    channels: int
    frames: int

    def read(self, start: int, frames: int) -> np.ndarray:
        """Up to `frames` frames from `start`, float32 (n, channels); n < frames only at the end."""
        ...

    def close(self) -> None:
        """Release the file (if any); reading afterwards is an error."""
        ...


class ArraySource:
    """Audio held in memory: data is (frames, channels), converted to float32 once."""

    def __init__(self, data: np.ndarray, sample_rate: int) -> None:
        array = np.asarray(data, dtype=np.float32)
        if array.ndim == 1:
            array = array[:, np.newaxis]
        if array.ndim != 2 or array.shape[1] < 1:
            raise ValueError(f"expected (frames, channels) audio, got shape {array.shape}")
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self._data = np.ascontiguousarray(array)
        self.sample_rate = int(sample_rate)
        self.channels = int(array.shape[1])
        self.frames = int(array.shape[0])

    def read(self, start: int, frames: int) -> np.ndarray:
        start = min(max(0, int(start)), self.frames)
        stop = min(self.frames, start + max(0, int(frames)))
        return self._data[start:stop].copy()

    def close(self) -> None:
        pass


class SoundFileSource:
    """A file libsndfile can read, opened through a Python file object (any file name works)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: BinaryIO = open(path, "rb")
        try:
            self._sound = sf.SoundFile(self._file)
        except BaseException:
            self._file.close()
            raise
        self.sample_rate = int(self._sound.samplerate)
        self.channels = int(self._sound.channels)
        self.frames = max(0, int(self._sound.frames))
        self._closed = False

    def read(self, start: int, frames: int) -> np.ndarray:
        start = min(max(0, int(start)), self.frames)
        count = min(max(0, int(frames)), self.frames - start)
        if count == 0:
            return np.zeros((0, self.channels), dtype=np.float32)
        with self._lock:
            if self._closed:
                raise ValueError("read from a closed SoundFileSource")
            self._sound.seek(start)
            return self._sound.read(count, dtype="float32", always_2d=True)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._sound.close()
            finally:
                self._file.close()

    def __enter__(self) -> SoundFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def downmix_matrix(in_channels: int, out_channels: int) -> np.ndarray | None:
    """(in, out) float32 gains mapping source channels to outputs, or None when they match.

    Mono feeds both outputs; more than two channels fold to stereo with the usual surround
    gains (centre at -3 dB, LFE dropped), scaled so no output can exceed the loudest input.
    """
    if in_channels < 1 or out_channels < 1:
        raise ValueError("channel counts must be positive")
    if in_channels == out_channels:
        return None
    if out_channels == 1:
        return np.full((in_channels, 1), 1.0 / in_channels, dtype=np.float32)
    if in_channels == 1:
        stereo = np.array([[1.0, 1.0]])
    elif in_channels == 2:
        stereo = np.eye(2)
    else:
        gains = _STEREO_GAINS.get(in_channels) or [
            (1.0, 0.0) if k % 2 == 0 else (0.0, 1.0) for k in range(in_channels)
        ]
        stereo = np.array(gains, dtype=np.float64)
        stereo /= max(1.0, float(np.abs(stereo).sum(axis=0).max()))
    matrix = np.zeros((in_channels, out_channels), dtype=np.float32)
    matrix[:, :2] = stereo
    return matrix


class PlaybackEngine:
    """Play position, loop, volume and resampling for one source; thread-safe.

    `fill` runs on PortAudio's thread, everything else on the UI thread. `on_finished` is
    called from the audio thread when the track ends: the UI must marshal it to the main
    thread (a queued Qt signal) and must not block in it.
    """

    def __init__(self, source: FrameSource, out_rate: int, out_channels: int = 2,
                 on_finished: Callable[[], None] | None = None, quality: str = "HQ") -> None:
        if out_rate <= 0 or out_channels < 1:
            raise ValueError("out_rate and out_channels must be positive")
        if source.sample_rate <= 0:
            raise ValueError("the source has no sample rate")
        self.source = source
        self.out_rate = int(out_rate)
        self.out_channels = int(out_channels)
        self.on_finished = on_finished
        self._in_rate = int(source.sample_rate)
        self._matrix = downmix_matrix(source.channels, self.out_channels)
        self._resampler: Any = None
        if self._in_rate != self.out_rate:
            import soxr

            self._resampler = soxr.ResampleStream(
                self._in_rate, self.out_rate, self.out_channels, dtype="float32", quality=quality
            )
        self._lock = threading.Lock()
        self._playing = False
        self._volume = 1.0
        self._gain = 1.0
        self._ramp_step = 1.0 / max(1, round(RAMP_SECONDS * self.out_rate))
        self._loop: tuple[int, int] | None = None
        self._error = ""
        self._pending: NDArray[np.float32]  # decoded, resampled frames not yet played (_reset)
        self._reset(0)

    @property
    def duration_seconds(self) -> float:
        return self.source.frames / self._in_rate

    @property
    def position_seconds(self) -> float:
        with self._lock:
            return self._position_frames() / self._in_rate

    @property
    def playing(self) -> bool:
        with self._lock:
            return self._playing

    @property
    def error(self) -> str:
        """One sentence when playback stopped because the source failed, else ''."""
        with self._lock:
            return self._error

    @property
    def volume(self) -> float:
        with self._lock:
            return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"volume must be a number between 0 and 1, got {value}")
        with self._lock:
            self._volume = min(1.0, max(0.0, value))
            if not self._playing:
                self._gain = self._volume

    @property
    def loop(self) -> tuple[float, float] | None:
        with self._lock:
            if self._loop is None:
                return None
            return self._loop[0] / self._in_rate, self._loop[1] / self._in_rate

    def play(self) -> None:
        """Start or resume; after the track ended, start again from the beginning."""
        with self._lock:
            if self._at_end:
                self._reset(0)
            self._error = ""
            self._playing = True

    def pause(self) -> None:
        with self._lock:
            self._playing = False

    def stop(self) -> None:
        """Pause and go back to the start."""
        with self._lock:
            self._playing = False
            self._reset(0)

    def seek(self, seconds: float) -> None:
        """Move to `seconds` of source time (clamped to the track)."""
        with self._lock:
            self._reset(self._frame_at(seconds))

    def set_loop(self, start_s: float, end_s: float) -> None:
        """Repeat [start_s, end_s); a position outside the region jumps to its start."""
        start, end = self._frame_at(start_s), self._frame_at(end_s)
        if end - start < max(1, round(MIN_LOOP_SECONDS * self._in_rate)):
            raise ValueError(f"loop [{start_s}, {end_s}) is shorter than {MIN_LOOP_SECONDS} s")
        with self._lock:
            self._loop = (start, end)
            position = round(self._position_frames())
            if not start <= position < end:
                self._reset(start)
            else:
                self._retarget(end, is_loop=True)

    def clear_loop(self) -> None:
        with self._lock:
            self._loop = None
            if self._seg_is_loop:
                self._retarget(self.source.frames, is_loop=False)

    def fill(self, out: np.ndarray) -> None:
        """Write exactly out.shape[0] frames into `out` (frames, out_channels) float32; never raises."""
        finished = False
        with self._lock:
            if not self._playing:
                out.fill(0.0)
                self._gain = self._volume
                return
            written = 0
            try:
                written, finished = self._render(out)
            except Exception:
                log.exception("playback source failed")
                self._error = "Playback stopped: the track could not be read any more."
                self._playing = False
                self._pending = self._pending[:0]
                finished = True
            out[written:] = 0.0
            self._apply_gain(out[:written])
            np.nan_to_num(out[:written], copy=False)
        callback = self.on_finished
        if finished and callback is not None:
            try:
                callback()
            except Exception:
                log.exception("on_finished callback failed")

    # Below: internals, called with the lock held.

    def _frame_at(self, seconds: float) -> int:
        seconds = float(seconds)
        if not math.isfinite(seconds):
            raise ValueError(f"time must be a finite number of seconds, got {seconds}")
        return min(self.source.frames, max(0, round(seconds * self._in_rate)))

    def _position_frames(self) -> float:
        position = self._anchor + self._emitted * self._in_rate / self.out_rate
        return min(position, float(self._seg_end))

    def _reset(self, frame: int) -> None:
        """Start a new segment at source frame `frame` (seek, loop wrap, stop)."""
        self._anchor = frame
        self._emitted = 0
        self._read_pos = frame
        self._pending = np.zeros((0, self.out_channels), dtype=np.float32)
        self._flushed = False
        self._at_end = False
        if self._loop is not None and frame < self._loop[1]:
            self._seg_end, self._seg_is_loop = self._loop[1], True
        else:
            self._seg_end, self._seg_is_loop = self.source.frames, False
        if self._resampler is not None:
            self._resampler.clear()

    def _retarget(self, end: int, is_loop: bool) -> None:
        """Change where the current segment ends, restarting it if input past `end` was read."""
        if self._flushed or self._read_pos > end:
            self._reset(round(self._position_frames()))
        else:
            self._seg_end, self._seg_is_loop = end, is_loop

    def _render(self, out: np.ndarray) -> tuple[int, bool]:
        """Copy source audio into `out`, wrapping loops; returns (frames written, track ended)."""
        wanted = out.shape[0]
        written = 0
        empty_wraps = 0
        while written < wanted:
            if len(self._pending) == 0:
                self._refill(wanted - written)
            if len(self._pending) == 0:
                if self._seg_is_loop and self._loop is not None and empty_wraps < 2:
                    empty_wraps += 1
                    self._reset(self._loop[0])
                    continue
                self._finish()
                return written, True
            take = min(len(self._pending), wanted - written)
            out[written:written + take] = self._pending[:take]
            self._pending = self._pending[take:]
            self._emitted += take
            written += take
            empty_wraps = 0
        if self._flushed and len(self._pending) == 0 and self._seg_is_loop and self._loop:
            self._reset(self._loop[0])
        return written, False

    def _refill(self, wanted: int) -> None:
        """Read and convert source audio until `wanted` output frames wait (or the segment ends)."""
        chunks: list[np.ndarray] = []
        ready = 0
        while ready < wanted and not self._flushed:
            block = READ_BLOCK if self._resampler is not None else max(READ_BLOCK, wanted)
            count = max(0, min(block, self._seg_end - self._read_pos))
            data = self.source.read(self._read_pos, count)[:count] if count else None
            got = 0 if data is None else len(data)
            self._read_pos += got
            last = got < count or count == 0 or self._read_pos >= self._seg_end
            mapped = self._map_channels(data)
            if self._resampler is not None:
                mapped = self._resampler.resample_chunk(mapped, last=last)
            if len(mapped):
                chunks.append(mapped)
                ready += len(mapped)
            if last:
                self._flushed = True
                if got < count:
                    self._seg_end = self._read_pos
        if chunks:
            self._pending = np.concatenate([self._pending, *chunks], axis=0)

    def _map_channels(self, data: np.ndarray | None) -> np.ndarray:
        if data is None or len(data) == 0:
            return np.zeros((0, self.out_channels), dtype=np.float32)
        data = np.asarray(data, dtype=np.float32)
        if self._matrix is not None:
            data = data @ self._matrix
        return np.ascontiguousarray(data, dtype=np.float32)

    def _finish(self) -> None:
        self._playing = False
        self._at_end = True
        self._anchor = self._seg_end
        self._emitted = 0
        self._pending = self._pending[:0]

    def _apply_gain(self, block: np.ndarray) -> None:
        target = self._volume
        count = len(block)
        if count == 0:
            return
        if self._gain != target:
            distance = abs(target - self._gain)
            steps = min(count, math.ceil(distance / self._ramp_step))
            direction = 1.0 if target > self._gain else -1.0
            ramp = self._gain + direction * self._ramp_step * np.arange(1, steps + 1)
            ramp = np.clip(ramp, min(self._gain, target), max(self._gain, target))
            block[:steps] *= ramp.astype(np.float32)[:, np.newaxis]
            self._gain = float(ramp[-1])
            block = block[steps:]
        if target != 1.0 and len(block):
            block *= np.float32(target)
