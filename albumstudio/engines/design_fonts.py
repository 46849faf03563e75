"""The bundled cover fonts, their pairings, and a fallback for scripts they lack.

Fonts ship in ``resources/fonts`` (``albumstudio.resources``). Coverage is checked glyph by
glyph against the font's "missing glyph" box, so a Cyrillic, Greek or Arabic title falls back
to DejaVu Sans and a Chinese, Japanese or Korean one to the bundled WenQuanYi Micro Hei.
"""

from __future__ import annotations

import glob
import io
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from PIL import Image, ImageDraw, ImageFont

BEBAS = "BebasNeue-Regular.ttf"
DM_SERIF = "DMSerifDisplay-Regular.ttf"
WORK_SANS = "WorkSans-Variable.ttf"
DEJAVU = "DejaVuSans-Bold.ttf"
OSWALD = "Oswald-Variable.ttf"  # condensed grotesque, weights 200–700
CRIMSON = "CrimsonPro-Variable.ttf"  # humanist old-style serif, weights 200–900
DANCING = "DancingScript-Variable.ttf"  # script, weights 400–700
CJK = "wqy-microhei.ttc"  # Chinese, Japanese and Korean, so no title renders as boxes
BUNDLED = (BEBAS, DM_SERIF, WORK_SANS, DEJAVU, OSWALD, CRIMSON, DANCING, CJK)

_SYSTEM_FALLBACKS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/meiryo.ttc",
    "C:/Windows/Fonts/malgun.ttf",
    "C:/Windows/Fonts/arialuni.ttf",
    "C:/Windows/Fonts/seguisym.ttf",
)
_PROBE_LOCK = threading.Lock()  # one shared probe font per file: render with it one at a time
_SYSTEM_GLOBS = ("/usr/share/fonts/**/Noto*CJK*.tt[cf]", "/usr/share/fonts/**/Noto*CJK*.otf")


@dataclass(frozen=True)
class FontSpec:
    """One face: a bundled file name (or a path), a weight for variable fonts, a size factor."""

    file: str
    weight: int | None = None
    upper: bool = False  # set in capitals
    scale: float = 1.0  # condensed faces can be set larger for the same visual weight
    leading: float = 1.08  # line pitch as a multiple of the size


@dataclass(frozen=True)
class TypePairing:
    name: str
    title: FontSpec
    artist: FontSpec


PAIRINGS: dict[str, TypePairing] = {
    "poster": TypePairing("poster", FontSpec(BEBAS, upper=True, scale=1.45, leading=0.9),
                          FontSpec(WORK_SANS, 600, upper=True, scale=0.9)),
    "editorial": TypePairing("editorial", FontSpec(DM_SERIF, scale=1.05, leading=1.02),
                             FontSpec(WORK_SANS, 500, upper=True, scale=0.85)),
    "modern": TypePairing("modern", FontSpec(WORK_SANS, 800, scale=0.95, leading=1.0),
                          FontSpec(WORK_SANS, 400, scale=1.0)),
    "grotesque": TypePairing("grotesque", FontSpec(OSWALD, 600, upper=True, scale=1.2,
                                                   leading=0.95),
                             FontSpec(OSWALD, 400, upper=True, scale=0.95)),
    "humanist": TypePairing("humanist", FontSpec(CRIMSON, 600, scale=1.1, leading=1.0),
                            FontSpec(CRIMSON, 500, scale=1.0)),
    "script": TypePairing("script", FontSpec(DANCING, 700, scale=1.15, leading=1.05),
                          FontSpec(WORK_SANS, 500, upper=True, scale=0.85)),
}

DEFAULT_PAIRING = PAIRINGS["poster"]


@lru_cache(maxsize=16)
def _font_bytes(file: str) -> bytes:
    if file in BUNDLED:
        return (resources.files("albumstudio.resources") / "fonts" / file).read_bytes()
    with open(file, "rb") as handle:
        return handle.read()


def load_font(file: str, size: int, weight: int | None = None) -> ImageFont.FreeTypeFont:
    """A Pillow font for a bundled file name or a font path, at ``size`` pixels."""
    font = ImageFont.truetype(io.BytesIO(_font_bytes(file)), max(1, int(size)))
    if weight is not None:
        try:
            font.set_variation_by_axes([float(weight)])
        except (OSError, ValueError):
            pass  # a static font or FreeType without variation support: regular weight
    return font


@lru_cache(maxsize=16)
def _probe(file: str) -> tuple[ImageFont.FreeTypeFont, bytes]:
    font = load_font(file, 32)
    return font, _glyph_image(font, "\U0010fffd")


def _glyph_image(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    image = Image.new("L", (64, 64))
    ImageDraw.Draw(image).text((8, 48), char, font=font, fill=255, anchor="ls")
    return image.tobytes()


@lru_cache(maxsize=8192)
def has_glyph(file: str, char: str) -> bool:
    """Whether the font draws ``char`` with a glyph of its own (not the missing-glyph box)."""
    if char.isspace() or not char.isprintable():
        return True
    with _PROBE_LOCK:
        font, missing = _probe(file)
        return _glyph_image(font, char) != missing


def missing_chars(file: str, text: str) -> int:
    return sum(not has_glyph(file, ch) for ch in dict.fromkeys(text))


@lru_cache(maxsize=1)
def system_fallbacks() -> tuple[str, ...]:
    """Wide-coverage fonts found on this computer (used only for glyphs DejaVu lacks)."""
    found = [p for p in _SYSTEM_FALLBACKS if os.path.isfile(p)]
    for pattern in _SYSTEM_GLOBS:
        found.extend(sorted(glob.glob(pattern, recursive=True)))
    return tuple(dict.fromkeys(found))


def font_for_text(spec: FontSpec, text: str) -> FontSpec:
    """``spec`` if its font has every glyph of ``text``; otherwise the first fallback that has
    them all (DejaVu Sans, then system fonts), or the one missing the fewest."""
    if not text or missing_chars(spec.file, text) == 0:
        return spec
    best: tuple[int, str] | None = None
    for file in (DEJAVU, CJK, *system_fallbacks()):
        try:
            missing = missing_chars(file, text)
        except OSError:
            continue
        if missing == 0:
            best = (0, file)
            break
        if best is None or missing < best[0]:
            best = (missing, file)
    if best is None or best[1] == spec.file:
        return spec
    return FontSpec(best[1], None, spec.upper, min(spec.scale, 1.0), max(spec.leading, 1.1))
