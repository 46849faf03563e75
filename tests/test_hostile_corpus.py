"""The hostile-input corpus of #11, made by the test and run through the real command line in
child processes capped at 3 GB of address space: a blow-up fails the test, not the machine.

Each file must end in exit 0 (used) or exit 2 with one sentence on stderr; never a crash, a
traceback or "please report it", and nothing written where it should not be."""

from __future__ import annotations

import json
import os
import struct
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support.limits import run_limited
from tests.support.synth import music, write

LIMIT = 3 << 30
CLI = "import sys; from albumstudio.cli import main; sys.exit(main(sys.argv[1:]))"


def lying_wav(path: Path, rate: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x01" * 220_000)  # 441 KB of samples
    return path


def many_channels(path: Path) -> Path:
    """A WAV header declaring 200 channels (libsndfile opens up to 1024) over a few bytes."""
    data = b"\x00" * 8192
    fmt = struct.pack("<HHIIHH", 1, 200, 44100, 44100 * 200 * 2, 200 * 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" \
        + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def grey16(path: Path, side: int) -> Path:
    values = np.zeros((side, side), np.uint16)
    values[::5] = 50000
    Image.fromarray(values).save(path, compress_level=1)
    return path


def sparse_safetensors(path: Path) -> Path:
    declared = 4_000_000_000
    with path.open("wb") as handle:
        handle.write(declared.to_bytes(8, "little"))
        handle.truncate(8 + declared + 16)
    return path


def cut_flac(path: Path) -> Path:
    whole = write(path.with_name("whole.flac"), music(8.0, 44100), 44100).read_bytes()
    path.write_bytes(whole[: len(whole) // 3])
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    return {
        "wav-1hz": lying_wav(root / "one-hertz.wav", 1),
        "wav-8hz": lying_wav(root / "eight-hertz.wav", 8),
        "wav-200ch": many_channels(root / "channels.wav"),
        "grey16": grey16(root / "scan16.png", 7000),
        "lora-4gb-header": sparse_safetensors(root / "style.safetensors"),
        "cut-flac": cut_flac(root / "cut.flac"),
        "good": write(root / "good.wav", music(4.0, 22050), 22050),
        "fifo": None,
    }


def run_cli(home: Path, *args: str):
    env_home = os.environ.get("ALBUMSTUDIO_HOME")
    os.environ["ALBUMSTUDIO_HOME"] = str(home)
    try:
        return run_limited(CLI, LIMIT, *args, timeout=180)
    finally:
        if env_home is None:
            os.environ.pop("ALBUMSTUDIO_HOME", None)
        else:
            os.environ["ALBUMSTUDIO_HOME"] = env_home


def one_sentence_error(done) -> str:
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, err[-800:])
    lines = [line for line in err.splitlines() if not line.startswith("albumstudio: warning:")]
    assert len(lines) == 1 and lines[0].startswith("albumstudio: error: "), err[-800:]
    assert "Traceback" not in err and "please report it" not in err
    return lines[0]


@pytest.mark.parametrize(("case", "words"), [
    ("wav-1hz", "declares a sample rate of 1 Hz"),
    ("wav-8hz", "declares a sample rate of 8 Hz"),
    ("wav-200ch", "declares 200 channels"),
])
def test_lying_audio_headers_are_refused_in_one_sentence_under_the_memory_cap(
        corpus, tmp_path, case, words):
    done = run_cli(tmp_path / "home", "analyze", str(corpus[case]))
    assert words in one_sentence_error(done)


def test_a_cut_short_flac_is_analysed_with_a_warning_under_the_memory_cap(corpus, tmp_path):
    done = run_cli(tmp_path / "home", "analyze", "--json", str(corpus["cut-flac"]))
    assert done.returncode == 0, done.stderr[-800:]
    report = json.loads(done.stdout)
    assert 1.0 < report["analysis"]["duration"] < 3.0  # a third of 8 s, less a block or two
    assert "shorter than its header claims" in done.stderr


def test_a_large_16_bit_picture_makes_a_cover_under_the_memory_cap(corpus, tmp_path):
    out = tmp_path / "cover.png"
    done = run_cli(tmp_path / "home", "cover", str(corpus["good"]), "--image",
                   str(corpus["grey16"]), "--size", "512", "--no-history", "--out", str(out))
    assert done.returncode == 0, done.stderr[-800:]
    with Image.open(out) as made:
        assert made.size == (512, 512)


def test_a_lora_declaring_a_4_gb_header_is_refused_under_the_memory_cap(corpus, tmp_path):
    out = tmp_path / "cover.png"
    code = ("import sys\nfrom albumstudio.engines.models import resolve_lora\n"
            "from albumstudio.core.errors import UserFacingError\n"
            "try:\n    resolve_lora(sys.argv[1], 'your LoRA')\n"
            "except UserFacingError as exc:\n    print(exc.message); sys.exit(2)\n")
    done = run_limited(code, LIMIT, str(corpus["lora-4gb-header"]))
    assert done.returncode == 2 and "incomplete or damaged" in done.stdout, done.stderr[-800:]
    assert not out.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="FIFOs and /dev/zero as tracks: Linux")
@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_special_files_as_tracks_are_refused_without_hanging(tmp_path, target):
    path = tmp_path / "pipe.wav"
    if target == "fifo":
        os.mkfifo(path)
    else:
        path = Path(target)
    done = run_cli(tmp_path / "home", "analyze", str(path))
    one_sentence_error(done)


def test_nested_settings_and_garbage_caches_do_not_stop_the_window(tmp_path):
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / "data" / "settings.json").write_text("[" * 200_000 + "]" * 200_000)
    env = {"QT_QPA_PLATFORM": "offscreen"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        done = run_cli(home, "--exit-after-paint")
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert done.returncode == 0, done.stderr[-800:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["seconds_to_first_paint"] > 0
    assert (home / "data" / "settings.damaged.json").exists()
