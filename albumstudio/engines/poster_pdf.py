"""The poster as a PDF (reportlab): the QR modules, the card and the words are vectors, the
fonts are embedded TrueType (DejaVu covers non-Latin text), the pictures are images. Print
sizes get a bleed box and a trim box, so a print shop cuts where the design expects.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from PIL import Image

from albumstudio.core.mood_palette import hex_to_rgb
from albumstudio.engines.design_fonts import BUNDLED
from albumstudio.engines.poster_layout import PosterLayout, background_small, square_art
from albumstudio.engines.qr_code import QUIET, QrSymbol, code_shapes, logo_box

_FONT_LOCK = threading.Lock()
_REGISTERED: set[str] = set()


def _font_name(file: str) -> str:
    """The reportlab name of a font file, registered (embedded, subset) on first use."""
    from importlib import resources

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "AS-" + file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    with _FONT_LOCK:
        if name not in _REGISTERED:
            if file in BUNDLED:
                source: object = io.BytesIO(
                    (resources.files("albumstudio.resources") / "fonts" / file).read_bytes())
            else:
                source = file
            pdfmetrics.registerFont(TTFont(name, source))
            _REGISTERED.add(name)
    return name


def _colour(hex_colour: str) -> tuple[float, float, float]:
    r, g, b = hex_to_rgb(hex_colour)
    return r / 255, g / 255, b / 255


def _jpeg(image: Image.Image, quality: int = 92) -> io.BytesIO:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    out.seek(0)
    return out


def render_pdf(plan: PosterLayout, cover: Image.Image | None, symbol: QrSymbol, style: str,
               dark: str, light: str, logo: Image.Image | None = None,
               code_image: Image.Image | None = None) -> bytes:
    """The poster of ``plan`` as PDF bytes (deterministic: no creation date, no random ids).
    The code is drawn as vector shapes, or as ``code_image`` (the art tier's picture)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    size = plan.size
    k = 72.0 / size.dpi  # points per pixel
    page_w, page_h = size.width * k, size.height * k
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(page_w, page_h), invariant=1, pageCompression=1)
    pdf.setTitle(" — ".join(line.text for line in plan.lines[:2]) or "QR poster")
    pdf.setCreator("AlbumStudio")
    if size.print:
        b = size.bleed * k
        pdf.setBleedBox((0, 0, page_w, page_h))
        pdf.setTrimBox((b, b, page_w - b, page_h - b))

    def y_of(y_px: float) -> float:
        return page_h - y_px * k

    pdf.drawImage(ImageReader(_jpeg(background_small(size, cover, plan.background), 90)),
                  0, 0, page_w, page_h)
    if plan.cover is not None and cover is not None:
        x, y, side = plan.cover
        art = square_art(cover, min(side, 2400))
        pdf.drawImage(ImageReader(_jpeg(art)), x * k, y_of(y + side), side * k, side * k)
    x0, y0, x1, y1 = plan.card
    module = plan.qr[2]
    pdf.setFillColorRGB(*_colour(light))
    pdf.roundRect(x0 * k, y_of(y1), (x1 - x0) * k, (y1 - y0) * k, module * 1.5 * k,
                  stroke=0, fill=1)
    qx, qy = plan.qr[0], plan.qr[1]
    if code_image is not None:
        pdf.drawImage(ImageReader(_png(code_image)), qx * k, y_of(qy + plan.qr_side),
                      plan.qr_side * k, plan.qr_side * k)
    else:
        _draw_code(pdf, symbol, style, dark, light, logo, qx * k, y_of(qy), module * k)
    for line in plan.lines:
        pdf.setFillColorRGB(*_colour(line.colour))
        pdf.setFont(_font_name(line.font_file), line.px * k)
        pdf.drawString(line.x * k, y_of(line.baseline), line.text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _png(image: Image.Image) -> io.BytesIO:
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def _draw_code(pdf: Any, symbol: QrSymbol, style: str, dark: str, light: str,
               logo: Image.Image | None, left: float, top: float, unit: float) -> None:
    """The code's shapes with their top-left corner (quiet zone included) at ``left, top``
    in points, ``unit`` points per module."""
    from reportlab.lib.utils import ImageReader

    box = logo_box(symbol) if logo is not None else None
    for shape in code_shapes(symbol, style, box):
        pdf.setFillColorRGB(*_colour(light if shape.light else dark))
        sx, sy = left + shape.x * unit, top - (shape.y + shape.h) * unit
        if shape.kind == "circle":
            pdf.circle(sx + shape.w * unit / 2, sy + shape.h * unit / 2, shape.w * unit / 2,
                       stroke=0, fill=1)
        elif shape.r > 0:
            pdf.roundRect(sx, sy, shape.w * unit, shape.h * unit, shape.r * unit, stroke=0,
                          fill=1)
        else:
            pdf.rect(sx, sy, shape.w * unit, shape.h * unit, stroke=0, fill=1)
    if logo is None or box is None:
        return
    r0, c0, _r1, c1 = box
    inset = 0.5
    room = ((c1 - c0) - 2 * inset) * unit
    picture = logo.convert("RGBA")
    scale = room / max(picture.width, picture.height, 1)
    w_pt, h_pt = picture.width * scale, picture.height * scale
    lx = left + (c0 + QUIET + inset) * unit + (room - w_pt) / 2
    ly = top - (r0 + QUIET + inset) * unit - (room + h_pt) / 2
    pdf.drawImage(ImageReader(_png(picture)), lx, ly, w_pt, h_pt, mask="auto")


def code_pdf(symbol: QrSymbol, style: str, dark: str, light: str, module_px: int,
             logo: Image.Image | None = None) -> bytes:
    """The code alone as a one-page vector PDF (one pixel = one point)."""
    from reportlab.pdfgen import canvas

    side = float(symbol.with_quiet * module_px)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(side, side), invariant=1, pageCompression=1)
    pdf.setCreator("AlbumStudio")
    pdf.setFillColorRGB(*_colour(light))
    pdf.rect(0, 0, side, side, stroke=0, fill=1)
    _draw_code(pdf, symbol, style, dark, light, logo, 0.0, side, float(module_px))
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def image_pdf(image: Image.Image) -> bytes:
    """A picture alone as a one-page PDF (one pixel = one point): the art tier's code."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(float(image.width), float(image.height)), invariant=1,
                        pageCompression=1)
    pdf.setCreator("AlbumStudio")
    pdf.drawImage(ImageReader(_png(image)), 0, 0, image.width, image.height)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
