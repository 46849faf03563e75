"""Where everything sits on a poster, and the poster drawn as pixels.

:func:`layout` places the cover art, the title and artist, the QR card and the call-to-action
line inside the size's safe margins (the background runs to the bleed). The PNG is drawn here
with Pillow; :mod:`albumstudio.engines.poster_pdf` draws the same layout as vectors, so the two
files differ only in how they are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from albumstudio.core.errors import InputError
from albumstudio.core.mood_palette import hex_to_rgb
from albumstudio.core.qr import PosterSize
from albumstudio.engines.design_fonts import BEBAS, DEJAVU, FontSpec, font_for_text, load_font
from albumstudio.engines.qr_code import QrSymbol

MIN_POSTER_MODULE_PX = 4  # no code on a poster gets smaller modules than this
TITLE_FONT = FontSpec(BEBAS, upper=True)
BODY_FONT = FontSpec(DEJAVU)


@dataclass(frozen=True)
class TextLine:
    text: str
    font_file: str
    px: int  # font size in pixels
    x: float  # left edge of the line's advance box
    baseline: float
    width: float
    colour: str


@dataclass(frozen=True)
class PosterLayout:
    size: PosterSize
    cover: tuple[int, int, int] | None  # x, y, side
    qr: tuple[int, int, int]  # x, y of the code's corner (quiet zone included), module px
    qr_side: int  # pixels of the code with its quiet zone
    card: tuple[int, int, int, int]  # the light card under the code: x0, y0, x1, y1
    lines: tuple[TextLine, ...]
    text_colour: str
    background: str


def _font(file: str, px: int) -> ImageFont.FreeTypeFont:
    return load_font(file, px)


def fit_line(text: str, spec: FontSpec, max_px: int, width: float) -> tuple[str, str, int, float]:
    """The text as set (capitals for the title face), its font file, the largest size up to
    ``max_px`` at which it fits ``width``, and its advance width."""
    chosen = font_for_text(spec, text)
    shown = text.upper() if chosen.upper else text
    px = max_px
    while True:
        advance = _font(chosen.file, px).getlength(shown)
        if advance <= width or px <= 8:
            return shown, chosen.file, px, float(advance)
        px = max(8, int(px * min(0.95, width / max(advance, 1.0))))


def layout(size: PosterSize, symbol: QrSymbol, *, has_cover: bool, title: str, artist: str,
           cta: str, text_colour: str, background: str) -> PosterLayout:
    """The poster's geometry (InputError when the code cannot get MIN_POSTER_MODULE_PX pixels
    per module inside the safe area)."""
    left, top, right, bottom = size.safe
    x0, y0 = size.bleed + left, size.bleed + top
    x1, y1 = size.bleed + size.trim_w - right, size.bleed + size.trim_h - bottom
    w, h = x1 - x0, y1 - y0
    gap = round(0.035 * w)
    quiet_modules = symbol.with_quiet
    square = h < 1.25 * w
    unit = w / 2 - gap / 2 if square else w
    title_px = round(unit * (0.12 if square else 0.085) * (1.0 if has_cover else 1.6))
    artist_px = round(title_px * 0.55)
    cta_px = round(title_px * 0.45)
    text_h = (title_px * 1.05 if title else 0) + (artist_px * 1.5 if artist else 0)
    cta_h = cta_px * 1.8 if cta else 0
    if square:
        qr_room = min(unit, h - cta_h)
    else:
        share = 0.5 if has_cover else 0.8
        qr_room = min(w * share, h - text_h - cta_h - gap * 3)
        if has_cover:  # a long payload needs more room than the share gives
            qr_room = max(qr_room, min(w, quiet_modules * 8.0))
    module = int(qr_room // quiet_modules)
    if module < MIN_POSTER_MODULE_PX:
        raise InputError(f"The payload makes a code of {symbol.count}×{symbol.count} modules, "
                         f"too many for the {size.label} to print readably; use a shorter "
                         "link or a larger size.")
    qr_side = module * quiet_modules
    lines: list[TextLine] = []

    def add(text: str, spec: FontSpec, px: int, x: float, baseline: float, width: float,
            centred: bool) -> float:
        shown, file, fitted, advance = fit_line(text, spec, px, width)
        left_x = x + (width - advance) / 2 if centred else x
        lines.append(TextLine(shown, file, fitted, left_x, baseline, advance, text_colour))
        return fitted

    cover: tuple[int, int, int] | None = None
    if square:
        col_b = x0 + unit + gap
        top_y = y0 + (h - max(unit + text_h + gap, qr_side + cta_h)) / 2
        if has_cover:
            cover_side = round(min(unit, h - text_h - gap))
            cover = (x0, round(top_y), cover_side)
            base = top_y + cover_side + gap + title_px * 0.8
        else:
            base = y0 + h / 2 - text_h / 2 + title_px * 0.8
        if title:
            add(title, TITLE_FONT, title_px, x0, base, unit, False)
            base += title_px * 0.35 + artist_px * 1.2
        if artist:
            add(artist, BODY_FONT, artist_px, x0, base, unit, False)
        qx = round(col_b + (unit - qr_side) / 2)
        qy = round(top_y if has_cover else y0 + (h - qr_side - cta_h) / 2)
        if cta:
            add(cta, BODY_FONT, cta_px, col_b, qy + qr_side + cta_px * 1.4, unit, True)
    else:
        cover_side = round(min(w, h - text_h - qr_side - cta_h - gap * 3)) if has_cover else 0
        if has_cover and cover_side < 0.25 * w:
            cover_side = 0
        total = (cover_side + gap if cover_side else 0) + text_h + gap + qr_side + cta_h
        y = y0 + (h - total) / 2
        if cover_side:
            cover = (round(x0 + (w - cover_side) / 2), round(y), cover_side)
            y += cover_side + gap
        base = y + title_px * 0.8
        if title:
            add(title, TITLE_FONT, title_px, x0, base, w, True)
            base += title_px * 0.35 + artist_px * 1.2
        if artist:
            add(artist, BODY_FONT, artist_px, x0, base, w, True)
        qy = round(y + text_h + gap)
        qx = round(x0 + (w - qr_side) / 2)
        if cta:
            add(cta, BODY_FONT, cta_px, x0, qy + qr_side + cta_px * 1.4, w, True)
    pad = module
    card = (qx - pad, qy - pad, qx + qr_side + pad, qy + qr_side + pad)
    return PosterLayout(size, cover, (qx, qy, module), qr_side, card, tuple(lines),
                        text_colour, background)


def background_image(size: PosterSize, cover: Image.Image | None, colour: str) -> Image.Image:
    """The whole sheet, bleed included: the cover art blurred and dimmed, or a soft gradient
    of the palette's dark colour."""
    return background_small(size, cover, colour).resize((size.width, size.height),
                                                        Image.Resampling.BILINEAR)


def background_small(size: PosterSize, cover: Image.Image | None, colour: str) -> Image.Image:
    """The background at 1/16 of the sheet's size (it is a blur: the PDF embeds this)."""
    width, height = size.width, size.height
    small = (max(8, width // 16), max(8, height // 16))
    if cover is not None:
        art = cover.convert("RGB")
        scale = max(small[0] / art.width, small[1] / art.height)
        art = art.resize((max(1, round(art.width * scale)), max(1, round(art.height * scale))),
                         Image.Resampling.BILINEAR)
        left, top = (art.width - small[0]) // 2, (art.height - small[1]) // 2
        art = art.crop((left, top, left + small[0], top + small[1]))
        art = art.filter(ImageFilter.GaussianBlur(max(2, small[0] // 24)))
        pixels = np.asarray(art, dtype=np.float32) * 0.42
    else:
        base = np.array(hex_to_rgb(colour), dtype=np.float32)
        yy, xx = np.mgrid[0:small[1], 0:small[0]].astype(np.float32)
        glow = 1.0 + 0.35 * np.exp(-(((xx / small[0] - 0.3) ** 2) + ((yy / small[1] - 0.2) ** 2))
                                   * 4.0)
        pixels = base[None, None, :] * glow[..., None] + 6.0
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def render_png(plan: PosterLayout, cover: Image.Image | None, code: np.ndarray,
               card_colour: str) -> Image.Image:
    """The poster as an RGB image (``code`` is the code drawn at the layout's module size)."""
    sheet = background_image(plan.size, cover, plan.background)
    draw = ImageDraw.Draw(sheet)
    if plan.cover is not None and cover is not None:
        x, y, side = plan.cover
        art = square_art(cover, side)
        sheet.paste(art, (x, y))
    radius = plan.qr[2] * 1.5
    draw.rounded_rectangle(plan.card, radius=radius, fill=hex_to_rgb(card_colour))
    sheet.paste(Image.fromarray(code), (plan.qr[0], plan.qr[1]))
    for line in plan.lines:
        font = _font(line.font_file, line.px)
        draw.text((line.x, line.baseline), line.text, font=font, fill=hex_to_rgb(line.colour),
                  anchor="ls")
    return sheet


def square_art(image: Image.Image, side: int) -> Image.Image:
    """The centre square of ``image`` at ``side`` pixels."""
    short = min(image.width, image.height)
    left, top = (image.width - short) // 2, (image.height - short) // 2
    return image.convert("RGB").crop((left, top, left + short, top + short)).resize(
        (side, side), Image.Resampling.LANCZOS)
