import math

import numpy as np
import pytest

from albumstudio.audio.loudness import (
    LoudnessMeter,
    TruePeakMeter,
    channel_weights,
    k_weighting_sos,
)
from tests.support.synth import music


def sine(seconds: float, sr: int, freq: float = 997.0, db: float = 0.0,
         phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (10 ** (db / 20) * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def lufs(signal: np.ndarray, sr: int, block: int = 65536) -> float:
    frames = signal if signal.ndim == 2 else signal[:, None]
    meter = LoudnessMeter(sr, frames.shape[1])
    for start in range(0, len(frames), block):
        meter.add(frames[start:start + block])
    return meter.integrated_lufs()


def dbtp(signal: np.ndarray, sr: int, block: int = 65536) -> float:
    frames = signal if signal.ndim == 2 else signal[:, None]
    meter = TruePeakMeter(sr, frames.shape[1])
    for start in range(0, len(frames), block):
        meter.add(frames[start:start + block])
    return meter.dbtp()


def test_k_weighting_matches_the_published_48k_coefficients():
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285,
                                        1.0, -1.69065929318241, 0.73248077421585], atol=1e-9)
    np.testing.assert_allclose(sos[1], [1.0, -2.0, 1.0, 1.0, -1.99004745483398,
                                        0.99007225036621], atol=1e-9)


@pytest.mark.parametrize("sr", [48000, 44100])
def test_full_scale_997_hz_sine_mono_is_minus_3_01_lufs(sr):
    assert lufs(sine(4, sr), sr) == pytest.approx(-3.01, abs=0.1)


def test_same_sine_in_both_stereo_channels_is_0_lufs():
    mono = sine(4, 48000)
    assert lufs(np.stack([mono, mono], axis=1), 48000) == pytest.approx(0.0, abs=0.1)


def test_minus_20_dbfs_sine_is_20_lu_lower():
    loud = lufs(sine(4, 48000), 48000)
    quiet = lufs(sine(4, 48000, db=-20.0), 48000)
    assert loud - quiet == pytest.approx(20.0, abs=0.05)


def test_silence_and_too_short_give_minus_infinity():
    assert lufs(np.zeros(48000 * 2, np.float32), 48000) == -math.inf
    assert lufs(sine(0.3, 48000), 48000) == -math.inf  # less than one 400 ms gating block
    assert lufs(sine(3, 48000, db=-80.0), 48000) == -math.inf  # below the absolute gate
    assert LoudnessMeter(48000, 2).integrated_lufs() == -math.inf


def test_relative_gate_ignores_a_much_quieter_passage():
    loud_then_quiet = np.concatenate([sine(4, 48000), sine(4, 48000, db=-40.0)])
    # 37 gating blocks hold only the loud tone and 3 straddle the change (3/4, 2/4, 1/4 loud);
    # the 37 quiet ones fall below the relative gate, so -3.01 + 10·log10(38.5 / 40) remains
    expected = -3.01 + 10 * math.log10(38.5 / 40)
    assert lufs(loud_then_quiet, 48000) == pytest.approx(expected, abs=0.03)


def test_surround_channels_weigh_1_41_and_lfe_is_ignored():
    tone = sine(3, 48000)
    front = np.zeros((tone.size, 6), np.float32)
    front[:, 0] = tone
    surround = np.zeros_like(front)
    surround[:, 4] = tone
    lfe = np.zeros_like(front)
    lfe[:, 3] = tone
    assert lufs(surround, 48000) - lufs(front, 48000) == pytest.approx(10 * math.log10(1.41),
                                                                      abs=0.01)
    assert lufs(lfe, 48000) == -math.inf
    assert list(channel_weights(2)) == [1.0, 1.0]
    assert list(channel_weights(5)) == [1.0, 1.0, 1.0, 1.41, 1.41]


def test_true_peak_finds_the_crest_between_samples():
    n = np.arange(44100 * 2)
    quarter_rate = np.sin(np.pi / 2 * n + np.pi / 4).astype(np.float32)  # fs/4, 45° phase
    sample_peak = 20 * math.log10(float(np.abs(quarter_rate).max()))
    true_peak = dbtp(quarter_rate, 44100)
    assert sample_peak == pytest.approx(-3.01, abs=0.01)
    assert true_peak > sample_peak
    assert true_peak == pytest.approx(0.0, abs=0.5)


def test_true_peak_of_silence_is_minus_infinity_and_never_below_sample_peak():
    assert dbtp(np.zeros(4096, np.float32), 44100) == -math.inf
    assert TruePeakMeter(44100, 2).dbtp() == -math.inf
    clip = music(2, sr=44100)
    assert dbtp(clip, 44100) >= 20 * math.log10(float(np.abs(clip).max())) - 1e-6


@pytest.mark.parametrize("block", [1000, 4410, 12345])
def test_meters_do_not_depend_on_block_size(block):
    clip = music(3, sr=44100, seed=3) * np.array([1.0, 0.6], np.float32)
    whole_lufs, whole_peak = lufs(clip, 44100, block=len(clip)), dbtp(clip, 44100, block=len(clip))
    assert lufs(clip, 44100, block=block) == pytest.approx(whole_lufs, abs=1e-6)
    assert dbtp(clip, 44100, block=block) == pytest.approx(whole_peak, abs=1e-6)


def test_one_dimensional_mono_blocks_and_wrong_shapes():
    meter = LoudnessMeter(48000, 1)
    meter.add(sine(1, 48000))
    with pytest.raises(ValueError):
        meter.add(np.zeros((10, 2), np.float32))
    with pytest.raises(ValueError):
        TruePeakMeter(48000, 2).add(np.zeros(10, np.float32))
