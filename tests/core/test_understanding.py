"""Figures and tags reconciled: the tempo's octave, calibrated tags, no contradicting words."""

from __future__ import annotations

import dataclasses
import re

import pytest

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.description import (
    LOUD_WORDS,
    QUIET_WORDS,
    describe,
    describe_parts,
)
from albumstudio.core.tagging import TAG_THRESHOLDS, TagResult, strongest_tags
from albumstudio.core.understanding import understand, with_tempo

MTT = ("guitar classical slow techno strings drums electronic rock fast piano ambient beat "
       "violin vocal synth loud quiet soft").split()


def figures(**changes) -> AnalysisResult:
    base = AnalysisResult(
        duration=60.0, sample_rate=44100, channels=2, tempo_bpm=136.0,
        beat_times=tuple(i * 60 / 136 for i in range(130)), key="D", mode="minor",
        key_confidence=0.7, loudness_lufs=-23.0, true_peak_dbtp=-3.0, energy=0.4,
        energy_curve=(0.5,) * 120, brightness_hz=1500.0, onset_density=1.7,
        novelty_curve=(0.0,) * 120, section_times=(), tempo_alternative_bpm=68.0,
        tempo_reason="alternate beats 1.10:1, midpoints 0.20 of the beats",
    )
    return dataclasses.replace(base, **changes)


def tags(**probabilities: float) -> TagResult:
    names = tuple(MTT)
    row = tuple(probabilities.get(name, 0.01) for name in names)
    return TagResult("MTT_musicnn", names, 3.0, (row, row))


def test_the_orchestral_case_reads_slow_with_its_double_time_alternative():
    seen = understand(figures(), tags(classical=0.7, strings=0.6, violin=0.5, slow=0.62,
                                      drums=0.15))
    assert seen.analysis.tempo_bpm == 68.0 and seen.analysis.tempo_alternative_bpm == 136.0
    assert "slow" in seen.analysis.tempo_reason and "onsets" in seen.analysis.tempo_reason
    sentence = describe(seen.analysis, [name for name, _ in seen.tags])
    assert "slow 68 BPM" in sentence and "fast" not in sentence and "drums" not in sentence
    assert "classical in style" in sentence and "with strings and violin" in sentence
    reasons = dict(describe_parts(seen.analysis, [name for name, _ in seen.tags]))
    assert reasons["slow 68 BPM"].startswith("tempo 68.0 BPM, or 136 double-time (the tagger")
    assert ("drums", "0.15 is below its threshold 0.25") in seen.left_out


def test_slow_tags_alone_do_not_halve_a_piece_with_notes_on_every_beat():
    busy = figures(tempo_bpm=150.0, tempo_alternative_bpm=75.0, onset_density=4.0)
    assert with_tempo(busy, {"slow": 0.5, "fast": 0.01}).tempo_bpm == 150.0


def test_fast_tags_double_a_slow_reading_only_with_onsets_to_carry_it():
    slow = figures(tempo_bpm=80.0, tempo_alternative_bpm=160.0, onset_density=3.0)
    assert with_tempo(slow, {"fast": 0.5, "slow": 0.05}).tempo_bpm == 160.0
    sparse = dataclasses.replace(slow, onset_density=1.0)
    assert with_tempo(sparse, {"fast": 0.5, "slow": 0.05}).tempo_bpm == 80.0
    assert with_tempo(slow, {"fast": 0.2, "slow": 0.05}).tempo_bpm == 80.0


def test_tags_need_their_calibrated_threshold_and_the_artist_can_hide_them():
    result = tags(drums=0.2, piano=0.3, beat=0.3)
    assert [name for name, _ in strongest_tags(result)] == ["beat", "piano"]
    assert TAG_THRESHOLDS["drums"] > 0.2
    seen = understand(figures(onset_density=3.0), result, hidden=frozenset({"piano"}))
    assert [name for name, _ in seen.tags] == ["beat"]


def test_rhythm_tags_need_a_steady_beat():
    seen = understand(figures(tempo_bpm=0.0, tempo_alternative_bpm=0.0, beat_times=()),
                      tags(drums=0.8, piano=0.5))
    assert [name for name, _ in seen.tags] == ["piano"]
    assert any(name == "drums" and "steady beat" in why for name, why in seen.left_out)


PAIRS = {
    "tempo": (r"\b(slow|relaxed|calm|mellow|chilled)\b", r"\b(fast|very fast|driving|upbeat)\b"),
    "level": (r"\b(" + "|".join(sorted(QUIET_WORDS)) + r")\b",
              r"\b(" + "|".join(sorted(LOUD_WORDS)) + r")\b"),
}


def contradictions(sentence: str) -> list[str]:
    return [what for what, (one, other) in PAIRS.items()
            if re.search(one, sentence) and re.search(other, sentence)]


@pytest.mark.parametrize("bpm", [0.0, 60.0, 80.0, 100.0, 128.0, 150.0, 175.0])
@pytest.mark.parametrize("lufs", [-35.0, -24.0, -16.0, -11.0, -6.0])
def test_no_description_of_these_figures_contradicts_itself_whatever_the_tags(bpm, lufs):
    for probabilities in ({"slow": 0.9, "loud": 0.9}, {"fast": 0.9, "quiet": 0.9, "soft": 0.8},
                          {"slow": 0.5, "fast": 0.5, "loud": 0.5, "quiet": 0.5}):
        a = figures(tempo_bpm=bpm, tempo_alternative_bpm=bpm / 2, loudness_lufs=lufs)
        seen = understand(a, tags(**probabilities))
        sentence = describe(seen.analysis, [name for name, _ in seen.tags])
        assert not contradictions(sentence), sentence
        raw = describe(a, list(probabilities))  # even handed the raw tags
        assert not contradictions(raw), raw


def test_the_artist_can_double_or_halve_the_tempo_and_the_beat_grid_follows():
    from albumstudio.core.description import describe

    a = figures()
    doubled = understand(a, None, tempo_bpm=272.0).analysis
    assert doubled.tempo_bpm == 272.0 and doubled.tempo_alternative_bpm == 136.0
    assert len(doubled.beat_times) == 2 * len(a.beat_times) - 1
    assert doubled.tempo_reason.startswith("you set it")
    halved = understand(a, tags(fast=0.9), tempo_bpm=68.0).analysis  # wins over the tags
    assert halved.tempo_bpm == 68.0 and halved.beat_times == a.beat_times[::2]
    words = describe(halved, [])
    assert "68 BPM" in words and "136" not in words


def test_a_tapped_tempo_off_the_grid_keeps_the_beats_found():
    a = figures()
    tapped = understand(a, None, tempo_bpm=97.3).analysis
    assert tapped.tempo_bpm == 97.3 and tapped.beat_times == a.beat_times
    assert "the beats said 136 BPM" in tapped.tempo_reason
    silent = understand(figures(tempo_bpm=0.0, tempo_alternative_bpm=0.0, beat_times=()), None,
                        tempo_bpm=90.0).analysis
    assert silent.tempo_bpm == 90.0 and "no steady tempo" in silent.tempo_reason


@pytest.mark.parametrize(("bpm", "low", "high", "expected"), [
    (136.0, 70.0, 140.0, 136.0), (136.0, 60.0, 120.0, 68.0), (68.0, 80.0, 160.0, 136.0),
    (45.0, 100.0, 200.0, 180.0), (190.0, 70.0, 140.0, 95.0)])
def test_a_preferred_range_folds_the_tempo_by_octaves(bpm, low, high, expected):
    a = figures(tempo_bpm=bpm, tempo_alternative_bpm=bpm / 2,
                beat_times=tuple(i * 60 / bpm for i in range(40)))
    seen = understand(a, None, bpm_range=(low, high)).analysis
    assert seen.tempo_bpm == pytest.approx(expected)
    assert low <= seen.tempo_bpm <= high
    if expected != bpm:
        assert seen.tempo_alternative_bpm == pytest.approx(bpm)
        assert f"preferred range {low:.0f}–{high:.0f}" in seen.tempo_reason
        assert len(seen.beat_times) == pytest.approx(len(a.beat_times) * expected / bpm, abs=4)
