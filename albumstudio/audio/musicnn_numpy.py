"""musicnn's forward pass in numpy, from the same safetensors weights: tags without torch.

The same network as ``albumstudio.audio.musicnn`` (which stays the reference the tests compare
with): every convolution is one matrix product over its input's sliding windows, so the work
lands in the BLAS matrix product, and a fresh process that tags a track never imports torch
(seconds of import on a small machine). Batch norms are folded into affine maps; the
front-end's max over the mel axis is taken before its batch norm (a per-channel monotonic
map: the max where the scale is positive, the min where it is negative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BN_EPS = 1e-3
TEMPORAL_KERNELS = (128, 64, 32)
# rows of sliding windows per matrix product in the front end: about 2,000 measured fastest on
# 2 cores (the windows and the product stay in cache; the whole batch at once is twice as slow)
_FRONT_ROWS = 2000
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
            self._front.append((name, np.ascontiguousarray(columns, dtype=np.float32),
                                w[f"{name}.bias"], bn, sign, pad, km))
        self._mid = [(w[f"midend_{i}.weight"], w[f"midend_{i}.bias"], _bn(w, f"midend_{i}_bn"))
                     for i in (1, 2, 3)]
        self._pool = _bn(w, "pool_bn")
        self._dense = (w["dense.weight"].T.copy(), w["dense.bias"], _bn(w, "dense_bn"))
        self._logits = (w["logits.weight"].T.copy(), w["logits.bias"])

    def _front_end(self, x: np.ndarray) -> np.ndarray:
        batch, frames, mels = x.shape
        feats = []
        for _, kernel, bias, bn, sign, (lead, trail), km in self._front:
            padded = np.pad(x, ((0, 0), (lead, trail), (0, 0)))
            kt, positions = lead + trail + 1, mels - km + 1
            windows = np.lib.stride_tricks.sliding_window_view(padded, (kt, km), axis=(1, 2))
            peak = np.empty((batch, frames, kernel.shape[1]), dtype=np.float32)
            step = max(1, _FRONT_ROWS // positions)
            for b in range(batch):  # a few thousand rows at a time: the product stays in cache
                for first in range(0, frames, step):
                    last = min(frames, first + step)
                    cols = windows[b, first:last].reshape((last - first) * positions, kt * km)
                    peak[b, first:last] = (cols @ kernel).reshape(last - first, positions,
                                                                   -1).max(axis=1)
            feats.append(bn(np.maximum(peak * sign + bias, 0.0), axis=2))  # (b, frames, ch)
        return np.concatenate(feats, axis=2)

    @staticmethod
    def _conv1d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """'same' 1-D convolution of (batch, frames, channels) with a (out, in, 7) kernel."""
        k = kernel.shape[2]
        padded = np.pad(x, ((0, 0), (k // 2, k // 2), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, k, axis=1)  # (b, t, in, k)
        batch, frames = x.shape[:2]
        cols = windows.reshape(batch * frames, -1)
        out = cols @ kernel.reshape(kernel.shape[0], -1).T
        return out.reshape(batch, frames, -1) + bias

    def logits(self, batch: np.ndarray) -> np.ndarray:
        x = self._input(np.asarray(batch, dtype=np.float32), axis=0)
        front = self._front_end(x)
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

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Tag probabilities (patches, tags) float32."""
        return (1.0 / (1.0 + np.exp(-self.logits(batch)))).astype(np.float32)


def load_model(path: str) -> NumpyMusicnn:
    from safetensors.numpy import load_file

    return NumpyMusicnn(load_file(path))
