"""Genre presets: the genre sets the style (rap darker, jazz lighter), the track varies the rest.

A preset gives the diffusion prompt a style phrase and extra negatives, and the design engine
a layout, a treatment and a palette hint. Free-form genre strings ("Hip Hop", "hip-hop/rap",
"Deep House") are matched to a preset by fixed aliases; the music tags are the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from albumstudio.core.cover import LAYOUTS, TREATMENTS


@dataclass(frozen=True)
class GenrePreset:
    name: str  # the key in GENRE_PRESETS
    style: str  # words added to the diffusion prompt
    negative: str  # words added to the negative prompt
    palette_hint: str  # for the design engine and for people
    design_layout: str  # one of core.cover.LAYOUTS
    design_treatment: str  # one of core.cover.TREATMENTS
    label: str = ""  # shown to people

    @property
    def display_name(self) -> str:
        return self.label or self.name


_PRESETS = (
    GenrePreset(
        "hip-hop", "dark gritty urban night, deep shadows, bold high-contrast graphic composition",
        "pastel colours, washed out, cute", "dark: black, deep purple, gold accents",
        "bottom-left", "duotone", "Hip-hop / rap"),
    GenrePreset(
        "jazz", "light airy tones, smoky club elegance, mid-century modern graphic design",
        "neon, harsh lighting, gloomy", "light: cream, muted blue, warm ochre",
        "top-band", "duotone", "Jazz / blues"),
    GenrePreset(
        "rock", "raw gritty texture, film grain, live stage energy, high contrast",
        "clean vector art, cute, pastel colours", "red, black, off-white",
        "stacked", "halftone", "Rock / punk"),
    GenrePreset(
        "metal", "dark dramatic atmosphere, ominous, intricate detailed illustration, stormy sky",
        "pastel colours, cheerful, cute, bright colours", "black, steel grey, blood red",
        "centered", "gradient-map", "Metal"),
    GenrePreset(
        "electronic", "neon glow, futuristic geometric shapes, sleek abstract light trails",
        "rustic, vintage, painterly", "electric blue, magenta, black",
        "centered", "gradient-map", "Electronic / techno / house"),
    GenrePreset(
        "ambient", "vast minimal landscape, soft haze, calm gradients, lots of negative space",
        "busy, cluttered, harsh contrast", "soft: pale blue, grey, lavender",
        "bottom-left", "blur", "Ambient / new age"),
    GenrePreset(
        "pop", "vibrant saturated colours, glossy, playful bold composition",
        "dull, muted colours, gloomy", "bright: hot pink, yellow, cyan",
        "centered", "natural", "Pop"),
    GenrePreset(
        "folk", "natural light, earthy tones, analog film photograph, rustic warmth",
        "neon, futuristic, digital art", "earthy: olive, rust, cream",
        "bottom-left", "natural", "Folk / acoustic / country"),
    GenrePreset(
        "classical", "timeless elegance, fine art painting, soft chiaroscuro, refined composition",
        "graffiti, neon, cartoon", "ivory, deep burgundy, gold",
        "top-band", "natural", "Classical / orchestral"),
    GenrePreset(
        "rnb", "warm intimate lighting, smooth velvet textures, soft glow",
        "harsh lighting, cold tones", "warm: amber, deep red, chocolate brown",
        "bottom-left", "gradient-map", "R&B / soul / funk"),
    GenrePreset(
        "lofi", "cozy nostalgic scene, soft grainy illustration, muted pastel colours, warm lamplight",
        "sharp, hyperrealistic, harsh contrast", "muted pastel: dusty pink, teal, beige",
        "bottom-left", "halftone", "Lo-fi / chillhop"),
)

GENRE_PRESETS: dict[str, GenrePreset] = {p.name: p for p in _PRESETS}

# words of a genre string (lower case, punctuation as spaces) → preset; multi-word aliases first
_GENRE_ALIASES: dict[str, tuple[str, ...]] = {
    "hip-hop": ("hip hop", "hiphop", "rap", "trap", "drill", "grime", "boom bap", "gangsta"),
    "jazz": ("jazz", "bebop", "swing", "bossa nova", "blues", "big band", "fusion"),
    "rock": ("rock", "punk", "grunge", "indie", "alternative", "emo", "shoegaze", "garage rock",
             "post rock", "pop punk", "hard rock"),
    "metal": ("metal", "metalcore", "deathcore", "thrash", "doom", "black metal", "death metal",
              "heavy metal", "nu metal"),
    "electronic": ("electronic", "electronica", "edm", "techno", "house", "deep house", "trance",
                   "dubstep", "drum and bass", "dnb", "dance", "synthwave", "electro", "idm",
                   "garage", "disco", "breakbeat", "jungle", "hardstyle", "trip hop", "dub",
                   "bass music", "club"),
    "ambient": ("ambient", "drone", "new age", "meditation", "soundscape", "chillout",
                "downtempo", "dark ambient"),
    "pop": ("pop", "k pop", "kpop", "j pop", "synthpop", "synth pop", "indie pop", "dream pop",
            "electropop", "dance pop", "teen pop"),
    "folk": ("folk", "acoustic", "country", "americana", "bluegrass", "singer songwriter",
             "celtic", "indie folk"),
    "classical": ("classical", "orchestral", "baroque", "opera", "symphony", "symphonic",
                  "chamber", "soundtrack", "score", "cinematic", "choral", "romantic era"),
    "rnb": ("r and b", "r n b", "rnb", "rhythm and blues", "soul", "neo soul", "funk",
            "motown", "gospel"),
    "lofi": ("lo fi", "lofi", "chillhop", "lo fi hip hop", "jazzhop"),
}

# MagnaTagATune tags (musicnn) and a few common ones → preset, strongest tag first wins
_TAG_PRESETS: dict[str, str] = {
    "techno": "electronic", "electronic": "electronic", "dance": "electronic",
    "beat": "electronic", "beats": "electronic", "synth": "electronic",
    "ambient": "ambient", "new age": "ambient",
    "rock": "rock", "metal": "metal", "pop": "pop",
    "classical": "classical", "classic": "classical", "harpsichord": "classical",
    "opera": "classical", "choral": "classical", "strings": "classical", "violin": "classical",
    "cello": "classical", "harp": "classical",
    "country": "folk", "folk": "folk", "acoustic": "folk",
    "jazz": "jazz", "hip hop": "hip-hop", "hip-hop": "hip-hop", "rap": "hip-hop",
}


def _words(text: str) -> list[str]:
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def _alias_match(segment: list[str]) -> tuple[str, str] | None:
    """(preset name, alias) of the longest alias in the segment; among equals the last one
    (the head word comes last: "jazz rap" is rap, "folk rock" is rock)."""
    best: tuple[int, int, str, str] | None = None
    for name, aliases in _GENRE_ALIASES.items():
        for alias in aliases:
            words = alias.split()
            for start in range(len(segment) - len(words) + 1):
                if segment[start:start + len(words)] == words:
                    rank = (len(words), start, name, alias)
                    if best is None or rank[:2] > best[:2]:
                        best = rank
    return None if best is None else (best[2], best[3])


def match_preset(genre_text: str, tags: Sequence[str] = ()) -> tuple[GenrePreset, str] | None:
    """The preset for a free-form genre (or, failing that, the music tags) and why it was chosen."""
    for segment in re.split(r"[;,/|]+", genre_text or ""):
        found = _alias_match(_words(segment))
        if found is not None:
            name, alias = found
            shown = " ".join(segment.split())
            return GENRE_PRESETS[name], f'genre "{shown}" ("{alias}") → {name} preset'
    for tag in tags:
        preset = _TAG_PRESETS.get(" ".join(str(tag).lower().split()))
        if preset is not None:
            return GENRE_PRESETS[preset], f"music tag '{tag}' → {preset} preset"
    return None


def preset_for_genre(genre_text: str, tags: Sequence[str] = ()) -> GenrePreset | None:
    """The preset matching a free-form genre string, falling back to the music tags."""
    found = match_preset(genre_text, tags)
    return None if found is None else found[0]


def _check_presets() -> None:
    for preset in _PRESETS:
        if preset.design_layout not in LAYOUTS or preset.design_treatment not in TREATMENTS:
            raise ValueError(f"preset {preset.name} names an unknown layout or treatment")
        if preset.name not in _GENRE_ALIASES:
            raise ValueError(f"preset {preset.name} has no aliases")


_check_presets()
