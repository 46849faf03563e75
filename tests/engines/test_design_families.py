"""Background families that suit the music (#12): at least eight, the engine's own, each
seeded and driven by the audio figures, chosen from the tags, the analysis and the words; the
composition fills the square; variants of one request differ visibly."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.cover import CoverRequest, DesignOptions, MusicMood
from albumstudio.core.mood_palette import palette_for_mood
from albumstudio.engines.design_backgrounds import STYLES, choose_style, render_background
from tests.support.ssim import ssim

CURVE = tuple(float(v) for v in np.abs(np.sin(np.linspace(0, 6, 60))))
MOODS = {
    "orchestral": MusicMood(energy=0.3, tempo_bpm=72, brightness_hz=1500, mode="minor", key="D",
                            onset_density=1.7, energy_curve=CURVE, tags=("classical", "strings")),
    "electronic": MusicMood(energy=0.85, tempo_bpm=128, brightness_hz=3500, mode="major",
                            key="F#", onset_density=5.0, tags=("electronic", "synth")),
}


def test_there_are_at_least_eight_families_and_no_pastiche_of_a_famous_cover():
    assert len(STYLES) >= 8
    assert "ridges" not in STYLES  # stacked white ridge lines on black: too close to a 1979 cover


@pytest.mark.parametrize("mood", sorted(MOODS))
@pytest.mark.parametrize("style", STYLES)
def test_every_family_renders_full_size_deterministically_and_fills_the_square(style, mood):
    palette = palette_for_mood(MOODS[mood], 1)
    first = render_background(style, 3000, palette, MOODS[mood], 5)
    again = render_background(style, 3000, palette, MOODS[mood], 5)
    assert first.size == (3000, 3000) and first.mode == "RGB"
    assert first.tobytes() == again.tobytes()
    small = np.asarray(first.resize((60, 60), Image.Resampling.BOX), np.float64)
    for band in (small[:20], small[20:40], small[40:]):  # no third of the square left empty
        assert band.reshape(-1, 3).std(axis=0).max() > 4, style


@pytest.mark.parametrize("style", STYLES)
def test_each_family_follows_the_music_figures(style):
    palette = palette_for_mood(MOODS["orchestral"], 1)
    calm = render_background(style, 256, palette, MOODS["orchestral"], 2)
    busy_mood = MusicMood(energy=0.95, tempo_bpm=170, brightness_hz=1500, mode="minor",
                          key="D", onset_density=7.0, energy_curve=CURVE[::-1],
                          tags=("classical", "strings"))
    busy = render_background(style, 256, palette, busy_mood, 2)
    assert calm.tobytes() != busy.tobytes(), style


def test_families_are_chosen_to_suit_the_music():
    def favourite(mood: MusicMood, genre: str = "") -> str:
        return Counter(choose_style(mood, seed, genre) for seed in range(300)).most_common(1)[0][0]

    assert favourite(MOODS["orchestral"]) == "staves"
    assert favourite(MusicMood(energy=0.5, tags=("hip-hop", "rap"))) == "bars"
    assert favourite(MusicMood(energy=0.8, tags=("rock", "guitar"))) == "shards"
    assert favourite(MusicMood(energy=0.4, tags=("jazz",))) == "cutouts"
    assert favourite(MusicMood(energy=0.4, tags=("folk", "acoustic"))) == "hills"
    assert favourite(MusicMood(energy=0.2, tags=("ambient",))) == "aura"
    orchestral = Counter(choose_style(MOODS["orchestral"], s) for s in range(300))
    assert orchestral["shards"] + orchestral["dots"] < orchestral["staves"] / 3


def test_eight_variants_of_one_request_differ_visibly():
    from albumstudio.engines.design_cover import run

    for mood in MOODS.values():
        request = CoverRequest(mood=mood, size=256, variants=8, seed=11,
                               options=DesignOptions(layout="none", treatment="duotone",
                                                     grain=0.0))
        greys = [np.asarray(Image.open(__import__("io").BytesIO(image.png)).convert("L"))
                 for image in run(request).images]
        closest = max(ssim(greys[i], greys[j]) for i in range(8) for j in range(i + 1, 8))
        assert closest < 0.9, closest


def test_strings_and_classical_do_not_get_neon():
    import colorsys

    from albumstudio.core.mood_palette import hex_to_rgb

    def loudest(mood: MusicMood) -> float:
        """The most saturated mid-light tone of the palettes of 20 seeds (neon: high)."""
        best = 0.0
        for seed in range(20):
            for colour in palette_for_mood(mood, seed).colours:
                r, g, b = (c / 255 for c in hex_to_rgb(colour))
                _, light, sat = colorsys.rgb_to_hls(r, g, b)
                best = max(best, sat * (1 - abs(2 * light - 1)))  # chroma
        return best

    orchestral, electronic = loudest(MOODS["orchestral"]), loudest(MOODS["electronic"])
    assert orchestral < 0.6 < electronic, (orchestral, electronic)
