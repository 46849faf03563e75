"""The kit's cover files and the checks before anything is written: each can fail."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from albumstudio.core.distributors import profile
from albumstudio.engines.qr_scan import DECODERS
from albumstudio.export.kit_checks import (
    blocking,
    check_cover,
    hash_distance,
    phash,
    read_ledger,
    remember_cover,
    text_problem,
)
from albumstudio.export.kit_cover import SR_NOTE, make_cover_files


def detailed(side: int, seed: int = 0) -> Image.Image:
    """Sharp shapes over a textured gradient: detail at every scale, like a finished cover."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side] / side
    base = np.stack([60 + 150 * y, 80 + 120 * x, 180 - 100 * y], -1)
    base += rng.normal(0, 18, base.shape)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _i in range(40):
        r = rng.integers(0, side, 4)
        draw.rectangle((min(r[0], r[2]), min(r[1], r[3]), max(r[0], r[2]), max(r[1], r[3])),
                       outline=tuple(int(v) for v in rng.integers(0, 255, 3)), width=3)
    return img


def png_bytes(img: Image.Image, **params) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", **params)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def run_checks(files, **kw):
    return {c.name: c for c in check_cover(decoded(files.jpeg), files.jpeg, files.png,
                                           kw.pop("prof", profile("generic")),
                                           decoders=DECODERS, **kw)}


def test_a_small_picture_is_enlarged_to_the_profile_size_and_warned_about():
    files = make_cover_files(png_bytes(detailed(400)), 1600, 3_000_000)
    assert files.side == 1600 and files.upscaled_from == 400
    assert any(SR_NOTE in n for n in files.notes)
    checks = run_checks(files, upscaled_from=files.upscaled_from, prof=profile("distrokid"))
    assert all(c.ok for c in checks.values() if c.severity == "error"), checks
    soft = checks["sharp, not upscaled-looking"]
    assert not soft.ok and soft.severity == "warning" and "enlarged from 400 px" in soft.reason
    assert not blocking(list(checks.values()))


def test_a_native_cover_is_sharp_and_the_jpeg_quality_fits_the_cap():
    img = detailed(1000, seed=1)
    roomy = make_cover_files(png_bytes(img), 1000, None)
    tight_cap = len(roomy.jpeg) // 2
    tight = make_cover_files(png_bytes(img), 1000, tight_cap)
    assert roomy.quality == 95 and 60 <= tight.quality < 95
    assert len(tight.jpeg) <= tight_cap
    slightly_better = make_cover_files(png_bytes(img), 1000, None)  # binary search: highest
    assert len(slightly_better.jpeg) > tight_cap
    checks = run_checks(tight, prof=profile("distrokid"))
    assert checks["sharp, not upscaled-looking"].ok
    assert checks["size"].ok and checks["file size"].ok


def test_a_cap_no_quality_can_meet_fails_the_file_size_check():
    files = make_cover_files(png_bytes(detailed(1000)), 1000, 20_000)
    capped = replace(profile("distrokid"), max_file_bytes=20_000)
    checks = run_checks(files, prof=capped)
    assert not checks["file size"].ok and "the limit is 0.02 MB" in checks["file size"].reason


def test_too_small_for_the_profile_and_the_wrong_format_fail():
    files = make_cover_files(png_bytes(detailed(800)), 800, None)
    checks = run_checks(files, prof=profile("apple-music"))
    assert not checks["size"].ok and "at least 3000 px" in checks["size"].reason


def test_a_qr_code_on_the_art_fails():
    import qrcode

    img = detailed(1200)
    code = qrcode.make("https://example.com/listen").get_image().convert("RGB").resize((360, 360))
    img.paste(code, (700, 700))
    files = make_cover_files(png_bytes(img), 1200, None)
    check = run_checks(files)["no QR code or barcode"]
    assert not check.ok and "example.com/listen" in check.reason


@pytest.mark.parametrize("words,bad", [
    (["Night Drive", "Ané"], False), (["www.ane.com"], True), (["Out now on Spotify"], True),
    (["follow @ane_music"], True), (["Only $9.99"], True), (["Limited Edition"], True),
    (["Side A"], False), (["Record"], False)])
def test_words_on_the_cover_that_stores_reject(words, bad):
    assert bool(text_problem(words)) == bad


def test_exif_and_gps_in_the_files_fail_the_metadata_check():
    img = detailed(500)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (52.0, 22.0, 1.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    clean = make_cover_files(png_bytes(img), 500, None)
    checks = check_cover(decoded(out.getvalue()), out.getvalue(), clean.png, profile("generic"))
    meta = {c.name: c for c in checks}["no EXIF or GPS"]
    assert not meta.ok and "EXIF, GPS" in meta.reason
    assert run_checks(clean)["no EXIF or GPS"].ok


def test_a_cover_reused_from_another_release_fails_even_recompressed(tmp_path):
    img = detailed(800, seed=5)
    ledger = tmp_path / "ledger.json"
    remember_cover(ledger, "Ané - First", phash(img), "Ané - First")
    shifted = Image.fromarray(np.clip(np.asarray(img, np.int16) + 6, 0, 255).astype(np.uint8))
    files = make_cover_files(png_bytes(shifted.filter(ImageFilter.GaussianBlur(1))), 800, None)
    assert hash_distance(phash(img), phash(decoded(files.jpeg))) <= 10
    entries = read_ledger(ledger)
    reused = run_checks(files, release="Ané - Second", ledger=entries)
    assert not reused["not reused from another release"].ok
    assert "Ané - First" in reused["not reused from another release"].reason
    again = run_checks(files, release="Ané - First", ledger=entries)
    assert again["not reused from another release"].ok
    other = make_cover_files(png_bytes(detailed(800, seed=9)), 800, None)
    assert run_checks(other, release="Ané - Second", ledger=entries)[
        "not reused from another release"].ok


def test_the_png_master_carries_an_srgb_profile_once():
    from albumstudio.export.kit_cover import srgb_icc, with_icc

    files = make_cover_files(png_bytes(detailed(300)), 300, None)
    from PIL import ImageCms

    icc = decoded(files.png).info["icc_profile"]
    assert "sRGB" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    assert with_icc(files.png, srgb_icc()) == files.png
    assert np.array_equal(np.asarray(decoded(files.png)), np.asarray(detailed(300)))


def test_a_barcode_on_the_art_fails():
    import zxingcpp

    symbol = zxingcpp.create_barcode("9780201379624", zxingcpp.BarcodeFormat.EAN13)
    bars = Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(symbol, scale=4)))
    img = detailed(1200)
    img.paste(bars.convert("RGB"), (100, 800))
    files = make_cover_files(png_bytes(img), 1200, None)
    check = run_checks(files)["no QR code or barcode"]
    assert not check.ok and "9780201379624" in check.reason


def test_exif_in_a_given_png_does_not_reach_the_kit_and_junk_is_a_sentence():
    from albumstudio.core.errors import InputError

    img = detailed(400)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (52.0, 22.0, 1.0)
    tagged = png_bytes(img, exif=exif.tobytes())
    assert b"eXIf" in tagged
    files = make_cover_files(tagged, 400, None)
    assert b"eXIf" not in files.png and run_checks(files)["no EXIF or GPS"].ok
    unstripped = {c.name: c for c in check_cover(decoded(files.jpeg), files.jpeg, tagged,
                                                 profile("generic"))}["no EXIF or GPS"]
    assert not unstripped.ok and "EXIF, GPS" in unstripped.reason
    assert np.array_equal(np.asarray(decoded(files.png)), np.asarray(img))
    with pytest.raises(InputError, match="could not be read as a picture"):
        make_cover_files(b"not a picture", 400, None)
