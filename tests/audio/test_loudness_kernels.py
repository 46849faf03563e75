"""The loudness meters' compiled kernels (audio/_kernels.c) against sosfilt and numpy's."""

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


def test_shapes_the_kernels_are_not_written_for_are_refused():
    compiled = _compiled()
    x = np.zeros((10, 2), dtype=np.float32)
    state = np.zeros((2, 4))
    sos = np.ascontiguousarray(np.vstack([k_weighting_sos(48000)] * 2))  # four sections
    energy = np.empty(10)
    status = compiled._energy(x.ctypes.data, 10, 2, 2, 1, sos.ctypes.data, 4, state.ctypes.data,
                              channel_weights(2).ctypes.data, energy.ctypes.data)
    assert status == -1
    history = np.zeros((2, 16), dtype=np.float32)
    phases = np.zeros((3, 1), dtype=np.float32)  # one tap: no window to interpolate
    import ctypes

    result = ctypes.c_double(0.0)
    status = compiled._true_peak(x.ctypes.data, 10, 2, 2, 1, history.ctypes.data,
                                 phases.ctypes.data, 3, 1, 1.0, ctypes.addressof(result))
    assert status == -1


@pytest.mark.parametrize("block", [5, 16, 1000, 65536])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_the_true_peak_is_numpys_in_any_blocks(monkeypatch, block, channels):
    """Blocks shorter than the filter's history too, and quiet channels beside loud ones."""
    from albumstudio.audio.loudness import TruePeakMeter

    _compiled()
    mono = music(2, sr=44100, seed=channels)[:, 0] * 1.3  # crests between samples past 0 dBFS
    clip = np.stack([mono * (0.5 ** c) for c in range(channels)], axis=1).astype(np.float32)

    def peak() -> float:
        meter = TruePeakMeter(44100, channels)
        for first in range(0, len(clip), block):
            meter.add(clip[first:first + block])
        return meter.peak()

    compiled = peak()
    monkeypatch.setattr(kernels, "_loaded", [None])
    assert compiled == pytest.approx(peak(), rel=1e-6)
    assert compiled >= float(np.abs(clip).max())


def test_the_true_peak_reads_a_strided_block():
    from albumstudio.audio.loudness import TruePeakMeter

    _compiled()
    clip = (music(1, sr=48000, seed=9)[:, 0] * 0.8).astype(np.float32)
    wide = np.zeros((len(clip), 4), dtype=np.float32)
    wide[:, 1] = clip
    strided, packed = TruePeakMeter(48000, 1), TruePeakMeter(48000, 1)
    strided.add(wide[:, 1:2])
    packed.add(np.ascontiguousarray(clip[:, None]))
    assert strided.peak() == packed.peak()
