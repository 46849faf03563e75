"""librosa's analysis building blocks in plain numpy: no numba, nothing compiled at run time.

Each function reproduces the librosa 0.11 function named in its docstring with the defaults
the analysis uses (``tests/audio/test_dsp.py`` compares them with librosa on synthetic
signals). librosa's beat tracker, onset picker and a few helpers are numba-jitted, and numba
compiles them in every new process (seconds) or on a fresh install (tens of seconds); these
versions are vectorised instead, so a fresh process pays only numpy's import.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from albumstudio.audio import fft

_TINY32 = float(np.finfo(np.float32).tiny)


def hann(n: int) -> np.ndarray:
    """The periodic Hann window (``scipy.signal.get_window('hann', n, fftbins=True)``)."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


def power_frames(y: np.ndarray, n_fft: int, hop: int, window: np.ndarray) -> np.ndarray:
    """(1 + n_fft/2, frames) float32 power |STFT|² of ``y`` framed without centring
    (``np.abs(librosa.stft(y, center=False)) ** 2``)."""
    if y.size < n_fft:
        return np.zeros((1 + n_fft // 2, 0), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop] * window
    spectrum = fft.rfft(frames, axis=1)
    power = np.square(spectrum.real) + np.square(spectrum.imag)
    return np.ascontiguousarray(power.T, dtype=np.float32)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    mels = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    mels[log_region] = 15.0 + np.log(hz[log_region] / 1000.0) / (np.log(6.4) / 27.0)
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    hz = (200.0 / 3) * mels
    log_region = mels >= 15.0
    hz[log_region] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mels[log_region] - 15.0))
    return hz


def fft_frequencies(sr: float, n_fft: int) -> np.ndarray:
    return np.fft.rfftfreq(n_fft, 1.0 / sr)


def mel_filters(sr: float, n_fft: int, n_mels: int) -> np.ndarray:
    """Slaney mel filter bank, (n_mels, 1 + n_fft/2) float32 (``librosa.filters.mel``)."""
    fft_freqs = fft_frequencies(sr, n_fft)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array([0.0]))[0],
                                   _hz_to_mel(np.array([sr / 2.0]))[0], n_mels + 2))
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_freqs)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def chroma_filters(sr: float, n_fft: int, n_chroma: int = 12) -> np.ndarray:
    """Chroma filter bank, (n_chroma, 1 + n_fft/2) float32 (``librosa.filters.chroma``,
    tuning 0, octave width 2 around octave 5, starting at C)."""
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    bins = n_chroma * np.log2(frequencies / (440.0 / 16))
    bins = np.concatenate(([bins[0] - 1.5 * n_chroma], bins))
    widths = np.concatenate((np.maximum(bins[1:] - bins[:-1], 1.0), [1.0]))
    distance = np.subtract.outer(bins, np.arange(n_chroma, dtype=np.float64)).T
    half = np.round(n_chroma / 2.0)
    distance = np.remainder(distance + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2 * distance / widths[None, :]) ** 2)
    norms = np.sqrt(np.sum(weights ** 2, axis=0, keepdims=True))
    weights = weights / np.where(norms < np.finfo(np.float64).tiny, 1.0, norms)
    weights *= np.exp(-0.5 * ((bins / n_chroma - 5.0) / 2.0) ** 2)[None, :]
    weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(weights[:, : 1 + n_fft // 2], dtype=np.float32)


def power_to_db(power: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    """``librosa.power_to_db(power)``: 10·log10 with amin 1e-10, ref 1, floored top_db below
    the maximum."""
    db = 10.0 * np.log10(np.maximum(power, np.float32(1e-10)))
    if db.size:
        np.maximum(db, db.max() - np.float32(top_db), out=db)
    return db


def dct_ortho(features: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` rows of the orthonormal DCT-II over axis 0 (``librosa.feature.mfcc``
    of a log-mel matrix, without lifter)."""
    m = features.shape[0]
    k = np.arange(n)[:, None]
    basis = np.cos(np.pi * k * (2 * np.arange(m)[None, :] + 1) / (2 * m)) * math.sqrt(2.0 / m)
    basis[0] /= math.sqrt(2.0)
    return (basis @ features.astype(np.float64)).astype(features.dtype)


def onset_strength(mel_db: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Spectral flux of a log-mel matrix, as ``librosa.onset.onset_strength(S=mel_db)``:
    lag 1, mean over bands, centred, trimmed to the number of frames."""
    frames = mel_db.shape[1]
    flux = np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1]).mean(axis=0)
    pad = 1 + n_fft // (2 * hop)
    return np.concatenate([np.zeros(pad, dtype=flux.dtype), flux])[:frames]


def tempo_frequencies(n_lags: int, sr: float, hop: int) -> np.ndarray:
    """BPM of each autocorrelation lag (lag 0 is infinite)."""
    bpms = np.full(n_lags, np.inf)
    bpms[1:] = 60.0 * sr / (hop * np.arange(1.0, n_lags))
    return bpms


def tempogram_columns(onset_env: np.ndarray, win_length: int,
                      chunk: int = 2048) -> Iterator[np.ndarray]:
    """``librosa.feature.tempogram(onset_envelope=…, win_length=…)`` a chunk of columns at a
    time, each chunk (columns, lags) float64: windowed autocorrelation, max-normalised."""
    n = onset_env.size
    half = win_length // 2
    padded = np.pad(onset_env.astype(np.float64), half, mode="linear_ramp", end_values=0)
    frames = np.lib.stride_tricks.sliding_window_view(padded, win_length)
    window = hann(win_length).astype(np.float64)
    size = 1 << (2 * win_length - 1).bit_length()
    tiny = np.finfo(np.float64).tiny
    for first in range(0, n, chunk):
        spectrum = fft.rfft(frames[first:min(n, first + chunk)] * window, n=size, axis=1)
        ac = fft.irfft(np.square(spectrum.real) + np.square(spectrum.imag), n=size,
                          axis=1)[:, :win_length]
        peak = np.abs(ac).max(axis=1, keepdims=True)
        yield ac / np.where(peak < tiny, 1.0, peak)


def tempo_from_tempogram(mean_tg: np.ndarray, sr: float, hop: int, start_bpm: float = 120.0,
                         std_bpm: float = 1.0, max_tempo: float = 320.0) -> float:
    """``librosa.feature.tempo(tg=…)``: the lag best under a log-normal prior around
    ``start_bpm``."""
    bpms = tempo_frequencies(mean_tg.size, sr, hop)
    with np.errstate(divide="ignore"):
        logprior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    logprior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    return float(bpms[int(np.argmax(np.log1p(1e6 * mean_tg) + logprior))])


def _local_score(onset_env: np.ndarray, frames_per_beat: float) -> np.ndarray:
    normalised = onset_env / (onset_env.std(ddof=1) + _TINY32)
    normalised = normalised.astype(np.float64)
    normalised[0] = 0.0  # librosa's loop never reaches the first frame
    offsets = np.arange(-frames_per_beat, frames_per_beat + 1)
    window = np.exp(-0.5 * (offsets * 32.0 / frames_per_beat) ** 2)
    full = np.convolve(normalised, window)
    half = window.size // 2
    return full[half:half + onset_env.size].astype(np.float32)


def _dynamic_programme(score: np.ndarray, frames_per_beat: float,
                       tightness: float) -> tuple[np.ndarray, np.ndarray]:
    """Ellis's beat DP, a block of frames at a time: no frame's predecessor lies in its own
    block (predecessors are at least half a beat back), so each block is one numpy step."""
    n = score.size
    nearest = int(np.round(frames_per_beat / 2))
    farthest = int(2 * frames_per_beat)
    gaps = np.arange(nearest, farthest + 1)
    penalty = tightness * (np.log(gaps) - np.log(frames_per_beat)) ** 2
    cumscore = np.zeros(n, dtype=np.float32)
    backlink = np.full(n, -1, dtype=np.int64)
    block = max(1, nearest)
    for start in range(0, n, block):
        rows = np.arange(start, min(n, start + block))
        locs = rows[:, None] - gaps[None, :]
        valid = locs >= 0
        candidates = np.where(valid, cumscore[np.maximum(locs, 0)].astype(np.float64) - penalty,
                              -np.inf)
        best = np.argmax(candidates, axis=1)
        found = valid[np.arange(rows.size), best]
        best_score = candidates[np.arange(rows.size), best]
        cumscore[rows] = np.where(found, score[rows] + best_score, score[rows])
        backlink[rows] = np.where(found, locs[np.arange(rows.size), best], -1)
    started = np.flatnonzero(score >= 0.01 * score.max())
    backlink[: started[0] if started.size else n] = -1
    return backlink, cumscore


def _last_beat(cumscore: np.ndarray) -> int:
    previous = np.concatenate(([cumscore[0]], cumscore[:-1]))
    following = np.concatenate((cumscore[1:], [cumscore[-1]]))
    peaks = (cumscore > previous) & (cumscore >= following)
    threshold = 0.5 * float(np.median(cumscore[peaks])) if peaks.any() else 0.0
    candidates = np.flatnonzero(peaks & (cumscore >= threshold))
    return int(candidates[-1]) if candidates.size else cumscore.size - 1


def _trimmed(score: np.ndarray, beats: np.ndarray) -> np.ndarray:
    smooth = np.convolve(score[beats], hann_symmetric(5))[2:score.size + 2]
    threshold = 0.5 * math.sqrt(float(np.mean(smooth.astype(np.float64) ** 2)))
    keep = np.ones(beats.size, dtype=bool)
    above = np.flatnonzero(score > threshold)
    if above.size == 0:
        return beats[:0]
    keep &= (beats >= above[0]) & (beats <= above[-1])
    return beats[keep]


def hann_symmetric(n: int) -> np.ndarray:
    """``np.hanning(n)``."""
    return np.hanning(n)


def beat_track(onset_env: np.ndarray, bpm: float, frame_rate: float,
               tightness: float = 100.0) -> np.ndarray:
    """Beat frames, as ``librosa.beat.beat_track(onset_envelope=…, bpm=bpm)`` (trimmed)."""
    if onset_env.size == 0 or not onset_env.any() or bpm <= 0:
        return np.zeros(0, dtype=np.int64)
    frames_per_beat = float(np.round(frame_rate * 60.0 / bpm))
    score = _local_score(onset_env, frames_per_beat)
    backlink, cumscore = _dynamic_programme(score, frames_per_beat, tightness)
    beats = []
    at = _last_beat(cumscore)
    while at >= 0:
        beats.append(at)
        at = int(backlink[at])
    return _trimmed(score, np.array(beats[::-1], dtype=np.int64))


def onset_detect(onset_env: np.ndarray, sr: float, hop: int) -> np.ndarray:
    """Onset frames, as ``librosa.onset.onset_detect(onset_envelope=…)`` (its peak picker
    with the default 30 ms / 100 ms windows and delta 0.07)."""
    x = onset_env.astype(np.float64)
    if x.size == 0 or not np.all(np.isfinite(x)):
        return np.zeros(0, dtype=np.int64)
    x = x - x.min()
    x = x / (x.max() + _TINY32)
    if not x.any():
        return np.zeros(0, dtype=np.int64)
    pre_max = math.ceil(0.03 * sr // hop)
    post_max = math.ceil(0.00 * sr // hop + 1)
    pre_avg = math.ceil(0.10 * sr // hop)
    post_avg = math.ceil(0.10 * sr // hop + 1)
    wait = math.ceil(0.03 * sr // hop)
    n = x.size
    idx = np.arange(n)
    neighbourhood = np.lib.stride_tricks.sliding_window_view(
        np.pad(x, (pre_max, post_max - 1), constant_values=-np.inf), pre_max + post_max)
    local_max = x == neighbourhood.max(axis=1)
    sums = np.concatenate(([0.0], np.cumsum(x)))
    lo, hi = np.maximum(0, idx - pre_avg), np.minimum(n, idx + post_avg)
    above = x >= (sums[hi] - sums[lo]) / (hi - lo) + 0.07
    first_lo = min(post_max, n)
    local_max[0] = x[0] >= x[:first_lo].max()
    candidates = np.flatnonzero(local_max & above)
    picked: list[int] = []
    for frame in candidates.tolist():
        if not picked or frame - picked[-1] > wait:
            picked.append(frame)
    return np.array(picked, dtype=np.int64)


def find_peaks(x: np.ndarray, height: float, distance: int,
               prominence: float) -> np.ndarray:
    """``scipy.signal.find_peaks(x, height=, distance=, prominence=)[0]`` for a 1-D array."""
    x = np.asarray(x, dtype=np.float64)
    peaks: list[int] = []
    i, n = 1, x.size
    while i < n - 1:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < n - 1 and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                peaks.append((i + ahead - 1) // 2)
                i = ahead
        i += 1
    found = np.array(peaks, dtype=np.int64)
    found = found[x[found] >= height] if found.size else found
    if found.size > 1 and distance > 1:
        keep = np.ones(found.size, dtype=bool)
        for j in np.argsort(x[found], kind="stable")[::-1]:
            if not keep[j]:
                continue
            k = j - 1
            while k >= 0 and found[j] - found[k] < distance:
                keep[k] = False
                k -= 1
            k = j + 1
            while k < found.size and found[k] - found[j] < distance:
                keep[k] = False
                k += 1
        found = found[keep]
    proms = np.array([_prominence(x, int(p)) for p in found], dtype=np.float64)
    return found[proms >= prominence] if found.size else found


def _prominence(x: np.ndarray, peak: int) -> float:
    left_min = x[peak]
    i = peak
    while i >= 0 and x[i] <= x[peak]:
        left_min = min(left_min, x[i])
        i -= 1
    right_min = x[peak]
    i = peak
    while i < x.size and x[i] <= x[peak]:
        right_min = min(right_min, x[i])
        i += 1
    return float(x[peak] - max(left_min, right_min))
