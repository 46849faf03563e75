"""A clip's levels: cut from the track, equal-power fades, −14 LUFS with true peak ≤ −1 dBTP.

Loudness is ITU-R BS.1770 integrated loudness and the true peak is 4× oversampled (both from
``albumstudio.audio.loudness``). One gain brings the clip to the target; where that gain would
push peaks over the ceiling a look-ahead peak limiter takes them down, its gain curve a short
running minimum of what each sample needs followed by a moving average of the same length (so
it never rises above what any sample needs: no overshoot, no clicks). The limiter takes
loudness away, so gain and limiter are applied again until both figures hold.

The clip is K-weighted once. Integrated loudness after a gain is the same gating on the same
block powers scaled by the gain (exact), and after the limiter it is estimated from the
K-weighted clip under the limiter's gain curve (the two nearly commute: the curve moves over
milliseconds). The true peak is measured once per limiter ceiling tried, and a limited clip
that holds the ceiling is measured once (the gain found again, with the estimate's error
taken off, only where it was more than 0.1 LU out: limiting by many dB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from albumstudio.audio.loudness import (
    ABSOLUTE_GATE_LUFS,
    RELATIVE_GATE_LU,
    LoudnessMeter,
    TruePeakMeter,
    _StateSpaceFilter,
    channel_weights,
    k_weighting_sos,
)
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


class _Limiter:
    """The limiter's gain curve for a clip under any gain and ceiling. What each sample needs,
    min(1, ceiling / (gain × level)), falls as the level rises, so its running minimum is the
    same expression of the level's running maximum: both are found once per clip."""

    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        level = np.abs(samples[:, 0])
        for channel in range(1, samples.shape[1]):
            np.maximum(level, np.abs(samples[:, channel]), out=level)
        self._level = np.maximum(level, 1e-12)
        self._width = max(3, int(round(LIMITER_WINDOW_S * sample_rate)) | 1)
        self._envelope = np.maximum(-_running_min(-level, self._width), 1e-12)
        self._loudest = float(self._level.max())

    def gain(self, gain_db: float, ceiling_db: float) -> np.ndarray | None:
        """The gain per frame after ``gain_db``; None where no sample needs limiting."""
        ceiling = 10.0 ** ((ceiling_db - LIMITER_MARGIN_DB - gain_db) / 20.0)
        if self._loudest <= ceiling:
            return None
        gain = _moving_mean(np.minimum(1.0, ceiling / self._envelope), self._width)
        # rounding in the sums must never let a peak through
        return np.minimum(gain, np.minimum(1.0, ceiling / self._level))


def _limiter_gain(samples: np.ndarray, sample_rate: int, ceiling_db: float) -> np.ndarray | None:
    """The limiter's gain per frame for (frames, channels) samples; None where no sample
    needs limiting."""
    return _Limiter(samples, sample_rate).gain(0.0, ceiling_db)


def limit(samples: np.ndarray, sample_rate: int, ceiling_db: float) -> tuple[np.ndarray, float]:
    """Peak-limit (frames, channels) samples to ``ceiling_db`` (sample peak, minus a margin for
    the peaks between samples); the limited samples and the deepest gain reduction in dB."""
    gain = _limiter_gain(samples, sample_rate, ceiling_db)
    if gain is None:
        return samples, 0.0
    return samples * gain[:, None], -20.0 * math.log10(float(gain.min()))


class _Weighted:
    """A clip K-weighted once: its loudness under any gain, and estimated under a gain curve."""

    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        channels = samples.shape[1]
        k_filter = _StateSpaceFilter(k_weighting_sos(sample_rate), channels)
        filtered = k_filter.run(np.ascontiguousarray(samples.T, dtype=np.float64))
        self._weights = channel_weights(channels)
        self._energy = self._weights @ np.square(filtered)  # per frame, gain 1
        self._step = max(1, round(sample_rate / 10))
        self._filtered = filtered

    def _lufs(self, energy: np.ndarray) -> float:
        """Integrated loudness from per-frame weighted energy, gated as LoudnessMeter does."""
        steps_n = energy.size // self._step
        if steps_n < 4:
            return -math.inf
        steps = energy[:steps_n * self._step].reshape(steps_n, self._step).sum(axis=1)
        powers = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * self._step)
        powers = powers[powers > 10.0 ** ((ABSOLUTE_GATE_LUFS + 0.691) / 10.0)]
        if powers.size == 0:
            return -math.inf
        gated = powers[powers > float(powers.mean()) * 10.0 ** (RELATIVE_GATE_LU / 10.0)]
        mean = float(gated.mean())
        return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf

    def lufs(self, gain_db: float = 0.0, curve: np.ndarray | None = None) -> float:
        """Loudness after ``gain_db`` (exact) and then a per-frame gain ``curve`` (estimated)."""
        energy = self._energy if curve is None else self._weights @ np.square(
            self._filtered * curve[None, :])
        return self._lufs(energy * 10.0 ** (gain_db / 10.0))


def normalise(samples: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS,
              ceiling_db: float = CEILING_DBTP) -> tuple[np.ndarray, Levels]:
    """The clip at ``target_lufs`` with its true peak at or under ``ceiling_db``."""
    data = samples if samples.ndim == 2 else samples[:, None]
    weighted = _Weighted(data, sample_rate)
    before = weighted.lufs()
    if not math.isfinite(before):
        raise InputError("The selection is silent, so it cannot be brought to "
                         f"{target_lufs:g} LUFS; choose a part of the track with sound.")
    if target_lufs - before > MAX_GAIN_DB:
        raise InputError(f"The selection is nearly silent ({before:.0f} LUFS): bringing it to "
                         f"{target_lufs:g} LUFS would mostly raise noise; choose a louder part.")
    gain_db = target_lufs - before
    limit_at = ceiling_db
    limiter = _Limiter(data, sample_rate)
    bias = 0.0  # how far the estimate under the limiter was from the measured loudness
    best: tuple[np.ndarray, float, float, float, float] | None = None
    for _ in range(6):  # a lower limiter ceiling when a peak between samples got by, or the
        # gain found again when the estimate under deep limiting was more than 0.1 LU out
        out, gain_db, deepest, lufs = _level(data, limiter, weighted, gain_db, target_lufs,
                                             limit_at, bias)
        peak = _true_peak(out, sample_rate)
        if peak > ceiling_db:
            limit_at -= peak - ceiling_db + 0.02
            continue
        if deepest > 0.0:  # an estimate: measured once, on the clip that holds the ceiling
            measured = _Weighted(out, sample_rate).lufs()
            bias += measured - lufs
            lufs = measured
        best = (out, gain_db, deepest, lufs, peak)
        if abs(lufs - target_lufs) <= 0.1:
            break
        gain_db += target_lufs - lufs
    if best is None:  # never under the ceiling: the last try, turned down until it is
        down = ceiling_db - peak - 0.05
        out = out * 10.0 ** (down / 20.0)
        best = (out, gain_db + down, deepest, _Weighted(out, sample_rate).lufs(),
                _true_peak(out, sample_rate))
    out, gain_db, deepest, lufs, peak = best
    return out, Levels(before, gain_db, deepest, lufs, peak)


def _level(data: np.ndarray, limiter: _Limiter, weighted: _Weighted, gain_db: float,
           target_lufs: float, limit_at: float, bias: float
           ) -> tuple[np.ndarray, float, float, float]:
    """(clip, gain, deepest limiting, loudness) at ``target_lufs`` under a limiter at
    ``limit_at``, the gain found on the loudness estimate (exact when nothing is limited;
    ``bias`` is the estimate's error found before)."""
    for _ in range(8):
        curve = limiter.gain(gain_db, limit_at)
        lufs = weighted.lufs(gain_db, curve) + (bias if curve is not None else 0.0)
        if abs(lufs - target_lufs) <= 0.05:
            break
        gain_db += target_lufs - lufs
    out = data * 10.0 ** (gain_db / 20.0)
    if curve is None:
        return out, gain_db, 0.0, lufs
    out *= curve[:, None]
    return out, gain_db, -20.0 * math.log10(float(curve.min())), lufs


def _true_peak(samples: np.ndarray, sample_rate: int) -> float:
    meter = TruePeakMeter(sample_rate, samples.shape[1])
    meter.add(samples)
    return meter.dbtp()


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
