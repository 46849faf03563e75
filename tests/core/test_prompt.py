"""The explainable cover prompt and the genre presets."""

import pytest

from albumstudio.core.cover import DEFAULT_NEGATIVE, LAYOUTS, QUALITY_SUFFIX, TREATMENTS
from albumstudio.core.errors import InputError
from albumstudio.core.genre_presets import GENRE_PRESETS, match_preset, preset_for_genre
from albumstudio.core.prompt import (
    DROP_ORDER,
    MAX_STYLE_CHARS,
    ComposedPrompt,
    PromptPart,
    clean_user_text,
    compose_prompt,
    locate_edited,
    parse_edited,
    word_count,
)

DESCRIPTION = ("a dark, driving 128 BPM track in A minor, loud and dense, building to a peak in "
               "the second half, with techno and piano")
FULL = dict(style="neon rain on glass", image_caption="a woman standing on a rooftop at dusk",
            music_description=DESCRIPTION, music_tags=("techno", "vocal", "piano", "female"),
            title="Midnight Drive", artist="Nova Lux", genre="Deep House")


def sources(composed: ComposedPrompt) -> list[str]:
    return [p.source for p in composed.parts]


def test_parts_follow_importance_and_text_matches_spans():
    composed = compose_prompt(**FULL)
    order = ["style", "image", "genre", "music", "release", "tags", "quality"]
    seen = list(dict.fromkeys(sources(composed)))
    assert seen == order
    assert composed.text.startswith("neon rain on glass, a woman standing on a rooftop")
    assert composed.text.endswith(QUALITY_SUFFIX)
    assert composed.preset == "electronic"
    spans = composed.spans()
    assert len(spans) == len(composed.parts)
    for (start, end, source), part in zip(spans, composed.parts, strict=True):
        assert composed.text[start:end] == part.text and source == part.source


def test_same_inputs_same_prompt():
    assert compose_prompt(**FULL) == compose_prompt(**FULL)
    assert compose_prompt(**FULL) != compose_prompt(**{**FULL, "music_description": "quiet"})


def test_music_words_become_pictures_naming_the_figure():
    parts = {p.text: p.because for p in compose_prompt(music_description=DESCRIPTION).parts
             if p.source == "music"}
    assert parts["dynamic motion"] == 'tempo 128 BPM ("driving") → dynamic motion'
    assert parts["melancholic"] == "key A minor → melancholic"
    assert "spectral brightness" in parts["dark moody lighting"]
    assert '"loud"' in parts["bold high contrast"] and '"dense"' in parts["bold high contrast"]
    assert "energy curve" in parts["rising upward composition"]
    calm = compose_prompt(music_description="a warm, slow 64 BPM track in C major, very quiet "
                                            "and sparse")
    texts = [p.text for p in calm.parts if p.source == "music"]
    assert texts == ["warm golden light", "calm, still composition",
                     "minimal, lots of negative space"]
    assert "melancholic" not in calm.text
    bare = compose_prompt(music_description="steady groove at 140 bpm")
    assert [p.because for p in bare.parts if p.source == "music"] == [
        "tempo 140 BPM → dynamic motion"]


def test_tags_about_the_voice_are_left_out_and_instruments_become_imagery():
    composed = compose_prompt(music_tags=("vocal", "piano", "sitar", "male voice", "techno"))
    tags = [p.text for p in composed.parts if p.source == "tags"]
    assert tags == ["piano keys", "inspired by sitar music", "neon-lit industrial space"]
    assert [p.text for p in composed.dropped] == ["vocal", "male voice"]
    assert all("voice" in p.because for p in composed.dropped)
    assert "vocal" not in composed.text


def test_title_and_artist_are_never_asked_for_as_text():
    composed = compose_prompt(**FULL)
    assert "Nova Lux" not in composed.text and "Midnight Drive" not in composed.text
    release = [p for p in composed.parts if p.source == "release"]
    assert [p.text for p in release] == ["night scene"]
    assert '"Midnight"' in release[0].because
    for term in DEFAULT_NEGATIVE.split(", ") + ["letters", "typography"]:
        assert term in composed.negative.split(", ")
    assert "rustic" in composed.negative  # the electronic preset's own negatives
    assert len(composed.negative.split(", ")) == len(set(composed.negative.split(", ")))


def test_urls_handles_emails_and_prices_are_dropped_with_a_reason():
    style = ("gold foil, out now on www.novalux.com and https://x.co/abc, follow @nova.lux, "
             "mail me@nova.io, only $9.99, scan the QR code")
    composed = compose_prompt(style=style)
    assert composed.parts[0].source == "style"
    assert composed.parts[0].text == "gold foil, out now on and, follow, mail, only, scan the"
    assert composed.parts[0].because.startswith("your own words; design: “gold”")
    for gone in ("www", "x.co", "@", "9.99", "QR", "nova"):
        assert gone not in composed.text
    joined = " ".join(composed.warnings)
    for reason in ("web addresses", "social media handles", "contact details", "prices",
                   "QR codes"):
        assert reason in joined
    assert len(composed.warnings) == 6


def test_user_text_is_cleaned_and_capped():
    text, warnings = clean_user_text("dusk\x00\x1b[31m  over\u200b\n\tthe   sea", 100)
    assert text == "dusk[31m over the sea" and warnings == []
    long_style = "glass " * 200
    composed = compose_prompt(style=long_style, max_words=1000)
    assert len(composed.parts[0].text) <= MAX_STYLE_CHARS
    assert composed.parts[0].text.endswith("glass")
    assert any("Shortened" in w for w in composed.warnings)
    caption = compose_prompt(image_caption="there is an arafed man on araffe beach").parts[0]
    assert caption.text == "a man on beach"


def test_trimming_drops_least_important_first_and_never_the_artists_words():
    full = compose_prompt(**FULL, max_words=1000)
    assert not any("left out" in p.because for p in full.dropped)
    total = word_count(full.text)
    tags_words = sum(word_count(p.text) for p in full.parts if p.source == "tags")
    no_tags = compose_prompt(**FULL, max_words=total - tags_words)
    assert "tags" not in sources(no_tags)
    assert {"release", "music", "quality", "genre"} <= set(sources(no_tags))
    assert word_count(no_tags.text) <= total - tags_words
    assert any("77 tokens" in w for w in no_tags.warnings)
    shorter = compose_prompt(**FULL, max_words=30)
    assert word_count(shorter.text) <= 30
    assert sources(shorter)[:2] == ["style", "image"]
    trimmed = [p.source for p in shorter.dropped if p.because.endswith("(left out: prompt too long)")]
    assert trimmed == sorted(trimmed, key=DROP_ORDER.index)
    assert set(trimmed) >= {"tags", "release"}
    last_rank = DROP_ORDER.index(trimmed[-1])
    assert not any(DROP_ORDER.index(s) < last_rank for s in sources(shorter) if s != "style")
    tiny = compose_prompt(**FULL, max_words=2)
    assert [p.source for p in tiny.parts] == ["style"]
    assert tiny.text == "neon rain on glass"
    assert {p.source for p in tiny.dropped} == {"tags", "release", "music", "quality", "genre",
                                                "image"}


def test_presets_match_free_form_genres():
    cases = {"Hip Hop": "hip-hop", "hip-hop/rap": "hip-hop", "Deep House": "electronic",
             "Jazz rap": "hip-hop", "folk rock": "rock", "R&B": "rnb", "Lo-Fi Hip Hop": "lofi",
             "Death Metal": "metal", "Electronic; Ambient": "electronic",
             "Singer-Songwriter": "folk", "Neo-Soul": "rnb", "dream pop": "pop",
             "Modern Classical": "classical", "drum & bass": "electronic"}
    for genre, name in cases.items():
        assert preset_for_genre(genre) is GENRE_PRESETS[name], genre
    assert preset_for_genre("Vaporwave") is None
    assert preset_for_genre("", ["vocal", "new age", "rock"]) is GENRE_PRESETS["ambient"]
    assert preset_for_genre("Vaporwave", ["weird"]) is None
    preset, reason = match_preset("", ["techno"])
    assert preset.name == "electronic" and "techno" in reason


def test_presets_use_known_design_values_and_genre_sets_lightness():
    assert len(GENRE_PRESETS) >= 10
    for preset in GENRE_PRESETS.values():
        assert preset.design_layout in LAYOUTS and preset.design_treatment in TREATMENTS
        assert preset.style and preset.negative and preset.palette_hint
    assert "dark" in GENRE_PRESETS["hip-hop"].style and "light" in GENRE_PRESETS["jazz"].style


def test_chosen_preset_overrides_the_genre_and_none_names_the_genre():
    jazz = compose_prompt(genre="Deep House", preset="jazz")
    assert jazz.preset == "jazz"
    assert jazz.parts[0] == PromptPart("genre", GENRE_PRESETS["jazz"].style,
                                       "preset chosen by you: Jazz / blues")
    plain = compose_prompt(genre="Deep House", preset="none")
    assert plain.preset is None and "genre" not in sources(plain)
    assert "inspired by deep house music" in plain.text
    auto = compose_prompt(genre="Deep House", preset="")
    assert auto.preset == "electronic"
    with pytest.raises(InputError, match="pick one from the list"):
        compose_prompt(preset="polka")


def test_parse_edited_keeps_parts_and_marks_new_text_as_the_artists():
    composed = compose_prompt(**FULL)
    assert parse_edited(composed.text, composed) == composed
    edited = composed.text.replace("dynamic motion", "fast cars").replace(
        "neon rain on glass", "chrome skyline,  neon rain on glass") + ", see www.x.com"
    result = parse_edited(edited, composed)
    texts = [p.text for p in result.parts]
    assert texts[:2] == ["chrome skyline", "neon rain on glass"]
    assert result.parts[0].source == "style" and result.parts[0].because == "your edit"
    assert "dynamic motion" not in texts
    assert PromptPart("style", "fast cars", "your edit") in result.parts
    assert "www" not in result.text and any("web address" in w for w in result.warnings)
    for start, end, part in locate_edited(edited, composed):
        if part.because != "your edit":
            assert " ".join(edited[start:end].split()) == part.text
    kept = {p.text for p in composed.parts} & set(texts)
    assert len(kept) == len(composed.parts) - 1
    for (start, end, source), part in zip(result.spans(), result.parts, strict=True):
        assert result.text[start:end] == part.text and source == part.source


def test_parse_edited_finds_moved_parts():
    composed = compose_prompt(style="velvet", image_caption="a red car", title="Summer")
    moved = "golden sunlight, a red car, velvet"
    result = parse_edited(moved, composed)
    assert [(p.source, p.text) for p in result.parts] == [
        ("release", "golden sunlight"), ("image", "a red car"), ("style", "velvet")]
    assert parse_edited("", composed).parts == ()


def test_contradicting_phrases_keep_the_more_important_one():
    composed = compose_prompt(music_description="a dark, driving 128 BPM track",
                              music_tags=["slow", "ambient"])
    texts = [p.text for p in composed.parts]
    assert "dynamic motion" in texts and "calm, still composition" not in texts
    left_out = [p for p in composed.dropped if p.text == "calm, still composition"]
    assert left_out and "contradicts \"dynamic motion\"" in left_out[0].because
    mine = compose_prompt(style="calm, still composition",
                          music_description="a driving 128 BPM track")
    assert "calm, still composition" in [p.text for p in mine.parts]  # the artist's words stay
