"""Pure numpy music features used by the analysis: key profiles, tempo refinement, and
Foote novelty with section picking."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CURVE_HOP_S = 0.5
SECTION_MIN_GAP_S = 8.0
SECTION_EDGE_S = 4.0
SECTION_MIN_NOVELTY = 0.25

MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def key_of(chroma_mean: np.ndarray) -> tuple[str, str, float]:
    """Best Krumhansl–Schmuckler match: (pitch class, mode, correlation clipped to 0..1)."""
    if not np.any(chroma_mean > 0) or np.ptp(chroma_mean) == 0:
        return "C", "major", 0.0
    best = ("C", "major", -2.0)
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(chroma_mean, np.roll(profile, tonic))[0, 1])
            if r > best[2]:
                best = (PITCH_CLASSES[tonic], mode, r)
    return best[0], best[1], min(1.0, max(0.0, best[2]))


def refined_tempo(tempo: float, beat_times: np.ndarray) -> float:
    """The mean of the regular inter-beat intervals: finer than the tempogram's lag grid."""
    if beat_times.size < 4:
        return tempo
    intervals = np.diff(beat_times)
    median = float(np.median(intervals))
    if median <= 0:
        return tempo
    regular = intervals[np.abs(intervals - median) <= 0.1 * median]
    return 60.0 / float(regular.mean()) if regular.size >= 3 else tempo


def unit_columns(features: np.ndarray) -> np.ndarray:
    return features / np.maximum(np.linalg.norm(features, axis=0, keepdims=True), 1e-9)


def checkerboard_novelty(views: Sequence[np.ndarray], half: int) -> np.ndarray:
    """Foote novelty at each bin boundary over the mean cosine self-similarity of ``views``
    (unit-column feature matrices): Gaussian-weighted similarity within the blocks before
    and after the boundary minus the similarity across it (0 where a side is missing).
    Only the band of the self-similarity matrix the kernel touches is ever computed."""
    n = views[0].shape[1]
    offsets = np.arange(-half, half) + 0.5
    taper = np.exp(-0.5 * (offsets / (0.5 * half)) ** 2)
    novelty = np.zeros(n, dtype=np.float64)
    for i in range(2, n - 1):
        lo, hi = max(0, i - half), min(n, i + half)
        block = sum(v[:, lo:hi].T @ v[:, lo:hi] for v in views) / len(views)
        w = taper[lo - i + half : hi - i + half]
        weights = np.outer(w, w)
        before = slice(0, i - lo)
        after = slice(i - lo, hi - lo)
        within = (np.sum(block[before, before] * weights[before, before])
                  + np.sum(block[after, after] * weights[after, after]))
        within_w = np.sum(weights[before, before]) + np.sum(weights[after, after])
        across = np.sum(block[before, after] * weights[before, after])
        across_w = np.sum(weights[before, after])
        novelty[i] = within / within_w - across / across_w
    return np.clip(novelty, 0.0, 1.0)


def sections(novelty: np.ndarray, duration: float) -> tuple[float, ...]:
    from albumstudio.audio.dsp import find_peaks

    if novelty.size < 3:
        return ()
    distance = max(1, int(round(SECTION_MIN_GAP_S / CURVE_HOP_S)))
    peaks = find_peaks(novelty, height=SECTION_MIN_NOVELTY, distance=distance,
                       prominence=0.4 * SECTION_MIN_NOVELTY)
    times = peaks * CURVE_HOP_S
    keep = (times >= SECTION_EDGE_S) & (times <= duration - SECTION_EDGE_S)
    return tuple(round(float(t), 3) for t in times[keep])
