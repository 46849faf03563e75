import colorsys

import pytest

from albumstudio.core.cover import MusicMood
from albumstudio.core.mood_palette import (
    COOL_HUE,
    WARM_HUE,
    hex_to_rgb,
    hue_distance,
    hue_of,
    key_hue,
    palette_for_mood,
    palette_from_colours,
    relative_luminance,
)

KEYS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _saturation(colour: str) -> float:
    r, g, b = hex_to_rgb(colour)
    return colorsys.rgb_to_hls(r / 255, g / 255, b / 255)[2]


def test_same_mood_and_seed_give_the_same_palette_and_seeds_vary_it():
    mood = MusicMood(energy=0.7, tempo_bpm=128, mode="minor", key="A", tags=("synth",))
    assert palette_for_mood(mood, seed=4) == palette_for_mood(mood, seed=4)
    colours = {palette_for_mood(mood, seed=s).colours for s in range(6)}
    assert len(colours) == 6
    for colour in palette_for_mood(mood, seed=4).colours:
        assert len(hex_to_rgb(colour)) == 3


@pytest.mark.parametrize("key", KEYS)
def test_minor_pulls_hues_cooler_and_major_warmer(key):
    minor = palette_for_mood(MusicMood(key=key, mode="minor"))
    major = palette_for_mood(MusicMood(key=key, mode="major"))
    assert hue_distance(hue_of(minor.mid), COOL_HUE) < hue_distance(hue_of(major.mid), COOL_HUE)
    assert hue_distance(hue_of(major.mid), WARM_HUE) < hue_distance(hue_of(minor.mid), WARM_HUE)
    assert "minor key → cooler hues" in minor.reasons
    assert "major key → warmer hues" in major.reasons


def test_reasons_explain_every_figure_used():
    palette = palette_for_mood(MusicMood(energy=0.9, tempo_bpm=140, brightness_hz=3500,
                                         loudness_lufs=-7, key="E", tags=("metal",)))
    text = " | ".join(palette.reasons)
    assert palette.reasons
    for word in ("key of E", "high energy", "140 BPM", "bright timbre", "loud master", "metal"):
        assert word in text


def test_rap_is_darker_than_jazz():
    mood = MusicMood(key="F", mode="major")
    rap = palette_for_mood(mood, genre="hip hop")
    jazz = palette_for_mood(mood, genre="jazz")
    assert (sum(map(relative_luminance, rap.colours))
            < sum(map(relative_luminance, jazz.colours)))
    assert any("jazz" in r for r in jazz.reasons) and any("rap" in r for r in rap.reasons)


def test_genre_tags_work_without_a_genre_string():
    plain = palette_for_mood(MusicMood(key="D"))
    ambient = palette_for_mood(MusicMood(key="D", tags=("ambient",)))
    assert plain != ambient
    assert any("ambient" in r for r in ambient.reasons)


def test_high_energy_gives_a_more_saturated_accent():
    calm = palette_for_mood(MusicMood(energy=0.1))
    wild = palette_for_mood(MusicMood(energy=0.95))
    assert _saturation(wild.accent) > _saturation(calm.accent) + 0.2


def test_roles_run_dark_to_light():
    for key in KEYS:
        palette = palette_for_mood(MusicMood(key=key, energy=0.6))
        assert relative_luminance(palette.shadow) < relative_luminance(palette.mid)
        assert relative_luminance(palette.mid) < relative_luminance(palette.highlight)


def test_unknown_key_falls_back_to_the_seed():
    assert key_hue("Bb minor") == key_hue("A#") == 300.0
    assert key_hue("?") is None
    palette = palette_for_mood(MusicMood(key=""), seed=9)
    assert palette == palette_for_mood(MusicMood(key=""), seed=9)
    assert "no key known → base hue from the seed" in palette.reasons


def test_colours_chosen_by_hand_get_roles_by_lightness_and_saturation():
    palette = palette_from_colours(("#f4f1e8", "#102030", "#e63946", "#7a8b99"))
    assert palette.shadow == "#102030"
    assert palette.highlight == "#f4f1e8"
    assert palette.accent == "#e63946"
    assert palette.mid == "#7a8b99"
    assert set(palette.colours) <= {"#f4f1e8", "#102030", "#e63946", "#7a8b99"}
    single = palette_from_colours(("#3366cc",))
    assert relative_luminance(single.shadow) < relative_luminance(single.highlight)
    with pytest.raises(ValueError):
        palette_from_colours(("red",))
