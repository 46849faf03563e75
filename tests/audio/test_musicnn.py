"""The PyTorch musicnn port against the original TF musicnn's taggrams (tests/fixtures)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from albumstudio.audio import tagger
from albumstudio.core.errors import CancelledError
from albumstudio.core.tagging import TagResult

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "musicnn_reference.json").read_text())
TOLERANCE = 1e-3

# /work/shared/REFERENCES.md, section UPC: musicnn's MTT tags
MTT_TAGS = (
    "guitar, classical, slow, techno, strings, drums, electronic, rock, fast, piano, ambient, "
    "beat, violin, vocal, synth, female, indian, opera, male, singing, vocals, no vocals, "
    "harpsichord, loud, quiet, flute, woman, male vocal, no vocal, pop, soft, sitar, solo, man, "
    "classic, choir, voice, new age, dance, male voice, female vocal, beats, harp, cello, "
    "no voice, weird, country, metal, female voice, choral"
).split(", ")


def _reference_module():
    spec = importlib.util.spec_from_file_location("musicnn_reference",
                                                  ROOT / "tools" / "musicnn_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REF = _reference_module()


def _clip(name: str) -> np.ndarray:
    return REF.synthesize(FIXTURE["clips"][name]["recipe"])


def test_clips_resynthesize_as_recorded():
    for name, entry in FIXTURE["clips"].items():
        audio = _clip(name)
        assert audio.size == entry["samples"]
        assert np.sqrt(np.mean(audio.astype(np.float64) ** 2)) == pytest.approx(entry["rms"],
                                                                                rel=1e-5)


def test_log_mel_matches_the_original_pipeline():
    from albumstudio.audio import musicnn

    for name, entry in FIXTURE["clips"].items():
        rep = musicnn.log_mel(_clip(name))
        assert rep.dtype == np.float32 and rep.shape == (entry["frames"], 96)
        band_mean = rep.astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(band_mean, entry["logmel_band_mean"], atol=2e-5)


@pytest.mark.parametrize("model", tagger.MODELS)
def test_taggrams_match_the_original(model):
    for name, entry in FIXTURE["clips"].items():
        expected = np.array(entry["taggrams"][model])
        result = tagger.tag_samples(_clip(name), model)
        got = np.array(result.taggram)
        assert got.shape == expected.shape, name
        worst = np.abs(got - expected).max()
        assert worst <= TOLERANCE, f"{model} {name}: max abs difference {worst:.2e}"


def test_short_clip_is_repeat_padded_to_one_patch():
    from albumstudio.audio import musicnn

    entry = FIXTURE["clips"]["short_chords"]
    assert entry["padded"] and entry["frames"] < musicnn.N_FRAMES
    rep = musicnn.log_mel(_clip("short_chords"))
    batch = musicnn.patches(rep)
    assert batch.shape == (1, musicnn.N_FRAMES, 96)
    n = rep.shape[0]
    np.testing.assert_array_equal(batch[0, :n], rep.astype(np.float32))
    np.testing.assert_array_equal(batch[0, n:], rep[: musicnn.N_FRAMES - n].astype(np.float32))
    assert len(tagger.tag_samples(_clip("short_chords")).taggram) == 1


def test_patches_do_not_overlap_and_drop_the_tail():
    from albumstudio.audio import musicnn

    rep = np.arange(600 * 96, dtype=np.float32).reshape(600, 96)
    batch = musicnn.patches(rep)
    assert batch.shape == (3, 187, 96)
    np.testing.assert_array_equal(batch[1], rep[187:374])


def test_top_tags_are_stable():
    audio = _clip("beat_chords")
    first = tagger.tag_samples(audio).top(5)
    second = tagger.tag_samples(audio).top(5)
    assert [t for t, _ in first] == [t for t, _ in second]
    assert len(first) == 5


@pytest.mark.parametrize("model", tagger.MODELS)
@pytest.mark.parametrize("samples", [np.zeros(16000 * 4), np.zeros(8000),
                                     0.3 * np.sin(np.arange(8000) / 5.0), np.zeros(0)],
                         ids=["silence_4s", "silence_0.5s", "tone_0.5s", "empty"])
def test_silence_and_very_short_give_one_valid_row(model, samples):
    result = tagger.tag_samples(samples.astype(np.float32), model)
    assert len(result.taggram) == 1 and len(result.taggram[0]) == 50
    assert all(0.0 <= p <= 1.0 and np.isfinite(p) for p in result.taggram[0])


def test_loud_input_never_gives_nan():
    t = np.arange(16000 * 4) / 16000
    loud = np.clip(3 * np.sin(2 * np.pi * 110 * t), -1, 1).astype(np.float32)
    taggram = np.array(tagger.tag_samples(loud).taggram)
    assert np.isfinite(taggram).all() and taggram.shape == (1, 50)


def test_cancel_stops_between_batches():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        tagger.tag_samples(np.zeros(16000 * 10, dtype=np.float32), cancel=cancel)


class _DictCache:
    def __init__(self) -> None:
        self.data: dict[str, dict] = {}

    def get_json(self, key: str) -> dict | None:
        return self.data.get(key)

    def put_json(self, key: str, value: dict) -> None:
        self.data[key] = json.loads(json.dumps(value))


def test_tag_file_decodes_and_caches(tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, _clip("beat_chords")[: 16000 * 4], 16000, subtype="FLOAT")
    cache = _DictCache()
    seen: list[float] = []
    first = tagger.tag_file(str(path), cache=cache, content_hash="ab12",
                            progress=lambda f, _w: seen.append(f))
    assert len(first.taggram) == 1 and seen and seen[-1] == pytest.approx(1.0)
    assert TagResult.from_dict(cache.data["ab12"]) == first
    path.unlink()  # a hit never touches the file
    assert tagger.tag_file(str(path), cache=cache, content_hash="ab12") == first


def test_tag_file_ignores_another_models_entry(tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, np.zeros(8000, dtype=np.float32), 16000)
    cache = _DictCache()
    mtt = tagger.tag_file(str(path), "MTT_musicnn", cache=cache, content_hash="cd34")
    msd = tagger.tag_file(str(path), "MSD_musicnn", cache=cache, content_hash="cd34")
    assert msd.model == "MSD_musicnn" and msd.tag_names != mtt.tag_names


def test_a_tag_cache_entry_of_the_wrong_shape_is_recomputed_and_replaced(tmp_path):
    """#11: every cache entry is checked against its schema when read."""
    path = tmp_path / "clip.wav"
    sf.write(path, np.zeros(8000, dtype=np.float32), 16000)
    cache = _DictCache()
    good = tagger.tag_file(str(path), cache=cache, content_hash="ef56")
    for bad in ({**cache.data["ef56"], "taggram": "loud"},
                {**cache.data["ef56"], "taggram": [[0.1, 0.2]]},
                {**cache.data["ef56"], "segment_s": None}):
        cache.data["ef56"] = bad
        assert not tagger.is_cached("ef56", good.model, cache)
        assert tagger.tag_file(str(path), cache=cache, content_hash="ef56") == good
        assert TagResult.from_dict(cache.data["ef56"]) == good  # the bad entry is replaced
        assert tagger.is_cached("ef56", good.model, cache)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError):
        tagger.tag_samples(np.zeros(100, dtype=np.float32), "MTT_vgg")


def test_tag_names():
    assert list(tagger.tag_names("MTT_musicnn")) == MTT_TAGS
    msd = tagger.tag_names("MSD_musicnn")
    assert len(msd) == 50 and msd[:3] == ("rock", "pop", "alternative")
    assert tagger.DEFAULT_MODEL == "MTT_musicnn"
    result = tagger.tag_samples(np.zeros(100, dtype=np.float32))
    assert list(result.tag_names) == MTT_TAGS and result.segment_s == 3.0


def test_shipped_files():
    folder = ROOT / "resources" / "musicnn"
    for model in tagger.MODELS:
        assert (folder / f"{model}.safetensors").stat().st_size < 4_000_000
    licence = (folder / "LICENSE-musicnn.txt").read_text()
    assert "Permission to use, copy, modify, and/or distribute" in licence
    assert "Universitat Pompeu Fabra" in licence


# the one place a pickled checkpoint is read: LP-MusicCaps' published weights, once, with
# torch's weights-only unpickler, then kept as safetensors (#18)
CHECKPOINT_READER = "albumstudio/engines/lp_musiccaps_weights.py"


def test_no_pickle_anywhere_in_the_app():
    pattern = re.compile(r"\btorch\.load\b|\bimport pickle\b|\bfrom pickle\b|\bpickle\.|"
                         r"\bcPickle\b|weights_only\s*=\s*False|\bjoblib\b")
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "albumstudio").rglob("*.py"))
        if str(p.relative_to(ROOT)) != CHECKPOINT_READER
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders


def test_the_one_checkpoint_reader_uses_only_the_weights_only_unpickler():
    import ast

    tree = ast.parse((ROOT / CHECKPOINT_READER).read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)]
    loads = [c for c in calls if (c.func.value.id, c.func.attr) == ("torch", "load")]
    assert len(loads) == 1
    assert any(k.arg == "weights_only" and isinstance(k.value, ast.Constant)
               and k.value.value is True for k in loads[0].keywords)
    assert not [c for c in calls if c.func.value.id == "pickle"]  # only its exception class


def test_importing_the_tagger_does_not_import_torch():
    code = ("import sys, albumstudio.audio.tagger as t; t.tag_names(); "
            "sys.exit(int('torch' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0
