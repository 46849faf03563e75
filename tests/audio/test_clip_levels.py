"""normalise: the loudness it finds from one K-weighting (exact under a gain, estimated under the
limiter) is checked against the meters run afresh on what it returns."""

from __future__ import annotations

import numpy as np
import pytest

from albumstudio.audio.clip_levels import CEILING_DBTP, TARGET_LUFS, measure, normalise
from tests.support.clip_song import song

SR = 44100


def _clicks(music: np.ndarray, level: float) -> np.ndarray:
    clicks = np.zeros(music.shape[0])
    for k in range(0, music.shape[0] - 400, SR // 4):
        clicks[k:k + 400] += np.exp(-np.arange(400) / 40)
    mixed = music * 0.3 + clicks * level
    return np.stack([mixed, mixed * 0.9], axis=1)


def _music() -> np.ndarray:
    music = song(SR, seconds=8.0)
    return music if music.ndim == 1 else music[:, 0]


@pytest.mark.parametrize("case", ["loud, turned down", "quiet, limited", "clicks, deep limiting"])
def test_normalised_clip_measures_at_the_target_under_the_ceiling(case):
    music = _music()
    loud = np.stack([music, music * 0.8], axis=1) * (0.99 / np.abs(music).max())
    samples = {"loud, turned down": loud,  # about −6.5 LUFS
               "quiet, limited": _clicks(music, 0.1) * 0.3,
               "clicks, deep limiting": _clicks(music, 0.9)}[case]
    out, levels = normalise(samples, SR)
    lufs, peak = measure(out, SR)
    assert out.shape == samples.shape
    assert lufs == pytest.approx(TARGET_LUFS, abs=0.1)
    assert peak <= CEILING_DBTP
    # the figures it reports are those of what it returns
    assert levels.lufs == pytest.approx(lufs, abs=1e-6)
    assert levels.true_peak_dbtp == pytest.approx(peak, abs=1e-6)
    if case == "loud, turned down":
        assert levels.limited_db == 0.0 and levels.gain_db < 0
    else:
        assert levels.limited_db > 0.5
    if case == "clicks, deep limiting":
        assert levels.limited_db > 10.0
