"""A clip's levels: cut from the track, equal-power fades, −14 LUFS with true peak ≤ −1 dBTP.

Loudness is ITU-R BS.1770 integrated loudness and the true peak is 4× oversampled (both from
``albumstudio.audio.loudness``). One gain brings the clip to the target; where that gain would
push peaks over the ceiling a look-ahead peak limiter takes them down, its gain curve a short
running minimum of what each sample needs followed by a moving average of the same length (so
it never rises above what any sample needs: no overshoot, no clicks). The limiter takes
loudness away, so gain and limiter are applied again until both figures hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from albumstudio.audio.loudness import LoudnessMeter, TruePeakMeter
from albumstudio.core.errors import InputError

TARGET_LUFS = -14.0
CEILING_DBTP = -1.0
LIMITER_WINDOW_S = 0.004  # attack and release of the peak limiter
MAX_GAIN_DB = 40.0  # a selection needing more is noise, not music
LIMITER_MARGIN_DB = 0.15  # aim this far under the ceiling: the limiter works on samples


@dataclass(frozen=True)
class Levels:
    """What normalising did: the clip's loudness before, the gain, the deepest limiting, and
    the loudness and true peak after."""

    lufs_before: float
    gain_db: float
    limited_db: float
    lufs: float
    true_peak_dbtp: float

    def words(self) -> str:
        limit = (f", peaks limited by up to {self.limited_db:.1f} dB" if self.limited_db > 0.05
                 else "")
        return (f"loudness: {self.lufs_before:.1f} → {self.lufs:.1f} LUFS (gain "
                f"{self.gain_db:+.1f} dB{limit}), true peak {self.true_peak_dbtp:.1f} dBTP")


def cut(samples: np.ndarray, sample_rate: int, start_s: float, seconds: float,
        fade_in_s: float | None = None, fade_out_s: float | None = None) -> np.ndarray:
    """(frames, channels) float64 of exactly round(seconds × rate) frames from ``start_s``
    (zero-padded past the end), with equal-power fades."""
    data = samples if samples.ndim == 2 else samples[:, None]
    first = int(round(start_s * sample_rate))
    frames = int(round(seconds * sample_rate))
    out = np.zeros((frames, data.shape[1]), dtype=np.float64)
    piece = data[first:first + frames]
    out[:piece.shape[0]] = piece
    fade_in = min(0.5, seconds / 10) if fade_in_s is None else fade_in_s
    fade_out = min(2.0, seconds / 8) if fade_out_s is None else fade_out_s
    for length, ramp_at_start in ((fade_in, True), (fade_out, False)):
        n = min(frames, int(round(length * sample_rate)))
        if n <= 0:
            continue
        ramp = np.sin(0.5 * np.pi * (np.arange(n) + 0.5) / n)
        if ramp_at_start:
            out[:n] *= ramp[:, None]
        else:
            out[-n:] *= ramp[::-1, None]
    return out


def measure(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of (frames, channels) samples."""
    data = samples if samples.ndim == 2 else samples[:, None]
    loudness = LoudnessMeter(sample_rate, data.shape[1])
    peak = TruePeakMeter(sample_rate, data.shape[1])
    loudness.add(data)
    peak.add(data)
    return loudness.integrated_lufs(), peak.dbtp()


def _running_min(values: np.ndarray, width: int) -> np.ndarray:
    """The minimum over the ``width`` values centred on each (van Herk / Gil-Werman)."""
    if width <= 1:
        return values.copy()
    n = values.size
    half = width // 2
    padded = np.concatenate([np.ones(half), values, np.ones(width - half + width)])
    blocks = -(-padded.size // width)
    padded = np.concatenate([padded, np.ones(blocks * width - padded.size)]).reshape(blocks, width)
    prefix = np.minimum.accumulate(padded, axis=1).ravel()
    suffix = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    index = np.arange(n)
    return np.minimum(suffix[index], prefix[index + width - 1])


def _moving_mean(values: np.ndarray, width: int) -> np.ndarray:
    half = width // 2
    padded = np.concatenate([np.ones(half), values, np.ones(width - half)])
    sums = np.concatenate(([0.0], np.cumsum(padded)))
    return (sums[width:width + values.size] - sums[:values.size]) / width


def limit(samples: np.ndarray, sample_rate: int, ceiling_db: float) -> tuple[np.ndarray, float]:
    """Peak-limit (frames, channels) samples to ``ceiling_db`` (sample peak, minus a margin for
    the peaks between samples); the limited samples and the deepest gain reduction in dB."""
    ceiling = 10.0 ** ((ceiling_db - LIMITER_MARGIN_DB) / 20.0)
    level = np.abs(samples).max(axis=1)
    needed = np.minimum(1.0, ceiling / np.maximum(level, 1e-12))
    if needed.min() >= 1.0:
        return samples, 0.0
    width = max(3, int(round(LIMITER_WINDOW_S * sample_rate)) | 1)
    gain = _moving_mean(_running_min(needed, width), width)
    gain = np.minimum(gain, needed)  # rounding in the sums must never let a peak through
    return samples * gain[:, None], -20.0 * math.log10(float(gain.min()))


def normalise(samples: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS,
              ceiling_db: float = CEILING_DBTP) -> tuple[np.ndarray, Levels]:
    """The clip at ``target_lufs`` with its true peak at or under ``ceiling_db``."""
    before, _ = measure(samples, sample_rate)
    if not math.isfinite(before):
        raise InputError("The selection is silent, so it cannot be brought to "
                         f"{target_lufs:g} LUFS; choose a part of the track with sound.")
    if target_lufs - before > MAX_GAIN_DB:
        raise InputError(f"The selection is nearly silent ({before:.0f} LUFS): bringing it to "
                         f"{target_lufs:g} LUFS would mostly raise noise; choose a louder part.")
    gain_db = target_lufs - before
    limit_at = ceiling_db
    best: tuple[np.ndarray, float, float, float, float] | None = None
    for _ in range(8):
        out, deepest = limit(samples * 10.0 ** (gain_db / 20.0), sample_rate, limit_at)
        lufs, peak = measure(out, sample_rate)
        if peak > ceiling_db:  # a peak between samples: limit lower by the overshoot
            limit_at -= peak - ceiling_db + 0.02
            continue
        best = (out, gain_db, deepest, lufs, peak)
        if abs(lufs - target_lufs) <= 0.1:
            break
        gain_db += target_lufs - lufs
    if best is None:  # never under the ceiling: the last try, turned down until it is
        out = out * 10.0 ** ((ceiling_db - peak - 0.05) / 20.0)
        lufs, peak = measure(out, sample_rate)
        best = (out, gain_db + ceiling_db - peak, deepest, lufs, peak)
    out, gain_db, deepest, lufs, peak = best
    return out, Levels(before, gain_db, deepest, lufs, peak)


def to_stereo(samples: np.ndarray) -> np.ndarray:
    """(frames, 2) of a clip with more channels, for the formats that carry two: 5.1 as
    ITU-R BS.775 folds it (centre and surrounds at −3 dB, no LFE), other layouts with every
    channel past the first two at −3 dB into both. Mono and stereo come back as they are."""
    if samples.ndim != 2 or samples.shape[1] <= 2:
        return samples
    third = math.sqrt(0.5)
    left, right = samples[:, 0].astype(np.float64), samples[:, 1].astype(np.float64)
    if samples.shape[1] == 6:  # L R C LFE Ls Rs
        centre = third * samples[:, 2]
        left = left + centre + third * samples[:, 4]
        right = right + centre + third * samples[:, 5]
    else:
        rest = third * samples[:, 2:].sum(axis=1)
        left, right = left + rest, right + rest
    return np.stack([left, right], axis=1)
