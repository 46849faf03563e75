"""``albumstudio music``: picture or track → MusicGen clip, headless (#16)."""

from __future__ import annotations

import json

import pytest
import soundfile
from PIL import Image

from albumstudio.cli import main
from tests.support.tiny_musicgen import pickle_only_copy


@pytest.fixture
def picture(tmp_path) -> str:
    path = tmp_path / "night.png"
    Image.new("RGB", (64, 64), (15, 25, 80)).save(path)
    return str(path)


@pytest.fixture(autouse=True)
def empty_hub_cache(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Tiny models run fastest on one thread (see tests/conftest.py)."""


def test_picture_to_music_says_the_licence_once_and_keeps_the_clip(tiny_musicgen, picture,
                                                                   tmp_path, capsys):
    out = tmp_path / "night.wav"
    args = ["music", "--image", picture, "--seconds", "1.5", "--seed", "3", "--model",
            tiny_musicgen, "--device", "cpu", "--out", str(out), "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert "CC-BY-NC 4.0" in captured.err and "commercial" in captured.err
    assert report["duration_s"] == 1.5 and report["seed"] == 3 and report["history_entry"]
    assert "CC-BY-NC 4.0" in report["licence"]
    assert report["attributes"]["attributes"]["key"]["value"].endswith("minor")
    samples, rate = soundfile.read(out, always_2d=True)
    assert rate == 32000 and samples.shape == (48000, 1)
    assert main([*args[:-3], "--out", str(tmp_path / "again.flac")]) == 0
    captured = capsys.readouterr()
    assert "CC-BY-NC" in captured.err  # the record's licence line, every clip …
    assert "acknowledge" not in captured.err and "which does not allow" not in captured.err
    assert main(["history", "list", "--kind", "clip", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["engine"] for e in entries] == ["musicgen", "musicgen"]


def test_attributes_only_with_edits_needs_no_model(picture, capsys):
    assert main(["music", "--image", picture, "--attributes-only", "--json",
                 "--set", "tempo=96", "--set", "genre=dub techno"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["attributes"]["tempo"] == {"value": 96, "reason": "set by you"}
    assert report["prompt"].startswith("A dub techno instrumental track in") and "96 BPM" in \
        report["prompt"]


@pytest.mark.parametrize(("extra", "words"), [
    ([], "MusicGen (facebook/musicgen-small) is not installed"),
    (["--model", "{unsafe}"], "only unsafe pickle"),
    (["--seconds", "0.5", "--model", "{tiny}"], "1 to 120 seconds"),
    (["--set", "tempo", "--model", "{tiny}"], "ATTRIBUTE=VALUE"),
    (["--set", "tempo=900", "--model", "{tiny}"], "between 40 and 220"),
])
def test_bad_input_is_one_sentence_exit_2_nothing_written(tiny_musicgen, picture, tmp_path,
                                                          capsys, extra, words):
    unsafe = tmp_path / "unsafe"
    if not unsafe.exists():
        pickle_only_copy(tiny_musicgen, unsafe)
    out = tmp_path / "clip.wav"
    args = [a.format(unsafe=unsafe, tiny=tiny_musicgen) for a in extra]
    assert main(["music", "--image", picture, "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and list(tmp_path.glob("*.wav")) == []


def test_wrong_extension_and_existing_file(tiny_musicgen, picture, tmp_path, capsys):
    assert main(["music", "--image", picture, "--out", str(tmp_path / "clip.mp4")]) == 2
    assert "WAV, FLAC, MP3 or Ogg Opus" in capsys.readouterr().err
    existing = tmp_path / "mine.wav"
    existing.write_bytes(b"the artist's own file")
    assert main(["music", "--image", picture, "--model", tiny_musicgen, "--out",
                 str(existing)]) == 2
    assert existing.read_bytes() == b"the artist's own file"


def test_track_attributes_from_its_own_tempo(tmp_path, capsys):
    from tests.support.synth import music, write

    track = write(tmp_path / "song.wav", music(10.0, bpm=120.0), 22050)
    assert main(["music", "--track", str(track), "--attributes-only", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == "track" and "own tempo" in report["attributes"]["tempo"]["reason"]
    assert f"{report['attributes']['tempo']['value']} BPM" in report["prompt"]


def test_follow_the_tracks_melody(tmp_path, capsys, tiny_musicgen):
    from tests.support.synth import music, write
    from tests.support.tiny_musicgen import build_tiny_musicgen_melody

    melodic = build_tiny_musicgen_melody(tmp_path / "melody-model")
    track = write(tmp_path / "song.wav", music(6.0, bpm=100.0), 22050)
    out = tmp_path / "variation.wav"
    assert main(["music", "--track", str(track), "--follow-melody", "--model", str(melodic),
                 "--seconds", "1", "--device", "cpu", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["duration_s"] == 1.0 and soundfile.info(out).duration == pytest.approx(1.0)
    assert main(["music", "--track", str(track), "--follow-melody", "--model", tiny_musicgen,
                 "--out", str(tmp_path / "no.wav")]) == 2
    assert "needs MusicGen melody" in capsys.readouterr().err
    assert not (tmp_path / "no.wav").exists()
    picture = tmp_path / "p.png"
    Image.new("RGB", (8, 8)).save(picture)
    assert main(["music", "--image", str(picture), "--follow-melody", "--out",
                 str(tmp_path / "no.wav")]) == 2
    assert "--track" in capsys.readouterr().err
