"""The headless command line: real subprocesses, exit codes, one-sentence errors."""

import json
import os
import subprocess
import sys

import pytest

from tests.support import synth


def run_cli(*args, env_home=None, timeout=180):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if env_home:
        env["ALBUMSTUDIO_HOME"] = str(env_home)
    return subprocess.run([sys.executable, "-m", "albumstudio", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_analyze_json(tmp_path, data_home):
    track = synth.write(tmp_path / "beat.wav", synth.music(8.0, sr=22050, bpm=120), 22050)
    result = run_cli("analyze", track, "--json", env_home=data_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    analysis = report["analysis"]
    assert analysis["duration"] == pytest.approx(8.0, abs=0.05)
    assert analysis["key"] in {"A", "C"} and analysis["mode"] in {"major", "minor"}
    assert "BPM" in report["description"]
    assert report["sample_rate"] == 22050 and report["channels"] == 2
    tags = report["music_tags"]
    assert tags["model"] == "MTT_musicnn" and len(tags["tag_names"]) == 50
    assert len(tags["taggram"]) == 2 and len(tags["top"]) == 10  # 8 s: two 3-second patches
    probabilities = [t["probability"] for t in tags["top"]]
    assert probabilities == sorted(probabilities, reverse=True)
    # the second run comes from the cache and says the same
    again = json.loads(run_cli("analyze", track, "--json", env_home=data_home).stdout)
    assert again["analysis"] == analysis


def test_analyze_with_the_msd_tagger(tmp_path, data_home):
    track = synth.write(tmp_path / "beat.wav", synth.music(4.0, sr=22050, bpm=100), 22050)
    result = run_cli("analyze", track, "--json", "--tag-model", "MSD_musicnn", env_home=data_home)
    assert result.returncode == 0, result.stderr
    tags = json.loads(result.stdout)["music_tags"]
    assert tags["model"] == "MSD_musicnn" and "rock" in tags["tag_names"]


def test_analyze_silence_is_valid_json(tmp_path, data_home):
    track = synth.write(tmp_path / "quiet.wav", synth.tone(2.0, amp=0.0, channels=1), 44100)
    result = run_cli("analyze", track, "--json", env_home=data_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["analysis"]["loudness_lufs"] is None


@pytest.mark.parametrize("make", ["empty", "text", "missing", "folder"])
def test_bad_input_exits_2_with_one_sentence(tmp_path, data_home, make):
    target = tmp_path / "bad.wav"
    if make == "empty":
        target.write_bytes(b"")
    elif make == "text":
        target.write_text("this is not audio\n" * 50)
    elif make == "folder":
        target = tmp_path
    result = run_cli("analyze", target, env_home=data_home)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("albumstudio: error: ")
    assert "Traceback" not in result.stderr and lines[0].endswith(".")


def test_exit_after_paint_reports_and_loads_no_heavy_module(data_home):
    result = run_cli("--exit-after-paint", env_home=data_home, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["seconds_to_first_paint"] > 0
    assert report["heavy_modules_loaded"] == []


def test_unknown_command_exits_2():
    result = run_cli("paint-my-cover")
    assert result.returncode == 2


def test_truncated_mp3_is_analysed_with_a_warning(tmp_path, data_home):
    import soundfile as sf

    full = tmp_path / "full.mp3"
    sf.write(str(full), synth.tone(10.0, sr=44100, channels=2), 44100, format="MP3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    result = run_cli("analyze", cut, "--json", env_home=data_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["analysis"]["duration"] < 7.0
    assert any("shorter than its header claims" in w for w in report["warnings"])
    assert "albumstudio: warning:" in result.stderr


def test_corrupt_wav_header_exits_2(tmp_path, data_home):
    good = synth.write(tmp_path / "good.wav", synth.tone(1.0, channels=1), 44100)
    data = bytearray(good.read_bytes())
    data[8:16] = b"XXXXXXXX"  # breaks 'WAVEfmt '
    bad = tmp_path / "broken.wav"
    bad.write_bytes(bytes(data))
    result = run_cli("analyze", bad, env_home=data_home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "broken.wav" in result.stderr


def test_odd_names_and_formats_work(tmp_path, data_home):
    odd = os.path.join(os.fsencode(tmp_path), b"caf\xe9 " + b"x" * 200 + b".wav")
    plain = synth.write(tmp_path / "plain.wav", synth.tone(2.0, sr=96000, channels=8), 96000)
    os.rename(plain, odd)
    result = run_cli("analyze", os.fsdecode(odd), "--json", env_home=data_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["channels"] == 8 and report["sample_rate"] == 96000
    assert "\ufffd" in report["file"]


def test_the_entry_point_returns_mains_code_and_leaves_the_heap_to_the_exit(tmp_path,
                                                                             data_home):
    """``entry`` (the scripts, ``-m``, the bundle) freezes the heap after ``main`` so the
    interpreter's finalisation does not collect it; the code and the output are main's."""
    code = ("import gc, sys\n"
            "from albumstudio.cli import entry\n"
            "code = entry(sys.argv[1:])\n"
            "print(code, gc.get_freeze_count() > 1000)\n")
    env = dict(os.environ, ALBUMSTUDIO_HOME=str(data_home))
    missing = subprocess.run([sys.executable, "-c", code, "analyze", str(tmp_path / "no.wav")],
                             env=env, capture_output=True, text=True, timeout=120)
    assert missing.stdout.split() == ["2", "True"]
    assert missing.stderr.startswith("albumstudio: error:")
    track = synth.write(tmp_path / "beat.wav", synth.music(4.0, sr=22050, bpm=120), 22050)
    done = run_cli("analyze", track, "--json", env_home=data_home)
    assert done.returncode == 0 and json.loads(done.stdout)["analysis"]["duration"] > 3.9
