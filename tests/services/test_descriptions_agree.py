"""No description of synthesized or fixture tracks holds contradicting tempo or energy words."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from albumstudio.audio.analysis import analyze_stream
from albumstudio.core.description import describe
from albumstudio.core.tagging import TagResult
from albumstudio.core.understanding import understand
from tests.core.test_understanding import contradictions, tags
from tests.support.synth import tempo_cases, tempo_piece

ROOT = Path(__file__).resolve().parents[2]


def _reference():
    spec = importlib.util.spec_from_file_location("musicnn_reference",
                                                  ROOT / "tools" / "musicnn_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fixture_clips_with_their_reference_tags_read_consistently():
    fixture = json.loads((ROOT / "tests" / "fixtures" / "musicnn_reference.json").read_text())
    ref = _reference()
    names = tuple(json.loads((ROOT / "resources" / "musicnn" / "tags.json").read_text())
                  ["MTT_musicnn"])
    for name, entry in fixture["clips"].items():
        audio = ref.synthesize(entry["recipe"])
        taggram = entry["taggrams"]["MTT_musicnn"]
        result = TagResult("MTT_musicnn", names, 3.0, tuple(tuple(r) for r in taggram))
        seen = understand(analyze_stream([audio[:, None]], 16000, 1), result)
        sentence = describe(seen.analysis, [n for n, _ in seen.tags])
        assert not contradictions(sentence), (name, sentence)


@pytest.mark.parametrize(("texture", "bpm"), tempo_cases()[::3])
def test_synthesized_tracks_read_consistently_with_any_tempo_or_level_tags(texture, bpm):
    samples, _ = tempo_piece(texture, bpm, 20.0, 22050, seed=int(bpm))
    a = analyze_stream([samples[:, None]], 22050, 1)
    for probabilities in ({"slow": 0.7, "quiet": 0.6}, {"fast": 0.7, "loud": 0.6, "drums": 0.5}):
        seen = understand(a, tags(**probabilities))
        sentence = describe(seen.analysis, [n for n, _ in seen.tags])
        assert not contradictions(sentence), sentence
