"""`albumstudio cover`: real subprocesses writing real files, and one sentence when it cannot."""

import numpy as np
import pytest
from PIL import Image

from tests.support import synth
from tests.support.tiny_sd import build_tiny_sd
from tests.test_cli import run_cli


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cover-track")
    return synth.write(folder / "song.wav", synth.music(6.0, sr=22050, bpm=128), 22050)


def photo(path):
    arr = np.zeros((300, 400, 3), np.uint8)
    arr[:, :, 1] = np.linspace(0, 255, 400, dtype=np.uint8)[None, :]
    arr[80:220, 120:280] = (250, 250, 250)
    Image.fromarray(arr).save(path)
    return path


def test_design_cover_with_a_photo_and_variants(tmp_path, track, data_home):
    out = tmp_path / "cover.png"
    result = run_cli("cover", track, "--image", photo(tmp_path / "p.png"), "--title", "Night Drive",
                     "--artist", "Luma", "--variants", "2", "--seed", "5", "--size", "1200",
                     "--out", out, env_home=data_home)
    assert result.returncode == 0, result.stderr
    first, second = Image.open(out), Image.open(tmp_path / "cover-2.png")
    assert first.size == (1200, 1200) and first.mode == "RGB" and second.size == (1200, 1200)
    assert np.asarray(first).tobytes() != np.asarray(second).tobytes()
    assert "seed 5" in result.stdout and "seed 6" in result.stdout


def test_default_design_cover_is_a_3000px_jpeg_when_asked(tmp_path, track, data_home):
    out = tmp_path / "cover.jpg"
    result = run_cli("cover", track, "--out", out, env_home=data_home)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as img:
        assert img.format == "JPEG" and img.size == (3000, 3000) and img.mode == "RGB"


def test_nothing_of_the_users_is_overwritten(tmp_path, track, data_home):
    out = tmp_path / "mine.png"
    out.write_bytes(b"my own artwork")
    result = run_cli("cover", track, "--out", out, env_home=data_home)
    assert result.returncode == 2
    assert "already exists" in result.stderr and result.stderr.count("\n") == 1
    assert out.read_bytes() == b"my own artwork"


@pytest.mark.parametrize("args, words", [
    (["--image", "{bad}"], "not an image"),
    (["--engine", "diffusion", "--model", "{missing}"], "not installed"),
    (["--canny", "1.0"], "need --engine diffusion"),
    (["--out-ext"], "needs a .png or .jpg name"),
])
def test_bad_input_exits_2_with_one_sentence(tmp_path, track, data_home, args, words):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image at all")
    out = str(tmp_path / "c.png")
    filled = [a.format(bad=bad, missing=tmp_path / "no-model") for a in args]
    if filled == ["--out-ext"]:
        filled, out = [], str(tmp_path / "c.gif")
    result = run_cli("cover", track, *filled, "--out", out, env_home=data_home)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("albumstudio: error")]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd"))


@pytest.mark.slow  # ~11 s on 2 cores: a subprocess that imports torch and diffusers
def test_diffusion_cover_from_a_local_pipeline_folder(tmp_path, track, data_home, tiny_sd):
    sd = tiny_sd
    out = tmp_path / "sd.png"
    result = run_cli("cover", track, "--engine", "diffusion", "--model", sd, "--steps", "2",
                     "--size", "256", "--seed", "3", "--out", out, env_home=data_home)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as img:
        assert img.size == (256, 256)
    assert "prompt:" in result.stderr
