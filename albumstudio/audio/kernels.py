"""The audio layer's compiled kernels (``_kernels.c``), through ctypes.

The extension is optional: an install without a C compiler has none, and numpy's versions
run (the same results to rounding, slower). musicnn's front-end kernels are written for x86
processors with AVX2 and FMA (``Kernels.simd``); the loudness meters' K-weighting and true peak
are portable C.
ctypes lets go of the interpreter lock while a kernel runs, so the tagging workers and the
analysis run theirs at once.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import numpy as np

_lock = threading.Lock()
_loaded: list[Kernels | None] = []


class Kernels:
    """The extension's functions with their ctypes prototypes and the layouts they expect."""

    def __init__(self, module: Any) -> None:
        c_int, c_long, c_ptr = ctypes.c_int, ctypes.c_long, ctypes.c_void_p
        self.simd = bool(module.simd)
        timbral = ctypes.CFUNCTYPE(c_int, c_ptr, c_int, c_int, c_int, c_ptr, c_ptr, c_int, c_ptr,
                                   c_ptr, c_int, c_int, c_int, c_int, c_ptr, c_long, c_ptr)
        temporal = ctypes.CFUNCTYPE(c_int, c_ptr, c_int, c_long, c_int, c_ptr, c_int, c_int,
                                    c_ptr, c_long)
        energy = ctypes.CFUNCTYPE(c_int, c_ptr, c_long, c_int, c_long, c_long, c_ptr, c_int,
                                  c_ptr, c_ptr, c_ptr)
        self._timbral = timbral(module.timbral_peaks)
        self._temporal = temporal(module.temporal_peaks)
        self._energy = energy(module.k_weighted_energy)
        peak = ctypes.CFUNCTYPE(c_int, c_ptr, c_long, c_int, c_long, c_long, c_ptr, c_ptr, c_int,
                                c_int, ctypes.c_double, c_ptr)
        self._true_peak = peak(module.true_peak)
        self.tile: int = module.TILE
        self.frame_block: int = module.FRAME_BLOCK
        self.inverse_rows: int = module.INVERSE_ROWS
        self.max_base: int = module.MAX_BASE
        self.temporal_channels: int = module.TEMPORAL_CHANNELS
        self.temporal_frames: int = module.TEMPORAL_FRAMES

    @staticmethod
    def _check_peak(peak: np.ndarray, frames: int) -> None:
        assert peak.dtype == np.float32 and peak.strides[1] == 4 and peak.shape[0] == frames

    @staticmethod
    def _strides(block: np.ndarray) -> tuple[int, int]:
        """A (frames, channels) float32 block's strides in floats: frame, channel."""
        assert block.dtype == np.float32
        assert block.strides[0] % 4 == 0 and block.strides[1] % 4 == 0
        return block.strides[0] // 4, block.strides[1] // 4

    def timbral(self, windows: np.ndarray, weights: np.ndarray, bin_index: np.ndarray,
                counts: np.ndarray, inverse: np.ndarray, half: int, base: int, valid: int,
                peak: np.ndarray, scratch: np.ndarray) -> None:
        """musicnn's timbral convolution of one patch, its max over the valid mel positions
        (``timbral_peaks`` in ``_kernels.c`` for the layouts): ``windows`` (bins, frames,
        taps); ``weights`` (tiles, coefficients, taps, tile); ``peak`` (frames, C) float32
        rows whose channels are contiguous."""
        assert self.simd
        bins, frames, taps = windows.shape
        coefficients = bin_index.size
        for array in (windows, weights, inverse, scratch):
            assert array.dtype == np.float32 and array.flags.c_contiguous
        assert bin_index.dtype == np.int32 and counts.dtype == np.int32 and counts.size == 4
        assert int(bin_index.max()) < bins and int(counts.sum()) == coefficients
        assert inverse.size == coefficients * base
        self._check_peak(peak, frames)
        assert weights.shape[1:] == (coefficients, taps, self.tile)
        assert weights.shape[0] * self.tile >= peak.shape[1]
        assert scratch.size >= coefficients * self.frame_block * self.tile
        status = self._timbral(windows.ctypes.data, bins, frames, taps, weights.ctypes.data,
                               bin_index.ctypes.data, coefficients, counts.ctypes.data,
                               inverse.ctypes.data, half, base, valid, peak.shape[1],
                               peak.ctypes.data, peak.strides[0] // 4, scratch.ctypes.data)
        if status != 0:
            raise ValueError("the timbral kernel was given shapes it is not written for")

    def temporal(self, bands: np.ndarray, weights: np.ndarray, peak: np.ndarray) -> None:
        """musicnn's temporal convolution of one patch, its max over the bands: ``bands``
        (count, width) rows from the kernel's first tap, each readable (zero) up to the frames
        rounded up to ``temporal_frames`` plus the length - 1; ``weights`` (tiles, length,
        temporal_channels); ``peak`` (frames, C)."""
        assert self.simd
        frames = peak.shape[0]
        assert bands.dtype == np.float32 and bands.strides[1] == 4
        assert weights.dtype == np.float32 and weights.flags.c_contiguous
        assert weights.shape[2] == self.temporal_channels
        assert weights.shape[0] * self.temporal_channels >= peak.shape[1]
        self._check_peak(peak, frames)
        length = weights.shape[1]
        whole = -(-frames // self.temporal_frames) * self.temporal_frames
        assert bands.shape[1] >= whole + length - 1
        status = self._temporal(bands.ctypes.data, bands.shape[0], bands.strides[0] // 4,
                                frames, weights.ctypes.data, length, peak.shape[1],
                                peak.ctypes.data, peak.strides[0] // 4)
        if status != 0:
            raise ValueError("the temporal kernel was given shapes it is not written for")

    def k_weighted_energy(self, block: np.ndarray, sos: np.ndarray, state: np.ndarray,
                          weights: np.ndarray) -> np.ndarray:
        """Each frame's channel-weighted square of the (frames, channels) float32 ``block``
        through the two biquads ``sos``, continuing from ``state`` (channels, 4), which is
        updated (sosfilt's layout)."""
        frames, channels = block.shape
        frame_stride, channel_stride = self._strides(block)
        assert sos.shape == (2, 6) and sos.dtype == np.float64 and sos.flags.c_contiguous
        assert state.shape == (channels, 4) and state.dtype == np.float64
        assert state.flags.c_contiguous
        assert weights.shape == (channels,) and weights.dtype == np.float64
        energy = np.empty(frames, dtype=np.float64)
        status = self._energy(block.ctypes.data, frames, channels, frame_stride,
                              channel_stride, sos.ctypes.data, 2, state.ctypes.data,
                              weights.ctypes.data, energy.ctypes.data)
        if status != 0:
            raise ValueError("the K-weighting kernel was given shapes it is not written for")
        return energy

    def true_peak(self, block: np.ndarray, history: np.ndarray, phases: np.ndarray,
                  bound: float, peak: float) -> float:
        """The true peak so far: ``peak`` against the (frames, channels) float32 ``block``'s
        samples and the values ``phases`` (count, taps) interpolates between them, reading
        ``history`` (channels, taps - 1), the samples before the block, which is updated."""
        frames, channels = block.shape
        frame_stride, channel_stride = self._strides(block)
        assert phases.dtype == np.float32 and phases.flags.c_contiguous
        assert history.dtype == np.float32 and history.flags.c_contiguous
        assert history.shape == (channels, phases.shape[1] - 1)
        result = ctypes.c_double(peak)
        status = self._true_peak(block.ctypes.data, frames, channels, frame_stride,
                                 channel_stride, history.ctypes.data, phases.ctypes.data,
                                 phases.shape[0], phases.shape[1], bound,
                                 ctypes.addressof(result))
        if status == -2:
            raise MemoryError("no memory for the true-peak meter's block")
        if status != 0:
            raise ValueError("the true-peak kernel was given shapes it is not written for")
        return result.value


def kernels() -> Kernels | None:
    """The compiled kernels where the install built them, else None (numpy's versions run)."""
    with _lock:
        if not _loaded:
            loaded = None
            try:
                from albumstudio.audio import _kernels  # type: ignore[attr-defined]

                loaded = Kernels(_kernels)
            except ImportError:  # not built here (no C compiler at install)
                loaded = None
            _loaded.append(loaded)
        return _loaded[0]


def simd_kernels() -> Kernels | None:
    """The kernels where this processor runs musicnn's AVX2/FMA front end too, else None."""
    loaded = kernels()
    return loaded if loaded is not None and loaded.simd else None
