"""Stream a track into a peak pyramid, with a content-addressed cache and partial previews."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from albumstudio.audio.decode import no_audio_error, open_audio, quoted_name, vanished_error
from albumstudio.core.errors import CancelledError
from albumstudio.core.peaks import PeakBuilder, PeakPyramid
from albumstudio.core.text import format_time
from albumstudio.core.track import AudioInfo
from albumstudio.store.cache import ContentCache
from albumstudio.store.files import hash_stream

if TYPE_CHECKING:
    from albumstudio.audio.shared_decode import SharedDecode

class _CancellableReader:
    """Lets ``hash_stream`` notice the cancel flag between 1 MiB chunks."""

    def __init__(self, handle: BinaryIO, cancel: threading.Event | None) -> None:
        self._handle = handle
        self._cancel = cancel

    def read(self, size: int = -1) -> bytes:
        if self._cancel is not None and self._cancel.is_set():
            raise CancelledError()
        return self._handle.read(size)


def content_hash(path: str, cancel: threading.Event | None = None) -> str:
    """The file's content hash (cancellable; one sentence when the file has gone)."""
    try:
        with open(path, "rb") as handle:
            return hash_stream(_CancellableReader(handle, cancel))
    except OSError:
        raise vanished_error(path) from None


def with_decoded_length(info: AudioInfo, decoded: int) -> AudioInfo:
    """Record the decoded length, warning when the header promised noticeably more."""
    warnings = info.warnings
    claimed = info.frames
    if claimed > 0 and claimed - decoded > max(0.01 * claimed, 0.5 * info.sample_rate):
        rate = info.sample_rate
        warning = (
            f"{quoted_name(info.path)} is shorter than its header claims: decoded "
            f"{format_time(decoded / rate)} of {format_time(claimed / rate)}."
        )
        if warning not in warnings:
            warnings = (*warnings, warning)
    return dataclasses.replace(info, frames=decoded, warnings=warnings)


def _cached(cache: ContentCache | None, key: str) -> PeakPyramid | None:
    if cache is None:
        return None
    data = cache.get_bytes(key)
    if data is None:
        return None
    try:
        pyramid = PeakPyramid.from_bytes(data)
    except Exception:  # noqa: BLE001 - any damaged copy (0 bytes, wrong shapes) is made again
        cache.discard(key)
        return None
    if not (pyramid.complete and pyramid.frames_done > 0):
        return None
    return pyramid


def compute_peaks(
    path: str,
    cache: ContentCache | None = None,
    on_partial: Callable[[PeakPyramid], None] | None = None,
    cancel: threading.Event | None = None,
    block_frames: int = 65536,
    partial_interval_s: float = 0.2,
    shared: SharedDecode | None = None,
) -> tuple[AudioInfo, PeakPyramid]:
    """Peaks of ``path`` and its AudioInfo (content hash set, frames = decoded length).

    A cached pyramid for the same content is returned without decoding. Otherwise the file
    streams block by block (memory stays bounded); ``on_partial`` gets a growing partial
    pyramid after the first block and then at most every ``partial_interval_s``. Raises
    InputError for unusable files and CancelledError when ``cancel`` is set. ``shared``, when
    given, is handed every block as it is decoded (the analysis reads them there), or told
    that no decode comes.
    """
    try:
        with open_audio(path) as reader:
            info = dataclasses.replace(reader.info, content_hash=content_hash(path, cancel))
            hit = _cached(cache, info.content_hash)
            if hit is not None:
                if shared is not None:
                    shared.skip()
                return with_decoded_length(info, hit.frames_done), hit
            builder = PeakBuilder(info.sample_rate, info.channels, info.frames)
            # whole bins per block keep PeakBuilder's carry empty, and channel-major (Fortran)
            # blocks make its per-bin min/max reductions contiguous: about 20x faster; 65,536
            # frames (256 bins) are also the analysis's own blocks, so a shared decode gives it
            # the same blocks as decoding the file itself
            read_frames = max(1, -(-block_frames // builder.base_bin)) * builder.base_bin
            handing = shared is not None and shared.start(info)
            last_partial: float | None = None
            for block in reader.blocks(read_frames):
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                if handing and shared is not None:
                    handing = shared.put(block)
                builder.add(np.asfortranarray(block))
                if on_partial is not None:
                    now = time.monotonic()
                    if last_partial is None or now - last_partial >= partial_interval_s:
                        on_partial(builder.pyramid())
                        last_partial = time.monotonic()
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        if builder.frames_done == 0:
            raise no_audio_error(path)
        if shared is not None:
            shared.finish()
    except BaseException as exc:
        if shared is not None:
            shared.fail(exc)
        raise
    pyramid = builder.pyramid(complete=True)
    if cache is not None:
        try:
            cache.put_bytes(info.content_hash, pyramid.to_bytes())
        except OSError:
            pass  # a full or read-only cache folder only costs a re-decode next time
    return with_decoded_length(info, builder.frames_done), pyramid
