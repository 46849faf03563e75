"""The highlight proposal: on a song with known choruses, snapped to bars, deterministic."""

from dataclasses import replace

import numpy as np
import pytest

from albumstudio.audio.analysis import analyze_stream
from albumstudio.audio.highlight import bar_times, check_selection, propose
from albumstudio.core.errors import InputError
from tests.support.clip_song import BAR_S, CHORUS_STARTS, song

SR = 22050


@pytest.fixture(scope="module")
def track():
    samples = song(SR)
    return samples, analyze_stream([samples], SR, 2)


def test_a_15_s_highlight_starts_on_a_chorus_bar(track):
    samples, analysis = track
    found = propose(samples, SR, analysis, 15.0)
    assert found.seconds == pytest.approx(15.0)
    assert found.snapped_to == "bar"
    assert min(abs(found.start_s - c) for c in CHORUS_STARTS) < 0.15, found.reasons()
    assert found.energy > 0.9 and found.repetition > 0.5


def test_longer_highlights_hold_a_whole_chorus_and_stay_on_bars(track):
    samples, analysis = track
    for seconds in (30.0, 60.0):
        found = propose(samples, SR, analysis, seconds)
        assert found.end_s <= samples.shape[0] / SR + 1e-6
        assert any(found.start_s - 0.15 <= c and c + 8 * BAR_S <= found.end_s + 0.15
                   for c in CHORUS_STARTS), found.reasons()
        assert min(abs(found.start_s - b) for b in found.bar_times) < 1e-6


def test_bars_fall_on_the_chord_changes(track):
    samples, analysis = track
    from albumstudio.audio.highlight import bin_features

    chroma, _, _ = bin_features(samples.mean(axis=1), SR)
    bars = bar_times(np.asarray(analysis.beat_times), chroma)
    assert bars.size > 10
    offsets = (bars % BAR_S)
    offsets = np.minimum(offsets, BAR_S - offsets)
    assert np.median(offsets) < 0.1  # each bar line within a beat-tracking frame of a downbeat


def test_the_same_input_gives_the_same_proposal(track):
    samples, analysis = track
    assert propose(samples, SR, analysis, 15.0) == propose(samples.copy(), SR, analysis, 15.0)


def test_a_track_without_beats_is_cut_on_half_seconds():
    rng = np.random.default_rng(1)
    noise = (0.1 * rng.standard_normal((20 * SR, 1))).astype(np.float32)
    noise[10 * SR:16 * SR] *= 4  # a louder stretch
    analysis = replace(analyze_stream([noise], SR, 1), beat_times=(), tempo_bpm=0.0)
    found = propose(noise, SR, analysis, 5.0)
    assert found.snapped_to == "half-second"
    assert found.start_s % 0.5 == 0 and 10.0 <= found.start_s <= 11.0


def test_a_track_shorter_than_the_clip_is_one_sentence(track):
    samples, analysis = track
    short = samples[: 10 * SR]
    with pytest.raises(InputError, match=r"^The track is 10.0 s long, shorter than a 15 s "
                                         r"clip; choose a shorter clip\.$"):
        propose(short, SR, analysis, 15.0)


@pytest.mark.parametrize(("start", "seconds", "words"), [
    (10.0, 0.5, "at least 1 second"), (95.0, 5.0, "outside the 88.0 s track"),
    (80.0, 15.0, "runs past the end"), (-1.0, 5.0, "outside")])
def test_bad_selections_are_one_sentence(start, seconds, words):
    with pytest.raises(InputError, match=words):
        check_selection(88.0, start, seconds)
