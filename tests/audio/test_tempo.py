"""Tempo at the level a musician taps, on synthesized music of known tempo and metre."""

from __future__ import annotations

import numpy as np
import pytest

from albumstudio.audio.analysis import analyze_stream
from albumstudio.core.description import describe
from tests.support.synth import tempo_cases, tempo_piece

SR = 22050


def octave_errors(found: float, truth: float) -> tuple[bool, bool]:
    """(exact within 4 %, within 4 % of the truth times 1/2, 1 or 2)."""
    exact = abs(found / truth - 1.0) <= 0.04
    octave = any(abs(found * k / truth - 1.0) <= 0.04 for k in (0.5, 1.0, 2.0))
    return exact, octave


@pytest.fixture(scope="module")
def readings():
    out = []
    for texture, bpm in tempo_cases():
        samples, truth = tempo_piece(texture, bpm, 30.0, SR, seed=int(bpm))
        out.append((texture, truth, analyze_stream([samples[:, None]], SR, 1)))
    return out


def test_the_metrical_level_is_right_on_nine_in_ten_and_the_octave_on_all(readings):
    exact = [octave_errors(a.tempo_bpm, truth) for _, truth, a in readings]
    wrong = [(texture, truth, a.tempo_bpm) for (texture, truth, a), (_, octave)
             in zip(readings, exact, strict=True) if not octave]
    assert not wrong
    assert sum(e for e, _ in exact) >= 0.9 * len(readings), [
        (texture, truth, a.tempo_bpm) for (texture, truth, a), (e, _)
        in zip(readings, exact, strict=True) if not e]


def test_every_texture_is_in_the_set_and_slow_pieces_are_not_doubled(readings):
    textures = {texture for texture, _, _ in readings}
    assert textures >= {"drums", "piano", "strings", "slow-subdivisions", "swing",
                        "tempo-change"}
    for texture, truth, a in readings:
        if texture == "slow-subdivisions":  # sixteenths everywhere, the beat is still slow
            assert octave_errors(a.tempo_bpm, truth)[0], (truth, a.tempo_bpm, a.tempo_reason)


def test_the_other_octave_is_kept_with_a_reason(readings):
    for _, _, a in readings:
        ratio = a.tempo_alternative_bpm / a.tempo_bpm
        assert ratio == pytest.approx(2.0, rel=1e-3) or ratio == pytest.approx(0.5, rel=1e-3)
        assert a.tempo_reason


def test_a_track_shorter_than_one_beat_has_no_steady_tempo():
    samples, _ = tempo_piece("piano", 40.0, 1.4, SR, seed=3)  # one chord, 1.5 s per beat
    a = analyze_stream([samples[:, None]], SR, 1)
    assert a.tempo_bpm == 0.0 and a.tempo_alternative_bpm == 0.0 and a.beat_times == ()
    assert describe(a) == "a very short clip with no steady tempo"


def test_beats_follow_the_chosen_level():
    samples, truth = tempo_piece("slow-subdivisions", 62.0, 30.0, SR, seed=62)
    a = analyze_stream([samples[:, None]], SR, 1)
    intervals = np.diff(a.beat_times)
    assert np.median(intervals) == pytest.approx(60.0 / truth, rel=0.04)


@pytest.mark.parametrize("bpm", [60.0, 90.0, 123.0, 150.0, 180.0])
def test_kick_and_snare_on_alternate_beats_are_the_beat_at_44k_stereo(bpm):
    samples, truth = tempo_piece("drums", bpm, 30.0, 44100, seed=int(bpm) + 1)
    a = analyze_stream([np.stack([samples, 0.8 * samples], axis=1)], 44100, 2)
    assert octave_errors(a.tempo_bpm, truth)[0], (a.tempo_bpm, a.tempo_reason)
