"""Pictures are judged by the memory they would need before a pixel is decoded, and high-bit
pictures convert band by band (#11 item 3: a 329 KB 16-bit grey PNG of 13000² once took 6 GB)."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.errors import InputError
from albumstudio.vision import image_load
from albumstudio.vision.image_load import load_image
from tests.support.limits import run_limited


def _png_header_only(path, width: int, height: int, bit_depth: int = 16) -> None:
    """A PNG that declares its size (grey, ``bit_depth``) and holds no pixels at all."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def test_a_picture_needing_more_memory_than_the_machine_can_spare_is_refused_from_its_header(
        tmp_path, monkeypatch):
    path = tmp_path / "scan.png"
    _png_header_only(path, 13000, 13000)  # under the pixel limit, about 1.7 GB to open
    monkeypatch.setattr(image_load, "memory_budget", lambda: 1 << 30)  # a small laptop
    with pytest.raises(InputError) as caught:
        load_image(path)
    message = caught.value.message
    assert message == ("'scan.png' would need about 1.6 GB of memory to open (13000×13000 "
                       "pixels), more than this computer can spare for a picture (1.0 GB); use "
                       "a smaller image.")


def test_the_budget_scales_with_the_machine_and_never_falls_under_one_gigabyte():
    budget = image_load.memory_budget()
    assert budget >= 1 << 30
    total = image_load.os.sysconf("SC_PAGE_SIZE") * image_load.os.sysconf("SC_PHYS_PAGES")
    assert budget == max(1 << 30, total // 4)


def test_a_large_16_bit_grey_png_opens_within_a_bounded_address_space(tmp_path):
    data = np.zeros((9000, 9000), np.uint16)
    data[::7] = 40000
    path = tmp_path / "grey16.png"
    Image.fromarray(data).save(path, compress_level=1)
    del data
    # the five float64 copies of the whole picture the old conversion made need about 3.5 GB
    done = run_limited(
        "import sys; from albumstudio.vision.image_load import load_image\n"
        "im = load_image(sys.argv[1]); print(im.mode, im.size, im.getpixel((0, 0)))",
        int(1.25 * (1 << 30)), str(path))
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["RGB", "(9000,", "9000)", "(156,", "156,", "156)"]


def test_banded_conversion_matches_the_whole_picture_formula(monkeypatch):
    bands = image_load._row_bands
    monkeypatch.setattr(image_load, "_row_bands", lambda values: bands(values, elements=1000))
    rng = np.random.default_rng(7)
    for values in (rng.integers(0, 65536, (300, 257), dtype=np.uint16).astype(np.uint16),
                   rng.normal(0.5, 0.2, (123, 77)).astype(np.float32),
                   rng.integers(-5000, 70000, (50, 3000)).astype(np.int32)):
        whole = values.astype(np.float64)
        finite = whole[np.isfinite(whole)]
        low, high = finite.min(), finite.max()
        if values.dtype.kind == "f" and low >= 0 and high <= 1:
            expected = whole * 255.0
        elif low >= 0 and high <= 65535:
            expected = whole * (255.0 / 65535.0)
        else:
            expected = (whole - low) * (255.0 / (high - low))
        expected = np.clip(np.rint(expected), 0, 255).astype(np.uint8)
        assert len(list(image_load._row_bands(values))) > 1
        assert np.array_equal(image_load._scaled_to_bytes(values), expected)


def test_nan_and_infinity_in_a_float_picture_become_black_and_white():
    values = np.array([[np.nan, np.inf, -np.inf, 0.5]], np.float32)
    assert image_load._scaled_to_bytes(values).tolist() == [[0, 255, 0, 128]]
