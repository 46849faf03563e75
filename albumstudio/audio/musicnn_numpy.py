"""musicnn's forward pass in numpy, from the same safetensors weights: tags without torch.

The same network as ``albumstudio.audio.musicnn`` (which stays the reference the tests compare
with): the front end's convolutions are matrix products over their input's sliding windows,
a few thousand rows at a time in buffers made once per batch, and the mid-end's are one product
with every tap's weights and the taps' shifted sums, so the work lands in the BLAS matrix
product, and a fresh process that tags a track never imports torch (seconds of import on a
small machine). The products are about 80 % of the time; on a 2-core AVX-512 machine a
4-minute track's 80 patches (224 GFLOP) take 1.3 s on two workers, against 0.77 s if both
cores ran at the peak their BLAS reaches on large products (about 145 GFLOP/s each). Batch norms are folded into affine maps; the
front-end's max over the mel axis is taken before its batch norm (a per-channel monotonic
map: the max where the scale is positive, the min where it is negative).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

BN_EPS = 1e-3
TEMPORAL_KERNELS = (128, 64, 32)
# rows of sliding windows per matrix product in the front end: about 2,000 measured fastest on
# 2 cores (the windows and the product stay in cache; the whole batch at once is twice as slow)
_FRONT_ROWS = 2000
_TEMPORAL_ROWS = 1000
FRONT = ("timbral_74", "timbral_77", *(f"temporal_{k}" for k in TEMPORAL_KERNELS))


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

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()
             if not k.endswith("num_batches_tracked")}
        self._input = _bn(w, "input_bn")
        self._front: list[tuple[str, np.ndarray, np.ndarray, _Affine, np.ndarray,
                                tuple[int, int], int]] = []
        for name in FRONT:
            kernel = w[f"{name}.weight"]  # (channels, 1, time, mel)
            kt, km = kernel.shape[2], kernel.shape[3]
            pad = (3, 3) if name.startswith("timbral") else ((kt - 1) // 2, kt // 2)
            bn = _bn(w, f"{name}_bn")
            sign = np.where(bn.scale >= 0, 1.0, -1.0).astype(np.float32)
            columns = kernel.reshape(kernel.shape[0], kt * km).T * sign  # max of -z is -min z
            # zero columns up to a multiple of 16: OpenBLAS's kernels measured 5-30 % faster
            # (204 -> 208, 51 -> 64 outputs); the padding's products are never read
            width = -(-columns.shape[1] // 16) * 16
            padded = np.zeros((columns.shape[0], width), dtype=np.float32)
            padded[:, :columns.shape[1]] = columns
            self._front.append((name, padded, w[f"{name}.bias"], bn, sign, pad, km))
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
        """(batch, frames, 561): each front-end conv's max over the mel axis, then its batch
        norm. Every product is one BLAS product of a few thousand window rows, copied into
        buffers made once per call (they stay in cache), written straight to its place."""
        batch, frames, mels = x.shape
        channels = sum(bias.size for _, _, bias, *_ in self._front)
        out = np.empty((batch, frames, channels), dtype=np.float32)
        lead_max = max(lead for *_, (lead, _), _ in self._front)
        trail_max = max(trail for *_, (_, trail), _ in self._front)
        padded = np.zeros((batch, lead_max + frames + trail_max, mels), dtype=np.float32)
        padded[:, lead_max:lead_max + frames] = x  # once, for every conv
        buffers = self._buffers()
        first_channel = 0
        for _, kernel, bias, bn, sign, (lead, trail), km in self._front:
            kt = lead + trail + 1
            source = padded[:, lead_max - lead:lead_max + frames + trail]
            peak = out[:, :, first_channel:first_channel + bias.size]
            if km > 1:
                self._timbral(source, kernel, kt, km, peak, buffers)
            else:
                self._temporal(source, kernel, kt, peak, buffers)
            peak *= sign  # the max of the negated kernel is minus the min: back to z
            peak += bias
            np.maximum(peak, 0.0, out=peak)
            peak *= bn.scale
            peak += bn.shift
            first_channel += bias.size
        return out

    @staticmethod
    def _timbral(source: np.ndarray, kernel: np.ndarray, kt: int, km: int, peak: np.ndarray,
                 buffers: _Buffers) -> None:
        """Max over the mel positions of a (kt, km) conv: rows (frame, position)."""
        batch, mels = source.shape[0], source.shape[2]
        frames, positions, out_channels = peak.shape[1], mels - km + 1, peak.shape[2]
        width = kernel.shape[1]
        windows = np.lib.stride_tricks.sliding_window_view(source, (kt, km), axis=(1, 2))
        step = max(1, _FRONT_ROWS // positions)
        maxima = np.empty((frames, width), dtype=np.float32)  # faster than the slice
        for b in range(batch):
            for first in range(0, frames, step):
                last = min(frames, first + step)
                rows = (last - first) * positions
                cols = buffers.take("columns", rows, kt * km)
                cols.reshape(last - first, positions, kt, km)[...] = windows[b, first:last]
                z = np.matmul(cols, kernel, out=buffers.take("products", rows, width))
                np.max(z.reshape(last - first, positions, width), axis=1,
                       out=maxima[first:last])
            peak[b] = maxima[:, :out_channels]

    @staticmethod
    def _temporal(source: np.ndarray, kernel: np.ndarray, kt: int, peak: np.ndarray,
                  buffers: _Buffers) -> None:
        """Max over the mel bins of a (kt, 1) conv: rows (mel, frame), so each window row is
        a contiguous run of one mel band, and a running max over the bands."""
        batch, mels = source.shape[0], source.shape[2]
        frames, out_channels, width = peak.shape[1], peak.shape[2], kernel.shape[1]
        step = max(1, _TEMPORAL_ROWS // frames)
        maxima = np.empty((frames, width), dtype=np.float32)
        for b in range(batch):
            bands = np.ascontiguousarray(source[b].T)  # (mels, frames + kt - 1)
            windows = np.lib.stride_tricks.sliding_window_view(bands, kt, axis=1)
            for first in range(0, mels, step):
                last = min(mels, first + step)
                rows = (last - first) * frames
                cols = buffers.take("columns", rows, kt)
                cols.reshape(last - first, frames, kt)[...] = windows[first:last]
                z = np.matmul(cols, kernel, out=buffers.take("products", rows, width))
                z = z.reshape(last - first, frames, width)
                if first == 0:
                    np.max(z, axis=0, out=maxima)
                else:
                    for band in z:  # one pass per band: no temporary of the chunk's max
                        np.maximum(maxima, band, out=maxima)
            peak[b] = maxima[:, :out_channels]

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
