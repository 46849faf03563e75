"""Artist and title on the cover: fitted, wrapped, readable, and inside the safe margin.

``layout_text`` is pure geometry (pixel boxes for every line, so tests can check them);
``draw_text`` paints those boxes onto a cover, picking light or dark type by contrast with what
is underneath and laying a panel behind the type when neither reads well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from albumstudio.core.cover import LAYOUTS
from albumstudio.core.mood_palette import MoodPalette
from albumstudio.engines.design_fonts import (
    DEFAULT_PAIRING,
    FontSpec,
    TypePairing,
    font_for_text,
    load_font,
)

SAFE_MARGIN = 0.06  # of the side, on every edge
PANEL_PAD = 0.02  # of the side: room between type and the panel behind it
MIN_CONTRAST = 4.5  # WCAG AA for text, against the pixels actually under it
# the smallest type, as a share of the side, so that on a 250 px store thumbnail the title's
# capitals stand about 7 px tall and the artist's about 5 px
TITLE_MIN_SHARE = 0.04
ARTIST_MIN_SHARE = 0.028
# what the choices aim for: a little above the guarantee, since they judge the ground from a
# small copy of it and antialiased edges blend ink into ground
_AIM = MIN_CONTRAST * 1.1


@dataclass(frozen=True)
class TextBox:
    """One drawn line (role "title"/"artist") or a panel behind a group ("panel"/"band").

    ``box`` is (left, top, right, bottom) in pixels and contains every pixel the line inks;
    ``origin`` is the left end of the baseline where the line is drawn.
    """

    role: str
    text: str
    box: tuple[int, int, int, int]
    origin: tuple[int, int] = (0, 0)
    font_file: str = ""
    font_size: int = 0
    weight: int | None = None


@dataclass(frozen=True)
class _Block:
    spec: FontSpec
    size: int
    lines: tuple[str, ...]


def safe_box(size: int) -> tuple[int, int, int, int]:
    """The area type may use: the square less the safe margin on every edge."""
    margin = round(size * SAFE_MARGIN)
    return margin, margin, size - margin, size - margin


def _font(spec: FontSpec, size: int) -> ImageFont.FreeTypeFont:
    return load_font(spec.file, size, spec.weight)


def _ink_box(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of ``text`` around its "ls" anchor. Pillow types the box as
    floats for the sake of a fractional stroke width; without a stroke it is whole pixels."""
    return cast("tuple[int, int, int, int]", font.getbbox(text, anchor="ls"))


def _width(font: ImageFont.FreeTypeFont, text: str) -> int:
    left, _, right, _ = _ink_box(font, text)
    return right - left


def _units(text: str) -> list[str]:
    """Words, or single characters for scripts written without spaces (CJK)."""
    words = text.split()
    if len(words) == 1 and len(text) > 4 and all(ord(c) > 0x2E80 for c in text):
        return list(text)
    return words


def _wrap(font: ImageFont.FreeTypeFont, text: str, width: int, max_lines: int,
          joiner: str = " ") -> list[str] | None:
    lines: list[str] = []
    for unit in _units(text):
        if lines and _width(font, lines[-1] + joiner + unit) <= width:
            lines[-1] = lines[-1] + joiner + unit
        elif _width(font, unit) <= width:
            lines.append(unit)
        else:
            return None
        if len(lines) > max_lines:
            return None
    return lines


def _truncate(font: ImageFont.FreeTypeFont, text: str, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        cut = len(rest)
        while cut > 1 and _width(font, rest[:cut]) > width:
            cut -= 1
        lines.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest and lines:
        last = lines[-1]
        while last and _width(font, last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def fit_text(text: str, spec: FontSpec, width: int, max_lines: int, max_px: int,
             min_px: int) -> _Block:
    """The largest size (≤ max_px) at which ``text`` wraps into ``max_lines`` of ``width``;
    at ``min_px`` a text that still does not fit is cut with an ellipsis."""
    spec = font_for_text(spec, text)
    text = text.upper() if spec.upper else text
    max_px = max(min_px, round(max_px * spec.scale))
    low, high, best = min_px, max_px, None
    while low <= high:
        mid = (low + high) // 2
        lines = _wrap(_font(spec, mid), text, width, max_lines)
        if lines is not None:
            best, low = _Block(spec, mid, tuple(lines)), mid + 1
        else:
            high = mid - 1
    if best is None:
        best = _Block(spec, min_px, tuple(_truncate(_font(spec, min_px), text, width, max_lines)))
    return best


def _place(block: _Block, role: str, x: int, align: str, baseline: int) -> list[TextBox]:
    """Lines from ``baseline`` downward; x is the left edge ("left") or the centre ("center")."""
    font = _font(block.spec, block.size)
    pitch = round(block.size * block.spec.leading)
    boxes = []
    for i, line in enumerate(block.lines):
        left, top, right, bottom = _ink_box(font, line)
        ox = x - left if align == "left" else x - (left + right) // 2
        oy = baseline + i * pitch
        boxes.append(TextBox(role, line, (ox + left, oy + top, ox + right, oy + bottom),
                             (ox, oy), block.spec.file, block.size, block.spec.weight))
    return boxes


def _shift(boxes: list[TextBox], dy: int) -> list[TextBox]:
    return [TextBox(b.role, b.text, (b.box[0], b.box[1] + dy, b.box[2], b.box[3] + dy),
                    (b.origin[0], b.origin[1] + dy), b.font_file, b.font_size, b.weight)
            for b in boxes]


def _stack(blocks: list[tuple[_Block, str]], x: int, align: str, gap: int) -> list[TextBox]:
    """Blocks one under another (ink to ink ``gap`` apart), first ink top at y = 0."""
    boxes: list[TextBox] = []
    y = 0
    for block, role in blocks:
        placed = _place(block, role, x, align, 0)
        top = min(b.box[1] for b in placed)
        placed = _shift(placed, y - top)
        boxes.extend(placed)
        y = max(b.box[3] for b in placed) + gap
    return boxes


def _panel(boxes: list[TextBox], pad: int, role: str = "panel") -> TextBox:
    return TextBox(role, "", (min(b.box[0] for b in boxes) - pad, min(b.box[1] for b in boxes) - pad,
                              max(b.box[2] for b in boxes) + pad, max(b.box[3] for b in boxes) + pad))


def _extent(boxes: list[TextBox]) -> tuple[int, int]:
    return min(b.box[1] for b in boxes), max(b.box[3] for b in boxes)


def layout_text(size: int, title: str, artist: str, layout: str,
                fonts: TypePairing | None = None) -> list[TextBox]:
    """Pixel boxes for the title and artist lines in ``layout``, plus a "panel" (or "band")
    box per group that a backing panel may cover; all inside the safe margin."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    fonts = fonts or DEFAULT_PAIRING
    title, artist = " ".join(title.split()), " ".join(artist.split())
    if layout == "none" or not (title or artist):
        return []
    pad = round(size * PANEL_PAD)
    left, top, right, bottom = safe_box(size)
    left, top, right, bottom = left + pad, top + pad, right - pad, bottom - pad
    width = right - left
    gap = round(size * 0.018)
    smallest = {"title": max(8, round(size * TITLE_MIN_SHARE)),
                "artist": max(8, round(size * ARTIST_MIN_SHARE))}

    def fit(text: str, role: str, spec: FontSpec, lines: int, max_px: float,
            w: int = width) -> list[tuple[_Block, str]]:
        return [(fit_text(text, spec, w, lines, round(size * max_px), smallest[role]), role)] \
            if text else []

    if layout == "stacked":
        return _stacked(size, title, artist, fonts, (left, top, right, bottom), pad, smallest)
    if layout == "top-band":
        blocks = fit(artist, "artist", fonts.artist, 1, 0.04)
        blocks += fit(title, "title", fonts.title, 2, 0.085)
        boxes = _shift(_stack(blocks, left, "left", gap), top)
        band = TextBox("band", "", (left - pad, top - pad, right + pad, _extent(boxes)[1] + pad))
        return [band, *boxes]
    if layout == "centered":
        blocks = fit(title, "title", fonts.title, 3, 0.14)
        blocks += fit(artist, "artist", fonts.artist, 2, 0.045)
        boxes = _stack(blocks, size // 2, "center", gap)
        y0, y1 = _extent(boxes)
        boxes = _shift(boxes, (size - (y1 - y0)) // 2 - y0)
        return [_panel(boxes, pad), *boxes]
    blocks = fit(artist, "artist", fonts.artist, 2, 0.042)
    blocks += fit(title, "title", fonts.title, 3, 0.13, round(width * 0.85))
    boxes = _stack(blocks, left, "left", gap)
    boxes = _shift(boxes, bottom - _extent(boxes)[1])
    return [_panel(boxes, pad), *boxes]


def _stacked(size: int, title: str, artist: str, fonts: TypePairing,
             area: tuple[int, int, int, int], pad: int, smallest: dict[str, int]) -> list[TextBox]:
    """Title words stacked from the top, each line as wide as the area; artist at the bottom."""
    left, top, right, bottom = area
    min_px = smallest["title"]
    width = right - left
    out: list[TextBox] = []
    if artist:
        artist_block = fit_text(artist, fonts.artist, width, 2, round(size * 0.042),
                                smallest["artist"])
        artist_boxes = _stack([(artist_block, "artist")], left, "left", 0)
        artist_boxes = _shift(artist_boxes, bottom - _extent(artist_boxes)[1])
        out += [_panel(artist_boxes, pad), *artist_boxes]
        bottom = _extent(artist_boxes)[0] - 2 * pad - round(size * 0.04)
    if not title:
        return out
    words = title.split()
    count = min(len(words), 4)
    lines = [" ".join(words[i * len(words) // count:(i + 1) * len(words) // count])
             for i in range(count)]
    limit = min(bottom - top, round(size * 0.62))
    max_px = round(size * 0.2)
    gap = round(size * 0.012)
    while True:
        blocks = [(fit_text(line, fonts.title, width, 1, max_px, min_px), "title")
                  for line in lines]
        boxes = _shift(_stack(blocks, left, "left", gap), top)
        if _extent(boxes)[1] - top <= limit or max_px <= min_px:
            break
        max_px = max(min_px, round(max_px * 0.85))
    if _extent(boxes)[1] > bottom:  # a long title at the smallest size: one wrapped block
        block = fit_text(title, fonts.title, width, 3, round(size * 0.08), min_px)
        boxes = _shift(_stack([(block, "title")], left, "left", gap), top)
    return [_panel(boxes, pad), *boxes, *out]


def _linear(channel: float) -> float:
    c = channel / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_linear(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: float, b: float) -> float:
    """WCAG contrast ratio of two relative luminances."""
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def _background_luminance(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[float, ...]:
    """(darkest, median, lightest) WCAG relative luminance of the pixels under ``box`` (5th,
    50th and 95th percentiles, from a small copy), computed from the colours themselves (a
    grey conversion would misjudge blues and reds)."""
    region = image.crop(box)
    step = max(1, min(region.size) // 48)
    small = region.reduce(step) if step > 1 else region
    values = np.asarray(small.convert("RGB"), np.float64).reshape(-1, 3) / 255.0
    linear = np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)
    lum = linear @ np.array([0.2126, 0.7152, 0.0722])
    low, mid, high = np.percentile(lum, [5, 50, 95])
    return float(low), float(mid), float(high)


def _pick_ink(palette: MoodPalette, lum: tuple[float, ...]) -> tuple[tuple[int, int, int], bool]:
    """(text colour, whether a panel is needed) for a background with these luminances."""
    light = palette.rgb("highlight")
    if _luminance(light) < 0.6:
        light = (246, 244, 238)
    dark = palette.rgb("shadow")
    if _luminance(dark) > 0.05:
        dark = (14, 14, 18)
    worst_light = contrast_ratio(_luminance(light), lum[2])
    worst_dark = contrast_ratio(_luminance(dark), lum[0])
    if max(worst_light, worst_dark) >= _AIM:
        return (light, False) if worst_light >= worst_dark else (dark, False)
    return light, True


def draw_text(image: Image.Image, boxes: list[TextBox], palette: MoodPalette,
              panel_opacity: float = 0.82) -> Image.Image:
    """Draw the boxes from :func:`layout_text` onto ``image`` (RGB, changed in place and
    returned). Each group reads light on dark or dark on light; a group over a busy or mid-tone
    background, and every "band", gets a panel in the palette's shadow colour behind it."""
    draw = ImageDraw.Draw(image)
    groups: list[tuple[TextBox, list[TextBox]]] = []
    for box in boxes:
        if box.role in ("panel", "band"):
            groups.append((box, []))
        elif groups:
            groups[-1][1].append(box)
    shadow = palette.rgb("shadow")
    if _luminance(shadow) > 0.05:
        red, green, blue = (round(v * 0.35) for v in shadow)
        shadow = (red, green, blue)
    accent = palette.rgb("accent")
    for panel, lines in groups:
        if not lines:
            continue
        ink_box = (min(b.box[0] for b in lines), min(b.box[1] for b in lines),
                   max(b.box[2] for b in lines), max(b.box[3] for b in lines))
        background = _background_luminance(image, ink_box)
        ink, needs_panel = _pick_ink(palette, background)
        if needs_panel or panel.role == "band":
            region = image.crop(panel.box)
            backing = Image.new("RGB", region.size, shadow)
            # the lightest panel that makes the type read: measured again after each try
            tries = (1.0,) if panel.role == "band" else (panel_opacity, 0.92, 1.0)
            for opacity in tries:
                image.paste(Image.blend(region, backing, opacity), panel.box[:2])
                background = _background_luminance(image, ink_box)
                ink, still = _pick_ink(palette, background)
                if not still:
                    break
        for line in lines:
            fill = ink
            if line.role == "artist":  # the accent colour only where it reads on its own line
                under = _background_luminance(image, line.box)
                if min(contrast_ratio(_luminance(accent), under[0]),
                       contrast_ratio(_luminance(accent), under[2])) >= _AIM:
                    fill = accent
            font = load_font(line.font_file, line.font_size, line.weight)
            draw.text(line.origin, line.text, font=font, fill=fill, anchor="ls")
    return image
