"""musicnn (Pons & Serra, 2019) in PyTorch: the network and its prediction.

Imported lazily by the tagger (torch is imported here at module level). The input, musicnn's
log-mel patches, is made by the torch-free ``albumstudio.audio.musicnn_input`` (re-exported
here).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from albumstudio.audio.musicnn_input import (  # noqa: F401 - the port's input, re-exported
    N_FFT,
    N_FRAMES,
    N_MELS,
    SR,
    log_mel,
    patches,
    repeat_pad,
)

N_TAGS = 50
BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization's default


class Musicnn(nn.Module):
    """musicnn's '7774timbraltemporal' front-end, dense mid-end and pooling back-end."""

    # set with setattr in __init__ (declared here for the type checker only)
    midend_1_bn: nn.BatchNorm1d
    midend_2_bn: nn.BatchNorm1d
    midend_3_bn: nn.BatchNorm1d

    def __init__(self, n_tags: int = N_TAGS, midend_filters: int = 64,
                 backend_units: int = 200) -> None:
        super().__init__()
        timbral, temporal = int(1.6 * 128), int(1.6 * 32)
        self.input_bn = nn.BatchNorm2d(1, eps=BN_EPS)
        self.timbral_74 = nn.Conv2d(1, timbral, (7, int(0.4 * N_MELS)))
        self.timbral_77 = nn.Conv2d(1, timbral, (7, int(0.7 * N_MELS)))
        self.timbral_74_bn = nn.BatchNorm1d(timbral, eps=BN_EPS)
        self.timbral_77_bn = nn.BatchNorm1d(timbral, eps=BN_EPS)
        self.temporal_kernels = (128, 64, 32)
        for k in self.temporal_kernels:
            setattr(self, f"temporal_{k}", nn.Conv2d(1, temporal, (k, 1)))
            setattr(self, f"temporal_{k}_bn", nn.BatchNorm1d(temporal, eps=BN_EPS))
        self._front_names = ("timbral_74", "timbral_77",
                             *(f"temporal_{k}" for k in self.temporal_kernels))
        self._signs = {name: torch.ones(getattr(self, name).out_channels)
                       for name in self._front_names}
        front = 2 * timbral + 3 * temporal
        self.midend_1 = nn.Conv1d(front, midend_filters, 7)
        self.midend_2 = nn.Conv1d(midend_filters, midend_filters, 7)
        self.midend_3 = nn.Conv1d(midend_filters, midend_filters, 7)
        for i in (1, 2, 3):
            setattr(self, f"midend_{i}_bn", nn.BatchNorm1d(midend_filters, eps=BN_EPS))
        pooled = 2 * (front + 3 * midend_filters)
        self.pool_bn = nn.BatchNorm1d(pooled, eps=BN_EPS)
        self.dense = nn.Linear(pooled, backend_units)
        self.dense_bn = nn.BatchNorm1d(backend_units, eps=BN_EPS)
        self.logits = nn.Linear(backend_units, n_tags)

    def _block(self, x: torch.Tensor, name: str) -> torch.Tensor:
        # max over mel of bn(relu(z)) without materialising it: bn is a per-channel affine
        # map, so take max(z) where gamma >= 0 and min(z) = -max(-z) where gamma < 0 (the
        # conv's weights and bias are negated there, an exact operation, see fold_signs)
        conv, bn = getattr(self, name), getattr(self, f"{name}_bn")
        sign = self._signs[name]
        peak = conv(x).amax(dim=3) * sign[:, None]
        return bn(F.relu(peak))

    def fold_signs(self) -> Musicnn:
        """Negate the front-end convs where the following BN has gamma < 0 (see _block)."""
        with torch.no_grad():
            for name in self._front_names:
                conv, bn = getattr(self, name), getattr(self, f"{name}_bn")
                sign = torch.where(bn.weight < 0, -1.0, 1.0) * self._signs[name]
                conv.weight.mul_(sign[:, None, None, None])
                conv.bias.mul_(sign)
                self._signs[name] = torch.where(bn.weight < 0, -1.0, 1.0)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tag logits (batch, tags) for log-mel patches (batch, 187, 96)."""
        x = self.input_bn(x.unsqueeze(1))  # (B, 1, time, mel): TF's NHWC with C=1
        frames = x.shape[2]
        before, after = (self.temporal_kernels[0] - 1) // 2, self.temporal_kernels[0] // 2
        padded = F.pad(x, (0, 0, before, after))  # once, for every front-end conv

        def window(lead: int, trail: int) -> torch.Tensor:
            return padded[:, :, before - lead:before + frames + trail]

        feats = [self._block(window(3, 3), "timbral_74"), self._block(window(3, 3), "timbral_77")]
        for k in self.temporal_kernels:
            # TF 'same' with an even kernel pads one more frame after than before
            feats.append(self._block(window((k - 1) // 2, k // 2), f"temporal_{k}"))
        front = torch.cat(feats, dim=1)  # (B, 561, time)
        c1 = self.midend_1_bn(F.relu(self.midend_1(F.pad(front, (3, 3)))))
        c2 = self.midend_2_bn(F.relu(self.midend_2(F.pad(c1, (3, 3))))) + c1
        c3 = self.midend_3_bn(F.relu(self.midend_3(F.pad(c2, (3, 3))))) + c2
        mid = torch.cat([front, c1, c2, c3], dim=1)  # (B, 753, time)
        # TF concatenates [max, mean] on a last axis and flattens: interleaved per feature
        pooled = torch.stack([mid.amax(dim=2), mid.mean(dim=2)], dim=2).flatten(1)
        hidden = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
        return self.logits(hidden)


def load_model(path: str) -> Musicnn:
    """A Musicnn in eval mode with weights from a safetensors file (no pickle)."""
    from safetensors.torch import load_file

    model = Musicnn()
    missing, unexpected = model.load_state_dict(load_file(path), strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"musicnn weights do not fit: missing {missing}, unexpected {unexpected}")
    return model.fold_signs().eval()


def predict(model: Musicnn, batch: np.ndarray) -> np.ndarray:
    """Tag probabilities (patches, tags) float32 for a (patches, 187, 96) batch."""
    with torch.inference_mode():
        return torch.sigmoid(model(torch.from_numpy(np.ascontiguousarray(batch)))).numpy()
