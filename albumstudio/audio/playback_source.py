"""Random-access frame sources for playback: a file read on demand, or audio held in memory."""

from __future__ import annotations

import threading
from typing import BinaryIO, Protocol, runtime_checkable

import numpy as np
import soundfile as sf


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


def decode_to_array(path: str) -> ArraySource:
    """Decode a whole file with the app's decoder (PyAV for m4a/AAC); raises InputError."""
    from albumstudio.audio.decode import open_audio

    with open_audio(path) as reader:
        info = reader.info
        blocks = [np.asarray(block, dtype=np.float32) for block in reader.blocks()]
    if blocks:
        data = np.concatenate(blocks, axis=0)
    else:
        data = np.zeros((0, max(1, info.channels)), dtype=np.float32)
    return ArraySource(data, info.sample_rate)


def open_source(path: str) -> FrameSource:
    """A playback source for `path`: read on demand when libsndfile can, else decoded in memory.

    The fallback decodes the whole track (seconds for a long m4a): call it from a worker.
    Raises InputError when neither libsndfile nor the decoder can read the file.
    """
    try:
        return SoundFileSource(path)
    except (OSError, RuntimeError):
        pass
    return decode_to_array(path)
