import numpy as np

from albumstudio.audio.music_features import (
    MINOR_PROFILE,
    key_of,
    refined_tempo,
    sections,
)


def test_key_of_a_rotated_profile_is_that_key():
    assert key_of(np.roll(MINOR_PROFILE, 9))[:2] == ("A", "minor")
    assert key_of(np.zeros(12)) == ("C", "major", 0.0)


def test_refined_tempo_ignores_an_odd_gap():
    beats = np.concatenate([np.arange(0, 10, 0.5), [10.9]])
    assert abs(refined_tempo(118.0, beats) - 120.0) < 1e-6


def test_sections_need_a_clear_peak_away_from_the_edges():
    novelty = np.zeros(80)  # 40 s at 0.5 s per value
    novelty[40] = 0.8  # 20 s
    novelty[2] = 0.9  # 1 s: too close to the start
    assert sections(novelty, 40.0) == (20.0,)
    assert sections(np.zeros(80), 40.0) == ()
