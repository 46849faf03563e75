"""`albumstudio kit`: a fresh install makes the whole kit offline; bad input is one sentence."""

from __future__ import annotations

import json

import pytest

from tests.support import synth
from tests.test_cli import run_cli


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kit-track")
    return synth.write(folder / "song.flac", synth.music(6.0, sr=22050, bpm=120), 22050)


def test_a_fresh_install_makes_the_whole_kit_offline(tmp_path, track, data_home):
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("kit", track, "--title", "Night Drive", "--artist", "Luma", "--qr",
                     "https://example.com/nd", "--out", out, "--json", env_home=data_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    folder = out / "Luma - Night Drive"
    assert report["folder"] == str(folder) and report["profile"] == "generic"
    assert report["release"]["title"] == "Night Drive"
    names = sorted(f["path"] for f in report["files"])
    assert names == sorted(["cover.jpg", "cover.png", "poster-qr.png",
                            "clips/Luma - Night Drive (6 s).mp3", "Luma - Night Drive.flac"])
    assert all((folder / n).is_file() for n in names) and (folder / "release.json").is_file()
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("[")]
    assert lines[0] == "[1/7] reading the track" and lines[-1] == "[7/7] writing the folder"
    assert all(c["ok"] or c["severity"] == "warning" for c in report["checks"])
    again = run_cli("kit", track, "--title", "Night Drive", "--artist", "Luma", "--no-clip",
                    "--out", out, env_home=data_home)
    assert again.returncode == 0, again.stderr
    assert "Luma - Night Drive (2)" in again.stdout
    assert "pass  square: 3000×3000" in again.stderr


@pytest.mark.parametrize("args,sentence", [
    (["--profile", "tidal"], "There is no distributor profile 'tidal'"),
    (["--engine", "oil"], "There is no 'oil' cover engine for kits"),
    (["--engine", "diffusion"], "model"),
    (["--qr", ""], "The QR payload is empty"),
    (["--targets", "cover-jpeg,lyrics"], "There is no 'lyrics' export target"),
    (["--targets", "poster-qr"], "The 'poster-qr' export target needs a link"),
])
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, track, data_home, args, sentence):
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("kit", track, "--out", out, *args, env_home=data_home)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    error = [ln for ln in result.stderr.splitlines() if ln.startswith("albumstudio: error:")]
    assert len(error) == 1 and sentence in error[0]
    assert list(out.iterdir()) == []


def test_missing_track_and_missing_folder(tmp_path, track, data_home):
    result = run_cli("kit", tmp_path / "nope.wav", "--out", tmp_path, env_home=data_home)
    assert result.returncode == 2 and "does not exist" in result.stderr
    result = run_cli("kit", track, "--out", tmp_path / "nowhere", env_home=data_home)
    assert result.returncode == 2 and "does not exist; create it" in result.stderr


def test_a_failing_check_prints_the_checklist_and_writes_nothing(tmp_path, track, data_home):
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("kit", track, "--title", "www.luma.com", "--no-clip", "--out", out,
                     env_home=data_home)
    assert result.returncode == 2
    assert "FAIL  no URL or promotion in the words" in result.stderr
    assert "nothing was written" in result.stderr
    assert list(out.iterdir()) == []
