import io

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.errors import InputError
from albumstudio.vision.image_load import image_info, load_image


def _save(img: Image.Image, path, **kw):
    img.save(path, **kw)
    return path


def _one_sentence(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message and message.endswith((".", ")"))


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((100, 200, 3), np.uint8)
    arr[:, :100] = (255, 0, 0)  # left half red
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = _save(img, tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    out = load_image(path)
    assert out.size == (100, 200) and image_info(path) == (100, 200)
    top = np.asarray(out)[10, 50]
    assert top[0] > 200 and top[1] < 60  # the red half is now on top
    assert "exif" not in out.info


def test_malformed_exif_only_loses_the_rotation(tmp_path):
    img = Image.new("RGB", (120, 80), (10, 200, 10))
    path = _save(img, tmp_path / "bad-exif.jpg", exif=b"Exif\x00\x00MM\x00*garbage-garbage")
    out = load_image(path)
    assert out.size == (120, 80) and out.mode == "RGB"


@pytest.mark.parametrize("mode", ["CMYK", "P", "L", "1", "LA", "RGBA"])
def test_modes_become_rgb(tmp_path, mode):
    img = Image.new("RGB", (80, 80), (200, 40, 40)).convert(mode)
    ext = ".jpg" if mode == "CMYK" else ".png"
    out = load_image(_save(img, tmp_path / f"m{ext}"))
    assert out.mode == "RGB" and out.size == (80, 80)


def test_alpha_is_composited_over_white(tmp_path):
    img = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    out = load_image(_save(img, tmp_path / "clear.png"))
    assert np.asarray(out).min() == 255


def test_palette_with_transparency(tmp_path):
    img = Image.new("P", (80, 80), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (0, 0, 40, 80))
    img.info["transparency"] = 0
    out = np.asarray(load_image(_save(img, tmp_path / "p.png", transparency=0)))
    assert tuple(out[5, 5]) == (255, 0, 0) and tuple(out[5, 70]) == (255, 255, 255)


def test_sixteen_bit_is_scaled_not_clipped(tmp_path):
    ramp = (np.linspace(0, 65535, 128)[None, :].repeat(64, 0)).astype(np.uint16)
    img = Image.fromarray(ramp)  # I;16
    out = np.asarray(load_image(_save(img, tmp_path / "deep.png")))[:, :, 0]
    assert out[0, 0] == 0 and out[0, -1] == 255 and 120 <= out[0, 64] <= 135


def test_first_frame_of_an_animation(tmp_path):
    frames = [Image.new("RGB", (70, 70), c) for c in ((0, 0, 255), (255, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    px = np.asarray(load_image(path))[35, 35]
    assert px[2] > 200 and px[0] < 60


def test_bad_files_get_one_sentence(tmp_path):
    good = _save(Image.new("RGB", (300, 300), (1, 2, 3)), tmp_path / "g.jpg", quality=90)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(good.read_bytes()[:300])
    text = tmp_path / "notes.png"
    text.write_text("hello, this is not a picture")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    heic = tmp_path / "photo.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')
    tiny = _save(Image.new("RGB", (20, 20)), tmp_path / "tiny.png")
    cases = {
        truncated: "damaged", text: "not a picture", empty: "empty", heic: "pillow-heif",
        svg: "SVG", tiny: "too small", tmp_path: "folder", tmp_path / "gone.jpg": "does not exist",
    }
    for path, words in cases.items():
        with pytest.raises(InputError) as err:
            load_image(path)
        assert words in err.value.message, (path, err.value.message)
        _one_sentence(err.value.message)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    img = Image.new("1", (4000, 3000))
    path = _save(img, tmp_path / "big.png")
    with pytest.raises(InputError) as err:
        load_image(path, max_pixels=1_000_000)
    assert "too large" in err.value.message and "12 megapixels" in err.value.message
    with pytest.raises(InputError):
        image_info(path, max_pixels=1_000_000)


def test_loading_from_bytes_path_like(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buf, "PNG")
    path = tmp_path / "x.png"
    path.write_bytes(buf.getvalue())
    assert load_image(str(path)).size == (64, 64)
