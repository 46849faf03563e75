"""Streaming loudness (ITU-R BS.1770-4 integrated LUFS) and true-peak (4x oversampled) meters.

Both meters take (frames, channels) float blocks of any size, keep only a few samples of
filter state between blocks, and give the same figure however the track is cut into blocks.
"""

from __future__ import annotations

import math

import numpy as np

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
SURROUND_WEIGHT = 1.41
OVERSAMPLING = 4
TAPS_PER_PHASE = 16


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """The BS.1770 K-weighting (high shelf, then RLB high pass) as two biquads for any rate.

    The analogue prototypes are those libebur128 fits to the published 48 kHz coefficients,
    bilinear-transformed to ``sample_rate``, so at 48 kHz they match the standard exactly.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    high_pass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, high_pass], dtype=np.float64)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 weights: 1.0 for front channels, 1.41 for surrounds, 0 for the 5.1 LFE."""
    weights = np.ones(channels, dtype=np.float64)
    if channels == 5:
        weights[3:5] = SURROUND_WEIGHT
    elif channels >= 6:
        weights[3] = 0.0
        weights[4:6] = SURROUND_WEIGHT
    return weights


def _as_frames(block: np.ndarray, channels: int) -> np.ndarray:
    block = np.asarray(block)
    if block.ndim == 1 and channels == 1:
        block = block[:, None]
    if block.ndim != 2 or block.shape[1] != channels:
        raise ValueError(f"expected a (frames, {channels}) block, got shape {block.shape}")
    return block


def _to_db(power_or_amplitude: float, factor: float) -> float:
    return factor * math.log10(power_or_amplitude) if power_or_amplitude > 0 else -math.inf


class LoudnessMeter:
    """Integrated loudness of a stream, gated as BS.1770-4 prescribes (400 ms blocks, 75 % overlap)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        if sample_rate <= 0 or channels <= 0:
            raise ValueError("sample rate and channel count must be positive")
        from scipy import signal

        self._sosfilt = signal.sosfilt
        self.channels = channels
        self._sos = k_weighting_sos(sample_rate)
        self._zi = np.zeros((self._sos.shape[0], 2, channels), dtype=np.float64)
        self._weights = channel_weights(channels)
        self._step = max(1, round(sample_rate / 10))  # 100 ms: a quarter of a gating block
        self._partial_sum = 0.0
        self._partial_len = 0
        self._steps: list[float] = []  # channel-weighted sum of squares per 100 ms

    def add(self, block: np.ndarray) -> None:
        """Feed the next (frames, channels) block."""
        block = _as_frames(block, self.channels)
        if block.shape[0] == 0:
            return
        filtered, self._zi = self._sosfilt(
            self._sos, block.astype(np.float64, copy=False), axis=0, zi=self._zi
        )
        energy = np.square(filtered) @ self._weights
        start = 0
        if self._partial_len:
            take = min(self._step - self._partial_len, energy.size)
            self._partial_sum += float(energy[:take].sum())
            self._partial_len += take
            start = take
            if self._partial_len == self._step:
                self._steps.append(self._partial_sum)
                self._partial_sum, self._partial_len = 0.0, 0
        whole = (energy.size - start) // self._step
        if whole:
            end = start + whole * self._step
            self._steps.extend(energy[start:end].reshape(whole, self._step).sum(axis=1).tolist())
            start = end
        if start < energy.size:
            self._partial_sum += float(energy[start:].sum())
            self._partial_len += energy.size - start

    def block_powers(self) -> np.ndarray:
        """Mean weighted power of every complete 400 ms gating block so far."""
        steps = np.asarray(self._steps, dtype=np.float64)
        if steps.size < 4:
            return np.zeros(0, dtype=np.float64)
        sums = steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]
        return sums / (4 * self._step)

    def integrated_lufs(self) -> float:
        """Gated integrated loudness in LUFS; -inf for silence or less than 400 ms of audio."""
        powers = self.block_powers()
        absolute = 10.0 ** ((ABSOLUTE_GATE_LUFS + 0.691) / 10.0)
        powers = powers[powers > absolute]
        if powers.size == 0:
            return -math.inf
        relative = float(powers.mean()) * 10.0 ** (RELATIVE_GATE_LU / 10.0)
        gated = powers[powers > relative]
        return -0.691 + _to_db(float(gated.mean()), 10.0)


def _interpolation_phases(factor: int, taps_per_phase: int) -> np.ndarray:
    """(factor - 1, taps + 1) FIR taps that give the values between the input samples.

    They are the polyphase components of a Kaiser-windowed low-pass at the original Nyquist,
    each scaled to unity DC gain; the missing phase 0 would return the input samples
    themselves, so the true peak is never below the sample peak.
    """
    from scipy import signal

    prototype = signal.firwin(factor * taps_per_phase + 1, 1.0 / factor, window=("kaiser", 6.0))
    prototype = np.concatenate([prototype, np.zeros(factor - 1)])
    phases = prototype.reshape(taps_per_phase + 1, factor).T[1:, ::-1]
    return np.ascontiguousarray(phases / phases.sum(axis=1, keepdims=True))


class TruePeakMeter:
    """The largest absolute value of the 4x oversampled signal, in dBTP."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        if sample_rate <= 0 or channels <= 0:
            raise ValueError("sample rate and channel count must be positive")
        from scipy import ndimage

        self._correlate = ndimage.correlate1d
        self.channels = channels
        self._phases = _interpolation_phases(OVERSAMPLING, TAPS_PER_PHASE).astype(np.float32)
        self._history = np.zeros((channels, TAPS_PER_PHASE), dtype=np.float32)
        self._peak = 0.0

    def _between_samples_peak(self, lanes: np.ndarray) -> float:
        """Peak of the interpolated values over every full filter window in ``lanes``."""
        half = TAPS_PER_PHASE // 2
        peak = 0.0
        for lane in lanes:
            for taps in self._phases:
                out = self._correlate(lane, taps, mode="constant")[half:-half]
                peak = max(peak, float(out.max()), -float(out.min()))
        return peak

    def add(self, block: np.ndarray) -> None:
        """Feed the next (frames, channels) block."""
        block = _as_frames(block, self.channels)
        if block.shape[0] == 0:
            return
        lanes = np.concatenate([self._history, block.T.astype(np.float32)], axis=1)
        sample_peak = float(np.abs(block).max())
        self._peak = max(self._peak, sample_peak, self._between_samples_peak(lanes))
        self._history = np.ascontiguousarray(lanes[:, -TAPS_PER_PHASE:])

    def peak(self) -> float:
        """Linear true peak so far, counting the filter's ring-out after the last sample."""
        tail = np.concatenate(
            [self._history, np.zeros((self.channels, TAPS_PER_PHASE), np.float32)], axis=1
        )
        return max(self._peak, self._between_samples_peak(tail))

    def dbtp(self) -> float:
        """True peak in dBTP; -inf for silence."""
        return _to_db(self.peak(), 20.0)
