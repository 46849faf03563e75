"""The samples every reader of a track agrees on: non-finite samples made safe, and the mono mix.

The analysis (``analysis._stream``) and ``decode.decode_all(mono=True)`` both use these, so a
mono mix at one rate has the same bits whichever of them made it: a release kit's highlight
clip reads the mix its analysis made instead of decoding the track again, and equals the clip
the ``clip`` command (which decodes) makes from the same track.
"""

from __future__ import annotations

import numpy as np


def finite(block: np.ndarray) -> np.ndarray:
    """``block`` with NaN made silent and infinities full scale (a copy only when needed)."""
    if np.isfinite(block).all():
        return block
    return np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0)


def mono_mix(block: np.ndarray) -> np.ndarray:
    """(frames,) float32 mix of a (frames, channels) block: the lanes summed in order, then
    scaled (much faster than ``mean(axis=1)`` over two columns)."""
    mono = block[:, 0].astype(np.float32, copy=True)
    for lane in range(1, block.shape[1]):
        mono += block[:, lane]
    if block.shape[1] > 1:
        mono *= np.float32(1.0 / block.shape[1])
    return mono
