"""Colours from the music's figures: an explainable, deterministic mapping for the design engine.

Each rule moves the palette one readable step and leaves a reason behind ("minor key → cooler
hues"), so the artist can see why the cover looks the way it does. The key picks a base hue on
the circle of fifths; mode, genre, energy, tempo, timbre and loudness then pull hue, saturation
and lightness; the seed adds a small hue shift so variants differ.
"""

from __future__ import annotations

import colorsys
import random
import re
from dataclasses import dataclass

from albumstudio.core.cover import MusicMood
from albumstudio.core.genre_presets import match_preset

_FIFTHS = ("C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#", "F")
_FLATS = {"DB": "C#", "EB": "D#", "GB": "F#", "AB": "G#", "BB": "A#", "CB": "B", "FB": "E",
          "E#": "F", "B#": "C"}
COOL_HUE = 225.0
WARM_HUE = 35.0


@dataclass(frozen=True)
class GenreNudge:
    hue: float | None  # hue (degrees) the palette is pulled toward, or None
    pull: float  # 0..1 share of the way toward ``hue``
    lightness: float  # added to every tone's lightness
    saturation: float  # multiplies saturation
    reason: str
    accent: float | None = None  # hue (degrees) the accent is pulled toward


GENRE_NUDGES: dict[str, GenreNudge] = {
    "hip-hop": GenreNudge(280.0, 0.2, -0.10, 1.0, "rap darker, deep tones, gold accent", 45.0),
    "jazz": GenreNudge(WARM_HUE, 0.25, 0.08, 0.8, "jazz lighter, warm and muted"),
    "rock": GenreNudge(5.0, 0.25, -0.04, 1.1, "rock → red-leaning, high contrast"),
    "metal": GenreNudge(0.0, 0.35, -0.14, 0.55, "metal → near-black, steel and blood red",
                        0.0),
    "electronic": GenreNudge(290.0, 0.3, -0.05, 1.3, "electronic → neon magenta/blue", 190.0),
    "ambient": GenreNudge(205.0, 0.3, 0.08, 0.6, "ambient → soft, pale and calm"),
    "pop": GenreNudge(330.0, 0.2, 0.05, 1.25, "pop → bright and saturated"),
    "folk": GenreNudge(40.0, 0.35, 0.0, 0.7, "folk → earthy, warm and muted"),
    "classical": GenreNudge(20.0, 0.2, 0.04, 0.65, "classical → ivory, burgundy, gold",
                            45.0),
    "rnb": GenreNudge(20.0, 0.3, -0.03, 1.0, "R&B → warm amber and deep red"),
    "lofi": GenreNudge(180.0, 0.2, 0.05, 0.6, "lo-fi → muted pastels"),
}

_TAG_NUDGES: dict[str, tuple[float, float, str]] = {  # tag → (lightness, saturation ×, reason)
    "piano": (0.04, 0.85, "piano → softer, lighter tones"),
    "strings": (0.02, 0.85, "strings → softer tones"),
    "acoustic": (0.02, 0.8, "acoustic → natural, muted tones"),
    "synth": (0.0, 1.2, "synth → more saturated colours"),
    "loud": (-0.04, 1.1, "tagged loud → deeper, stronger colours"),
    "quiet": (0.04, 0.85, "tagged quiet → gentler colours"),
    "soft": (0.04, 0.85, "tagged soft → gentler colours"),
}


@dataclass(frozen=True)
class MoodPalette:
    """Five colours ("#rrggbb") by role, and the reasons they were chosen."""

    shadow: str
    mid: str
    highlight: str
    accent: str
    secondary: str
    reasons: tuple[str, ...] = ()

    @property
    def colours(self) -> tuple[str, ...]:
        return (self.shadow, self.mid, self.highlight, self.accent, self.secondary)

    def rgb(self, role: str) -> tuple[int, int, int]:
        return hex_to_rgb(getattr(self, role))


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` (or ``"#rgb"``) → (r, g, b); raises ValueError for anything else."""
    text = colour.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def rgb_to_hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v))):02x}" for v in rgb)


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance (0 black … 1 white) of a ``#rrggbb`` colour."""
    def lin(v: int) -> float:
        c = v / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = hex_to_rgb(colour)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def hue_of(colour: str) -> float:
    """Hue in degrees (0..360) of a ``#rrggbb`` colour."""
    r, g, b = hex_to_rgb(colour)
    return colorsys.rgb_to_hls(r / 255, g / 255, b / 255)[0] * 360.0


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def _pull_hue(hue: float, target: float, share: float) -> float:
    delta = (target - hue + 180.0) % 360.0 - 180.0
    return (hue + delta * share) % 360.0


def _hls(hue: float, lightness: float, saturation: float) -> str:
    lightness = min(0.97, max(0.02, lightness))
    saturation = min(1.0, max(0.0, saturation))
    r, g, b = colorsys.hls_to_rgb((hue % 360.0) / 360.0, lightness, saturation)
    return rgb_to_hex((r * 255, g * 255, b * 255))


def key_hue(key: str) -> float | None:
    """Base hue of a key on the circle of fifths (C red, G orange … F magenta), or None."""
    match = re.match(r"\s*([A-Ga-g])([#b♯♭]?)", key or "")
    if not match:
        return None
    name = match.group(1).upper() + match.group(2).replace("♯", "#").replace("♭", "b")
    name = _FLATS.get(name.upper(), name)
    return _FIFTHS.index(name) * 30.0 if name in _FIFTHS else None


def palette_for_mood(mood: MusicMood, seed: int = 0, genre: str = "") -> MoodPalette:
    """Shadow, mid, highlight, accent and secondary colours for the track, with reasons."""
    reasons: list[str] = []
    base = key_hue(mood.key)
    if base is None:
        base = random.Random(f"hue:{seed}").uniform(0.0, 360.0)
        reasons.append("no key known → base hue from the seed")
    else:
        reasons.append(f"key of {mood.key} → base hue {base:.0f}° (circle of fifths)")

    if mood.mode == "minor":
        base = _pull_hue(base, COOL_HUE, 0.4)
        reasons.append("minor key → cooler hues")
    else:
        base = _pull_hue(base, WARM_HUE, 0.4)
        reasons.append("major key → warmer hues")

    light_shift, sat_scale, accent_target = 0.0, 1.0, None
    found = match_preset(genre, mood.tags)
    if found is not None:
        preset, why = found
        nudge = GENRE_NUDGES.get(preset.name)
        if nudge is not None:
            if nudge.hue is not None:
                base = _pull_hue(base, nudge.hue, nudge.pull)
            light_shift += nudge.lightness
            accent_target = nudge.accent
            sat_scale *= nudge.saturation
            reasons.append(f"{why}: {nudge.reason}")
    for tag in dict.fromkeys(t.strip().lower() for t in mood.tags):
        if tag in _TAG_NUDGES:
            dl, ds, why = _TAG_NUDGES[tag]
            light_shift += dl
            sat_scale *= ds
            reasons.append(why)

    energy = min(1.0, max(0.0, float(mood.energy)))
    mid_sat = (0.22 + 0.5 * energy) * sat_scale
    accent_sat = (0.5 + 0.5 * energy) * min(sat_scale, 1.25)
    if energy >= 0.6:
        reasons.append(f"high energy ({energy:.2f}) → saturated accent")
    elif energy <= 0.35:
        reasons.append(f"low energy ({energy:.2f}) → muted colours")
    else:
        reasons.append(f"medium energy ({energy:.2f}) → moderate saturation")

    tempo = float(mood.tempo_bpm)
    if tempo >= 128:
        spread, what = 180.0, "complementary"
    elif tempo >= 100:
        spread, what = 150.0, "split-complementary"
    elif tempo >= 80:
        spread, what = 90.0, "square-related"
    else:
        spread, what = 40.0, "analogous"
    reasons.append(f"tempo {tempo:.0f} BPM → {what} accent")

    bright = float(mood.brightness_hz)
    tone = min(1.0, max(0.0, (bright - 1200.0) / 2800.0))
    if bright >= 3000:
        reasons.append(f"bright timbre ({bright:.0f} Hz) → lighter tones")
    elif bright <= 1600:
        reasons.append(f"dark timbre ({bright:.0f} Hz) → deeper tones")

    loud = float(mood.loudness_lufs)
    if loud >= -9:
        shadow_l = 0.05
        reasons.append(f"loud master ({loud:.0f} LUFS) → deep shadows, hard contrast")
    elif loud <= -18:
        shadow_l = 0.2
        reasons.append(f"quiet master ({loud:.0f} LUFS) → lifted, softer shadows")
    else:
        shadow_l = 0.12

    jitter = random.Random(f"jitter:{seed}").uniform(-14.0, 14.0)
    base = (base + jitter) % 360.0
    if seed and round(jitter):
        reasons.append(f"seed {seed} → hue {round(jitter):+d}°")

    accent_hue = (base + spread) % 360.0
    if accent_target is not None:
        accent_hue = _pull_hue(accent_hue, accent_target, 0.9)
    secondary_hue = (base + spread / 2.0 + 180.0 * (spread < 90)) % 360.0
    shadow = _hls(base + 8.0, shadow_l + light_shift * 0.4, 0.35 * sat_scale + 0.1)
    mid = _hls(base, 0.3 + 0.2 * tone + light_shift, mid_sat)
    highlight = _hls(_pull_hue(base, 50.0, 0.3), 0.84 + 0.1 * tone + light_shift * 0.5,
                     0.25 + 0.3 * energy * sat_scale)
    accent = _hls(accent_hue, 0.5 + 0.1 * tone + light_shift * 0.5, accent_sat)
    secondary = _hls(secondary_hue, 0.42 + 0.15 * tone + light_shift, mid_sat * 0.9)
    return MoodPalette(shadow, mid, highlight, accent, secondary, tuple(reasons))


def palette_from_colours(colours: tuple[str, ...] | list[str]) -> MoodPalette:
    """Roles for colours chosen by hand: darkest → shadow, lightest → highlight, most saturated of
    the rest → accent. Raises ValueError for a colour that is not ``#rrggbb``."""
    if not colours:
        raise ValueError("no colours")
    unique = list(dict.fromkeys(rgb_to_hex(hex_to_rgb(c)) for c in colours))
    ordered = sorted(unique, key=relative_luminance)

    def hls(c: str) -> tuple[float, float, float]:
        r, g, b = hex_to_rgb(c)
        return colorsys.rgb_to_hls(r / 255, g / 255, b / 255)

    if len(ordered) == 1:
        h, lum, s = hls(ordered[0])
        shadow = _hls(h * 360, min(lum, 0.12), s)
        highlight = _hls(h * 360, max(lum, 0.9), s * 0.5)
        ordered = [shadow, ordered[0], highlight]
    shadow, highlight = ordered[0], ordered[-1]
    rest = ordered[1:-1]
    if rest:
        accent = max(rest, key=lambda c: (hls(c)[2], relative_luminance(c)))
        others = [c for c in rest if c != accent]
    else:
        accent = max((shadow, highlight), key=lambda c: hls(c)[2])
        others = []
    mid = others[len(others) // 2] if others else _mix(shadow, highlight, 0.45)
    secondary = others[0] if len(others) > 1 else accent if others else mid
    return MoodPalette(shadow, mid, highlight, accent, secondary,
                       ("colours chosen by hand: " + ", ".join(unique),))


def _mix(a: str, b: str, share: float) -> str:
    ra, rb = hex_to_rgb(a), hex_to_rgb(b)
    red, green, blue = (x + (y - x) * share for x, y in zip(ra, rb, strict=True))
    return rgb_to_hex((red, green, blue))
