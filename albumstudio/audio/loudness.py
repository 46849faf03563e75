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


class _StateSpaceFilter:
    """A cascade of biquads run on whole blocks with matrix products instead of a per-sample
    loop (what ``scipy.signal.sosfilt`` does in C; scipy.signal costs a second to import).

    The filter's state is carried between blocks. Each block is cut into chunks of CHUNK
    samples: inside a chunk the output is the chunk's own inputs through the impulse
    response (a Toeplitz product) plus the chunk's starting state through the filter's
    free response; the starting states follow one another by a linear recurrence that is
    solved the same way, a group of chunks at a time, so no Python loop runs per sample.
    """

    CHUNK = 32
    GROUP = 64

    def __init__(self, sos: np.ndarray, channels: int, dtype: type = np.float64) -> None:
        a, b, c, d = _state_space(sos)
        self._dtype = dtype  # of the products inside a chunk; the recurrence stays float64
        self._a = a
        n = self.CHUNK
        powers = [np.eye(a.shape[0])]
        for _ in range(n):
            powers.append(a @ powers[-1])
        impulse = np.array([d] + [float(c @ powers[j] @ b) for j in range(n - 1)])
        index = np.arange(n)[:, None] - np.arange(n)[None, :]
        self._toeplitz_t: np.ndarray = np.ascontiguousarray(
            np.where(index >= 0, impulse[np.maximum(index, 0)], 0.0).T, dtype=dtype)
        self._free_t: np.ndarray = np.ascontiguousarray(
            np.stack([c @ powers[i] for i in range(n)]).T, dtype=dtype)  # (d, n)
        self._gather_t: np.ndarray = np.ascontiguousarray(
            np.stack([powers[n - 1 - m] @ b for m in range(n)]), dtype=dtype)  # (n, d)
        self._chunk_power = powers[n]
        self._groups: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._b, self._c, self._d = b, c, d
        self.state = np.zeros((channels, a.shape[0]))

    def _group_kernels(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a recurrence s' = p s + u over GROUP steps: the states inside a group from
        its inputs, from its starting state, and p**GROUP."""
        g, dim = self.GROUP, p.shape[0]
        powers = [np.eye(dim)]
        for _ in range(g):
            powers.append(p @ powers[-1])
        inside = np.zeros((g, dim, g, dim))  # state i from input m < i: p**(i-1-m)
        for i in range(g):
            for m in range(i):
                inside[i, :, m, :] = powers[i - 1 - m]
        from_start = np.stack(powers[:g])  # (g, dim, dim)
        return inside.reshape(g * dim, g * dim).T, from_start, powers[g]

    def _starts(self, p: np.ndarray, u: np.ndarray, s0: np.ndarray, level: int = 0) -> np.ndarray:
        """States s_0..s_K of s_{k+1} = p s_k + u_k for each lane (u: (lanes, K, d))."""
        lanes, k, dim = u.shape
        if k <= self.GROUP:
            out = np.empty((lanes, k + 1, dim))
            out[:, 0] = s0
            for i in range(k):
                out[:, i + 1] = out[:, i] @ p.T + u[:, i]
            return out
        if level not in self._groups:
            self._groups[level] = self._group_kernels(p)
        inside_t, from_start, p_group = self._groups[level]
        g = self.GROUP
        whole = k // g
        grouped = u[:, : whole * g].reshape(lanes, whole, g, dim)
        # each group's end state from its inputs alone: sum_m p**(g-1-m) u_m
        tails = np.tensordot(grouped, from_start[::-1], axes=([2, 3], [0, 2]))
        heads = self._starts(p_group, tails, s0, level + 1)  # (lanes, whole + 1, d)
        inner = (grouped.reshape(lanes * whole, g * dim) @ inside_t).reshape(lanes, whole, g, dim)
        inner += np.tensordot(heads[:, :-1], from_start, axes=([2], [2]))
        rest = self._starts(p, u[:, whole * g:], heads[:, -1], level)
        return np.concatenate([inner.reshape(lanes, whole * g, dim), rest], axis=1)

    def run(self, x: np.ndarray) -> np.ndarray:
        """Filter (channels, frames) samples, continuing from the last call; the output is in
        the filter's product type (``dtype``)."""
        n = self.CHUNK
        x = np.ascontiguousarray(x, dtype=self._dtype)
        lanes, frames = x.shape
        whole = frames // n
        chunks = x[:, : whole * n].reshape(lanes * whole, n)
        u = (chunks @ self._gather_t).reshape(lanes, whole, -1).astype(np.float64)
        starts = self._starts(self._chunk_power, u, self.state)  # (lanes, whole + 1, d)
        out: np.ndarray = np.empty((lanes, frames), dtype=self._dtype)
        body = chunks @ self._toeplitz_t
        body += starts[:, :-1].reshape(lanes * whole, -1).astype(self._dtype) @ self._free_t
        out[:, : whole * n] = body.reshape(lanes, whole * n)
        s = starts[:, -1]
        for i in range(whole * n, frames):  # the last partial chunk, fewer than CHUNK frames
            out[:, i] = s @ self._c + self._d * x[:, i]
            s = s @ self._a.T + self._b[None, :] * x[:, i][:, None]
        self.state = s
        return out


def _state_space(sos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(A, B, C, D) of a cascade of normalised biquads in transposed direct form II, the
    state laid out as ``sosfilt``'s (z1, z2 of each section)."""
    a = np.zeros((0, 0))
    b = np.zeros(0)
    c = np.zeros(0)
    d = 1.0
    for b0, b1, b2, _, a1, a2 in sos:
        a_s = np.array([[-a1, 1.0], [-a2, 0.0]])
        b_s = np.array([b1 - a1 * b0, b2 - a2 * b0])
        c_s = np.array([1.0, 0.0])
        size = a.shape[0]
        grown = np.zeros((size + 2, size + 2))
        grown[:size, :size] = a
        grown[size:, :size] = np.outer(b_s, c)
        grown[size:, size:] = a_s
        a = grown
        b = np.concatenate([b, b_s * d])
        c = np.concatenate([b0 * c, c_s])
        d = b0 * d
    return a, b, c, d


class LoudnessMeter:
    """Integrated loudness of a stream, gated as BS.1770-4 prescribes (400 ms blocks, 75 % overlap)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        if sample_rate <= 0 or channels <= 0:
            raise ValueError("sample rate and channel count must be positive")
        self.channels = channels
        from albumstudio.audio.kernels import kernels

        sos = k_weighting_sos(sample_rate)
        # the compiled K-weighting where the install built it (sosfilt's arithmetic, one sample
        # at a time in double: 6-10x faster), else the state-space filter, with float32
        # products inside each 32-sample chunk (half the time of float64) and the chunk states
        # carried in float64: the same loudness to within 1e-4 LU
        self._kernels = kernels()
        self._sos = np.ascontiguousarray(sos)
        self._state = np.zeros((channels, 4), dtype=np.float64)  # sosfilt's (z1, z2) a section
        self._filter = (_StateSpaceFilter(sos, channels, np.float32) if self._kernels is None
                        else None)
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
        if self._kernels is not None:
            energy = self._kernels.k_weighted_energy(np.asarray(block, dtype=np.float32),
                                                     self._sos, self._state, self._weights)
        else:
            assert self._filter is not None
            filtered = self._filter.run(block.T)
            energy = self._weights @ np.square(filtered, dtype=np.float64)
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
    size = factor * taps_per_phase + 1  # scipy.signal.firwin(size, 1 / factor, ("kaiser", 6))
    prototype = np.sinc((np.arange(size) - (size - 1) / 2) / factor) * np.kaiser(size, 6.0)
    prototype = np.concatenate([prototype, np.zeros(factor - 1)])
    phases = prototype.reshape(taps_per_phase + 1, factor).T[1:, ::-1]
    return np.ascontiguousarray(phases / phases.sum(axis=1, keepdims=True))


class TruePeakMeter:
    """The largest absolute value of the 4x oversampled signal, in dBTP."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        if sample_rate <= 0 or channels <= 0:
            raise ValueError("sample rate and channel count must be positive")
        self.channels = channels
        phases = _interpolation_phases(OVERSAMPLING, TAPS_PER_PHASE)
        self._phases_t = np.ascontiguousarray(phases.T, dtype=np.float32)
        # no interpolated value exceeds (largest sum of |taps|) x (largest |sample| it reads)
        self._gain_bound = float(np.abs(phases).sum(axis=1).max()) * (1 + 1e-6)
        self._history = np.zeros((channels, TAPS_PER_PHASE), dtype=np.float32)
        self._peak = 0.0
        from albumstudio.audio.kernels import kernels

        # the compiled meter where the install built it: the same windows in one pass
        self._kernels = kernels()
        self._phases = np.ascontiguousarray(phases, dtype=np.float32)

    def _between_samples_peak(self, lanes: np.ndarray, floor: float = 0.0) -> float:
        """Peak of the interpolated values over every full filter window in ``lanes``, or
        ``floor`` when none exceeds it. Only windows holding a sample loud enough to
        interpolate above ``floor`` are computed (a few per cent of a mastered track)."""
        taps = TAPS_PER_PHASE + 1
        peak = floor
        for lane in lanes:
            if lane.size < taps:
                continue
            loud = np.flatnonzero(np.abs(lane) * self._gain_bound > peak)
            if loud.size == 0:
                continue
            count = lane.size - taps + 1
            marks = np.zeros(count + 1, dtype=np.int32)  # windows k - 16 .. k read sample k
            np.add.at(marks, np.maximum(loud - (taps - 1), 0), 1)
            np.add.at(marks, np.minimum(loud + 1, count), -1)
            wanted = np.flatnonzero(np.cumsum(marks[:-1]) > 0)
            windows = np.lib.stride_tricks.sliding_window_view(lane, taps)[wanted]
            out = windows @ self._phases_t
            if out.size:
                peak = max(peak, float(out.max()), -float(out.min()))
        return peak

    def add(self, block: np.ndarray) -> None:
        """Feed the next (frames, channels) block."""
        block = _as_frames(block, self.channels)
        if block.shape[0] == 0:
            return
        if self._kernels is not None:
            self._peak = self._kernels.true_peak(np.asarray(block, dtype=np.float32),
                                                 self._history, self._phases,
                                                 self._gain_bound, self._peak)
            return
        lanes = np.concatenate([self._history, block.T.astype(np.float32)], axis=1)
        self._peak = max(self._peak, float(np.abs(block).max()))
        self._peak = self._between_samples_peak(lanes, self._peak)
        self._history = np.ascontiguousarray(lanes[:, -TAPS_PER_PHASE:])

    def peak(self) -> float:
        """Linear true peak so far, counting the filter's ring-out after the last sample."""
        tail = np.concatenate(
            [self._history, np.zeros((self.channels, TAPS_PER_PHASE), np.float32)], axis=1
        )
        return self._between_samples_peak(tail, self._peak)

    def dbtp(self) -> float:
        """True peak in dBTP; -inf for silence."""
        return _to_db(self.peak(), 20.0)
