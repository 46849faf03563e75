"""The artist's own words, read by the offline design engine.

A vocabulary kept as data (``resources/design_words.json``) maps words to design decisions:
colour words and named colours pull the palette; light and weather ("rain", "dusk", "neon")
move its temperature, lightness and saturation and may set a treatment or texture; materials
and processes (film grain, risograph, halftone, watercolour, VHS) set the treatment and the
grain; eras and genres set the type pairing and layout; motifs choose the background family.
Every decision keeps the word that made it, and a word the vocabulary does not hold is listed
as read by the diffusion engine only, never silently dropped.
"""

from __future__ import annotations

import colorsys
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from albumstudio.core.mood_palette import MoodPalette, hex_to_rgb, rgb_to_hex

DECISIONS = ("treatment", "grain", "background", "layout", "pairing")

# words that carry no design meaning of their own ("a cover with a dark feel")
_FILLER = frozenset("""
a an the and or but with without of in on at to for from by into over under like as is are be
very really quite so more less most some any this that these those it its my our your their
feel feeling feels vibe vibes mood look looking style styled cover album art artwork image
picture photo tones tone colour colours color colors shades shade kind sort lots lot bit little
""".split())

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


@dataclass(frozen=True)
class WordEffect:
    """What one word decides, and why."""

    word: str
    kind: str  # colour, light, material, era, motif
    hue: float | None = None
    pull: float = 0.0
    sat: float = 1.0
    light: float = 0.0
    treatment: str | None = None
    grain: float | None = None
    background: str | None = None
    layout: str | None = None
    pairing: str | None = None
    hex: str | None = None  # a named colour's own colour (#rrggbb)

    def reason(self) -> str:
        """'"neon" → hue toward 300°, more saturated, darker; grid background'."""
        parts: list[str] = []
        if self.hue is not None and self.pull > 0:
            warmth = _temperature(self.hue)
            parts.append(f"colours toward {self.word}" if self.kind == "colour" else
                         f"{warmth} colours, toward {_hue_name(self.hue)}" if warmth else
                         f"colours toward {_hue_name(self.hue)}")
        if self.sat >= 1.1:
            parts.append("more saturated")
        elif self.sat <= 0.9:
            parts.append("muted" if self.sat > 0.3 else "almost no colour")
        if self.light >= 0.04:
            parts.append("lighter")
        elif self.light <= -0.04:
            parts.append("darker")
        if self.treatment:
            parts.append(f"{self.treatment} treatment")
        if self.grain is not None:
            parts.append("no grain" if self.grain < 0.1 else
                         "heavy grain" if self.grain >= 0.5 else "film grain")
        if self.background:
            parts.append(f"{self.background} background")
        if self.layout:
            parts.append(f"{self.layout} type layout")
        if self.pairing:
            parts.append(f"{self.pairing} type")
        return f"“{self.word}” → {', '.join(parts) or 'noted'}"


@dataclass(frozen=True)
class WordReading:
    """The effects of the words the design engine understands, in the order they were written,
    and the words it leaves to the diffusion engine."""

    effects: tuple[WordEffect, ...] = ()
    unread: tuple[str, ...] = ()

    def choice(self, decision: str) -> tuple[Any, str] | None:
        """The first word's value for ``decision`` (one of DECISIONS) and that word, or None."""
        for effect in self.effects:
            value = getattr(effect, decision)
            if value is not None:
                return value, effect.word
        return None

    def reasons(self) -> tuple[str, ...]:
        return tuple(e.reason() for e in self.effects)

    def unread_note(self) -> str:
        if not self.unread:
            return ""
        listed = ", ".join(f"“{w}”" for w in self.unread)
        return f"{listed}: read by the diffusion engine only"


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, dict[str, Any]]:
    """The word → effect table from ``resources/design_words.json``."""
    text = (resources.files("albumstudio.resources") / "design_words.json").read_text("utf-8")
    data = json.loads(text)
    return {str(k).lower(): dict(v) for k, v in data["words"].items()}


def read_words(text: str) -> WordReading:
    """The design reading of the artist's words (two-word phrases first, then single words;
    a plural or "-y" form finds its word; repeated words count once)."""
    words = vocabulary()
    tokens = [t.lower().replace("’", "'") for t in _TOKEN.findall(text or "")]
    tokens = [t[:-2] if t.endswith("'s") else t for t in tokens]
    effects: list[WordEffect] = []
    unread: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        pair = f"{tokens[i]} {tokens[i + 1]}" if i + 1 < len(tokens) else ""
        token = tokens[i]
        found = pair if pair in words else _lookup(token, words)
        i += 2 if found == pair else 1
        if found is None:
            if token not in _FILLER and not token.isdigit() and token not in seen:
                unread.append(token)
                seen.add(token)
            continue
        if found not in seen:
            seen.add(found)
            effects.append(_effect(found, words[found]))
    return WordReading(tuple(effects), tuple(unread))


def _lookup(token: str, words: dict[str, dict[str, Any]]) -> str | None:
    if token in words:
        return token
    for stem in (token[:-1] if token.endswith("s") and len(token) > 3 else "",
                 token[:-2] if token.endswith("es") and len(token) > 4 else "",
                 token[:-1] if token.endswith("y") and len(token) > 4 else ""):
        if stem and stem in words:
            return stem
    return None


def _effect(word: str, entry: dict[str, Any]) -> WordEffect:
    def number(name: str, default: float | None) -> float | None:
        value = entry.get(name, default)
        return None if value is None else float(value)

    return WordEffect(
        word=word, kind=str(entry.get("kind", "")), hue=number("hue", None),
        pull=float(entry.get("pull", 0.0)), sat=float(entry.get("sat", 1.0)),
        light=float(entry.get("light", 0.0)), treatment=entry.get("treatment"),
        grain=number("grain", None), background=entry.get("background"),
        layout=entry.get("layout"), pairing=entry.get("pairing"), hex=entry.get("hex"))


def steer_palette(palette: MoodPalette, reading: WordReading) -> MoodPalette:
    """The palette moved by the words: the first colour word pulls every tone's hue (a second
    one takes the accent), and each word's saturation and lightness apply to all tones, with
    the shadow kept dark and the highlight light so type still reads."""
    hued = [e for e in reading.effects if e.hue is not None and e.pull > 0]
    colours = [e for e in hued if e.kind == "colour"]
    # the tones follow the first colour word and every light, motif or era word, in turn; a
    # second colour word takes the accent
    base_moves = [e for e in hued if e.kind != "colour"] + colours[:1]
    accent_moves = colours[1:2] or base_moves
    sat = 1.0
    light = 0.0
    for effect in reading.effects:
        sat *= effect.sat
        light += effect.light
    if not hued and sat == 1.0 and light == 0.0:
        return palette
    light = max(-0.2, min(0.2, light))
    sat = max(0.05, min(2.0, sat))

    def move(colour: str, role: str, moves: list[WordEffect]) -> str:
        r, g, b = (c / 255.0 for c in hex_to_rgb(colour))
        h, lum, s = colorsys.rgb_to_hls(r, g, b)
        for effect in moves:
            h = _pull(h * 360.0, float(effect.hue or 0.0), effect.pull) / 360.0
            if effect.kind == "colour":
                s = max(s, 0.25 * effect.pull)
                if effect.hex:  # a named colour also draws the tones toward its own depth
                    tr, tg, tb = (c / 255.0 for c in hex_to_rgb(effect.hex))
                    _, target_l, target_s = colorsys.rgb_to_hls(tr, tg, tb)
                    lum += (target_l - lum) * effect.pull * 0.35
                    s += (target_s - s) * effect.pull * 0.4
        s = min(1.0, s * sat)
        if role == "shadow":
            lum = min(0.22, max(0.02, lum + light * 0.5))
        elif role == "highlight":
            lum = min(0.97, max(0.72, lum + light * 0.5))
        else:
            lum = min(0.9, max(0.08, lum + light))
        red, green, blue = colorsys.hls_to_rgb(h, lum, s)
        return rgb_to_hex((red * 255.0, green * 255.0, blue * 255.0))

    steered = MoodPalette(
        shadow=move(palette.shadow, "shadow", base_moves),
        mid=move(palette.mid, "mid", base_moves),
        highlight=move(palette.highlight, "highlight", base_moves),
        accent=move(palette.accent, "accent", accent_moves),
        secondary=move(palette.secondary, "secondary", base_moves),
        reasons=palette.reasons + tuple(f"your words: {e.reason()}" for e in reading.effects
                                        if e.hue is not None or e.sat != 1.0 or e.light != 0.0))
    return steered


def _pull(hue: float, target: float, share: float) -> float:
    delta = (target - hue + 180.0) % 360.0 - 180.0
    return (hue + delta * max(0.0, min(1.0, share))) % 360.0


_HUE_NAMES = ((15, "red"), (40, "orange"), (65, "yellow"), (150, "green"), (195, "cyan"),
              (255, "blue"), (290, "violet"), (335, "magenta"), (360, "red"))


def _temperature(hue: float) -> str:
    hue %= 360.0
    if hue < 75 or hue >= 330:
        return "warmer"
    return "cooler" if 165 <= hue < 275 else ""


def _hue_name(hue: float) -> str:
    hue %= 360.0
    return next(name for edge, name in _HUE_NAMES if hue < edge)
