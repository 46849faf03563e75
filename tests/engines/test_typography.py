import numpy as np
import pytest
from PIL import Image, ImageDraw

from albumstudio.core.cover import LAYOUTS, MusicMood
from albumstudio.core.mood_palette import palette_for_mood
from albumstudio.engines.design_fonts import (
    DEJAVU,
    PAIRINGS,
    font_for_text,
    has_glyph,
    load_font,
)
from albumstudio.engines.typography import draw_text, layout_text, safe_box

SIZE = 768
TEXTS = [
    ("Midnight Drive", "The Velvet Echoes"),
    ("A Remarkably Long Album Title That Keeps Going Well Past Any Sensible Length "
     "Of Words For A Cover", "An Artist With An Equally Unreasonable Name And Many Words"),
    ("Supercalifragilisticexpialidociousnessitudeism", ""),
    ("", "Only The Artist"),
    ("Ночной город", "Ελληνικά"),
    ("東京の夜", "李白"),
]


def _inside(box, area):
    return box[0] >= area[0] and box[1] >= area[1] and box[2] <= area[2] and box[3] <= area[3]


@pytest.mark.parametrize("layout", [lay for lay in LAYOUTS if lay != "none"])
@pytest.mark.parametrize("pairing", sorted(PAIRINGS))
def test_every_box_stays_inside_the_safe_margin(layout, pairing):
    area = safe_box(SIZE)
    assert area == (46, 46, SIZE - 46, SIZE - 46)
    for title, artist in TEXTS:
        boxes = layout_text(SIZE, title, artist, layout, PAIRINGS[pairing])
        lines = [b for b in boxes if b.role in ("title", "artist")]
        assert {b.role for b in lines} == {r for r, t in (("title", title), ("artist", artist))
                                           if t}
        for box in boxes:
            assert _inside(box.box, area), (title, box)
            assert box.box[2] > box.box[0] and box.box[3] > box.box[1]


def test_lines_do_not_overlap_and_titles_read_top_to_bottom():
    boxes = layout_text(SIZE, "One Two Three Four Five Six", "Artist", "bottom-left")
    lines = [b for b in boxes if b.role != "panel"]
    for upper, lower in zip(lines, lines[1:], strict=False):
        assert upper.box[3] <= lower.box[1]


def test_long_titles_shrink_and_wrap():
    short = [b for b in layout_text(SIZE, "Dawn", "", "centered") if b.role == "title"]
    long = [b for b in layout_text(SIZE, TEXTS[1][0], "", "centered") if b.role == "title"]
    assert long[0].font_size < short[0].font_size
    assert 1 < len(long) <= 3


def test_no_text_or_layout_none_gives_no_boxes():
    assert layout_text(SIZE, "Title", "Artist", "none") == []
    assert layout_text(SIZE, "  ", "", "centered") == []
    with pytest.raises(ValueError):
        layout_text(SIZE, "Title", "Artist", "diagonal")


def test_scripts_the_display_fonts_lack_fall_back_to_dejavu():
    poster = PAIRINGS["poster"].title
    assert font_for_text(poster, "MIDNIGHT").file == poster.file
    assert font_for_text(poster, "Ночной город").file == DEJAVU
    assert font_for_text(poster, "Ελληνικά").file == DEJAVU
    assert has_glyph(DEJAVU, "Ж") and not has_glyph(poster.file, "Ж")


@pytest.mark.parametrize("title", ["Ночной город", "Ελληνικά νύχτα", "مساء الخير"])
def test_non_latin_titles_render_real_glyphs(title):
    boxes = layout_text(SIZE, title, "", "centered")
    lines = [b for b in boxes if b.role == "title"]
    assert lines and all(b.box[2] > b.box[0] and b.box[3] > b.box[1] for b in lines)
    assert all(not any(not has_glyph(b.font_file, c) for c in b.text) for b in lines)
    image = Image.new("RGB", (SIZE, SIZE), (0, 0, 0))
    draw_text(image, boxes, palette_for_mood(MusicMood()))
    left, top, right, bottom = lines[0].box
    assert np.asarray(image)[top:bottom, left:right].max() > 200


def _ink_luminance(image, boxes):
    pixels = np.asarray(image.convert("L"))
    values = [pixels[b.box[1]:b.box[3], b.box[0]:b.box[2]] for b in boxes if b.role == "title"]
    return np.concatenate([v.ravel() for v in values])


def test_type_is_light_on_dark_and_dark_on_light():
    palette = palette_for_mood(MusicMood())
    boxes = layout_text(SIZE, "Midnight Drive", "Someone", "bottom-left")
    on_black = draw_text(Image.new("RGB", (SIZE, SIZE), (0, 0, 0)), boxes, palette)
    on_white = draw_text(Image.new("RGB", (SIZE, SIZE), (255, 255, 255)), boxes, palette)
    assert _ink_luminance(on_black, boxes).max() > 200
    assert _ink_luminance(on_white, boxes).min() < 50
    assert np.asarray(on_white)[0, 0].tolist() == [255, 255, 255]


def test_a_busy_background_gets_a_panel_inside_the_panel_box():
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
    boxes = layout_text(SIZE, "Midnight Drive", "Someone", "bottom-left")
    drawn = draw_text(noise.copy(), boxes, palette_for_mood(MusicMood()))
    changed = np.any(np.asarray(drawn) != np.asarray(noise), axis=-1)
    panel = boxes[0]
    assert panel.role == "panel"
    left, top, right, bottom = panel.box
    assert changed[top:bottom, left:right].mean() > 0.8
    outside = changed.copy()
    outside[top:bottom, left:right] = False
    assert not outside.any()


def test_variable_weights_change_the_stroke():
    regular = load_font(PAIRINGS["modern"].artist.file, 80, 400)
    heavy = load_font(PAIRINGS["modern"].artist.file, 80, 800)
    masks = []
    for font in (regular, heavy):
        image = Image.new("L", (400, 120))
        ImageDraw.Draw(image).text((10, 100), "Heavy", font=font, fill=255, anchor="ls")
        masks.append(np.asarray(image).astype(float).sum())
    assert masks[1] > masks[0] * 1.2


@pytest.mark.parametrize("title", ["真夜中のドライブ", "夜行列车", "한밤의 드라이브"])
def test_cjk_titles_render_real_glyphs_with_the_bundled_fallback(title, monkeypatch):
    """Japanese, Chinese and Korean never render as boxes, whatever fonts the computer has."""
    from albumstudio.engines import design_fonts

    monkeypatch.setattr(design_fonts, "system_fallbacks", lambda: ())
    for pairing in PAIRINGS.values():
        spec = font_for_text(pairing.title, title)
        assert spec.file == design_fonts.CJK, pairing.name
        assert all(has_glyph(spec.file, c) for c in title if not c.isspace())
    boxes = layout_text(SIZE, title, "", "centered")
    lines = [b for b in boxes if b.role == "title"]
    assert lines and all(b.font_file == design_fonts.CJK for b in lines)
    image = Image.new("RGB", (SIZE, SIZE), (0, 0, 0))
    draw_text(image, boxes, palette_for_mood(MusicMood()))
    left, top, right, bottom = lines[0].box
    inked = np.asarray(image.convert("L"))[top:bottom, left:right] > 128
    assert inked.mean() > 0.08  # strokes, not a row of empty boxes' outlines


def test_every_pairing_sets_a_latin_title_in_its_own_faces():
    for pairing in PAIRINGS.values():
        for spec in (pairing.title, pairing.artist):
            assert font_for_text(spec, "Night Drive — Ada Vale").file == spec.file, pairing.name
