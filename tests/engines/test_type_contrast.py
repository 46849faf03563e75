"""Type that reads (#12): title and artist meet WCAG 4.5:1 against the pixels actually under
them, on every layout × background family × palette the test makes, and the title stays
legible on a 250 px store thumbnail."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from albumstudio.core.cover import CoverRequest, DesignOptions, MusicMood
from albumstudio.engines.design_backgrounds import STYLES
from albumstudio.engines.design_fonts import load_font
from albumstudio.engines.typography import TITLE_MIN_SHARE, contrast_ratio, layout_text

LAYOUTS = ("bottom-left", "centered", "top-band", "stacked")
PALETTES = {
    "orchestral": ((), MusicMood(energy=0.3, tempo_bpm=72, mode="minor", key="D",
                                 tags=("classical", "strings"))),
    "electronic": ((), MusicMood(energy=0.85, tempo_bpm=128, mode="major", key="F#",
                                 brightness_hz=3500, tags=("electronic",))),
    "cyan on cyan": (("#00b7c7", "#00e5f0", "#5ff3f8", "#009aa8"), MusicMood()),
    "mid greys": (("#777777", "#8a8a8a", "#666666"), MusicMood()),
}


def _linear(v: np.ndarray) -> np.ndarray:
    c = v / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(rgb: np.ndarray) -> np.ndarray:
    lin = _linear(np.asarray(rgb, np.float64))
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def worst_contrasts(cover: np.ndarray, request: CoverRequest) -> list[tuple[str, float]]:
    """For each drawn line: the contrast of its ink against the darkest and lightest (5th and
    95th percentile) pixels around its glyphs inside its box, whichever is worse."""
    from albumstudio.engines.design_cover import pairing_for

    size = cover.shape[0]
    out = []
    boxes = layout_text(size, request.title, request.artist, request.options.layout,
                        pairing_for(request, request.seed))
    for line in boxes:
        if line.role not in ("title", "artist"):
            continue
        mask = Image.new("L", (size, size))
        ImageDraw.Draw(mask).text(line.origin, line.text, fill=255, anchor="ls",
                                  font=load_font(line.font_file, line.font_size, line.weight))
        left, top, right, bottom = line.box
        glyph = np.asarray(mask)[top:bottom, left:right] > 200
        near = np.asarray(mask.filter(ImageFilter.MaxFilter(7)))[top:bottom, left:right] > 0
        region = cover[top:bottom, left:right]
        if glyph.sum() < 10 or (~near).sum() < 10:
            continue
        ink = float(np.median(luminance(region[glyph])))
        ground = luminance(region[~near])
        low, high = np.percentile(ground, [5, 95])
        out.append((line.role, min(contrast_ratio(ink, low), contrast_ratio(ink, high))))
    return out


def render(style: str, layout: str, palette: str, title: str = "Night Drive") -> tuple:
    from albumstudio.engines.design_cover import render_cover

    colours, mood = PALETTES[palette]
    word = {"rings": "waves", "hills": "mountains", "aura": "dreamy", "sunburst": "sun",
            "grid": "geometric", "staves": "staves", "dots": "dots", "shards": "torn",
            "bars": "equalizer", "cutouts": "collage"}[style]
    request = CoverRequest(title=title, artist="Ada Vale", words=word, mood=mood, size=600, seed=3,
                           options=DesignOptions(layout=layout, treatment="duotone", grain=0.0,
                                                 palette=colours))
    image, notes = render_cover(request, request.seed, None)
    assert any(n.startswith("background: ") and f"“{word}”" in n for n in notes), notes
    return np.asarray(image), request


@pytest.mark.parametrize("palette", sorted(PALETTES))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_type_meets_wcag_aa_against_the_pixels_under_it(layout, palette):
    worst = []
    for style in STYLES:
        cover, request = render(style, layout, palette)
        measured = worst_contrasts(cover, request)
        assert {role for role, _ in measured} == {"title", "artist"}, (style, measured)
        worst += [(style, role, round(ratio, 2)) for role, ratio in measured if ratio < 4.5]
    assert not worst, worst


def test_a_long_title_keeps_its_capitals_legible_on_a_250_px_thumbnail():
    from albumstudio.engines.design_cover import pairing_for

    title = "The Extraordinarily Long Title Of A Record That Keeps Going On And On Forever"
    for layout in LAYOUTS:
        request = CoverRequest(title=title, artist="Ada Vale", size=3000,
                               options=DesignOptions(layout=layout))
        boxes = layout_text(3000, title, "Ada Vale", layout, pairing_for(request, 0))
        sizes = [b.font_size for b in boxes if b.role == "title"]
        assert sizes and min(sizes) >= round(3000 * TITLE_MIN_SHARE)
        cap_px_at_250 = min(sizes) * 0.66 * 250 / 3000  # the faces' capitals are ≥ 0.66 em
        assert cap_px_at_250 >= 6.5, (layout, min(sizes))
