"""Track analysis in one streaming pass: loudness, true peak, tempo, key, energy and sections.

The decoded blocks go once through the loudness and true-peak meters and, mixed to mono,
through a streaming resampler to 22,050 Hz; only that mono signal is kept. The musical
figures are then computed from it with ``albumstudio.audio.dsp`` (librosa's algorithms in
plain numpy, so nothing is compiled at run time), sharing one STFT between all features.
When asked, the same pass also resamples the mono mix to the tagger's 16 kHz, so a track is
decoded once for analysis and tags.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from albumstudio.audio import dsp
from albumstudio.audio.loudness import LoudnessMeter, TruePeakMeter
from albumstudio.audio.metre import choose_level
from albumstudio.audio.mix import finite, mono_mix
from albumstudio.audio.music_features import (
    CURVE_HOP_S,
    checkerboard_novelty,
    key_of,
    refined_tempo,
    sections,
    unit_columns,
)
from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.errors import CancelledError

if TYPE_CHECKING:
    from albumstudio.audio.shared_decode import SharedDecode
    from albumstudio.core.track import AudioInfo

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
TaggerFeed = Callable[[np.ndarray | None], None]  # 16 kHz mono chunks, then None at the end


class JsonCache(Protocol):
    """What ``analyze_file`` needs of a cache (``albumstudio.store.cache.ContentCache``)."""

    def get_json(self, key: str) -> dict[str, Any] | None: ...

    def put_json(self, key: str, value: dict[str, Any]) -> None: ...


ANALYSIS_RATE = 22050
N_FFT = 2048
HOP = 512
SPECTRUM_CHUNK_FRAMES = 2048  # STFT frames per chunk (about 47 s)
TEMPO_WINDOW_S = 8.0  # librosa's tempogram window
TEMPO_CHUNK_FRAMES = 16384  # onset-envelope frames per tempogram chunk (about 6 minutes)
MIN_FEATURE_SECONDS = 1.0  # shorter clips get loudness, peak and energy only
SILENCE_RMS_DB = -90.0
ENERGY_FLOOR_DB = -48.0  # mean RMS at or below this is energy 0 …
ENERGY_CEILING_DB = -8.0  # … and at or above this is energy 1
NOVELTY_HALF_WIDTH_S = 6.0
CLEAR_ONSET = 2.5  # an onset this many times the median flux is clear; a tempo needs two

STREAM_SHARE = 0.6  # of the progress bar, for reading and metering
BATCH_FRAMES = 1 << 18  # frames metered at a time (about 6 s at 44.1 kHz)
TAGGER_RATE = 16000  # musicnn's rate (albumstudio.audio.musicnn_input.SR)
MAX_TAGGER_AUDIO_S = 1800.0  # longer tracks are decoded again for the tagger (memory)
MAX_KEPT_MIX_S = 900.0  # the analysis rate's mix is handed on up to this length (80 MB)

def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("analysis cancelled")


class _Stages:
    """Reports progress and keeps per-stage timings for the log."""

    def __init__(self, progress: Progress | None, cancel: threading.Event | None) -> None:
        self._progress = progress
        self._cancel = cancel
        self._last = time.perf_counter()
        self.timings: dict[str, float] = {}

    def report(self, fraction: float, words: str) -> None:
        if self._progress is not None:
            self._progress(min(1.0, max(0.0, fraction)), words)

    def done(self, stage: str, next_fraction: float | None = None, words: str = "") -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._last, 4)
        self._last = now
        _check(self._cancel)
        if next_fraction is not None:
            self.report(next_fraction, words)


class _MonoBuffer:
    """A float32 array that grows by appending (sized up front when the length is known)."""

    def __init__(self, capacity: int) -> None:
        self._data = np.empty(max(capacity, 1 << 16), dtype=np.float32)
        self._size = 0

    def append(self, values: np.ndarray) -> None:
        end = self._size + values.size
        if end > self._data.size:
            grown = np.empty(max(end, 2 * self._data.size), dtype=np.float32)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size:end] = values
        self._size = end

    def values(self) -> np.ndarray:
        return self._data[: self._size]


def _batched(blocks: Iterable[np.ndarray], channels: int,
             cancel: threading.Event | None) -> Iterable[np.ndarray]:
    """Checked finite float32 (frames, channels) blocks, joined to at least BATCH_FRAMES:
    a few large numpy calls let the interpreter lock go to other threads (the tagger's
    import) far less often than many small ones."""
    pending: list[np.ndarray] = []
    size = 0
    for block in blocks:
        _check(cancel)
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 1 and channels == 1:
            block = block[:, None]
        if block.ndim != 2 or block.shape[1] != channels:
            raise ValueError(f"expected (frames, {channels}) blocks, got shape {block.shape}")
        if block.shape[0] == 0:
            continue
        pending.append(finite(block))
        size += block.shape[0]
        if size >= BATCH_FRAMES:
            yield pending[0] if len(pending) == 1 else np.concatenate(pending)
            pending, size = [], 0
    if pending:
        yield pending[0] if len(pending) == 1 else np.concatenate(pending)


def _stream(
    blocks: Iterable[np.ndarray],
    sample_rate: int,
    channels: int,
    stages: _Stages,
    cancel: threading.Event | None,
    total_frames: int,
    tagger_audio: list[np.ndarray] | None = None,
    tagger_feed: TaggerFeed | None = None,
) -> tuple[int, float, float, np.ndarray]:
    """(frames, LUFS, dBTP, mono signal at ANALYSIS_RATE) from one pass over the blocks;
    ``tagger_audio`` gets the mono signal at TAGGER_RATE too, or ``tagger_feed`` gets it
    chunk by chunk as it is decoded (and None at the end)."""
    import soxr

    loudness = LoudnessMeter(sample_rate, channels)
    peak = TruePeakMeter(sample_rate, channels)
    resampler = None
    if sample_rate != ANALYSIS_RATE:
        resampler = soxr.ResampleStream(sample_rate, ANALYSIS_RATE, 1, dtype="float32")
    expected = int(max(0, total_frames) * ANALYSIS_RATE / sample_rate) + 4096
    mono_all = _MonoBuffer(min(expected, 1 << 27))  # a header may claim any length
    tagger: tuple[Any, _MonoBuffer] | None = None
    to_tagger = None
    if (tagger_audio is not None or tagger_feed is not None) and sample_rate != TAGGER_RATE:
        to_tagger = soxr.ResampleStream(sample_rate, TAGGER_RATE, 1, dtype="float32",
                                        quality="HQ")
    if tagger_audio is not None:
        expected = int(max(0, total_frames) * TAGGER_RATE / sample_rate) + 4096
        tagger = (to_tagger, _MonoBuffer(min(expected, 1 << 27)))
        tagger_feed = None
    frames = 0
    for block in _batched(blocks, channels, cancel):
        loudness.add(block)
        peak.add(block)
        mono = mono_mix(block)
        mono_all.append(resampler.resample_chunk(mono) if resampler else mono)
        if tagger is not None:
            tagger[1].append(tagger[0].resample_chunk(mono) if tagger[0] else mono)
        elif tagger_feed is not None:
            tagger_feed(to_tagger.resample_chunk(mono) if to_tagger else mono.copy())
        frames += block.shape[0]
        if total_frames > 0:
            stages.report(STREAM_SHARE * min(1.0, frames / total_frames), "Measuring loudness")
    if resampler is not None:
        mono_all.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
    if tagger is not None and tagger_audio is not None:
        if tagger[0] is not None:
            tagger[1].append(tagger[0].resample_chunk(np.zeros(0, np.float32), last=True))
        tagger_audio.append(tagger[1].values())
    if tagger_feed is not None:
        if to_tagger is not None:
            tagger_feed(to_tagger.resample_chunk(np.zeros(0, np.float32), last=True))
        tagger_feed(None)
    return frames, loudness.integrated_lufs(), peak.dbtp(), mono_all.values()


def _bin_index(n_bins: int, frame_times: np.ndarray) -> np.ndarray:
    return np.minimum((frame_times / CURVE_HOP_S).astype(np.int64), n_bins - 1)


def _bin_means(values: np.ndarray, bins: np.ndarray, n_bins: int) -> np.ndarray:
    """Mean of each row of ``values`` (features, frames) over the frames in each curve bin."""
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    sums = np.zeros((values.shape[0], n_bins), dtype=np.float64)
    np.add.at(sums.T, bins, values.T)
    return sums / np.maximum(counts, 1.0)


def _energy(y: np.ndarray, n_bins: int) -> tuple[float, float, np.ndarray]:
    """(energy 0..1, mean RMS dBFS, RMS per curve bin) of the mono signal."""
    step = int(round(CURVE_HOP_S * ANALYSIS_RATE))
    sums = np.zeros(n_bins, dtype=np.float64)
    for first in range(0, y.size, 256 * step):
        squares = np.square(y[first:first + 256 * step], dtype=np.float64)
        part = np.add.reduceat(squares, np.arange(0, squares.size, step))
        sums[first // step:first // step + part.size] = part
    lengths = np.full(n_bins, step, dtype=np.float64)
    lengths[-1] = max(1, y.size - step * (n_bins - 1))
    rms = np.sqrt(sums / lengths)
    mean_rms = float(np.average(rms, weights=lengths))
    rms_db = 20.0 * math.log10(mean_rms) if mean_rms > 0 else -math.inf
    span = ENERGY_CEILING_DB - ENERGY_FLOOR_DB
    energy = min(1.0, max(0.0, (rms_db - ENERGY_FLOOR_DB) / span)) if mean_rms > 0 else 0.0
    return energy, rms_db, rms


def _rounded(values: Iterable[float], digits: int) -> tuple[float, ...]:
    return tuple(round(float(v), digits) for v in values)


def _spectral_pass(y: np.ndarray, cancel: threading.Event | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mel power (96, frames), raw chroma (12, frames), summed magnitude spectrum) of ``y``.

    The STFT is taken a chunk of frames at a time (same frames as one centred STFT), so
    memory stays at the feature matrices however long the track is.
    """
    sr = ANALYSIS_RATE
    n_frames = 1 + y.size // HOP
    window = dsp.hann(N_FFT)
    mel_fb = dsp.mel_filters(sr, N_FFT, 96)
    chroma_fb = dsp.chroma_filters(sr, N_FFT)
    chroma_fb[chroma_fb < 1e-8] = 0.0  # its far tails are denormal products that slow matmul
    mel = np.empty((mel_fb.shape[0], n_frames), dtype=np.float32)
    chroma = np.empty((chroma_fb.shape[0], n_frames), dtype=np.float32)
    magnitude_sum = np.zeros(1 + N_FFT // 2, dtype=np.float64)
    for first in range(0, n_frames, SPECTRUM_CHUNK_FRAMES):
        _check(cancel)
        last = min(n_frames, first + SPECTRUM_CHUNK_FRAMES)
        start = first * HOP - N_FFT // 2
        stop = (last - 1) * HOP + N_FFT // 2
        segment = y[max(start, 0):min(stop, y.size)]
        if start < 0 or stop > y.size:
            segment = np.pad(segment, (max(0, -start), max(0, stop - y.size)))
        power = dsp.power_frames(segment, N_FFT, HOP, window)
        mel[:, first:last] = mel_fb @ power
        chroma[:, first:last] = chroma_fb @ power
        magnitude_sum += np.sqrt(power).sum(axis=1, dtype=np.float64)
    return mel, chroma, magnitude_sum


def _mean_tempogram(onset_env: np.ndarray, cancel: threading.Event | None) -> np.ndarray:
    """The tempogram averaged over time (lags,), a chunk of columns at a time, so a long
    track never holds the whole (lags × frames) matrix (gigabytes for an hour of audio)."""
    window = int(TEMPO_WINDOW_S * ANALYSIS_RATE // HOP)
    total = np.zeros(window, dtype=np.float64)
    for columns in dsp.tempogram_columns(onset_env, window):
        _check(cancel)
        total += columns.sum(axis=0)
    return total / max(onset_env.size, 1)


def _nearest_distance(points: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """For each of ``points``, the distance to the nearest of the sorted ``marks`` (in
    O(n log n): an hour of beats against an hour of onsets as a matrix took 800 MB)."""
    marks = np.sort(marks)
    right = np.clip(np.searchsorted(marks, points), 0, marks.size - 1)
    left = np.clip(right - 1, 0, marks.size - 1)
    return np.minimum(np.abs(points - marks[right]), np.abs(points - marks[left]))


def _features(
    signal: list[np.ndarray], duration: float, n_bins: int, stages: _Stages,
    cancel: threading.Event | None
) -> dict[str, Any]:
    """The musical figures of a non-silent mono signal at ANALYSIS_RATE, handed over in a
    one-item list that this empties: after the spectrum the samples are let go (an hour at
    22 kHz is 317 MB the later steps do not need)."""
    sr = ANALYSIS_RATE
    mel, chroma, magnitude_sum = _spectral_pass(signal.pop(), cancel)
    mel_db = dsp.power_to_db(mel)
    stages.done("spectrum", STREAM_SHARE + 0.1, "Finding the beat")

    frame_rate = sr / HOP
    onset_env = dsp.onset_strength(mel_db, N_FFT, HOP)
    mean_tg = _mean_tempogram(onset_env, cancel)
    onsets = dsp.onset_detect(onset_env, sr, HOP)
    level = choose_level(onset_env, mean_tg, dsp.tempo_from_tempogram(mean_tg, sr, HOP),
                         frame_rate, onsets.size / duration)
    beat_times = level.beats / frame_rate
    tempo = refined_tempo(level.tempo_bpm, beat_times) if beat_times.size else 0.0
    alternative = level.alternative_bpm * tempo / level.tempo_bpm
    clear = onsets[onset_env[onsets] >= CLEAR_ONSET * float(np.median(onset_env))]
    on_onsets = _nearest_distance(level.beats, clear) <= 2 \
        if clear.size and level.beats.size else np.zeros(0, dtype=bool)
    if int(on_onsets.sum()) < 2 or duration < 60.0 / max(tempo, 1e-9):
        tempo, alternative, beat_times = 0.0, 0.0, beat_times[:0]  # no steady tempo
    stages.done("beat", STREAM_SHARE + 0.2, "Finding the key and tone colour")

    key, mode, confidence = key_of(chroma.mean(axis=1, dtype=np.float64))
    freqs = dsp.fft_frequencies(sr, N_FFT)
    total = float(magnitude_sum.sum())
    brightness = float(freqs @ magnitude_sum) / total if total > 0 else 0.0
    stages.done("key", STREAM_SHARE + 0.3, "Finding sections")

    mfcc = dsp.dct_ortho(mel_db, 14)[1:]
    mfcc = (mfcc - mfcc.mean(axis=1, keepdims=True)) / (mfcc.std(axis=1, keepdims=True) + 1e-9)
    times = np.arange(mel.shape[1]) * (HOP / sr)
    bins = _bin_index(n_bins, times)
    views = [unit_columns(_bin_means(chroma, bins, n_bins)),
             unit_columns(_bin_means(mfcc, bins, n_bins))]
    half = max(2, int(round(NOVELTY_HALF_WIDTH_S / CURVE_HOP_S)))
    novelty = checkerboard_novelty(views, half)
    stages.done("sections")
    return {
        "tempo_bpm": round(tempo, 2),
        "tempo_alternative_bpm": round(alternative, 2),
        "tempo_reason": level.reason if tempo else "fewer than two beats fall on clear onsets",
        "beat_times": _rounded(beat_times, 3),
        "key": key,
        "mode": mode,
        "key_confidence": round(confidence, 4),
        "brightness_hz": round(brightness, 1),
        "onset_density": round(len(onsets) / duration, 3),
        "novelty_curve": _rounded(novelty, 4),
        "section_times": sections(novelty, duration),
    }


def analyze_stream(
    blocks: Iterable[np.ndarray],
    sample_rate: int,
    channels: int,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    total_frames: int = 0,
    tagger_audio: list[np.ndarray] | None = None,
    tagger_feed: TaggerFeed | None = None,
    keep_mix: list[np.ndarray] | None = None,
) -> AnalysisResult:
    """Analyse a track given as (frames, channels) float32 blocks, in one pass.

    ``progress(fraction, words)`` is called from this thread; ``cancel`` is checked for
    every block and between stages (CancelledError). ``total_frames`` (an estimate is fine)
    lets the reading stage report progress. Silence gives -inf loudness and true peak, tempo
    0, energy 0 and empty curves; a clip under a second gets loudness, peak and energy only.
    ``tagger_audio``, when given, receives the mono mix at TAGGER_RATE (for ``tag_file``);
    ``tagger_feed`` receives it chunk by chunk while the track is read, then None (for a
    ``tagger.TagStream`` on another thread). ``keep_mix`` receives the mono mix at
    ANALYSIS_RATE (tracks up to MAX_KEPT_MIX_S), the one ``decode_all(path, ANALYSIS_RATE,
    mono=True)`` gives, so the clip's highlight needs no decode of its own.
    """
    if sample_rate <= 0 or channels <= 0:
        raise ValueError("sample rate and channel count must be positive")
    from albumstudio.audio.blas import one_blas_thread

    with one_blas_thread():  # its many small products (see audio/blas.py)
        return _analyze_stream(blocks, sample_rate, channels, progress, cancel, total_frames,
                               tagger_audio, tagger_feed, keep_mix)


def _analyze_stream(
    blocks: Iterable[np.ndarray],
    sample_rate: int,
    channels: int,
    progress: Progress | None,
    cancel: threading.Event | None,
    total_frames: int,
    tagger_audio: list[np.ndarray] | None,
    tagger_feed: TaggerFeed | None = None,
    keep_mix: list[np.ndarray] | None = None,
) -> AnalysisResult:
    stages = _Stages(progress, cancel)
    stages.report(0.0, "Measuring loudness")
    frames, lufs, dbtp, y = _stream(blocks, sample_rate, channels, stages, cancel, total_frames,
                                    tagger_audio, tagger_feed)
    duration = frames / sample_rate
    if keep_mix is not None and y.size <= MAX_KEPT_MIX_S * ANALYSIS_RATE:
        keep_mix.append(y)  # read only from here on
    stages.done("read+meter+resample", STREAM_SHARE, "Analysing the spectrum")

    n_bins = max(1, math.ceil(y.size / (CURVE_HOP_S * ANALYSIS_RATE)))
    energy, rms_db, rms_bins = _energy(y, n_bins) if y.size else (0.0, -math.inf, np.zeros(0))
    silent = not rms_db > SILENCE_RMS_DB
    figures: dict[str, Any] = {
        "tempo_bpm": 0.0, "tempo_alternative_bpm": 0.0, "tempo_reason": "", "beat_times": (), "key": "C", "mode": "major", "key_confidence": 0.0,
        "brightness_hz": 0.0, "onset_density": 0.0, "novelty_curve": (), "section_times": (),
        "energy_curve": (),
    }
    if not silent and duration >= MIN_FEATURE_SECONDS:
        signal = [y]
        del y  # _features lets the samples go once the spectrum is taken
        figures.update(_features(signal, duration, n_bins, stages, cancel))
        figures["energy_curve"] = _rounded(rms_bins / rms_bins.max(), 4)
    log.debug("analysis of %.1f s took %s", duration, stages.timings)
    stages.report(1.0, "Done")
    return AnalysisResult(
        duration=round(duration, 6),
        sample_rate=int(sample_rate),
        channels=int(channels),
        loudness_lufs=round(lufs, 3) if math.isfinite(lufs) else -math.inf,
        true_peak_dbtp=round(dbtp, 3) if math.isfinite(dbtp) else -math.inf,
        energy=0.0 if silent else round(energy, 4),
        extra={"rms_dbfs": round(max(rms_db, -120.0), 2) if not silent else -120.0},
        **figures,
    )


def analyze_file(
    path: str,
    cache: JsonCache | None = None,
    content_hash: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    tagger_audio: list[np.ndarray] | None = None,
    tagger_feed: TaggerFeed | None = None,
    shared: SharedDecode | None = None,
    keep_mix: list[np.ndarray] | None = None,
) -> AnalysisResult:
    """Analyse an audio file, or return the cached result for ``content_hash``.

    Raises InputError (one sentence) for a file that cannot be decoded, CancelledError when
    ``cancel`` is set. A cache entry from another analysis version is recomputed. When the
    file is decoded and ``tagger_audio`` is a list, the tagger's 16 kHz mono signal is
    appended to it (tracks up to MAX_TAGGER_AUDIO_S), so tagging needs no second decode;
    ``tagger_feed`` gets it chunk by chunk instead (any length: nothing is kept), and is
    never called when the result comes from the cache. With ``shared``, the blocks another
    job decodes are read there (the same blocks, so the same result), unless that decode
    does not come: then the file is decoded here.
    """
    try:
        if cache is not None and content_hash:
            cached = cache.get_json(content_hash)
            if cached is not None:
                try:
                    return AnalysisResult.from_dict(cached)
                except (TypeError, ValueError):
                    log.info("recomputing the analysis for %s: cached copy unusable",
                             content_hash)
        info = shared.info(cancel) if shared is not None else None
        if shared is not None and info is not None:
            result = _analyze_info(info, shared.blocks(cancel), progress, cancel, tagger_audio,
                                   tagger_feed, keep_mix)
        else:
            from albumstudio.audio.decode import open_audio

            with open_audio(path) as reader:
                result = _analyze_info(reader.info, reader.blocks(), progress, cancel,
                                       tagger_audio, tagger_feed, keep_mix)
    finally:
        if shared is not None:
            shared.decline()  # read to the end, not needed, or stopped: let it go
    if cache is not None and content_hash:
        cache.put_json(content_hash, result.to_dict())
    return result


def _analyze_info(info: AudioInfo, blocks: Iterable[np.ndarray], progress: Progress | None,
                  cancel: threading.Event | None, tagger_audio: list[np.ndarray] | None,
                  tagger_feed: TaggerFeed | None,
                  keep_mix: list[np.ndarray] | None = None) -> AnalysisResult:
    keep = tagger_audio if info.frames <= MAX_TAGGER_AUDIO_S * info.sample_rate else None
    return analyze_stream(blocks, info.sample_rate, info.channels, progress=progress,
                          cancel=cancel, total_frames=info.frames, tagger_audio=keep,
                          tagger_feed=tagger_feed, keep_mix=keep_mix)
