"""Posters in every size and both formats: the code in the file scans (the PDF rendered back to
pixels), the layout keeps the code clear of the art and the words, print sizes carry bleed."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.errors import InputError
from albumstudio.core.qr import MM, POSTER_SIZES, PlainQrOptions, QrRequest
from albumstudio.engines.qr_poster import run
from albumstudio.engines.qr_scan import scan
from tests.support.qr_payloads import payloads

SAMPLE = payloads(200)
LONG_URL = max((p for p in SAMPLE if p.startswith("http")), key=len)
VCARD = next(p for p in SAMPLE if p.startswith("BEGIN:VCARD") and not p.isascii())
TEXT = next(p for p in SAMPLE[1::3] if len(p) > 20)


@pytest.fixture(scope="module")
def cover_file(tmp_path_factory):
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:600, 0:800]
    art = np.stack([120 + 100 * np.sin(x / 60), 60 + 50 * np.cos(y / 45), 150 + 80 * np.sin(
        (x + y) / 90)], axis=-1) + rng.normal(0, 12, (600, 800, 3))
    path = tmp_path_factory.mktemp("art") / "cover.jpg"
    Image.fromarray(np.clip(art, 0, 255).astype(np.uint8)).save(path, quality=90)
    return str(path)


def request(payload, size, fmt, image="", style="rounded", **kw):
    return QrRequest("plain", payload, PlainQrOptions(style=style, **kw), image_path=image,
                     title="Nächte in Łódź", artist="The Night Owls", size=size, format=fmt)


def pdf_pixels(data: bytes, box, dpi: int) -> np.ndarray:
    """The PDF's region ``box`` (x, y, w, h in poster pixels) rendered back at the poster's
    own resolution."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    page = pdf[0]
    k = 72 / dpi
    width, height = page.get_size()
    x, y, w, h = box
    crop = (x * k, height - (y + h) * k, width - (x + w) * k, y * k)
    bitmap = page.render(scale=1 / k, crop=crop)
    pixels = np.asarray(bitmap.to_pil().convert("RGB"))
    page.close()
    pdf.close()
    return pixels


def code_region(result, pixels_or_pdf, dpi, payload):
    """What the engine's check framed (the code and four modules around it), read from the
    file itself."""
    from albumstudio.engines.qr_poster import scan_region

    module = round(module_px(result, payload))
    canvas = np.zeros((result.height, result.width), dtype=np.uint8)
    left, top, right, bottom = scan_region(result.qr_box, module, canvas)
    if isinstance(pixels_or_pdf, bytes):
        return pdf_pixels(pixels_or_pdf, (left, top, right - left, bottom - top), dpi)
    return pixels_or_pdf[top:bottom, left:right]


def module_px(result, payload):
    from albumstudio.engines.qr_code import make_symbol

    return result.qr_box[2] / make_symbol(payload).with_quiet


@pytest.mark.parametrize("size", list(POSTER_SIZES))
@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_every_size_and_format_scans_from_the_file(size, fmt, cover_file):
    spec = POSTER_SIZES[size]
    cases = [(LONG_URL, cover_file, "rounded")]
    if not spec.print:  # the social sizes take the whole mix; print sizes one each (slow)
        cases += [(VCARD, "", "dots"), (TEXT, cover_file, "square")]
    for payload, image, style in cases:
        result = run(request(payload, size, fmt, image, style))
        assert result.scan.ok
        assert (result.width, result.height) == (spec.width, spec.height)
        if fmt == "png":
            pixels = np.asarray(Image.open(io.BytesIO(result.data)).convert("RGB"))
            assert pixels.shape[:2] == (spec.height, spec.width)
            region = code_region(result, pixels, spec.dpi, payload)
        else:
            assert result.data.startswith(b"%PDF")
            region = code_region(result, result.data, spec.dpi, payload)
        report = scan(region, payload, module_px(result, payload))
        assert report.ok, (size, fmt, style, report.summary())


def test_pdf_text_and_code_are_vectors_with_embedded_fonts(cover_file):
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    result = run(request("https://band.example/pre-save", "a4", "pdf", cover_file))
    data = result.data
    assert b"/FontFile2" in data  # TrueType embedded
    pdf = pdfium.PdfDocument(data)
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    assert "NÄCHTE IN ŁÓDŹ" in text and "The Night Owls" in text and "Scan to listen" in text
    kinds = [obj.type for obj in page.get_objects()]
    assert kinds.count(raw.FPDF_PAGEOBJ_PATH) > 200  # every module a shape
    assert kinds.count(raw.FPDF_PAGEOBJ_IMAGE) == 2  # the background and the cover art only
    trim = page.get_trimbox()
    bleed = page.get_bleedbox()
    assert trim[0] == pytest.approx(3 * 72 / 25.4, abs=0.2)
    assert bleed[0] == 0
    page.close()
    pdf.close()


@pytest.mark.parametrize("size", list(POSTER_SIZES))
def test_layout_keeps_code_art_and_words_apart_inside_the_margins(size):
    from albumstudio.engines.poster_layout import layout
    from albumstudio.engines.qr_code import make_symbol

    spec = POSTER_SIZES[size]
    for payload in ("https://band.example/x", LONG_URL):
        plan = layout(spec, make_symbol(payload), has_cover=True, title="Midnight Drive",
                      artist="The Night Owls", cta="Pre-save now", text_colour="#ffffff",
                      background="#101010")
        left, top, right, bottom = spec.safe
        safe = (spec.bleed + left, spec.bleed + top, spec.bleed + spec.trim_w - right,
                spec.bleed + spec.trim_h - bottom)
        code = (plan.qr[0], plan.qr[1], plan.qr[0] + plan.qr_side, plan.qr[1] + plan.qr_side)
        boxes = {"code": code}
        if plan.cover is not None:
            x, y, side = plan.cover
            boxes["cover"] = (x, y, x + side, y + side)
        for i, line in enumerate(plan.lines):
            boxes[f"line{i}"] = (line.x, line.baseline - line.px * 0.8, line.x + line.width,
                                 line.baseline + line.px * 0.25)
        assert len(plan.lines) == 3
        for name, (x0, y0, x1, y1) in boxes.items():
            assert safe[0] - 1 <= x0 and x1 <= safe[2] + 1, (size, name)
            assert safe[1] - 1 <= y0 and y1 <= safe[3] + 1, (size, name)
        names = list(boxes)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                ax0, ay0, ax1, ay1 = boxes[a]
                bx0, by0, bx1, by1 = boxes[b]
                overlap = min(ax1, bx1) > max(ax0, bx0) and min(ay1, by1) > max(ay0, by0)
                assert not overlap, (size, payload[:20], a, b)
        assert plan.qr[2] >= 4


def test_print_sizes_are_300_dpi_with_3_mm_bleed():
    a4 = POSTER_SIZES["a4"]
    assert (a4.trim_w, a4.trim_h) == (2480, 3508)
    assert a4.bleed == round(3 * MM) == 35
    assert POSTER_SIZES["letter"].trim_w == 2550 and POSTER_SIZES["tabloid"].trim_h == 5100
    assert POSTER_SIZES["square"].bleed == 0


def test_without_a_picture_the_background_comes_from_the_palette():
    result = run(request("https://band.example/plain", "square", "png"))
    pixels = np.asarray(Image.open(io.BytesIO(result.data)).convert("RGB"))
    corner = pixels[:40, :40].reshape(-1, 3).mean(axis=0)
    assert corner.max() < 90  # a dark ground from the palette, light words on it


def test_bad_poster_input_is_one_sentence():
    with pytest.raises(InputError, match="no poster size 'huge'"):
        run(request("x", "huge", "png"))
    with pytest.raises(InputError, match="contrast"):
        run(request("x", "square", "png", dark="#808080", light="#909090"))
