"""The highlight engine: a piece of the track as a normalised audio file (offline).

Cut from the decoded track, faded, brought to −14 LUFS with true peak ≤ −1 dBTP
(``albumstudio.audio.clip_levels``) and encoded (``albumstudio.export.audio_export``). A lossy
file is decoded again and measured: when the encoder moved a peak over the ceiling, the
limiter's ceiling is lowered by the overshoot and the clip is encoded again, so every format
holds both figures as read back.
"""

from __future__ import annotations

import threading

import numpy as np

from albumstudio.audio.clip_levels import (
    CEILING_DBTP,
    Levels,
    cut,
    measure,
    normalise,
    to_stereo,
)
from albumstudio.core.clip import ClipRequest, ClipResult
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.jobs import Progress, ProgressFn
from albumstudio.export.audio_export import (
    AUDIO_FORMATS,
    encode_bytes,
    output_rate,
    read_back,
    resample,
)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("making the clip")


def render(samples: np.ndarray, sample_rate: int, request: ClipRequest,
           offset_s: float = 0.0) -> np.ndarray:
    """The faded, un-normalised clip, (frames, channels) float64, from samples that start at
    ``offset_s`` in the track."""
    options = request.options
    fade_in = getattr(options, "fade_in_s", -1.0)
    fade_out = getattr(options, "fade_out_s", -1.0)
    return cut(samples, sample_rate, request.start_s - offset_s, request.seconds,
               fade_in if fade_in >= 0 else None, fade_out if fade_out >= 0 else None)


def encode_clip(clip: np.ndarray, sample_rate: int, ext: str,
                cancel: threading.Event | None = None) -> tuple[bytes, int, int, Levels]:
    """(bytes, rate, decoded frames, levels as read back) of a clip normalised and encoded."""
    rate = output_rate(ext, sample_rate)
    if AUDIO_FORMATS[ext][2] in ("libmp3lame", "libopus"):
        clip = to_stereo(clip)  # what the file will carry is what is measured
    frames = int(round(clip.shape[0] * rate / sample_rate))
    clip = resample(clip, sample_rate, rate)[:frames]
    if clip.shape[0] < frames:
        clip = np.pad(clip, ((0, frames - clip.shape[0]), (0, 0)))
    ceiling = CEILING_DBTP
    for _ in range(4):
        _check(cancel)
        normalised, levels = normalise(clip, rate, ceiling_db=ceiling)
        data = encode_bytes(normalised, rate, ext)
        decoded, _ = read_back(data, ext)
        lufs, peak = measure(decoded, rate)
        if peak <= CEILING_DBTP:
            return data, rate, decoded.shape[0], Levels(levels.lufs_before, levels.gain_db,
                                                        levels.limited_db, lufs, peak)
        ceiling -= peak - CEILING_DBTP + 0.1
    raise InputError(f"The {AUDIO_FORMATS[ext][1]} encoder kept the clip's peaks over "
                     f"{CEILING_DBTP:g} dBTP; save it as WAV or FLAC instead.")


def run(request: ClipRequest, samples: np.ndarray, sample_rate: int,
        progress: ProgressFn | None = None, cancel: threading.Event | None = None,
        offset_s: float = 0.0) -> ClipResult:
    """The clip of ``request`` from ``samples`` (the track from ``offset_s`` on)."""
    ext = "." + request.options.format
    if ext not in AUDIO_FORMATS:
        raise InputError(f"Clips are saved as WAV, FLAC, MP3 or Ogg Opus, not "
                         f"'{request.options.format}'.")
    if progress is not None:
        progress(Progress(0.1, "Cutting the clip"))
    clip = render(samples, sample_rate, request, offset_s)
    _check(cancel)
    if progress is not None:
        progress(Progress(0.3, f"Encoding {AUDIO_FORMATS[ext][1]}"))
    data, rate, frames, levels = encode_clip(clip, sample_rate, ext, cancel)
    if progress is not None:
        progress(Progress(1.0, "Done"))
    return ClipResult(
        data=data, media=AUDIO_FORMATS[ext][0], duration_s=frames / rate, sample_rate=rate,
        extension=ext, notes=(levels.words(), f"format: {AUDIO_FORMATS[ext][1]}, {rate} Hz"),
        figures={"lufs": round(levels.lufs, 3), "true_peak_dbtp": round(levels.true_peak_dbtp, 3),
                 "gain_db": round(levels.gain_db, 3), "limited_db": round(levels.limited_db, 3)})


HIGHLIGHT_RATE = 22050  # the proposal reads a mono mix at the analysis's rate
KEEP_MONO_S = 15 * 60.0  # the last track's mix is kept up to this length (80 MB)


def _key(path: str) -> tuple[str, float, int]:
    import os

    try:
        stat = os.stat(path)
    except OSError:
        return (path, 0.0, -1)
    return (os.path.abspath(path), stat.st_mtime, stat.st_size)


class TrackAudio:
    """What the clip engines read of a track, in bounded memory: the mono mix at 22,050 Hz for
    the proposal (the last track's kept up to 15 minutes, so proposing and checking decode
    once), the lengths of the tracks read, and only the clip's own stretch at the track's rate
    for rendering."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[tuple[str, float, int], np.ndarray] | None = None
        self._lengths: dict[tuple[str, float, int], float] = {}

    def mono(self, path: str, cancel: threading.Event | None = None) -> tuple[np.ndarray, int]:
        from albumstudio.audio.decode import decode_all

        key = _key(path)
        with self._lock:
            if self._kept is not None and self._kept[0] == key:
                return self._kept[1], HIGHLIGHT_RATE
        samples, rate = decode_all(path, target_sr=HIGHLIGHT_RATE, mono=True, cancel=cancel)
        with self._lock:
            self._lengths[key] = samples.shape[0] / rate
            # kept for the next call unless long (an hour would hold 317 MB)
            self._kept = (key, samples) if samples.shape[0] <= KEEP_MONO_S * rate else None
        return samples, rate

    def offer(self, path: str, samples: np.ndarray) -> None:
        """The mono mix at HIGHLIGHT_RATE that ``path``'s analysis made (the one ``mono``
        would decode: ``audio/mix.py``), kept as ``mono`` keeps its own."""
        key = _key(path)
        with self._lock:
            self._lengths[key] = samples.shape[0] / HIGHLIGHT_RATE
            if samples.shape[0] <= KEEP_MONO_S * HIGHLIGHT_RATE:
                self._kept = (key, samples)

    def duration(self, path: str, cancel: threading.Event | None = None) -> float:
        with self._lock:
            known = self._lengths.get(_key(path))
        if known is not None:
            return known
        samples, rate = self.mono(path, cancel)
        return float(samples.shape[0] / rate)

    def segment(self, path: str, start_s: float, seconds: float,
                cancel: threading.Event | None = None) -> tuple[np.ndarray, int]:
        """(frames, channels) float32 of [start_s, start_s + seconds) at the track's rate
        (shorter at the end of the track), streamed: the rest is never kept."""
        from albumstudio.audio.decode import open_audio

        with open_audio(path) as reader:
            rate, channels = reader.info.sample_rate, reader.info.channels
            first = int(round(start_s * rate))
            last = first + int(round(seconds * rate))
            parts: list[np.ndarray] = []
            position = 0
            for block in reader.blocks():
                _check(cancel)
                end = position + block.shape[0]
                if end > first and position < last:
                    parts.append(block[max(0, first - position):last - position])
                position = end
                if position >= last:
                    break
        if not parts:
            return np.zeros((0, channels), dtype=np.float32), rate
        return np.concatenate(parts), rate

    def unload(self) -> None:
        with self._lock:
            self._kept = None
            self._lengths.clear()


class HighlightEngine:
    """Offline audio clips: nothing to load but the track."""

    def __init__(self, audio: TrackAudio | None = None) -> None:
        self.audio = audio or TrackAudio()

    def run(self, request: ClipRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> ClipResult:
        if progress is not None:
            progress(Progress(0.0, "Reading the track"))
        samples, rate = self.audio.segment(request.track_path, request.start_s,
                                           request.seconds, cancel)
        return run(request, samples, rate, progress, cancel, offset_s=request.start_s)

    def unload(self) -> None:
        self.audio.unload()
