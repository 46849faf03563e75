import numpy as np
import pytest
from PIL import Image

from albumstudio.core.cover import CropBox
from albumstudio.core.errors import InputError
from albumstudio.vision.ade20k import ADE20K_PALETTE, colorize
from albumstudio.vision.crop import apply_crop, clamp_crop, default_crop
from albumstudio.vision.edges import canny_map
from albumstudio.vision.palette import colour_name, dominant_palette, look_at


def test_crops():
    assert default_crop(400, 300) == CropBox(50, 0, 300)
    assert default_crop(300, 500) == CropBox(0, 100, 300)
    assert clamp_crop(CropBox(-20, 250, 1000), 400, 300) == CropBox(0, 0, 300)
    assert clamp_crop(CropBox(390, 10, 2), 400, 300) == CropBox(384, 10, 16)
    arr = np.zeros((300, 400, 3), np.uint8)
    arr[:, 200:] = 255
    out = apply_crop(Image.fromarray(arr), CropBox(200, 0, 200), 64)
    assert out.size == (64, 64) and np.asarray(out)[:, 4:].min() == 255


def test_canny_outlines_a_square_only_on_its_border():
    arr = np.zeros((64, 64), np.uint8)
    arr[16:48, 16:48] = 255
    edges = np.asarray(canny_map(Image.fromarray(arr).convert("RGB")))
    assert edges.shape == (64, 64, 3) and set(np.unique(edges)) <= {0, 255}
    on = edges[:, :, 0] > 0
    assert on[16:48, 15:18].any() and not on[24:40, 24:40].any() and not on[:8, :8].any()
    with pytest.raises(InputError):
        canny_map(Image.fromarray(arr), 200, 100)


def test_palette_finds_the_two_colours_and_their_shares():
    arr = np.zeros((90, 90, 3), np.uint8)
    arr[:, :60] = (20, 120, 200)
    arr[:, 60:] = (240, 200, 30)
    palette = dominant_palette(Image.fromarray(arr), k=5, seed=0)
    assert palette == dominant_palette(Image.fromarray(arr), k=5, seed=0)
    assert palette[0][0] == "#1478c8" and abs(palette[0][1] - 2 / 3) < 0.03
    assert palette[1][0] == "#f0c81e" and abs(palette[1][1] - 1 / 3) < 0.03


def test_look_words_follow_the_figures():
    dark = look_at(Image.new("RGB", (64, 64), (15, 20, 60)))
    bright = look_at(Image.new("RGB", (64, 64), (240, 240, 235)))
    grey = look_at(Image.new("RGB", (64, 64), (128, 128, 128)))
    assert dark.brightness_word == "dark" and "navy" in dark.describe() or "deep blue" in dark.describe()
    assert bright.brightness_word in ("bright", "luminous")
    assert grey.saturation_word == "monochrome" and "tones" not in grey.describe()
    assert [p for p, _ in dark.parts()][0] == "dark"
    assert colour_name("#b7410e") == "rust"


def test_ade20k_colours():
    labels = np.array([[0, 1], [149, 3]])
    out = np.asarray(colorize(labels))
    assert ADE20K_PALETTE.shape == (150, 3)
    assert tuple(out[0, 0]) == (120, 120, 120) and tuple(out[1, 0]) == (92, 0, 255)
