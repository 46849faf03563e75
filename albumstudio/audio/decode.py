"""Open, probe and stream-decode audio files with soundfile (libsndfile) or PyAV (ffmpeg).

Files are always opened by us as Python file objects and handed to the backends, so file
names that are not valid UTF-8 and very long names work. Every way a file can be unusable
becomes an ``InputError`` with one sentence for people; backend exceptions never escape.

This module is the front door: it checks the path, opens the file, picks a backend
(``soundfile_backend`` or ``pyav_backend``) and decodes whole files; the sentences live in
``decode_errors``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import numpy as np
import soundfile as sf

from albumstudio.audio.decode_errors import GuardedFile as _GuardedFile
from albumstudio.audio.decode_errors import input_error as _error
from albumstudio.audio.decode_errors import no_audio_error, quoted_name, vanished_error
from albumstudio.audio.decode_errors import os_reason as _reason
from albumstudio.audio.mix import finite, mono_mix
from albumstudio.audio.pyav_backend import PyAVDecoder, probe_pyav
from albumstudio.audio.soundfile_backend import SoundfileDecoder, open_soundfile
from albumstudio.core import formats
from albumstudio.core.errors import CancelledError
from albumstudio.core.track import AudioInfo

__all__ = [
    "AUDIO_EXTENSIONS", "AudioReader", "decode_all", "no_audio_error", "open_audio", "probe",
    "quoted_name", "vanished_error",
]

AUDIO_EXTENSIONS = formats.AUDIO_EXTENSIONS
_SOUNDFILE_EXTENSIONS = formats.SOUNDFILE_EXTENSIONS


class AudioReader:
    """An open audio file: ``info`` and a streaming ``blocks()`` iterator; a context manager."""

    def __init__(self, info: AudioInfo, handle: _GuardedFile, snd: sf.SoundFile | None) -> None:
        self.info = info
        self._handle = handle
        self._decoder: SoundfileDecoder | PyAVDecoder = (
            SoundfileDecoder(snd, handle, info) if snd is not None else PyAVDecoder(handle, info)
        )
        self._closed = False

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def blocks(self, block_frames: int = 65536) -> Iterator[np.ndarray]:
        """Float32 (frames, channels) blocks from the start of the stream; the last may be short."""
        if self._closed or block_frames <= 0:
            raise ValueError("reader is closed" if self._closed else "block_frames must be > 0")
        return self._decoder.blocks(int(block_frames))

    def close(self) -> None:
        """Release the decoder and the file (safe to call twice)."""
        if not self._closed:
            self._closed = True
            self._decoder.close()
            self._handle.close()


def _check_path(path: str) -> int:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _error("missing", path) from None
    except PermissionError:
        raise _error("permission", path) from None
    except (OSError, ValueError) as exc:
        raise _error("os", path, reason=_reason(exc)) from None
    if os.path.isdir(path):
        raise _error("folder", path)
    if os.path.splitext(path)[1].lower() not in AUDIO_EXTENSIONS:
        raise _error("format", path)
    if st.st_size == 0:
        raise _error("empty", path)
    return st.st_size


def _open_soundfile(path: str, handle: _GuardedFile) -> AudioReader | None:
    opened = open_soundfile(path, handle)
    return AudioReader(opened[0], handle, opened[1]) if opened is not None else None


def _open_pyav(path: str, handle: _GuardedFile) -> AudioReader:
    return AudioReader(probe_pyav(path, handle), handle, None)


def open_audio(path: str) -> AudioReader:
    """Open ``path`` for streaming; raises InputError (one sentence) when it cannot be used."""
    path = os.fspath(path)
    size = _check_path(path)
    try:
        raw = open(path, "rb")
    except PermissionError:
        raise _error("permission", path) from None
    except FileNotFoundError:
        raise vanished_error(path) from None
    except OSError as exc:
        raise _error("os", path, reason=_reason(exc)) from None
    handle = _GuardedFile(raw, size)
    try:
        reader = None
        if os.path.splitext(path)[1].lower() in _SOUNDFILE_EXTENSIONS:
            reader = _open_soundfile(path, handle)
            if handle.error is not None:
                raise vanished_error(path)
        if reader is None:
            reader = _open_pyav(path, handle)
        _check_format(path, reader.info)
    except BaseException:
        handle.close()
        raise
    return reader


MIN_RATE, MAX_RATE = 8_000, 384_000  # what audio files really use; anything else is a lie
MAX_CHANNELS = 64


def _check_format(path: str, info: AudioInfo) -> None:
    """Refuse a header that would make the resampler or the buffers explode (a 441 KB WAV
    declaring 1 Hz asked the resampler for gigabytes), before anything is allocated."""
    if not MIN_RATE <= int(info.sample_rate) <= MAX_RATE:
        raise _error("rate", path, rate=str(int(info.sample_rate)))
    if not 1 <= int(info.channels) <= MAX_CHANNELS:
        raise _error("channels", path, channels=str(int(info.channels)),
                          limit=str(MAX_CHANNELS))


def probe(path: str) -> AudioInfo:
    """Read the header of ``path`` (frames may be an estimate); raises InputError."""
    with open_audio(path) as reader:
        return reader.info


def decode_all(path: str, target_sr: int | None = None, mono: bool = False,
               cancel: threading.Event | None = None) -> tuple[np.ndarray, int]:
    """Decode the whole file, optionally mixed to mono and resampled while streaming.

    Returns ``(samples, sample_rate)`` with samples shaped (frames,) when mono, else
    (frames, channels); raises InputError, or CancelledError when ``cancel`` is set.
    """
    with open_audio(path) as reader:
        sr = reader.info.sample_rate
        channels = 1 if mono else reader.info.channels
        out_sr = int(target_sr) if target_sr else sr
        resampler = None
        if out_sr != sr:
            import soxr

            resampler = soxr.ResampleStream(sr, out_sr, channels, dtype="float32", quality="HQ")
        # filled in place from the header's length (no concatenation at the end: an hour
        # would briefly need twice its size); grown if the header understated it
        expected = int(max(0, reader.info.frames) * out_sr / sr) + 8192
        out = _Filling(min(expected, 1 << 28), () if mono else (channels,))
        decoded = 0
        for block in reader.blocks():
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            decoded += block.shape[0]
            if mono:
                block = mono_mix(finite(block))
            if resampler is not None:
                block = resampler.resample_chunk(block)
            out.append(block)
        if cancel is not None and cancel.is_set():
            raise CancelledError()
    if decoded == 0:
        raise no_audio_error(path)
    if resampler is not None:
        tail_shape = (0,) if mono else (0, channels)
        out.append(resampler.resample_chunk(np.zeros(tail_shape, np.float32), last=True))
    return out.values(), out_sr


class _Filling:
    """A float32 array filled block by block, doubling when a block does not fit."""

    def __init__(self, capacity: int, lanes: tuple[int, ...]) -> None:
        self._data = np.empty((max(1, capacity), *lanes), dtype=np.float32)
        self._size = 0

    def append(self, block: np.ndarray) -> None:
        end = self._size + block.shape[0]
        if end > self._data.shape[0]:
            grown = np.empty((max(end, 2 * self._data.shape[0]), *self._data.shape[1:]),
                             dtype=np.float32)
            grown[:self._size] = self._data[:self._size]
            self._data = grown
        self._data[self._size:end] = block
        self._size = end

    def values(self) -> np.ndarray:
        """The samples so far (a view; the unused tail of the buffer is never touched, so it
        takes no memory)."""
        return self._data[:self._size]
