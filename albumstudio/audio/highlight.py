"""The most representative stretch of a track for a 15, 30 or 60 s clip, offline.

Every half second (the analysis's curve step) gets three figures:

- **repetition**: how closely the music around it recurs elsewhere in the track, from a
  self-similarity matrix of chroma and MFCC summaries whose diagonals are averaged over a few
  seconds, so a repeated *passage* (a chorus) scores and a single similar chord does not;
- **energy**: its loudness (RMS in dB) against the loudest part of the track;
- **a section start**: how near a section boundary of the analysis (its novelty peaks) is.

A window's score is a weighted mean of its repetition and energy, of the same over its opening
quarter (a clip should open with its strongest part, the hook) and of the start bonus.
Candidate starts are the bar lines (downbeats found from the analysis's beats: the phase of
four that puts the harmonic changes on the first beat), else the beats, else every half
second, so the clip begins where a musician would cut it. Ties go to the earlier start; the
same samples and analysis always give the same proposal.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from albumstudio.audio import dsp
from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.errors import CancelledError, InputError

BIN_S = 0.5  # the analysis's curve step
FRAME_S = 0.186  # one spectrum per ~186 ms (4096 samples at 22,050 Hz), frames end to end
REPEAT_SPAN_S = 4.0  # a passage must recur for this long to count as repetition
MIN_LAG_S = 6.0  # … and at least this far away (not the same passage a moment later)
BEATS_PER_BAR = 4
SLOW_BEAT_BPM = 75.0
WEIGHTS = {"repetition": 0.35, "energy": 0.30, "opening": 0.20, "start": 0.15}
OPENING_SHARE = 0.25  # the opening quarter should already be the strong part (the hook)
SECTION_REACH_S = 3.0  # a start this near a section boundary gets part of the bonus
ENERGY_RANGE_DB = 24.0  # RMS this far below the loudest half second is energy 0


@dataclass(frozen=True)
class Highlight:
    """A proposed clip: where it starts and ends (seconds), why, and what it was snapped to."""

    start_s: float
    end_s: float
    score: float
    snapped_to: str  # "bar", "beat" or "half-second"
    repetition: float
    energy: float
    section_start: float
    bar_times: tuple[float, ...] = ()

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s

    def reasons(self) -> str:
        return (f"highlight: {self.start_s:.2f}–{self.end_s:.2f} s, on a {self.snapped_to} line; "
                f"repetition {self.repetition:.2f}, energy {self.energy:.2f}, "
                f"section start {self.section_start:.2f}")


def check_length(duration: float, seconds: float) -> None:
    """InputError when a ``seconds`` clip cannot come out of a ``duration`` track."""
    if not math.isfinite(seconds):
        raise InputError("A clip's length must be a number of seconds, such as --seconds 30.")
    if seconds < 1.0:
        raise InputError(f"A clip must be at least 1 second long, not {seconds:g} s; choose a "
                         "longer selection.")
    if duration + 1e-6 < seconds:
        raise InputError(f"The track is {duration:.1f} s long, shorter than a {seconds:g} s "
                         "clip; choose a shorter clip.")


def check_selection(duration: float, start: float, seconds: float) -> None:
    """InputError when [start, start + seconds) is not a usable part of a ``duration`` track."""
    if not (math.isfinite(start) and math.isfinite(seconds)):
        raise InputError("A clip's start and length must be numbers of seconds, such as "
                         "--start 42 --seconds 30.")
    if seconds < 1.0:
        raise InputError(f"A clip must be at least 1 second long, not {seconds:g} s; choose a "
                         "longer selection.")
    if start < 0 or start >= duration:
        raise InputError(f"The clip starts at {start:g} s, outside the {duration:.1f} s track; "
                         "choose a start inside it.")
    if start + seconds > duration + 1e-6:
        raise InputError(f"A {seconds:g} s clip from {start:g} s runs past the end of the "
                         f"{duration:.1f} s track; start it by {max(0.0, duration - seconds):.1f}"
                         " s or choose a shorter clip.")


def _mono(samples: np.ndarray) -> np.ndarray:
    if samples.ndim == 1:
        return np.asarray(samples, dtype=np.float32)
    return np.asarray(samples.mean(axis=1, dtype=np.float32), dtype=np.float32)


def bin_features(mono: np.ndarray, sample_rate: int,
                 cancel: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Per half second: (chroma (12, n), MFCC (13, n), RMS dB (n,)) of a mono signal."""
    n_fft = 1 << max(8, round(math.log2(FRAME_S * sample_rate)))
    hop = n_fft  # summaries per half second need no overlap: half the transforms
    n_bins = max(1, math.ceil(mono.size / (BIN_S * sample_rate)))
    window = dsp.hann(n_fft)
    chroma_fb = dsp.chroma_filters(sample_rate, n_fft)
    chroma_fb[chroma_fb < 1e-8] = 0.0
    mel_fb = dsp.mel_filters(sample_rate, n_fft, 40)
    padded = np.pad(mono, (0, max(0, n_fft - mono.size)))
    chroma_sum = np.zeros((12, n_bins))
    mel_sum = np.zeros((40, n_bins))
    counts = np.zeros(n_bins)
    chunk = 1024  # frames at a time, so memory stays small for a long track
    n_frames = 1 + (padded.size - n_fft) // hop
    for first in range(0, n_frames, chunk):
        if cancel is not None and cancel.is_set():
            raise CancelledError("finding the highlight")
        last = min(n_frames, first + chunk)
        segment = padded[first * hop:(last - 1) * hop + n_fft]
        power = dsp.power_frames(segment, n_fft, hop, window)
        centres = (np.arange(first, last) * hop + n_fft // 2) / sample_rate
        bins = np.minimum((centres / BIN_S).astype(np.int64), n_bins - 1)
        np.add.at(chroma_sum.T, bins, (chroma_fb @ power).T)
        np.add.at(mel_sum.T, bins, (mel_fb @ power).T)
        counts += np.bincount(bins, minlength=n_bins)
    chroma = chroma_sum / np.maximum(counts, 1)
    mel_db = dsp.power_to_db((mel_sum / np.maximum(counts, 1)).astype(np.float32))
    mfcc = dsp.dct_ortho(mel_db, 14)[1:].astype(np.float64)
    mfcc = (mfcc - mfcc.mean(axis=1, keepdims=True)) / (mfcc.std(axis=1, keepdims=True) + 1e-9)
    step = int(round(BIN_S * sample_rate))
    squares = np.square(mono, dtype=np.float64)
    sums = np.add.reduceat(squares, np.arange(0, mono.size, step)) if mono.size else np.zeros(1)
    rms = np.sqrt(sums / step)[:n_bins]
    rms = np.pad(rms, (0, n_bins - rms.size))
    rms_db = 20.0 * np.log10(np.maximum(rms, 1e-7))
    return chroma, mfcc, rms_db


def _unit(features: np.ndarray) -> np.ndarray:
    return features / np.maximum(np.linalg.norm(features, axis=0, keepdims=True), 1e-9)


def repetition_curve(chroma: np.ndarray, mfcc: np.ndarray) -> np.ndarray:
    """0..1 per bin: how strongly the passage starting there recurs elsewhere in the track."""
    n = chroma.shape[1]
    span = max(1, int(round(REPEAT_SPAN_S / BIN_S)))
    min_lag = max(1, int(round(MIN_LAG_S / BIN_S)))
    if n <= min_lag + 1:
        return np.zeros(n)
    a, b = _unit(chroma), _unit(mfcc)
    similarity = 0.5 * (a.T @ a + b.T @ b)
    # the mean similarity along each diagonal over ``span`` bins: passage against passage
    padded = np.pad(similarity, ((0, span), (0, span)), constant_values=np.nan)
    passage = np.zeros((n, n))
    for k in range(span):
        passage += np.nan_to_num(padded[k:k + n, k:k + n], nan=0.0)
    lengths = np.minimum(span, n - np.arange(n))
    passage /= np.minimum(lengths[:, None], lengths[None, :])
    lag = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    passage[lag < min_lag] = -np.inf
    best_two = np.sort(passage, axis=1)[:, -2:]
    finite = np.isfinite(best_two)  # a bin with no passage far enough away scores 0
    counts = finite.sum(axis=1)
    sums = np.where(finite, best_two, 0.0).sum(axis=1)
    curve = np.divide(sums, counts, out=np.zeros(n), where=counts > 0)
    low, high = float(curve.min()), float(curve.max())
    return (curve - low) / (high - low) if high > low else np.zeros(n)


def energy_curve(rms_db: np.ndarray) -> np.ndarray:
    top = float(rms_db.max()) if rms_db.size else 0.0
    return np.clip(1.0 + (rms_db - top) / ENERGY_RANGE_DB, 0.0, 1.0)


def bar_times(beat_times: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """The downbeats: every fourth beat, at the phase where the harmony changes most. A slow
    beat (under SLOW_BEAT_BPM, often a half-time reading) is first split in two, so a bar is
    about two seconds long whichever octave the analysis chose."""
    beats = np.asarray(beat_times, dtype=np.float64)
    if beats.size < 2 * BEATS_PER_BAR:
        return np.zeros(0)
    if 60.0 / float(np.median(np.diff(beats))) < SLOW_BEAT_BPM:
        grid = np.empty(2 * beats.size - 1)
        grid[0::2] = beats
        grid[1::2] = 0.5 * (beats[:-1] + beats[1:])
        beats = grid
    unit = _unit(chroma)
    bins = np.minimum((beats / BIN_S).astype(np.int64), unit.shape[1] - 1)
    before = np.maximum(bins - 1, 0)
    change = 1.0 - np.sum(unit[:, bins] * unit[:, before], axis=0)
    scores = [float(change[p::BEATS_PER_BAR].mean()) for p in range(BEATS_PER_BAR)]
    phase = int(np.argmax(scores))
    return beats[phase::BEATS_PER_BAR]


def _section_bonus(starts: np.ndarray, analysis: AnalysisResult) -> np.ndarray:
    bonus = np.zeros(starts.size)
    times = np.asarray(analysis.section_times, dtype=np.float64)
    if times.size:
        distance = np.abs(starts[:, None] - times[None, :]).min(axis=1)
        bonus = np.clip(1.0 - distance / SECTION_REACH_S, 0.0, 1.0)
    novelty = np.asarray(analysis.novelty_curve, dtype=np.float64)
    if novelty.size:
        index = np.clip(np.round(starts / analysis.curve_hop_s).astype(np.int64), 0,
                        novelty.size - 1)
        bonus = np.maximum(bonus, 0.5 * novelty[index])
    return bonus


def _window_means(curve: np.ndarray, starts: np.ndarray, seconds: float) -> np.ndarray:
    """The mean of a per-bin curve over [start, start + seconds) for each start."""
    sums = np.concatenate(([0.0], np.cumsum(curve)))
    first = np.clip(np.floor(starts / BIN_S).astype(np.int64), 0, curve.size - 1)
    last = np.clip(np.ceil((starts + seconds) / BIN_S).astype(np.int64), first + 1, curve.size)
    return (sums[last] - sums[first]) / (last - first)


def propose(samples: np.ndarray, sample_rate: int, analysis: AnalysisResult, seconds: float,
            cancel: threading.Event | None = None) -> Highlight:
    """The best ``seconds`` of a track from its samples ((frames,) or (frames, channels)) and
    its analysis. InputError when the track is shorter than the clip."""
    mono = _mono(samples)
    duration = mono.size / sample_rate
    check_length(duration, seconds)
    latest = duration - seconds
    chroma, mfcc, rms_db = bin_features(mono, sample_rate, cancel)
    repetition = repetition_curve(chroma, mfcc)
    energy = energy_curve(rms_db)
    bars = bar_times(np.asarray(analysis.beat_times), chroma)
    for kind, marks in (("bar", bars), ("beat", np.asarray(analysis.beat_times, np.float64))):
        starts = marks[marks <= latest + 1e-9]
        if starts.size:
            snapped = kind
            break
    else:
        starts = np.arange(0.0, latest + 1e-9, BIN_S)
        snapped = "half-second"
    rep = _window_means(repetition, starts, seconds)
    eng = _window_means(energy, starts, seconds)
    start_bonus = _section_bonus(starts, analysis)
    opening = 0.5 * (_window_means(repetition, starts, OPENING_SHARE * seconds)
                     + _window_means(energy, starts, OPENING_SHARE * seconds))
    score = (WEIGHTS["repetition"] * rep + WEIGHTS["energy"] * eng
             + WEIGHTS["opening"] * opening + WEIGHTS["start"] * start_bonus)
    best = int(np.argmax(np.round(score, 9)))  # the first of equal scores: deterministic
    start = float(starts[best])
    return Highlight(round(start, 4), round(start + seconds, 4), float(score[best]), snapped,
                     float(rep[best]), float(eng[best]), float(start_bonus[best]),
                     tuple(round(float(t), 4) for t in bars))
