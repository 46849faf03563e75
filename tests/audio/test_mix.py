"""The analysis's mono mix and ``decode_all``'s are the same bits (a kit's clip reads the first,
the ``clip`` command the second)."""

from __future__ import annotations

import numpy as np
import pytest

from albumstudio.audio.analysis import ANALYSIS_RATE, analyze_file
from albumstudio.audio.decode import decode_all
from albumstudio.engines.clip_audio import HIGHLIGHT_RATE
from tests.support import synth


def _rng_noise(seconds: float, sr: int, channels: int) -> np.ndarray:
    rng = np.random.default_rng(channels)
    music = synth.music(seconds, sr=sr, channels=1)[:, 0]
    lanes = [music * (0.9 - 0.1 * k) + 0.05 * rng.standard_normal(music.size) for k in
             range(channels)]
    return np.stack(lanes, axis=1).astype(np.float32)


@pytest.mark.parametrize("name,sr,channels,fmt", [
    ("stereo.mp3", 44100, 2, None),
    ("mono.wav", 22050, 1, None),
    ("six.wav", 48000, 6, None),
    ("float.wav", 44100, 2, "FLOAT"),
])
def test_the_analysis_mix_equals_decode_alls(tmp_path, name, sr, channels, fmt):
    data = _rng_noise(7.0, sr, channels)
    if fmt == "FLOAT":  # a float WAV may hold what no decoder makes: NaN, infinities
        data[1000:1010, 0] = np.nan
        data[2000, 1] = np.inf
    path = synth.write(tmp_path / name, data, sr, subtype=fmt)
    kept: list[np.ndarray] = []
    analyze_file(str(path), keep_mix=kept)
    decoded, rate = decode_all(str(path), target_sr=ANALYSIS_RATE, mono=True)
    assert rate == HIGHLIGHT_RATE == ANALYSIS_RATE
    assert kept[0].dtype == decoded.dtype == np.float32
    assert np.array_equal(kept[0], decoded)
    assert np.isfinite(decoded).all()


def test_a_mix_longer_than_the_limit_is_not_kept(monkeypatch, tmp_path):
    from albumstudio.audio import analysis

    path = synth.write(tmp_path / "long.wav", synth.music(4.0, sr=22050), 22050)
    monkeypatch.setattr(analysis, "MAX_KEPT_MIX_S", 3.0)
    kept: list[np.ndarray] = []
    analyze_file(str(path), keep_mix=kept)
    assert kept == []
