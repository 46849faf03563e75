"""The artist's words steer the offline design (#12): colours, light, texture, type, background,
each with its reason, and the words it does not know listed for the diffusion engine."""

from __future__ import annotations

import numpy as np
import pytest

from albumstudio.core.cover import CoverRequest, DesignOptions, MusicMood
from albumstudio.core.design_words import read_words, steer_palette, vocabulary
from albumstudio.core.mood_palette import hex_to_rgb, palette_for_mood
from tests.support.colour import ciede2000, dominant_colours, srgb_to_lab

MOODS = {
    "orchestral": MusicMood(energy=0.3, tempo_bpm=72, brightness_hz=1500, mode="minor", key="D",
                            tags=("classical", "strings")),
    "electronic": MusicMood(energy=0.8, tempo_bpm=128, brightness_hz=3400, mode="major", key="F#",
                            tags=("electronic", "synth")),
}
COLOUR_WORDS = sorted(w for w, e in vocabulary().items() if e.get("kind") == "colour"
                      and "hex" in e)


def render(words: str, mood: MusicMood, seed: int = 0) -> np.ndarray:
    from albumstudio.engines.design_cover import render_cover

    request = CoverRequest(words=words, mood=mood, size=256, options=DesignOptions(
        layout="none", treatment="duotone", grain=0.0, vignette=0.0))
    image, _ = render_cover(request, seed, None)
    return np.asarray(image)


def distance_to(pixels: np.ndarray, colour: str) -> float:
    """The share-weighted CIEDE2000 distance of the image's four main colours to ``colour``."""
    target = srgb_to_lab(np.array(hex_to_rgb(colour), np.float64))
    return float(sum(share * ciede2000(srgb_to_lab(rgb), target)
                     for rgb, share in dominant_colours(pixels)))


def test_phrases_plurals_and_filler_are_read_and_unknown_words_are_listed():
    reading = read_words("Film grain and cobalt waves, with a candlelit cathedral feel; xyzzy!")
    assert [e.word for e in reading.effects] == ["film grain", "cobalt", "waves", "candlelit",
                                                 "cathedral"]
    assert reading.unread == ("xyzzy",)
    assert reading.unread_note() == "“xyzzy”: read by the diffusion engine only"
    assert reading.choice("background") == ("rings", "waves")
    assert reading.choice("grain") == (0.6, "film grain")
    assert read_words("").effects == () and read_words("the and of").unread == ()


def test_every_word_says_why():
    for word in vocabulary():
        reason = read_words(word).effects[0].reason()
        assert reason.startswith(f"“{word}” → ") and not reason.endswith("noted"), reason


def test_no_words_leave_the_palette_as_the_music_made_it():
    palette = palette_for_mood(MOODS["orchestral"], 3)
    assert steer_palette(palette, read_words("")) == palette
    assert steer_palette(palette, read_words("xyzzy")) == palette


@pytest.mark.parametrize("mood", sorted(MOODS))
def test_each_colour_word_moves_the_cover_toward_its_colour(mood):
    plain = render("", MOODS[mood])
    closer = []
    for word in COLOUR_WORDS:
        target = vocabulary()[word]["hex"]
        before, after = distance_to(plain, target), distance_to(render(word, MOODS[mood]), target)
        closer.append(after < before)
        assert after < before, (word, before, after)
    assert all(closer)


def test_light_words_move_lightness_and_temperature():
    mood = MOODS["electronic"]
    lab = {w: srgb_to_lab(render(w, mood).reshape(-1, 3).astype(np.float64)).mean(axis=0)
           for w in ("", "midnight", "snow", "candlelit", "winter")}
    assert lab["midnight"][0] < lab[""][0] < lab["snow"][0]  # darker, lighter
    assert lab["candlelit"][2] > lab["winter"][2]  # warmer (more yellow) than winter's blue


def high_frequency(pixels: np.ndarray) -> float:
    grey = pixels.astype(np.float64).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def test_texture_words_change_the_measured_texture():
    from dataclasses import replace

    from albumstudio.engines.design_cover import render_cover
    from albumstudio.services.covers import design_choices

    def textured(words: str) -> float:
        options = design_choices(DesignOptions(layout="none", vignette=0.0), words, None)
        request = CoverRequest(words=words, mood=MOODS["orchestral"], size=256, options=options)
        image, _ = render_cover(replace(request), 0, None)
        return high_frequency(np.asarray(image))

    plain, grainy, clean = textured(""), textured("grainy film grain"), textured("clean")
    assert clean < plain < grainy


def test_words_choose_treatment_layout_type_and_background_unless_set_by_hand():
    from albumstudio.core.cover_options import AUTO
    from albumstudio.engines.design_cover import pairing_for
    from albumstudio.services.covers import design_choices

    auto = DesignOptions(layout=AUTO, treatment=AUTO)
    chosen = design_choices(auto, "punk halftone", "jazz")
    assert (chosen.treatment, chosen.layout) == ("halftone", "stacked")
    by_hand = design_choices(DesignOptions(layout="top-band", treatment="blur", grain=0.1),
                             "punk halftone", None)
    assert (by_hand.treatment, by_hand.layout, by_hand.grain) == ("blur", "top-band", 0.1)
    request = CoverRequest(words="art deco", genre="hip-hop")
    assert pairing_for(request, 0).name == "editorial"


def test_a_word_the_design_engine_does_not_know_is_reported_in_the_notes():
    from albumstudio.engines.design_cover import run

    request = CoverRequest(words="neon xyzzy", size=256,
                           options=DesignOptions(layout="none", treatment="duotone"))
    notes = run(request).images[0].notes
    assert "words: “xyzzy”: read by the diffusion engine only" in notes
    assert any(n.startswith("palette: your words: “neon” →") for n in notes)
    assert "background: geometric grid, cells counted by onset density (your word “neon”)" in notes
    assert notes[-2:] == ("texture: film grain 0.25 (your setting)",
                          "type: poster pairing (seed 0), layout none (your setting or the "
                          "genre preset)") or not any(n.startswith("type:") for n in notes)
