"""The loudness meter's compiled K-weighting (audio/_kernels.c) against sosfilt and numpy's."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from albumstudio.audio import kernels
from albumstudio.audio.loudness import LoudnessMeter, channel_weights, k_weighting_sos
from tests.support.synth import music


def _compiled() -> kernels.Kernels:
    loaded = kernels.kernels()
    if loaded is None:
        pytest.skip("the compiled kernels are not built here")
    return loaded


def test_the_kernels_are_built_by_the_install():
    """A C compiler is on the test machines: the install built the extension."""
    if not sys.platform.startswith("linux"):
        pytest.skip("checked where the test machines run")
    assert kernels.kernels() is not None


@pytest.mark.parametrize("channels", [1, 2, 3, 6])
@pytest.mark.parametrize("rate", [44100, 48000])
def test_k_weighted_energy_is_sosfilts_across_blocks(channels, rate):
    from scipy.signal import sosfilt

    compiled = _compiled()
    rng = np.random.default_rng(channels + rate)
    x = (rng.standard_normal((rate // 2, channels)) * 0.3).astype(np.float32)
    sos = k_weighting_sos(rate)
    weights = channel_weights(channels)
    expected = np.square(sosfilt(sos, x.astype(np.float64), axis=0)) @ weights
    state = np.zeros((channels, 4))
    got = np.concatenate([compiled.k_weighted_energy(x[first:first + 1234], sos, state, weights)
                          for first in range(0, len(x), 1234)])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    # a block that is a strided view (the channels of a wider array) reads the same
    wide = np.zeros((len(x), channels * 2), dtype=np.float32)
    wide[:, ::2] = x
    again = compiled.k_weighted_energy(wide[:, ::2], sos, np.zeros((channels, 4)), weights)
    np.testing.assert_allclose(again, expected, rtol=1e-9, atol=1e-12)


def test_the_meter_reads_the_same_loudness_with_and_without_the_kernel(monkeypatch):
    _compiled()
    clip = music(6, sr=44100, seed=5) * np.array([1.0, 0.5], np.float32)

    def lufs() -> float:
        meter = LoudnessMeter(44100, 2)
        for first in range(0, len(clip), 65536):
            meter.add(clip[first:first + 65536])
        return meter.integrated_lufs()

    compiled = lufs()
    monkeypatch.setattr(kernels, "_loaded", [None])
    assert kernels.kernels() is None
    assert compiled == pytest.approx(lufs(), abs=1e-4)


def test_shapes_the_kernel_is_not_written_for_are_refused():
    compiled = _compiled()
    x = np.zeros((10, 2), dtype=np.float32)
    state = np.zeros((2, 4))
    sos = np.ascontiguousarray(np.vstack([k_weighting_sos(48000)] * 2))  # four sections
    energy = np.empty(10)
    status = compiled._energy(x.ctypes.data, 10, 2, 2, 1, sos.ctypes.data, 4, state.ctypes.data,
                              channel_weights(2).ctypes.data, energy.ctypes.data)
    assert status == -1
