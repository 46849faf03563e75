"""The PyAV (ffmpeg) backend: open and probe a guarded file, stream float32 blocks.

``av`` is imported inside functions so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from albumstudio.audio.decode_errors import GuardedFile, unreadable_error, vanished_error
from albumstudio.core.errors import InputError
from albumstudio.core.track import AudioInfo

_AV_CODEC_NAMES = {
    "aac": "AAC", "aac_latm": "AAC", "alac": "ALAC", "opus": "Opus", "libopus": "Opus",
    "vorbis": "Ogg Vorbis", "mp3": "MP3", "mp3float": "MP3", "mp2": "MP2", "flac": "FLAC",
    "wmav1": "WMA", "wmav2": "WMA", "wmapro": "WMA Pro", "wmalossless": "WMA Lossless",
    "ac3": "AC-3", "eac3": "E-AC-3", "wavpack": "WavPack", "ape": "Monkey's Audio",
}
_MAX_BAD_PACKETS = 64


def av_errors() -> tuple[type[BaseException], ...]:
    """Every exception PyAV raises for a bad or unreadable file."""
    import av

    return (av.error.FFmpegError, OSError, ValueError, IndexError, RuntimeError)


def open_container(handle: GuardedFile) -> Any:
    """An ``av`` input container reading ``handle`` from its start."""
    import av

    handle.seek(0)
    return av.open(handle, mode="r", metadata_errors="replace")


def decoded_frames(container: Any, path: str, handle: GuardedFile) -> Iterator[Any]:
    """Frames of the first audio stream; skips a few undecodable packets, stops on I/O trouble."""
    import av

    demux = container.demux(container.streams.audio[0])
    bad = 0
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            return
        except av_errors() as exc:
            if handle.error is not None or not isinstance(exc, av.error.InvalidDataError):
                raise vanished_error(path) from exc
            return
        try:
            frames = packet.decode()
        except av_errors() as exc:
            bad += 1
            if handle.error is not None or bad > _MAX_BAD_PACKETS:
                raise vanished_error(path) from exc
            continue
        if handle.error is not None:
            raise vanished_error(path)
        yield from (frame for frame in frames if frame.samples)


def frame_to_array(frame: Any, channels: int) -> np.ndarray:
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


def _close_quietly(container: Any) -> None:
    try:
        container.close()
    except av_errors():
        pass


def probe_pyav(path: str, handle: GuardedFile) -> AudioInfo:
    """Probe with PyAV, decoding the first audio frame to prove the stream is real."""
    try:
        container = open_container(handle)
    except av_errors():
        raise unreadable_error(path, handle) from None
    try:
        if not container.streams.audio:
            raise unreadable_error(path, handle, no_stream=True)
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        try:
            first = next(decoded_frames(container, path, handle), None)
        except InputError:
            first = None
        rate = int(first.sample_rate or ctx.sample_rate or 0) if first is not None else 0
        channels = int(ctx.channels or first.layout.nb_channels) if first is not None else 0
        if rate <= 0 or channels <= 0:
            raise unreadable_error(path, handle)
        if stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
        else:
            seconds = (container.duration or 0) / 1_000_000
        codec = ctx.name or ""
        fmt = "PCM" if codec.startswith("pcm_") else _AV_CODEC_NAMES.get(codec, codec.upper())
        return AudioInfo(path=path, sample_rate=rate, channels=channels,
                         frames=max(0, round(seconds * rate)), format=fmt, backend="pyav")
    finally:
        _close_quietly(container)


class PyAVDecoder:
    """Streams blocks by demuxing and decoding the file afresh on each ``blocks()`` call."""

    def __init__(self, handle: GuardedFile, info: AudioInfo) -> None:
        self._handle = handle
        self._info = info
        self._container: Any = None

    def blocks(self, block_frames: int) -> Iterator[np.ndarray]:
        """Float32 (frames, channels) blocks from the start; the last may be short."""
        self.close()
        try:
            self._container = open_container(self._handle)
        except av_errors() as exc:
            raise vanished_error(self._info.path) from exc
        pending: list[np.ndarray] = []
        held = 0
        for frame in decoded_frames(self._container, self._info.path, self._handle):
            pending.append(frame_to_array(frame, self._info.channels))
            held += pending[-1].shape[0]
            if held >= block_frames:
                joined = np.concatenate(pending)
                whole = held // block_frames * block_frames
                yield from np.split(joined[:whole], whole // block_frames)
                pending, held = [joined[whole:]], held - whole
        if held:
            yield np.concatenate(pending)

    def close(self) -> None:
        """Close the container (not the underlying file); safe to call twice."""
        if self._container is not None:
            _close_quietly(self._container)
            self._container = None
