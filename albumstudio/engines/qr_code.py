"""The QR symbol itself: its modules (error correction H), colours with enough contrast, and
its drawing as pixels (square, rounded or dot modules, an optional centre logo).

The same :func:`code_shapes` feed the PNG here and the PDF's vector drawing, so both files
show one code.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from albumstudio.core.errors import InputError
from albumstudio.core.mood_palette import hex_to_rgb, relative_luminance, rgb_to_hex
from albumstudio.core.qr import MIN_CONTRAST, QR_STYLES, colour_or_error, contrast_ratio

QUIET = 4  # modules of light margin around the symbol (the standard's minimum)
LOGO_SHARE = 0.07  # of the symbol's area: well inside the 30 % error correction H restores
TARGET_CONTRAST = 7.0  # what colours chosen from a palette aim for


@dataclass(frozen=True)
class QrSymbol:
    """The modules of one code (True = dark), without the quiet zone."""

    modules: np.ndarray
    version: int

    @property
    def count(self) -> int:
        return int(self.modules.shape[0])

    @property
    def with_quiet(self) -> int:
        return self.count + 2 * QUIET

    def function_mask(self) -> np.ndarray:
        """Finder patterns with their separators, timing lines and alignment patterns."""
        from qrcode.util import pattern_position

        n = self.count
        mask = np.zeros((n, n), dtype=bool)
        for r, c in ((0, 0), (0, n - 8), (n - 8, 0)):
            mask[r:r + 8, c:c + 8] = True
        mask[6, :] = True
        mask[:, 6] = True
        centres = pattern_position(self.version)
        for r in centres:
            for c in centres:
                if mask[r, c]:
                    continue
                mask[r - 2:r + 3, c - 2:c + 3] = True
        return mask


@functools.lru_cache(maxsize=64)
def make_symbol(payload: str, mask: int | None = None) -> QrSymbol:
    """The smallest symbol at error correction H that holds ``payload``, with the mask pattern
    the standard's penalty picks (or ``mask``, 0–7). InputError when the payload is empty or
    longer than version 40 holds. Read-only: the modules are shared between calls."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_H
    from qrcode.exceptions import DataOverflowError

    if not payload:
        raise InputError("The QR payload is empty; give the link or text the code should hold.")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_H, border=0, box_size=1,
                         mask_pattern=mask)
    code.add_data(payload.encode("utf-8"), optimize=0)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):
        raise InputError(f"The payload is {len(payload.encode('utf-8'))} bytes, more than the "
                         "largest QR code holds at the error correction a poster needs (1273); "
                         "use a shorter link.") from None
    modules = np.array(code.get_matrix(), dtype=bool)
    modules.setflags(write=False)
    return QrSymbol(modules, int(code.version or 0))


def symbols(payload: str) -> Iterator[QrSymbol]:
    """The payload's symbol with the standard's mask first, then with each other mask: the
    same data, other module patterns, for when a decoder stumbles on the first."""
    first = make_symbol(payload)
    yield first
    for mask in range(8):
        other = make_symbol(payload, mask)
        if not np.array_equal(other.modules, first.modules):
            yield other


def pick_colours(palette: list[str], dark: str = "", light: str = "") -> tuple[str, str]:
    """The code's dark and light colours: the artist's (InputError when the pair lacks
    contrast), or the palette's darkest and lightest, deepened until they contrast enough."""
    try:
        given = (colour_or_error(dark, "dark") if dark else "",
                 colour_or_error(light, "light") if light else "")
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if given[0] and given[1]:
        ratio = contrast_ratio(*given)
        if relative_luminance(given[0]) >= relative_luminance(given[1]) or ratio < MIN_CONTRAST:
            raise InputError(f"The colours {given[0]} and {given[1]} contrast {ratio:.1f}:1; a "
                             f"code needs a darker dark colour with at least {MIN_CONTRAST}:1 "
                             "against the light one, so choose a darker or a lighter colour.")
        return given
    by_light = sorted(palette or ["#111111", "#f5f5f5"], key=relative_luminance)
    dark_c = given[0] or _mix(by_light[0], "#000000", 0.35)
    light_c = given[1] or _mix(by_light[-1], "#ffffff", 0.6)  # a quiet card, not a loud one
    for _ in range(40):
        if contrast_ratio(dark_c, light_c) >= TARGET_CONTRAST and \
                relative_luminance(dark_c) < relative_luminance(light_c):
            break
        if not given[0]:
            dark_c = _mix(dark_c, "#000000", 0.15)
        if not given[1]:
            light_c = _mix(light_c, "#ffffff", 0.15)
        if given[0] and given[1]:
            break
    if contrast_ratio(dark_c, light_c) < MIN_CONTRAST or \
            relative_luminance(dark_c) >= relative_luminance(light_c):
        which = dark or light
        raise InputError(f"The colour {which} leaves too little contrast for a code; choose a "
                         "darker dark colour or a lighter light colour.")
    return dark_c, light_c


def _mix(a: str, b: str, share: float) -> str:
    ra, rb = np.array(hex_to_rgb(a), float), np.array(hex_to_rgb(b), float)
    mixed = ra * (1 - share) + rb * share
    return rgb_to_hex((float(mixed[0]), float(mixed[1]), float(mixed[2])))


@dataclass(frozen=True)
class Shape:
    """One dark shape in module units (from the quiet zone's corner): ``rect`` (``r`` is the
    corner radius) or ``circle`` (centre x+w/2, y+h/2, radius w/2)."""

    kind: str
    x: float
    y: float
    w: float
    h: float
    r: float = 0.0
    light: bool = False  # drawn in the light colour (the finder's inner ring)


def code_shapes(symbol: QrSymbol, style: str, logo_box: tuple[int, int, int, int] | None = None
                ) -> list[Shape]:
    """The dark shapes of the code in ``style``. Finder patterns stay solid (three nested
    squares, rounded in the rounded and dot styles) and timing and alignment modules square,
    so every decoder finds the grid; data modules take the style."""
    if style not in QR_STYLES:
        raise InputError(f"'{style}' is not a module style; choose one of "
                         f"{', '.join(QR_STYLES)}.")
    n = symbol.count
    shapes: list[Shape] = []
    finder = np.zeros((n, n), dtype=bool)
    round_by = 0.0 if style == "square" else 0.3
    for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
        finder[r:r + 7, c:c + 7] = True
        x, y = c + QUIET, r + QUIET
        shapes.append(Shape("rect", x, y, 7, 7, 1.6 * round_by))
        shapes.append(Shape("rect", x + 1, y + 1, 5, 5, 1.1 * round_by, light=True))
        shapes.append(Shape("rect", x + 2, y + 2, 3, 3, 0.8 * round_by))
    skip = finder.copy()
    if logo_box is not None:
        r0, c0, r1, c1 = logo_box
        skip[r0:r1, c0:c1] = True
    solid = symbol.function_mask()  # timing and alignment modules stay square
    rows, cols = np.nonzero(symbol.modules & ~skip)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        x, y = c + QUIET, r + QUIET
        if style == "square" or solid[r, c]:
            shapes.append(Shape("rect", x, y, 1, 1))
        elif style == "rounded":
            shapes.append(Shape("rect", x + 0.04, y + 0.04, 0.92, 0.92, 0.3))
        else:
            shapes.append(Shape("circle", x + 0.1, y + 0.1, 0.8, 0.8))
    return shapes


def logo_box(symbol: QrSymbol) -> tuple[int, int, int, int]:
    """Rows and columns (r0, c0, r1, c1) the centre logo clears: an odd square of at most
    LOGO_SHARE of the symbol's area, centred (the scan check decides whether it may stay)."""
    n = symbol.count
    side = int((LOGO_SHARE * n * n) ** 0.5)
    if (n - side) % 2:
        side -= 1
    r0 = (n - side) // 2
    return r0, r0, r0 + side, r0 + side


def render_code(symbol: QrSymbol, style: str, dark: str, light: str, module_px: int,
                logo: Image.Image | None = None) -> np.ndarray:
    """The code with its quiet zone as an RGB array, ``module_px`` pixels per module (shapes
    are anti-aliased: each module shape is drawn once at 4× and tiled)."""
    box = logo_box(symbol) if logo is not None else None
    alpha = code_alpha(symbol, style, module_px, box)
    ink, paper = np.array(hex_to_rgb(dark), np.float32), np.array(hex_to_rgb(light), np.float32)
    rgb = paper + alpha[..., None] * (ink - paper)
    image: np.ndarray = np.rint(rgb).astype(np.uint8)
    if logo is not None and box is not None:
        _place_logo(image, logo, box, module_px)
    return image


def code_alpha(symbol: QrSymbol, style: str, module_px: int,
               box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Ink coverage (0 light … 1 dark) of every pixel of the code with its quiet zone: the
    pixels of :func:`code_shapes`, tiled from one drawing of each distinct shape."""
    shapes = code_shapes(symbol, style, box)
    m = module_px
    n = symbol.with_quiet
    cells = np.zeros((n, n, m, m), dtype=np.float32)
    stamps: dict[tuple[str, float, float, float, float], np.ndarray] = {}
    for s in shapes:
        if s.w > 1 or s.light:
            continue
        key = (s.kind, s.x % 1, s.y % 1, s.w, s.r)
        if key not in stamps:
            stamps[key] = _stamp(Shape(s.kind, s.x % 1, s.y % 1, s.w, s.h, s.r), m)
        cells[int(s.y), int(s.x)] = stamps[key]
    alpha = cells.transpose(0, 2, 1, 3).reshape(n * m, n * m)
    finders = [s for s in shapes if s.w > 1]
    for outer, inner, core in zip(finders[0::3], finders[1::3], finders[2::3], strict=True):
        x0, y0 = int(outer.x) * m, int(outer.y) * m
        local = [Shape(s.kind, s.x - outer.x, s.y - outer.y, s.w, s.h, s.r, s.light)
                 for s in (outer, inner, core)]
        alpha[y0:y0 + 7 * m, x0:x0 + 7 * m] = _draw_alpha(local, 7 * m, m)
    return alpha


def _stamp(shape: Shape, module_px: int) -> np.ndarray:
    return _draw_alpha([shape], module_px, module_px)


def _draw_alpha(shapes: list[Shape], side: int, module_px: int) -> np.ndarray:
    scale = 4
    canvas = Image.new("L", (side * scale, side * scale), 0)
    draw = ImageDraw.Draw(canvas)
    unit = module_px * scale
    for s in shapes:
        fill = 0 if s.light else 255
        box = (s.x * unit, s.y * unit, (s.x + s.w) * unit - 1, (s.y + s.h) * unit - 1)
        if s.kind == "circle":
            draw.ellipse(box, fill=fill)
        elif s.r > 0:
            draw.rounded_rectangle(box, radius=s.r * unit, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
    small = canvas.resize((side, side), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _place_logo(image: np.ndarray, logo: Image.Image, box: tuple[int, int, int, int],
                module_px: int) -> None:
    r0, c0, r1, c1 = box
    inset = module_px // 2
    left, top = (c0 + QUIET) * module_px + inset, (r0 + QUIET) * module_px + inset
    room = (c1 - c0) * module_px - 2 * inset
    if room <= 0:
        return
    picture = logo.convert("RGBA")
    picture.thumbnail((room, room), Image.Resampling.LANCZOS)
    x = left + (room - picture.width) // 2
    y = top + (room - picture.height) // 2
    under = Image.fromarray(image[y:y + picture.height, x:x + picture.width])
    under.paste(picture, (0, 0), picture)
    image[y:y + picture.height, x:x + picture.width] = np.asarray(under.convert("RGB"))


def palette_of(image: Image.Image | None) -> list[str]:
    """The picture's dominant colours ("#rrggbb"), or a neutral pair without a picture."""
    if image is None:
        return ["#121212", "#f4f1ea"]
    from albumstudio.vision.palette import dominant_palette

    return [colour for colour, _share in dominant_palette(image, 6)]
