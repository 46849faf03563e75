import cv2
import numpy as np
import pytest
from PIL import Image

from albumstudio.core.errors import InputError
from albumstudio.vision.edges import canny_map


def square_on_black() -> Image.Image:
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[16:48, 16:48] = 255
    return Image.fromarray(pixels)


def test_a_white_square_gives_edges_on_its_border_only():
    edges = np.asarray(canny_map(square_on_black()))
    assert edges.shape == (64, 64, 3) and edges.dtype == np.uint8
    assert set(np.unique(edges)) == {0, 255}
    assert (edges[..., 0] == edges[..., 1]).all() and (edges[..., 0] == edges[..., 2]).all()
    on = edges[..., 0] > 0
    ys, xs = np.nonzero(on)
    assert ys.min() >= 14 and ys.max() <= 49 and xs.min() >= 14 and xs.max() <= 49
    assert not on[20:44, 20:44].any()
    assert on[16:48, 15:17].any(axis=1).all() and on[15:17, 16:48].any(axis=0).all()


def test_matches_cv2_canny_on_the_rgb_pixels_like_the_controlnet_annotator():
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (48, 80, 3), dtype=np.uint8)
    out = np.asarray(canny_map(Image.fromarray(pixels), 50, 150))[..., 0]
    assert out.shape == (48, 80) and np.array_equal(out, cv2.Canny(pixels, 50, 150))


def test_colour_edges_of_equal_brightness_still_show():
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, :32] = (255, 0, 0)
    pixels[:, 32:] = (0, 130, 0)  # about the same grey as the red
    img = Image.fromarray(pixels)
    grey = np.asarray(img.convert("L")).astype(int)
    assert abs(grey[0, 0] - grey[0, 63]) <= 2
    assert np.asarray(canny_map(img))[:, 30:34, 0].any(axis=1).all()


def test_thresholds_change_what_counts_as_an_edge():
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, 32:] = 40  # a faint step
    img = Image.fromarray(pixels)
    assert np.asarray(canny_map(img, 10, 30)).any()
    assert not np.asarray(canny_map(img, 300, 900)).any()


def test_grey_and_rgba_inputs_work():
    assert canny_map(square_on_black().convert("L")).mode == "RGB"
    assert canny_map(square_on_black().convert("RGBA")).size == (64, 64)


@pytest.mark.parametrize(("low", "high"), [(200, 100), (100, 100), (-1, 50), (10, 1001),
                                           ("a", 10)])
def test_bad_thresholds_are_refused_in_one_sentence(low, high):
    with pytest.raises(InputError) as caught:
        canny_map(square_on_black(), low, high)
    message = caught.value.message
    assert message.endswith(".") and ". " not in message and "1000" in message
