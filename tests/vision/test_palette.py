import numpy as np
import pytest
from PIL import Image

from albumstudio.vision.palette import (
    NAMED_COLOURS,
    ImageLook,
    colour_name,
    dominant_palette,
    look_at,
)


def two_colours(width: int = 90, height: int = 90, split: int = 60) -> Image.Image:
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, :split] = (20, 120, 200)
    pixels[:, split:] = (240, 200, 30)
    return Image.fromarray(pixels)


def test_two_known_colours_with_shares_by_area():
    palette = dominant_palette(two_colours(), k=5, seed=0)
    assert [hex_colour for hex_colour, _ in palette] == ["#1478c8", "#f0c81e"]
    assert palette[0][1] == pytest.approx(2 / 3) and palette[1][1] == pytest.approx(1 / 3)


def test_big_image_is_read_from_a_thumbnail_with_shares_kept():
    palette = dominant_palette(two_colours(1000, 600, 750), k=4)
    assert palette[0][0] == "#1478c8" and palette[0][1] == pytest.approx(0.75, abs=0.02)
    assert palette[1][0] == "#f0c81e" and palette[1][1] == pytest.approx(0.25, abs=0.02)
    assert sum(share for _, share in palette) == pytest.approx(1.0)


def test_palette_is_deterministic_and_sorted():
    rng = np.random.default_rng(7)
    img = Image.fromarray(rng.integers(0, 256, (80, 80, 3), dtype=np.uint8))
    first = dominant_palette(img, k=5, seed=3)
    assert first == dominant_palette(img, k=5, seed=3)
    shares = [share for _, share in first]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1.0)
    assert 1 <= len(first) <= 5
    assert all(len(h) == 7 and h.startswith("#") for h, _ in first)


def test_flat_image_gives_one_colour_and_near_duplicates_merge():
    assert dominant_palette(Image.new("RGB", (64, 64), (12, 34, 56))) == [("#0c2238", 1.0)]
    pixels = np.full((64, 64, 3), 100, np.uint8)
    pixels[:, 32:] = 102  # a different value, the same colour to the eye
    palette = dominant_palette(Image.fromarray(pixels), k=5)
    assert len(palette) == 1 and palette[0][1] == 1.0


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        dominant_palette(two_colours(), k=0)


def test_colour_names_come_from_the_table():
    assert colour_name("#b7410e") == "rust" and colour_name("#008080") == "teal"
    assert colour_name("#0b1f5c") == "deep blue" and colour_name("#f3f0e8") == "off-white"
    assert colour_name("#000000") == "black" and colour_name("#fe0000") == "red"
    assert len(NAMED_COLOURS) >= 30


def test_words_for_dark_bright_vivid_and_grey_pictures():
    dark = look_at(Image.new("RGB", (64, 64), (10, 22, 70)))
    assert dark.brightness_word == "dark" and dark.colour_names == ["deep blue"]
    # HSV saturation called this vivid (near-black pixels have high saturation); measured as
    # colourfulness it is the muted deep blue it looks (#12)
    assert dark.describe() == "a dark, soft, muted image in deep blue tones"
    bright = look_at(Image.new("RGB", (64, 64), (245, 242, 232)))
    assert bright.brightness_word == "luminous" and bright.saturation_word == "monochrome"
    grey = look_at(Image.new("RGB", (64, 64), (128, 128, 128)))
    assert grey.describe() == "a balanced, soft, monochrome image"
    assert grey.saturation == 0.0 and grey.colour_names == []
    vivid = look_at(two_colours())
    assert vivid.saturation_word == "vivid" and vivid.colour_names == ["blue", "yellow"]


def test_contrast_words_follow_the_spread_of_brightness():
    half = np.zeros((64, 64, 3), np.uint8)
    half[:, 32:] = 255
    stark = look_at(Image.fromarray(half))
    assert stark.contrast == pytest.approx(0.5, abs=0.01)
    assert stark.contrast_word == "high-contrast"
    ramp = np.linspace(40, 215, 64).astype(np.uint8)[None, :, None].repeat(64, 0).repeat(3, 2)
    assert look_at(Image.fromarray(ramp)).contrast_word == "moderate-contrast"


def test_parts_explain_every_phrase_of_the_description():
    look = ImageLook(brightness=0.15, contrast=0.3, saturation=0.2,
                     palette=[("#0b1f5c", 0.6), ("#b7410e", 0.3), ("#808080", 0.02)])
    assert look.describe() == "a dark, high-contrast, muted image in deep blue and rust tones"
    parts = look.parts()
    assert [phrase for phrase, _ in parts] == ["dark", "high-contrast", "muted",
                                               "deep blue and rust tones"]
    assert parts[0][1] == "average brightness 15%"
    assert "#0b1f5c covers 60%" in parts[3][1] and "#808080" not in parts[3][1]
    assert " ".join(phrase for phrase, _ in parts).replace(",", "") in \
        look.describe().replace(",", "").replace("a ", "", 1).replace(" image in", "")


def test_look_is_deterministic_and_accepts_other_modes():
    img = two_colours().convert("RGBA")
    assert look_at(img, seed=1) == look_at(img, seed=1)
    assert look_at(img.convert("L")).saturation_word == "monochrome"


def test_a_dark_photo_is_not_called_vivid_unless_its_colours_are():
    rng = np.random.default_rng(3)
    night = np.clip(rng.normal(18, 9, (96, 96, 3)), 0, 255).astype(np.uint8)  # near-black noise
    look = look_at(Image.fromarray(night))
    assert look.brightness_word == "dark" and look.saturation_word in ("monochrome", "muted")
    assert look.saturation > 0.25  # what HSV saturation would have called vivid
    neon = np.zeros((96, 96, 3), np.uint8)
    neon[::8] = (255, 0, 200)  # bright magenta lines on black: dark and truly colourful
    assert look_at(Image.fromarray(neon)).saturation_word in ("natural", "vivid")
    words = dict(look.parts())
    assert words[look.saturation_word].startswith("colourfulness ")
