"""Decide, then draw: every choice the design engine makes for one cover, with its reason.

:func:`decide` is pure: from the request (the music's figures and tags, the genre, the artist's
words, the options) and the variant's seed it gives the palette, the background family (without
a picture) or the treatment (with one), the texture, the type layout and the font pairing, each
with why. The engine then only draws the plan, and the plan's notes travel with the result into
the history and the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from albumstudio.core.cover import CoverRequest, MusicMood
from albumstudio.core.design_words import WordReading, read_words, steer_palette
from albumstudio.core.genre_presets import match_preset
from albumstudio.core.mood_palette import MoodPalette, palette_for_mood, palette_from_colours

FAMILY_LABELS = {
    "rings": "waveform rings from the energy curve",
    "aura": "soft colour field",
    "sunburst": "sunburst, rays counted by tempo",
    "grid": "geometric grid, cells counted by onset density",
    "hills": "layered hills under a sun, shaped by the energy curve",
    "staves": "flowing staves with notes at the onsets",
    "dots": "halftone field, dot sizes from the energy curve",
    "shards": "torn shards, cuts counted by energy",
    "bars": "bars from the energy curve over a record",
    "cutouts": "paper cut-outs, counted by onset density",
}
FAMILIES = tuple(FAMILY_LABELS)
# the families that suit each kind of music (genre preset names, and kinds read from tags)
FAMILY_FIT: dict[str, dict[str, float]] = {
    "classical": {"staves": 3.0, "aura": 1.0, "rings": 1.0, "hills": 0.8},
    "ambient": {"aura": 3.0, "hills": 1.5, "dots": 0.6},
    "electronic": {"grid": 2.0, "dots": 2.0, "rings": 1.5},
    "rock": {"shards": 3.0, "bars": 1.0},
    "metal": {"shards": 3.0},
    "hip-hop": {"bars": 3.0, "grid": 1.0, "shards": 0.6},
    "folk": {"hills": 3.0, "cutouts": 1.0, "sunburst": 0.6},
    "jazz": {"cutouts": 3.0, "staves": 0.8, "grid": 0.6},
    "pop": {"sunburst": 2.0, "cutouts": 1.5, "dots": 1.5},
    "rnb": {"aura": 1.5, "bars": 1.5, "rings": 1.0},
    "lofi": {"hills": 1.5, "aura": 1.5, "cutouts": 1.0},
}
TAG_KINDS = {"strings": "classical", "violin": "classical", "orchestral": "classical",
             "piano": "classical", "choir": "classical", "acoustic": "folk",
             "techno": "electronic", "dance": "electronic", "synth": "electronic",
             "beats": "hip-hop", "punk": "rock", "new age": "ambient"}

PAIRING_NAMES = ("editorial", "grotesque", "humanist", "modern", "poster", "script")
BY_REQUEST_ONLY = frozenset({"script"})  # chosen only when the artist's words ask for it
_GENRE_PAIRINGS = {"jazz": "editorial", "classical": "editorial", "rnb": "editorial",
                   "folk": "humanist", "lofi": "humanist", "metal": "grotesque",
                   "hip-hop": "poster", "rock": "poster", "electronic": "poster"}


def rng_for(seed: int, salt: int) -> np.random.Generator:
    """A generator for one purpose (``salt``) of one seed; negative seeds are fine."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, (int(seed) >> 32) & 0xFFFFFFFF, salt])


@dataclass(frozen=True)
class Decision:
    value: str
    reason: str


@dataclass(frozen=True)
class DesignPlan:
    """What the design engine will draw for one variant, and why."""

    palette: MoodPalette
    ground: Decision  # the background family (no picture) or the treatment (a picture)
    texture: Decision  # the grain
    layout: Decision
    pairing: Decision
    words: WordReading

    @property
    def has_picture(self) -> bool:
        return self.ground.value not in FAMILY_LABELS

    def notes(self) -> tuple[str, ...]:
        """One line per decision, as the result and the history keep them."""
        out = [f"palette: {reason}" for reason in self.palette.reasons]
        if self.words.unread:
            out.append(f"words: {self.words.unread_note()}")
        kind = "treatment" if self.has_picture else "background"
        label = self.ground.value if self.has_picture else FAMILY_LABELS[self.ground.value]
        out.append(f"{kind}: {label} ({self.ground.reason})")
        out.append(f"texture: {self.texture.value} ({self.texture.reason})")
        out.append(f"type: {self.pairing.value} pairing ({self.pairing.reason}), "
                   f"layout {self.layout.value} ({self.layout.reason})")
        return tuple(out)


def decide(request: CoverRequest, seed: int, has_picture: bool) -> DesignPlan:
    """The plan for variant ``seed`` of ``request`` (its options already concrete: "auto"
    layout and treatment are resolved when the request is made)."""
    options = request.options
    words = read_words(request.words)
    if options.palette:
        palette = palette_from_colours(options.palette)
    else:
        palette = steer_palette(palette_for_mood(request.mood, seed, request.genre), words)
    if has_picture:
        ground = Decision(options.treatment, _said(words, "treatment", options.treatment)
                          or "your setting or the genre preset")
    else:
        ground = choose_family(request.mood, seed, request.genre, words)
    grain = float(options.grain)
    said_grain = words.choice("grain")
    texture = Decision(
        "no grain" if grain <= 0 else f"film grain {grain:.2f}",
        f"your word “{said_grain[1]}”" if said_grain is not None
        and abs(float(said_grain[0]) - grain) < 1e-9 else "your setting")
    layout = Decision(options.layout, _said(words, "layout", options.layout)
                      or "your setting or the genre preset")
    return DesignPlan(palette, ground, texture, layout, choose_pairing(request, seed, words),
                      words)


def _said(words: WordReading, decision: str, value: str) -> str:
    said = words.choice(decision)
    return f"your word “{said[1]}”" if said is not None and said[0] == value else ""


def music_kinds(mood: MusicMood, genre: str = "") -> list[tuple[str, str]]:
    """(kind, why) of the music: the genre preset its tags match, then kinds its tags name."""
    found = match_preset(genre, mood.tags)
    kinds = [(found[0].name, found[1])] if found is not None else []
    for tag in mood.tags:
        kind = TAG_KINDS.get(tag.lower())
        if kind is not None and kind not in {k for k, _ in kinds}:
            kinds.append((kind, f"music tag '{tag}'"))
    return kinds


def choose_family(mood: MusicMood, seed: int, genre: str = "",
                  words: WordReading | None = None) -> Decision:
    """A background family: the artist's motif word, else one drawn for this seed with weights
    from what the music is (preset, instruments) and how it moves (busy → grid, calm → aura)."""
    said = words.choice("background") if words is not None else None
    if said is not None and said[0] in FAMILY_LABELS:
        return Decision(str(said[0]), f"your word “{said[1]}”")
    weights = dict.fromkeys(FAMILIES, 0.3)
    kinds = music_kinds(mood, genre)
    for kind, _ in kinds:
        for family, weight in FAMILY_FIT.get(kind, {}).items():
            weights[family] += weight
    if mood.onset_density >= 4.0:
        weights["grid"] += 0.5
    if mood.energy <= 0.35:
        weights["aura"] += 0.8
        weights["shards"] *= 0.5
    p = np.array([weights[n] for n in FAMILIES], dtype=np.float64)
    name = FAMILIES[int(rng_for(seed, 31).choice(len(FAMILIES), p=p / p.sum()))]
    suits = [why for kind, why in kinds if name in FAMILY_FIT.get(kind, {})]
    return Decision(name, f"suits {suits[0]}" if suits else f"seed {seed}")


def choose_pairing(request: CoverRequest, seed: int,
                   words: WordReading | None = None) -> Decision:
    """Fonts from the artist's words ("art deco", "punk"), else by genre (jazz and classical
    the serif, folk the humanist serif, rap and rock the poster face), else by seed."""
    words = words if words is not None else read_words(request.words)
    said = words.choice("pairing")
    if said is not None and said[0] in PAIRING_NAMES:
        return Decision(str(said[0]), f"your word “{said[1]}”")
    found = match_preset(request.genre, request.mood.tags)
    if found is not None and found[0].name in _GENRE_PAIRINGS:
        return Decision(_GENRE_PAIRINGS[found[0].name], found[1])
    names = sorted(set(PAIRING_NAMES) - BY_REQUEST_ONLY)
    return Decision(names[int(rng_for(seed, 101).integers(0, len(names)))], f"seed {seed}")
