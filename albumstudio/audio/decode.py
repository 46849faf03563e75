"""Open, probe and stream-decode audio files with soundfile (libsndfile) or PyAV (ffmpeg).

Files are always opened by us as Python file objects and handed to the backends, so file
names that are not valid UTF-8 and very long names work. Every way a file can be unusable
becomes an ``InputError`` with one sentence for people; backend exceptions never escape.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import soundfile as sf

from albumstudio.core import formats
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.text import display_name
from albumstudio.core.track import AudioInfo

AUDIO_EXTENSIONS = formats.AUDIO_EXTENSIONS
_SOUNDFILE_EXTENSIONS = formats.SOUNDFILE_EXTENSIONS
_FORMATS_WE_READ = formats.READABLE_LIST

_SF_FORMAT_NAMES = {
    "WAV": "WAV", "WAVEX": "WAV", "RF64": "WAV (RF64)", "W64": "Wave64", "AIFF": "AIFF",
    "CAF": "CAF", "FLAC": "FLAC", "MP3": "MP3", "AU": "AU",
}
_SF_OGG_NAMES = {"VORBIS": "Ogg Vorbis", "OPUS": "Opus", "FLAC": "Ogg FLAC"}
_AV_CODEC_NAMES = {
    "aac": "AAC", "aac_latm": "AAC", "alac": "ALAC", "opus": "Opus", "libopus": "Opus",
    "vorbis": "Ogg Vorbis", "mp3": "MP3", "mp3float": "MP3", "mp2": "MP2", "flac": "FLAC",
    "wmav1": "WMA", "wmav2": "WMA", "wmapro": "WMA Pro", "wmalossless": "WMA Lossless",
    "ac3": "AC-3", "eac3": "E-AC-3", "wavpack": "WavPack", "ape": "Monkey's Audio",
}
_MAGIC_KINDS = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"),
)
_MAX_BAD_PACKETS = 64

_MESSAGES = {
    "missing": "{name} was not found; check that the file still exists or choose it again.",
    "folder": "{name} is a folder, not an audio file; choose a file inside it.",
    "format": "{name} is not a format we read; choose a " + _FORMATS_WE_READ + " file.",
    "empty": "{name} is empty (0 bytes); export the track again or choose another file.",
    "permission": "{name} cannot be read because you do not have permission to open it; "
                  "check its permissions or copy it to a folder you own.",
    "os": "{name} could not be opened ({reason}); check the name and the drive, then try again.",
    "looks_like": "{name} is not an audio file (it looks like {kind}); choose a "
                  + _FORMATS_WE_READ + " file.",
    "no_stream": "{name} has no audio stream (it may be a video without sound); "
                 "choose a file that contains sound.",
    "wav_header": "{name} has a damaged WAV header and cannot be read; "
                  "export it again from your audio editor.",
    "damaged": "{name} is damaged or not really an audio file; "
               "export it again or choose another file.",
    "vanished": "{name} disappeared or became unreadable while loading; check that the file "
                "and its drive are still there and try again.",
    "no_audio": "{name} contains no audio (0 samples); choose a file that contains sound.",
}


def quoted_name(path: str) -> str:
    """The file's display name in single quotes, with control characters made harmless."""
    name = "".join(c if c.isprintable() else "?" for c in display_name(path))
    return f"'{name}'"


def _error(key: str, path: str, **extra: str) -> InputError:
    return InputError(_MESSAGES[key].format(name=quoted_name(path), **extra))


def vanished_error(path: str) -> InputError:
    """The error for a file that went away or failed to read part-way through."""
    return _error("vanished", path)


def no_audio_error(path: str) -> InputError:
    """The error for a file that opens but decodes to zero samples."""
    return _error("no_audio", path)


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or "input/output error").rstrip(".").lower()


class _GuardedFile:
    """A read-only file that never raises into C callbacks: it records the first I/O error
    (or the file shrinking under us) and reports end of file instead."""

    def __init__(self, raw: BinaryIO, size: int) -> None:
        self._raw = raw
        self._size = size
        self.error: BaseException | None = None

    def _short_read(self, asked: int, got: int) -> None:
        if self.error is None and got < asked:
            try:
                if os.fstat(self._raw.fileno()).st_size < self._size:
                    self.error = OSError("the file shrank while it was being read")
            except OSError as exc:
                self.error = exc

    def readinto(self, buffer: Any) -> int:
        if self.error is not None:
            return 0
        try:
            got = self._raw.readinto(buffer) or 0
        except (OSError, ValueError) as exc:
            self.error = exc
            return 0
        self._short_read(memoryview(buffer).nbytes, got)
        return got

    def read(self, size: int = -1) -> bytes:
        buf = bytearray(size if size is not None and size >= 0 else self._size)
        return bytes(buf[: self.readinto(buf)])

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        try:
            return self._raw.seek(offset, whence)
        except (OSError, ValueError) as exc:
            self.error = self.error or exc
            return self._raw.tell()

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()


def _av_errors() -> tuple[type[BaseException], ...]:
    import av

    return (av.error.FFmpegError, OSError, ValueError, IndexError, RuntimeError)


def _open_container(handle: _GuardedFile) -> Any:
    import av

    handle.seek(0)
    return av.open(handle, mode="r", metadata_errors="replace")


def _decoded_frames(container: Any, path: str, handle: _GuardedFile) -> Iterator[Any]:
    """Frames of the first audio stream; skips a few undecodable packets, stops on I/O trouble."""
    import av

    demux = container.demux(container.streams.audio[0])
    bad = 0
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            return
        except _av_errors() as exc:
            if handle.error is not None or not isinstance(exc, av.error.InvalidDataError):
                raise vanished_error(path) from exc
            return
        try:
            frames = packet.decode()
        except _av_errors() as exc:
            bad += 1
            if handle.error is not None or bad > _MAX_BAD_PACKETS:
                raise vanished_error(path) from exc
            continue
        if handle.error is not None:
            raise vanished_error(path)
        yield from (frame for frame in frames if frame.samples)


def _frame_to_array(frame: Any, channels: int) -> np.ndarray:
    """(samples, channels) float32 from any PyAV sample format, planar or packed."""
    arr = frame.to_ndarray()
    arr = arr.T if frame.format.is_planar else arr.reshape(frame.samples, -1)
    if arr.dtype.kind == "u":
        arr = (arr.astype(np.float32) - 128.0) / 128.0
    elif arr.dtype.kind == "i":
        arr = (arr / -float(np.iinfo(arr.dtype).min)).astype(np.float32)
    if arr.shape[1] != channels:  # a stream that changes layout midway keeps the first one
        arr = arr[:, np.arange(channels) % arr.shape[1]]
    return np.ascontiguousarray(arr, dtype=np.float32)


class AudioReader:
    """An open audio file: ``info`` and a streaming ``blocks()`` iterator; a context manager."""

    def __init__(self, info: AudioInfo, handle: _GuardedFile, snd: sf.SoundFile | None) -> None:
        self.info = info
        self._handle = handle
        self._snd = snd
        self._container: Any = None
        self._closed = False

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def blocks(self, block_frames: int = 65536) -> Iterator[np.ndarray]:
        """Float32 (frames, channels) blocks from the start of the stream; the last may be short."""
        if self._closed or block_frames <= 0:
            raise ValueError("reader is closed" if self._closed else "block_frames must be > 0")
        if self._snd is not None:
            return self._soundfile_blocks(int(block_frames))
        return self._pyav_blocks(int(block_frames))

    def _soundfile_blocks(self, block_frames: int) -> Iterator[np.ndarray]:
        assert self._snd is not None
        path, channels = self.info.path, self.info.channels
        errors = (sf.SoundFileError, RuntimeError, OSError)
        try:
            self._snd.seek(0)
        except errors as exc:
            raise vanished_error(path) from exc
        while True:
            buf = np.empty((block_frames, channels), np.float32)
            try:
                # with ``out`` given, soundfile reads to the real end of the data instead of
                # trusting the header's frame count, and never pads a short read
                got = self._snd.read(dtype="float32", always_2d=True, out=buf)
            except errors as exc:
                raise vanished_error(path) from exc
            if self._handle.error is not None:
                raise vanished_error(path)
            if got.shape[0]:
                yield got
            if got.shape[0] < block_frames:
                return

    def _pyav_blocks(self, block_frames: int) -> Iterator[np.ndarray]:
        self._close_container()
        try:
            self._container = _open_container(self._handle)
        except _av_errors() as exc:
            raise vanished_error(self.info.path) from exc
        pending: list[np.ndarray] = []
        held = 0
        for frame in _decoded_frames(self._container, self.info.path, self._handle):
            pending.append(_frame_to_array(frame, self.info.channels))
            held += pending[-1].shape[0]
            if held >= block_frames:
                joined = np.concatenate(pending)
                whole = held // block_frames * block_frames
                yield from np.split(joined[:whole], whole // block_frames)
                pending, held = [joined[whole:]], held - whole
        if held:
            yield np.concatenate(pending)

    def _close_container(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except _av_errors():
                pass
            self._container = None

    def close(self) -> None:
        """Release the decoder and the file (safe to call twice)."""
        if not self._closed:
            self._closed = True
            self._close_container()
            if self._snd is not None:
                try:
                    self._snd.close()
                except (sf.SoundFileError, RuntimeError, OSError):
                    pass
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


def _sniff(handle: _GuardedFile) -> str:
    handle.seek(0)
    head = handle.read(512)
    for magic, kind in _MAGIC_KINDS:
        if head.startswith(magic):
            return kind
    if head and sum(32 <= b < 127 or b in (9, 10, 13) for b in head) > 0.95 * len(head):
        return "text"
    return ""


def _unreadable(path: str, handle: _GuardedFile, no_stream: bool = False) -> InputError:
    """The most helpful error for a file neither backend could decode."""
    if handle.error is not None:
        return vanished_error(path)
    kind = _sniff(handle)
    if kind:
        return _error("looks_like", path, kind=kind)
    if no_stream:
        return _error("no_stream", path)
    handle.seek(0)
    head = handle.read(12)
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return _error("wav_header", path)
    return _error("damaged", path)


def _open_soundfile(path: str, handle: _GuardedFile) -> AudioReader | None:
    handle.seek(0)
    try:
        snd = sf.SoundFile(handle)
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError, OSError):
        return None
    if snd.samplerate <= 0 or snd.channels <= 0:
        snd.close()
        return None
    name = _SF_FORMAT_NAMES.get(snd.format, snd.format)
    if snd.format == "OGG":
        name = _SF_OGG_NAMES.get(snd.subtype, "Ogg")
    info = AudioInfo(path=path, sample_rate=int(snd.samplerate), channels=int(snd.channels),
                     frames=max(0, int(snd.frames)), format=name, backend="soundfile")
    return AudioReader(info, handle, snd)


def _open_pyav(path: str, handle: _GuardedFile) -> AudioReader:
    """Open with PyAV, decoding the first audio frame to prove the stream is real."""
    try:
        container = _open_container(handle)
    except _av_errors():
        raise _unreadable(path, handle) from None
    try:
        if not container.streams.audio:
            raise _unreadable(path, handle, no_stream=True)
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        try:
            first = next(_decoded_frames(container, path, handle), None)
        except InputError:
            first = None
        rate = int(first.sample_rate or ctx.sample_rate or 0) if first is not None else 0
        channels = int(ctx.channels or first.layout.nb_channels) if first is not None else 0
        if rate <= 0 or channels <= 0:
            raise _unreadable(path, handle)
        if stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
        else:
            seconds = (container.duration or 0) / 1_000_000
        codec = ctx.name or ""
        fmt = "PCM" if codec.startswith("pcm_") else _AV_CODEC_NAMES.get(codec, codec.upper())
        info = AudioInfo(path=path, sample_rate=rate, channels=channels,
                         frames=max(0, round(seconds * rate)), format=fmt, backend="pyav")
    finally:
        try:
            container.close()
        except _av_errors():
            pass
    return AudioReader(info, handle, None)


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
    except BaseException:
        handle.close()
        raise
    return reader


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
        parts: list[np.ndarray] = []
        decoded = 0
        for block in reader.blocks():
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            decoded += block.shape[0]
            if mono:
                block = block.mean(axis=1, dtype=np.float32)
            if resampler is not None:
                block = resampler.resample_chunk(block)
            parts.append(block)
        if cancel is not None and cancel.is_set():
            raise CancelledError()
    if decoded == 0:
        raise no_audio_error(path)
    if resampler is not None:
        tail_shape = (0,) if mono else (0, channels)
        parts.append(resampler.resample_chunk(np.zeros(tail_shape, np.float32), last=True))
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32), out_sr
