"""musicnn's forward pass in numpy, from the same safetensors weights: tags without torch.

The same network as ``albumstudio.audio.musicnn`` (which stays the reference the tests compare
with), with the front end's convolutions rewritten so they cost less than half the arithmetic:

- **The timbral convolutions** (7 frames x 38 or 67 mel bins, then the max over the mel
  positions) run in the mel axis's Fourier basis. A 96-point real DFT of each frame turns the
  mel correlation into one complex product per frequency bin, so each bin is a small product
  over the 7 frames (14 real inputs, 408 real outputs per convolution); one shared
  matrix takes the 98 coefficients back to the valid mel positions (59 and 30), whose max is
  kept. A circular transform as long as the mel axis is exact on the valid positions, so this
  is the same convolution in other arithmetic: 0.87 GFLOP a patch instead of 2.27.
- **The temporal convolutions** (32-128 frames x 1 mel bin) give 8 consecutive frames per
  product row: the row is the 8 + k - 1 samples they read, against a banded weight matrix,
  instead of one window row per frame (an eighth of the copying, 5-20 % more products).

Everything lands in BLAS matrix products over buffers made once per thread; a fresh process
that tags a track never imports torch (seconds of import on a small machine). On x86 processors
with AVX2 and FMA, where the install built ``_kernels.c``, both convolutions run there instead
(``kernels.simd_kernels``): the same sums tile by tile in the core's cache, and the timbral
inverse taken at a quarter of the positions through the DFT's symmetries (about 40 % less time
for the front end). Batch norms are
folded into affine maps; the front end's max over the mel axis is taken before its batch norm
(a per-channel monotonic map: the max where the scale is positive, the min where it is
negative).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from albumstudio.audio.kernels import Kernels, simd_kernels
from albumstudio.audio.musicnn_input import N_MELS

BN_EPS = 1e-3
TEMPORAL_KERNELS = (128, 64, 32)
TIMBRAL = ("timbral_74", "timbral_77")
FRONT = (*TIMBRAL, *(f"temporal_{k}" for k in TEMPORAL_KERNELS))
TIMBRAL_FRAMES = 7  # the timbral kernels' length in frames, padded (3, 3) for 'same' output
# frames per step of the timbral products: a step's coefficients (98 x 204 floats a frame,
# one convolution at a time) stay in cache between the two products; with both workers busy,
# 24-32 measured fastest (paired runs), 16 and 48 5-10 % slower
_TIMBRAL_STEP = 24
# output frames per temporal product row: 4-8 measured fastest (16 slower for the 32-frame
# kernel, 2 for the others)
_TEMPORAL_BLOCK = 8
_TEMPORAL_ROWS = 1000  # product rows per step (a step's windows and products stay in cache)


@dataclass(frozen=True)
class _Affine:
    scale: np.ndarray
    shift: np.ndarray

    def __call__(self, x: np.ndarray, axis: int = 1) -> np.ndarray:
        shape = [1] * x.ndim
        shape[axis] = -1
        return x * self.scale.reshape(shape) + self.shift.reshape(shape)


def _bn(weights: dict[str, np.ndarray], name: str) -> _Affine:
    scale = weights[f"{name}.weight"] / np.sqrt(weights[f"{name}.running_var"] + BN_EPS)
    shift = weights[f"{name}.bias"] - weights[f"{name}.running_mean"] * scale
    return _Affine(scale.astype(np.float32), shift.astype(np.float32))


@dataclass(frozen=True)
class _Conv:
    """One front-end convolution's post-processing and place in the front end's output."""

    name: str
    bias: np.ndarray
    bn: _Affine
    sign: np.ndarray  # +1 where the batch norm's scale is positive (max), -1 (min) elsewhere
    first_channel: int

    @property
    def channels(self) -> slice:
        """Its channels in the front end's output."""
        return slice(self.first_channel, self.first_channel + self.bias.size)


class _NativeTimbralPlan:
    """The compiled timbral kernel's layouts of both convolutions.

    Its coefficient rows come in four groups, the even bins' real and imaginary parts, then the
    odd bins' (the imaginary parts of bin 0 and bin N/2 are always zero: left out); each group's
    inverse DFT is kept at the base positions 0 .. N/4 only, in blocks of the kernel's register
    rows (see ``timbral_peaks`` in ``_kernels.c`` for the symmetries that give the other
    positions). Per convolution: its weights per channel tile, each coefficient row's taps x
    tile, and how many positions are valid.
    """

    def __init__(self, parts: list[tuple[np.ndarray, np.ndarray]], inverse: np.ndarray,
                 mels: int, native: Kernels) -> None:
        self.native = native
        coefficients, bins = inverse.shape[0], inverse.shape[0] // 2
        self.half = mels // 2
        live = [j for j in range(coefficients) if np.abs(inverse[j]).max() > 1e-12]
        groups = [[j for j in live if (j // 2) % 2 == parity and j % 2 == part]
                  for parity in (0, 1) for part in (0, 1)]
        order = [j for group in groups for j in group]
        rows = native.inverse_rows
        self.base = -(-(mels // 4 + 1) // rows) * rows
        if self.base > native.max_base or self.base > mels:
            raise ValueError("the timbral kernel is not written for this many mel bands")
        self.counts = np.array([len(group) for group in groups], dtype=np.int32)
        self.bin_index = np.array([j // 2 for j in order], dtype=np.int32)
        self.inverse = np.ascontiguousarray(np.concatenate([
            inverse[group][:, :self.base].reshape(len(group), self.base // rows, rows)
            .transpose(1, 0, 2).reshape(-1) for group in groups]), dtype=np.float32)
        self.convolutions: list[tuple[np.ndarray, int]] = []
        tile = native.tile
        for weights, valid_rows in parts:
            taps, channels = weights.shape[2], weights.shape[3]
            rows_ = weights.reshape(bins * 2, taps, channels)[order]
            tiles = -(-channels // tile)
            padded = np.zeros((len(order), taps, tiles * tile), dtype=np.float32)
            padded[..., :channels] = rows_
            per_tile = padded.reshape(len(order), taps, tiles, tile).transpose(2, 0, 1, 3)
            self.convolutions.append((np.ascontiguousarray(per_tile), valid_rows.shape[0]))

    def run(self, windows: np.ndarray, peaks: list[np.ndarray], buffers: _Buffers) -> None:
        native, coefficients = self.native, self.bin_index.size
        scratch = buffers.take("native", coefficients * native.frame_block, native.tile)
        for (weights, valid), peak in zip(self.convolutions, peaks, strict=True):
            native.timbral(windows, weights, self.bin_index, self.counts, self.inverse,
                           self.half, self.base, valid, peak, scratch)


class _MelTimbral:
    """Both timbral convolutions, max over the mel positions, in the mel axis's DFT basis.

    For a frame x (96 mel bins) and a kernel row w (km bins, zero-padded to 96), the
    correlation sum_m x[p + m] w[m] at the valid positions p <= 96 - km equals the circular
    one, whose DFT is X_k conj(W_k). So: X = each padded frame's real DFT (98 reals: the real
    and imaginary parts of 49 bins); per bin, a product of the 7 frames' coefficients (14 reals)
    with the kernels' (a complex product written as a real 14 x 2C matrix); then one real matrix
    (positions x 98, the inverse DFT's valid rows) for every frame and channel; then the max.
    One convolution at a time: with both of its coefficients in cache at once, the tags took
    10-16 % more CPU on two busy workers (paired runs).
    """

    def __init__(self, kernels: list[np.ndarray], mels: int,
                 native: Kernels | None = None) -> None:
        """``native``: the compiled kernels (``simd_kernels()``), or None for numpy's
        products."""
        bins = mels // 2 + 1
        eye = np.eye(mels)
        spectra = np.fft.rfft(eye, axis=1)  # row m: the DFT of the unit frame at bin m
        forward = np.empty((mels, 2 * bins))
        forward[:, 0::2], forward[:, 1::2] = spectra.real, spectra.imag
        inverse = np.empty((2 * bins, mels))  # row j: the frame whose coefficient j is 1
        for j in range(2 * bins):
            unit = np.zeros(bins, dtype=complex)
            unit[j // 2] = 1.0 if j % 2 == 0 else 1.0j
            inverse[j] = np.fft.irfft(unit, n=mels)
        self.forward = forward.astype(np.float32)
        self.bins = bins
        # per convolution: (bin, output re/im, 14, channels) weights and (positions, 98) inverse
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []
        for kernel in kernels:  # (channels, frames, km), signed
            channels, frames, km = kernel.shape
            padded = np.zeros((channels, frames, mels))
            padded[:, :, :km] = kernel
            w = np.fft.rfft(padded, axis=2)  # (channels, frames, bins)
            u, v = w.real.transpose(2, 1, 0), w.imag.transpose(2, 1, 0)  # (bins, frames, C)
            # (bin, output re/im, frame, input re/im, channel): re = a u + b v, im = b u - a v
            block = np.zeros((bins, 2, frames, 2, channels))
            block[:, 0, :, 0], block[:, 0, :, 1] = u, v
            block[:, 1, :, 0], block[:, 1, :, 1] = -v, u
            self.parts.append((block.reshape(bins, 2, frames * 2, channels).astype(np.float32),
                               np.ascontiguousarray(inverse[:, :mels - km + 1].T)
                               .astype(np.float32)))
        self._native_plan = (_NativeTimbralPlan(self.parts, inverse, mels, native)
                             if native is not None and mels % 4 == 0 else None)

    @property
    def _native(self) -> Kernels | None:
        """The compiled kernels this front end runs on, or None (numpy's products)."""
        return self._native_plan.native if self._native_plan is not None else None

    def __call__(self, source: np.ndarray, peaks: list[np.ndarray], buffers: _Buffers) -> None:
        """``source`` (frames + 6, mels) for one patch; ``peaks[i]`` (frames, C) gets kernel
        i's max over the mel positions."""
        frames = source.shape[0] - TIMBRAL_FRAMES + 1
        bins = self.bins
        spectra = np.matmul(source, self.forward,
                            out=buffers.take("spectra", source.shape[0], 2 * bins))
        per_bin = spectra.reshape(-1, bins, 2).transpose(1, 0, 2)  # (bins, frames + 6, 2)
        taps = np.lib.stride_tricks.sliding_window_view(per_bin, TIMBRAL_FRAMES, axis=1)
        windows = buffers.take("windows", bins * frames, TIMBRAL_FRAMES * 2)
        windows.reshape(bins, frames, TIMBRAL_FRAMES, 2)[...] = taps.transpose(0, 1, 3, 2)
        windows = windows.reshape(bins, frames, TIMBRAL_FRAMES * 2)
        if self._native_plan is not None:
            self._native_plan.run(windows, peaks, buffers)
            return
        for first in range(0, frames, _TIMBRAL_STEP):
            last = min(frames, first + _TIMBRAL_STEP)
            n = last - first
            # one convolution at a time: half the cache
            for (weights, inverse), peak in zip(self.parts, peaks, strict=True):
                channels = weights.shape[-1]
                z = buffers.take("coefficients", 2 * bins * n, channels)
                np.matmul(windows[:, None, first:last], weights,
                          out=z.reshape(bins, 2, n, channels))
                positions = inverse.shape[0]
                values = np.matmul(inverse, z.reshape(2 * bins, n * channels),
                                   out=buffers.take("positions", positions, n * channels))
                np.max(values.reshape(positions, n, channels), axis=0, out=peak[first:last])


class _Temporal:
    """A (k, 1) convolution over frames in every mel band, max over the bands: each product
    row gives ``_TEMPORAL_BLOCK`` consecutive frames, against a banded (block + k - 1, block x
    C) weight matrix."""

    def __init__(self, kernel: np.ndarray, native: Kernels | None = None) -> None:
        channels, length = kernel.shape[0], kernel.shape[2]
        self.length, self.channels = length, channels
        self._native = native
        if native is not None:  # the compiled kernel's (tiles, length, channels a tile)
            size = native.temporal_channels
            tiles = -(-channels // size)
            padded = np.zeros((length, tiles * size), dtype=np.float32)
            padded[:, :channels] = kernel[:, 0, :, 0].T
            self.native_weights = np.ascontiguousarray(
                padded.reshape(length, tiles, size).transpose(1, 0, 2))
            return
        block = _TEMPORAL_BLOCK
        banded = np.zeros((block + length - 1, block, channels), dtype=np.float32)
        taps = kernel[:, 0, :, 0].T  # (length, channels)
        for r in range(block):
            banded[r:r + length, r] = taps
        self.weights = banded.reshape(block + length - 1, block * channels)

    def __call__(self, bands: np.ndarray, frames: int, peak: np.ndarray,
                 buffers: _Buffers) -> None:
        """``bands`` (mels, >= blocks x block + k - 1) zero past the patch's padded frames;
        ``peak`` (frames, C) gets the max over the bands."""
        if self._native is not None:
            self._native.temporal(bands, self.native_weights, peak)
            return
        mels, block = bands.shape[0], _TEMPORAL_BLOCK
        blocks = -(-frames // block)
        width = block + self.length - 1
        windows = np.lib.stride_tricks.sliding_window_view(bands, width, axis=1)[:, ::block]
        maxima = buffers.take("maxima", blocks, block * self.channels)
        step = max(1, _TEMPORAL_ROWS // blocks)
        for first in range(0, mels, step):
            last = min(mels, first + step)
            rows = (last - first) * blocks
            cols = buffers.take("temporal_windows", rows, width)
            cols.reshape(last - first, blocks, width)[...] = windows[first:last, :blocks]
            z = np.matmul(cols, self.weights, out=buffers.take("temporal", rows, maxima.shape[1]))
            z = z.reshape(last - first, blocks, maxima.shape[1])
            if first == 0:
                np.max(z, axis=0, out=maxima)
            else:
                for band in z:  # one pass per band: no temporary of the step's max
                    np.maximum(maxima, band, out=maxima)
        peak[...] = maxima.reshape(blocks * block, self.channels)[:frames]


class _Buffers:
    """Scratch arrays for the front end's window rows and products, grown as needed."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def take(self, name: str, rows: int, width: int) -> np.ndarray:
        """A (rows, width) float32 view of the scratch array ``name``."""
        array = self._arrays.get(name)
        if array is None or array.size < rows * width:
            array = self._arrays[name] = np.empty(rows * width, dtype=np.float32)
        return array[:rows * width].reshape(rows, width)


class NumpyMusicnn:
    """A loaded musicnn: ``predict(batch)`` gives tag probabilities for (patches, 187, 96)."""

    def __init__(self, weights: dict[str, np.ndarray], native: bool | None = None) -> None:
        """``native``: the front end's compiled kernels (None: where they run here; False:
        numpy's products)."""
        compiled = simd_kernels() if native is not False else None
        w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()
             if not k.endswith("num_batches_tracked")}
        self._input = _bn(w, "input_bn")
        self._convs: list[_Conv] = []
        first_channel = 0
        for name in FRONT:
            bn = _bn(w, f"{name}_bn")
            sign = np.where(bn.scale >= 0, 1.0, -1.0).astype(np.float32)
            bias = w[f"{name}.bias"]
            self._convs.append(_Conv(name, bias, bn, sign, first_channel))
            first_channel += bias.size
        self._channels = first_channel
        # the max of the negated kernel is minus the min: each kernel is signed by its channel's
        self._timbral = _MelTimbral(
            [w[f"{conv.name}.weight"][:, 0] * conv.sign[:, None, None]
             for conv in self._convs[:len(TIMBRAL)]], N_MELS, compiled)
        self._temporal = [_Temporal(w[f"{conv.name}.weight"] * conv.sign[:, None, None, None],
                                    compiled)
                          for conv in self._convs[len(TIMBRAL):]]
        # the bands' frames are read up to whole blocks of either path, plus the kernel
        self._frame_round = max(_TEMPORAL_BLOCK,
                                compiled.temporal_frames if compiled is not None else 1)
        self._mid = []
        for i in (1, 2, 3):
            kernel = w[f"midend_{i}.weight"]  # (out, in, k): as (in, k * out), tap-major
            taps = np.ascontiguousarray(kernel.transpose(1, 2, 0).reshape(kernel.shape[1], -1))
            self._mid.append((taps, w[f"midend_{i}.bias"], _bn(w, f"midend_{i}_bn")))
        self._pool = _bn(w, "pool_bn")
        self._dense = (w["dense.weight"].T.copy(), w["dense.bias"], _bn(w, "dense_bn"))
        self._logits = (w["logits.weight"].T.copy(), w["logits.bias"])
        self._scratch = threading.local()  # each thread's window rows and products

    def _buffers(self) -> _Buffers:
        buffers = getattr(self._scratch, "buffers", None)
        if buffers is None:
            buffers = self._scratch.buffers = _Buffers()
        return buffers

    def _front_end(self, x: np.ndarray) -> np.ndarray:
        """(batch, frames, 561): each front-end conv's max over the mel axis, then its ReLU and
        batch norm, written straight to its channels."""
        batch, frames, mels = x.shape
        if mels != N_MELS:
            raise ValueError(f"musicnn reads {N_MELS} mel bands, not {mels}")
        out = np.empty((batch, frames, self._channels), dtype=np.float32)
        lead = TIMBRAL_FRAMES // 2
        # every band's frames, 'same'-padded for the longest kernel, zero past the last block's
        # samples; a shorter kernel reads the same bands from its own offset
        longest = max(temporal.length for temporal in self._temporal)
        band_lead = (longest - 1) // 2
        width = band_lead + -(-frames // self._frame_round) * self._frame_round + longest
        buffers = self._buffers()
        for b in range(batch):
            peaks = [out[b, :, conv.channels] for conv in self._convs]
            framed = buffers.take("framed", frames + TIMBRAL_FRAMES - 1, mels)
            framed.fill(0.0)
            framed[lead:lead + frames] = x[b]
            self._timbral(framed, peaks[:len(TIMBRAL)], buffers)
            bands = buffers.take("bands", mels, width)
            bands.fill(0.0)
            bands[:, band_lead:band_lead + frames] = x[b].T
            for temporal, peak in zip(self._temporal, peaks[len(TIMBRAL):], strict=True):
                offset = band_lead - (temporal.length - 1) // 2
                temporal(bands[:, offset:], frames, peak, buffers)
        for conv in self._convs:
            peak = out[:, :, conv.channels]
            peak *= conv.sign  # the max of the negated kernel is minus the min: back to z
            peak += conv.bias
            np.maximum(peak, 0.0, out=peak)
            peak *= conv.bn.scale
            peak += conv.bn.shift
        return out

    @staticmethod
    def _conv1d(x: np.ndarray, taps: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """'same' 1-D convolution of (batch, frames, channels) with ``taps`` (in, k * out):
        one product of the padded frames with every tap's weights, then the taps' shifted
        sums (no window rows: the mid-end's rows are 3,927 wide)."""
        batch, frames, channels = x.shape
        out_channels = bias.size
        k = taps.shape[1] // out_channels
        padded = np.zeros((batch, frames + k - 1, channels), dtype=np.float32)
        padded[:, k // 2:k // 2 + frames] = x
        products = (padded.reshape(-1, channels) @ taps).reshape(batch, frames + k - 1, k,
                                                                 out_channels)
        out = products[:, 0:frames, 0] + bias
        for dt in range(1, k):
            out += products[:, dt:dt + frames, dt]
        return out

    def features(self, batch: np.ndarray) -> np.ndarray:
        """(patches, frames, 561): the front end of (patches, 187, 96). Each patch's rows are
        computed apart from the others', so a batch's patches may be computed one by one, on
        any thread, and give the same bits as the batch at once."""
        return self._front_end(self._input(np.asarray(batch, dtype=np.float32), axis=0))

    def head_logits(self, front: np.ndarray) -> np.ndarray:
        """The mid-end and back-end on a batch's front end: (patches, tags) logits."""
        outs = [front]
        previous = front
        for i, (kernel, bias, bn) in enumerate(self._mid):
            layer = bn(np.maximum(self._conv1d(previous, kernel, bias), 0.0), axis=2)
            if i:
                layer = layer + previous
            outs.append(layer)
            previous = layer
        mid = np.concatenate(outs, axis=2)  # (batch, frames, 753)
        pooled = np.stack([mid.max(axis=1), mid.mean(axis=1)], axis=2).reshape(mid.shape[0], -1)
        weight, bias, bn = self._dense
        hidden = bn(np.maximum(self._pool(pooled) @ weight + bias, 0.0))
        weight, bias = self._logits
        return hidden @ weight + bias

    def head(self, front: np.ndarray) -> np.ndarray:
        """Tag probabilities (patches, tags) float32 from a batch's front end."""
        return (1.0 / (1.0 + np.exp(-self.head_logits(front)))).astype(np.float32)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        return self.head_logits(self.features(batch))

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Tag probabilities (patches, tags) float32."""
        return self.head(self.features(batch))


def load_model(path: str) -> NumpyMusicnn:
    from safetensors.numpy import load_file

    return NumpyMusicnn(load_file(path))
