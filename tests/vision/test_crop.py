import numpy as np
import pytest
from PIL import Image

from albumstudio.core.cover import CropBox
from albumstudio.vision.crop import MIN_CROP, apply_crop, clamp_crop, default_crop


def test_default_crop_is_the_largest_centred_square():
    assert default_crop(400, 300) == CropBox(50, 0, 300)
    assert default_crop(300, 500) == CropBox(0, 100, 300)
    assert default_crop(301, 300) == CropBox(0, 0, 300)
    assert default_crop(256, 256) == CropBox(0, 0, 256)


@pytest.mark.parametrize(("crop", "expected"), [
    (CropBox(-20, 250, 1000), CropBox(0, 0, 300)),  # too big: the short side
    (CropBox(390, 10, 2), CropBox(400 - MIN_CROP, 10, MIN_CROP)),  # too small, off the edge
    (CropBox(120, -5, 100), CropBox(120, 0, 100)),
    (CropBox(350, 280, 100), CropBox(300, 200, 100)),
    (CropBox(10, 20, 30), CropBox(10, 20, 30)),  # already inside: unchanged
])
def test_clamp_keeps_the_crop_inside(crop, expected):
    assert clamp_crop(crop, 400, 300) == expected


def test_clamp_on_a_picture_smaller_than_the_minimum():
    assert clamp_crop(CropBox(3, 3, 50), 10, 12) == CropBox(0, 2, 10)


def test_apply_crop_cuts_the_right_square_and_resizes():
    pixels = np.zeros((300, 400, 3), np.uint8)
    pixels[:, 200:] = 255
    img = Image.fromarray(pixels)
    right = apply_crop(img, CropBox(200, 0, 200), 64)
    assert right.size == (64, 64) and np.asarray(right).min() == 255
    centred = np.asarray(apply_crop(img, None, 60)).astype(int)  # columns 50..350 of the image
    assert centred[:, :25].max() == 0 and centred[:, 35:].min() == 255
    assert apply_crop(img, CropBox(0, 0, 300), 300).size == (300, 300)


def test_apply_crop_shrinks_big_inputs_without_aliasing():
    stripes = np.zeros((1200, 1200, 3), np.uint8)
    stripes[:, ::2] = 255
    out = np.asarray(apply_crop(Image.fromarray(stripes), None, 100)).astype(int)
    assert out.shape == (100, 100, 3) and abs(out.mean() - 127.5) < 3 and out.std() < 5


def test_apply_crop_clamps_an_outside_crop_and_rejects_size_zero():
    img = Image.new("RGB", (100, 80), (5, 6, 7))
    assert apply_crop(img, CropBox(90, 90, 500), 32).size == (32, 32)
    with pytest.raises(ValueError):
        apply_crop(img, None, 0)
