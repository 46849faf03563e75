"""The soundfile (libsndfile) backend: open and probe a guarded file, stream float32 blocks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import soundfile as sf

from albumstudio.audio.decode_errors import GuardedFile, read_error, vanished_error
from albumstudio.core.track import AudioInfo

_SF_FORMAT_NAMES = {
    "WAV": "WAV", "WAVEX": "WAV", "RF64": "WAV (RF64)", "W64": "Wave64", "AIFF": "AIFF",
    "CAF": "CAF", "FLAC": "FLAC", "MP3": "MP3", "AU": "AU",
}
_SF_OGG_NAMES = {"VORBIS": "Ogg Vorbis", "OPUS": "Opus", "FLAC": "Ogg FLAC"}
_SF_ERRORS = (sf.SoundFileError, RuntimeError, OSError)


def open_soundfile(path: str, handle: GuardedFile) -> tuple[AudioInfo, sf.SoundFile] | None:
    """The file's info and open SoundFile, or None when libsndfile cannot read it."""
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
    return info, snd


class SoundfileDecoder:
    """Streams blocks from an open SoundFile; I/O trouble becomes the 'vanished' error."""

    def __init__(self, snd: sf.SoundFile, handle: GuardedFile, info: AudioInfo) -> None:
        self._snd = snd
        self._handle = handle
        self._info = info

    def blocks(self, block_frames: int) -> Iterator[np.ndarray]:
        """Float32 (frames, channels) blocks from the start; the last may be short."""
        path, channels = self._info.path, self._info.channels
        try:
            self._snd.seek(0)
        except _SF_ERRORS as exc:
            raise vanished_error(path) from exc
        yielded = False
        while True:
            buf = np.empty((block_frames, channels), np.float32)
            try:
                # with ``out`` given, soundfile reads to the real end of the data instead of
                # trusting the header's frame count, and never pads a short read
                got = self._snd.read(dtype="float32", always_2d=True, out=buf)
            except _SF_ERRORS as exc:
                if self._handle.error is None and yielded:
                    # the file ends early (a cut-short FLAC): what came before is the track, as
                    # for a cut-short MP3; the caller warns that it is shorter than its header
                    return
                raise read_error(path, self._handle) from exc
            if self._handle.error is not None:
                raise vanished_error(path)
            if got.shape[0]:
                yielded = True
                yield got
            if got.shape[0] < block_frames:
                return

    def close(self) -> None:
        """Close the SoundFile (not the underlying file); errors are ignored."""
        try:
            self._snd.close()
        except _SF_ERRORS:
            pass
