import dataclasses
import json
import math

import pytest

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.description import describe, describe_parts, is_silent

RISING = tuple(round(0.3 + 0.7 * i / 59, 4) for i in range(60))


def figures(**changes) -> AnalysisResult:
    base = AnalysisResult(
        duration=30.0, sample_rate=44100, channels=2, tempo_bpm=128.0,
        beat_times=tuple(i * 60 / 128 for i in range(64)), key="A", mode="minor",
        key_confidence=0.8, loudness_lufs=-8.0, true_peak_dbtp=-0.5, energy=0.8,
        energy_curve=RISING, brightness_hz=3150.0, onset_density=6.0,
        novelty_curve=(0.0,) * 60, section_times=(),
    )
    return dataclasses.replace(base, **changes)


def phrases(result: AnalysisResult, tags=()) -> list[str]:
    return [phrase for phrase, _ in describe_parts(result, tags)]


def test_the_example_sentence():
    assert describe(figures(loudness_lufs=-11.0)) == (
        "a bright, driving 128 BPM track in A minor, loud and dense, "
        "building to a peak in the second half")


def test_every_phrase_comes_with_its_figure_in_sentence_order():
    result = figures()
    parts = describe_parts(result)
    assert ("bright", "spectral centroid 3,150 Hz") in parts
    assert ("driving 128 BPM", "tempo 128.0 BPM") in parts
    assert ("in A minor", "key-profile correlation 0.80") in parts
    assert ("very loud", "integrated loudness -8.0 LUFS") in parts
    assert ("dense", "6.0 onsets per second") in parts
    sentence = describe(result)
    positions = [sentence.index(phrase) for phrase, _ in parts]
    assert positions == sorted(positions)


def test_description_is_deterministic_and_survives_json():
    result = figures()
    again = AnalysisResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert describe(result) == describe(result) == describe(again)
    assert describe_parts(again) == describe_parts(result)


@pytest.mark.parametrize(("bpm", "word"), [
    (60.0, "slow"), (69.9, "slow"), (70.0, "relaxed"), (94.9, "relaxed"), (95.0, "moderate"),
    (114.9, "moderate"), (115.0, "driving"), (134.9, "driving"), (135.0, "fast"),
    (159.9, "fast"), (160.0, "very fast"), (200.0, "very fast"),
])
def test_tempo_words(bpm, word):
    assert f"{word} {round(bpm)} BPM" in phrases(figures(tempo_bpm=bpm))


@pytest.mark.parametrize(("hz", "word"), [
    (600.0, "dark"), (999.0, "dark"), (1000.0, "warm"), (1799.0, "warm"), (1800.0, "balanced"),
    (2999.0, "balanced"), (3000.0, "bright"), (4499.0, "bright"), (4500.0, "brilliant"),
])
def test_brightness_words(hz, word):
    assert phrases(figures(brightness_hz=hz))[0] == word


@pytest.mark.parametrize(("lufs", "word"), [
    (-35.0, "very quiet"), (-28.0, "quiet"), (-20.1, "quiet"), (-20.0, "moderately loud"),
    (-14.0, "loud"), (-9.1, "loud"), (-9.0, "very loud"), (-5.0, "very loud"),
])
def test_loudness_words(lufs, word):
    assert word in phrases(figures(loudness_lufs=lufs))


@pytest.mark.parametrize(("density", "word"), [
    (0.0, "sparse"), (1.49, "sparse"), (1.5, "measured"), (2.99, "measured"), (3.0, "busy"),
    (4.99, "busy"), (5.0, "dense"), (9.0, "dense"),
])
def test_density_words(density, word):
    assert word in phrases(figures(onset_density=density))


@pytest.mark.parametrize(("curve", "arc"), [
    (RISING, "building to a peak in the second half"),
    (tuple(reversed(RISING)), "winding down after a strong start"),
    ((0.9,) * 60, "holding steady throughout"),
    ((0.4,) * 20 + (1.0,) * 20 + (0.4,) * 20, "peaking in the middle"),
])
def test_energy_arcs(curve, arc):
    assert arc in phrases(figures(energy_curve=curve))
    assert describe(figures(energy_curve=curve)).endswith(arc)


def test_short_curves_get_no_arc():
    assert len(phrases(figures(energy_curve=RISING[:10]))) == 5


def test_weak_key_and_missing_beat():
    sentence = describe(figures(key_confidence=0.1, tempo_bpm=0.0, beat_times=()))
    assert "minor" not in sentence and "BPM" not in sentence
    assert sentence.startswith("a bright track with no steady tempo, ")


def test_tags_are_appended_cleaned_and_explained():
    result = figures()
    sentence = describe(result, ["synth", "drums", " Synth ", "", "female   vocal"])
    assert sentence.endswith(", with synth, drums and a female voice")
    assert describe_parts(result, ["techno"])[-1] == ("techno in style", "tags: techno")


def test_silence_and_short_clips_read_sensibly():
    silent = figures(loudness_lufs=-math.inf, true_peak_dbtp=-math.inf, energy=0.0,
                     tempo_bpm=0.0, energy_curve=(), key_confidence=0.0)
    assert is_silent(silent)
    assert describe(silent) == "a silent track"
    assert describe(silent, ["ambient"]) == "a silent track, ambient in style"
    short = figures(duration=0.2, loudness_lufs=-math.inf, tempo_bpm=0.0, energy_curve=())
    assert not is_silent(short)
    assert describe(short) == "a very short clip"
    assert describe_parts(short) == [("very short clip", "duration 0.20 s")]
