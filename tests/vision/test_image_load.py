import struct
import sys
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps, features

from albumstudio.core.errors import InputError
from albumstudio.vision import image_load
from albumstudio.vision.image_load import image_info, load_image


def save(img: Image.Image, path, **options):
    img.save(path, **options)
    return path


def assert_one_sentence(message: str) -> None:
    assert message.endswith(".") and ". " not in message and "\n" not in message
    assert "Error" not in message and "Traceback" not in message


def load_error(path, **options) -> str:
    with pytest.raises(InputError) as caught:
        load_image(path, **options)
    assert_one_sentence(caught.value.message)
    return caught.value.message


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` 1-bit pixels, with a token IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))
            + chunk(b"IEND", b""))


def test_exif_orientation_6_turns_the_picture_upright(tmp_path):
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, :100] = (255, 0, 0)  # stored: red on the left, blue on the right
    pixels[:, 100:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise: the left half ends up on top
    path = save(Image.fromarray(pixels), tmp_path / "turned.jpg", exif=exif.tobytes(), quality=95)
    out = load_image(path)
    assert out.size == (100, 200) and image_info(path) == (100, 200)
    top, bottom = np.asarray(out)[20, 50], np.asarray(out)[180, 50]
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
    assert out.mode == "RGB" and out.info == {} and 0x0112 not in out.getexif()
    with Image.open(path) as original:
        assert np.array_equal(np.asarray(out), np.asarray(ImageOps.exif_transpose(original)))


def test_malformed_exif_loads_unrotated(tmp_path):
    img = Image.new("RGB", (120, 80), (10, 200, 10))
    path = save(img, tmp_path / "bad-exif.jpg", exif=b"Exif\x00\x00MM\x00*\xff\xff-garbage")
    out = load_image(path)
    assert out.size == (120, 80) and image_info(path) == (120, 80)
    assert abs(int(np.asarray(out)[40, 60, 1]) - 200) < 8


def test_cmyk_jpeg_keeps_its_colour(tmp_path):
    path = save(Image.new("RGB", (80, 80), (220, 30, 30)).convert("CMYK"), tmp_path / "print.jpg",
                quality=95)
    assert Image.open(path).mode == "CMYK"
    red, green, blue = np.asarray(load_image(path))[40, 40].astype(int)
    assert red > 190 and green < 70 and blue < 70


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 128)[None, :].repeat(64, 0).astype(np.uint16)
    path = save(Image.fromarray(ramp), tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I;16")
    out = np.asarray(load_image(path)).astype(int)
    expected = np.rint(ramp[0].astype(float) * 255 / 65535).astype(int)
    assert np.abs(out[0, :, 0] - expected).max() <= 1
    assert (out[..., 0] == out[..., 2]).all() and len(np.unique(out[0, :, 0])) > 100


def test_high_bit_samples_map_by_their_range():
    scaled = image_load._scaled_to_bytes
    assert scaled(np.array([0.0, 0.5, 1.0], np.float32)).tolist() == [0, 128, 255]
    assert scaled(np.array([0, 100, 255], np.int32)).tolist() == [0, 100, 255]
    assert scaled(np.array([0, 65535], np.int32)).tolist() == [0, 255]
    assert scaled(np.array([-5.0, 5.0], np.float32)).tolist() == [0, 255]
    assert scaled(np.array([np.nan, np.nan], np.float32)).tolist() == [0, 0]


def test_palette_transparency_is_laid_over_white(tmp_path):
    img = Image.new("P", (80, 80), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (0, 0, 40, 80))
    out = np.asarray(load_image(save(img, tmp_path / "p.png", transparency=0)))
    assert tuple(out[5, 5]) == (255, 0, 0) and tuple(out[5, 70]) == (255, 255, 255)


def test_rgba_and_la_alpha_are_composited_over_white(tmp_path):
    rgba = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (0, 0, 40, 80))
    rgba.paste((0, 0, 0, 128), (40, 0, 80, 80))
    out = np.asarray(load_image(save(rgba, tmp_path / "a.png"))).astype(int)
    assert tuple(out[10, 10]) == (0, 0, 255)
    assert all(abs(v - 127) <= 2 for v in out[10, 60])
    la = Image.new("LA", (70, 70), (0, 0))
    assert np.asarray(load_image(save(la, tmp_path / "la.png"))).min() == 255


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB"])
def test_plain_modes_become_rgb(tmp_path, mode):
    img = Image.new("RGB", (80, 64), (255, 255, 255)).convert(mode)
    out = load_image(save(img, tmp_path / f"{mode}.png"))
    assert out.mode == "RGB" and out.size == (80, 64) and np.asarray(out).min() == 255


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png"])
def test_animation_gives_its_first_frame(tmp_path, suffix):
    frames = [Image.new("RGB", (70, 70), colour) for colour in ((0, 0, 255), (255, 255, 0))]
    path = tmp_path / f"anim{suffix}"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as opened:
        assert getattr(opened, "n_frames", 1) == 2
    red, green, blue = np.asarray(load_image(path))[35, 35].astype(int)
    assert blue > 200 and red < 60 and green < 60


def test_icc_profile_is_not_carried_over(tmp_path):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(Image.new("RGB", (64, 64), (10, 20, 30)), tmp_path / "icc.png", icc_profile=srgb)
    out = load_image(path)
    assert out.info == {} and tuple(np.asarray(out)[0, 0]) == (10, 20, 30)


def test_truncated_jpeg_is_reported_as_damaged(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8)
    whole = save(Image.fromarray(pixels), tmp_path / "whole.jpg", quality=90).read_bytes()
    for cut in (300, len(whole) // 2):
        path = tmp_path / f"cut{cut}.jpg"
        path.write_bytes(whole[:cut])
        assert "damaged or incomplete" in load_error(path)


def test_files_that_are_not_images(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("hello, this is not a picture\n")
    assert "not an image (it looks like a text file)" in load_error(text)
    pdf = tmp_path / "cover.jpg"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)))
    assert "PDF document" in load_error(pdf)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert "empty (0 bytes)" in load_error(empty)
    assert "is a folder" in load_error(tmp_path)
    message = load_error(tmp_path / "gone.jpg")
    assert "'gone.jpg' was not found" in message
    with pytest.raises(InputError, match="was not found"):
        image_info(tmp_path / "gone.jpg")


def test_svg_asks_for_a_png(tmp_path):
    svg = tmp_path / "logo.svg"
    svg.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
                   'width="100" height="100"></svg>')
    assert "vector drawing (SVG)" in load_error(svg) and "PNG" in load_error(svg)


def test_heic_without_the_plugin_names_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import fails even where installed
    heic = tmp_path / "IMG_0001.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    message = load_error(heic)
    assert "'IMG_0001.HEIC'" in message and "pillow-heif" in message and "JPEG or PNG" in message


def test_avif_without_support_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    monkeypatch.setattr(image_load, "_avif_supported", lambda: False)
    avif = tmp_path / "photo.avif"
    avif.write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64)
    assert "AVIF" in load_error(avif)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF codec")
def test_avif_loads_when_pillow_reads_it(tmp_path):
    path = save(Image.new("RGB", (64, 64), (200, 40, 40)), tmp_path / "ok.avif", quality=90)
    red, green, blue = np.asarray(load_image(path))[32, 32].astype(int)
    assert red > 170 and green < 80 and blue < 80


def test_decompression_bomb_header_is_refused_without_decoding(tmp_path):
    limit_before = Image.MAX_IMAGE_PIXELS
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(20000, 20000))
    message = load_error(path)
    assert "is 400 megapixels" in message and "limit of 179 megapixels" in message
    assert "use a smaller image" in message
    with pytest.raises(InputError, match="400 megapixels"):
        image_info(path)
    assert Image.MAX_IMAGE_PIXELS == limit_before


def test_own_pixel_limit_is_checked_from_the_header(tmp_path):
    path = tmp_path / "wide.png"
    path.write_bytes(png_header_only(4000, 3000))  # its pixels are garbage: never decoded
    message = load_error(path, max_pixels=1_000_000)
    assert "is 12 megapixels, more than the limit of 1 megapixel" in message
    with pytest.raises(InputError, match="12 megapixels"):
        image_info(path, max_pixels=1_000_000)


def test_between_pillow_warning_and_error_limits_it_loads_quietly(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3_000)  # 64×64 = 4096: a Pillow "warning"
    path = save(Image.new("RGB", (64, 64), (1, 2, 3)), tmp_path / "ok.png")
    with np.testing.assert_no_warnings():
        assert load_image(path, max_pixels=10_000).size == (64, 64)
    message = load_error(save(Image.new("RGB", (80, 80)), tmp_path / "big.png"))
    assert "is 0.0064 megapixels, more than the limit of 0.006 megapixels" in message


def test_too_small_is_refused(tmp_path):
    message = load_error(save(Image.new("RGB", (200, 40)), tmp_path / "strip.png"))
    assert "200×40 pixels, too small to make a cover from" in message
    assert load_image(save(Image.new("RGB", (64, 64)), tmp_path / "ok.png")).size == (64, 64)


def test_path_like_and_odd_names(tmp_path):
    path = save(Image.new("RGB", (64, 64), (9, 9, 9)), tmp_path / "café\u202e.png")
    assert load_image(path).size == (64, 64)
    assert load_image(str(path)).size == (64, 64)
    broken = tmp_path / "bad\nname.png"
    broken.write_text("nope")
    assert "'bad?name.png'" in load_error(broken)


def test_image_info_reads_only_the_header(tmp_path):
    path = tmp_path / "header.png"
    path.write_bytes(png_header_only(100, 80))  # valid header, undecodable pixels
    assert image_info(path) == (100, 80)
    assert "damaged or incomplete" in load_error(path)


def test_postscript_is_never_handed_to_ghostscript(tmp_path):
    eps = tmp_path / "art.eps"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n")
    assert "PostScript or EPS drawing" in load_error(eps)


def test_float_tiff_in_unit_range_is_scaled(tmp_path):
    ramp = np.linspace(0.0, 1.0, 64, dtype=np.float32)[None, :].repeat(64, 0)
    path = save(Image.fromarray(ramp), tmp_path / "float.tif")
    assert Image.open(path).mode == "F"
    out = np.asarray(load_image(path))[0, :, 1].astype(int)
    assert out[0] == 0 and out[-1] == 255 and abs(out[32] - 130) <= 2
