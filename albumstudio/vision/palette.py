"""The offline reading of a picture: its dominant colours and its look, in plain words.

When no captioning model is installed this is what the prompt says about the image
("a dark, high-contrast, muted image in deep blue and rust tones"); every word comes from a
fixed threshold on a measured figure, so the UI can say why it is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

THUMB_SIDE = 96
KMEANS_ROUNDS = 30
MERGE_DISTANCE = 12.0  # Lab ΔE below which two cluster centres are one colour
MIN_NAMED_SHARE = 0.08  # a colour covering less of the picture is not named
MAX_NAMES = 3

# (upper bound, word): the first bound above the figure gives the word
BRIGHTNESS_WORDS = ((0.22, "dark"), (0.40, "dim"), (0.62, "balanced"), (0.80, "bright"),
                    (float("inf"), "luminous"))
CONTRAST_WORDS = ((0.10, "soft"), (0.22, "moderate-contrast"), (float("inf"), "high-contrast"))
SATURATION_WORDS = ((0.08, "monochrome"), (0.25, "muted"), (0.50, "natural"),
                    (float("inf"), "vivid"))
# Hasler and Süsstrunk's colourfulness (2003), on 0..255 pixels: their scale calls 15 "slightly",
# 33 "moderately" and 59 "quite" colourful. It is the word's figure because HSV saturation calls
# near-black pixels vivid (a dark photo read "dark … vivid").
COLOURFULNESS_WORDS = ((8.0, "monochrome"), (33.0, "muted"), (59.0, "natural"),
                       (float("inf"), "vivid"))

NAMED_COLOURS = (
    ("black", "#101010"), ("charcoal", "#36454f"), ("grey", "#808080"), ("silver", "#c0c0c0"),
    ("off-white", "#f2efe6"), ("white", "#ffffff"), ("deep red", "#8b0000"), ("red", "#d7263d"),
    ("rust", "#b7410e"), ("orange", "#f28c28"), ("amber", "#ffbf00"), ("gold", "#d4af37"),
    ("yellow", "#f7e13a"), ("olive", "#708238"), ("lime", "#9acd32"), ("green", "#2e8b57"),
    ("forest green", "#1f4d2b"), ("teal", "#008080"), ("turquoise", "#40e0d0"),
    ("sky blue", "#87ceeb"), ("blue", "#1f5fd1"), ("deep blue", "#0b1f5c"), ("navy", "#141a3a"),
    ("indigo", "#3f2a80"), ("violet", "#8a5cd6"), ("purple", "#6a1b9a"), ("magenta", "#d0208a"),
    ("pink", "#f4a6c0"), ("peach", "#ffcba4"), ("beige", "#d8c8a8"), ("sand", "#c2a878"),
    ("brown", "#6b4226"), ("dark brown", "#3b2314"),
)

_LUMA = np.array([0.299, 0.587, 0.114])  # Rec. 601 luma, as Pillow's "L" mode
_RGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                        [0.0193, 0.1192, 0.9505]])
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB 0..255 → CIE Lab (D65)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = c @ _RGB_TO_XYZ.T / _D65_WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])],
                    axis=1)


def _hex(rgb: np.ndarray) -> str:
    r, g, b = (int(np.clip(round(float(v)), 0, 255)) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _rgb(hex_colour: str) -> np.ndarray:
    text = hex_colour.lstrip("#")
    return np.array([int(text[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


_NAMED_LAB = _srgb_to_lab(np.array([_rgb(h) for _, h in NAMED_COLOURS]))


def colour_name(hex_colour: str) -> str:
    """The nearest name in a small fixed table (nearest in CIE Lab)."""
    lab = _srgb_to_lab(_rgb(hex_colour)[None, :])
    return NAMED_COLOURS[int(np.argmin(((_NAMED_LAB - lab) ** 2).sum(axis=1)))][0]


def _thumbnail_pixels(img: Image.Image) -> np.ndarray:
    """(N, 3) float RGB 0..255 of a copy at most THUMB_SIDE pixels on its long side."""
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    width, height = rgb.size
    scale = THUMB_SIDE / max(width, height)
    if scale < 1.0:
        target = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = rgb.resize(target, Image.Resampling.BOX, reducing_gap=2.0)
    return np.asarray(rgb, dtype=np.float64).reshape(-1, 3)


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)


def _kmeans_plus_plus(lab: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = [lab[rng.integers(len(lab))]]
    for _ in range(1, k):
        nearest = _squared_distances(lab, np.array(centres)).min(axis=1)
        total = nearest.sum()
        if total <= 0:
            break
        centres.append(lab[rng.choice(len(lab), p=nearest / total)])
    return np.array(centres)


def _palette_from_pixels(rgb: np.ndarray, k: int, seed: int) -> list[tuple[str, float]]:
    lab = _srgb_to_lab(rgb)
    distinct = len(np.unique(np.round(lab, 1), axis=0))
    centres = _kmeans_plus_plus(lab, max(1, min(k, distinct)), np.random.default_rng(seed))
    for _ in range(KMEANS_ROUNDS):
        labels = _squared_distances(lab, centres).argmin(axis=1)
        moved = np.array([lab[labels == i].mean(axis=0) if np.any(labels == i) else centres[i]
                          for i in range(len(centres))])
        if np.allclose(moved, centres, atol=1e-3):
            break
        centres = moved
    labels = _squared_distances(lab, centres).argmin(axis=1)
    groups: list[tuple[np.ndarray, np.ndarray]] = []  # (lab centre, member mask), biggest first
    for i in np.argsort(-np.bincount(labels, minlength=len(centres)), kind="stable"):
        members = labels == i
        if not members.any():
            continue
        for j, (centre, group) in enumerate(groups):
            if np.sqrt(((centre - centres[i]) ** 2).sum()) < MERGE_DISTANCE:
                groups[j] = (centre, group | members)
                break
        else:
            groups.append((centres[i], members))
    colours = [(_hex(rgb[members].mean(axis=0)), float(members.sum()) / len(lab))
               for _, members in groups]
    return sorted(colours, key=lambda colour: (-colour[1], colour[0]))


def dominant_palette(img: Image.Image, k: int = 5, seed: int = 0) -> list[tuple[str, float]]:
    """Up to ``k`` ('#rrggbb', share) colours, largest share first; shares add up to 1.

    k-means in CIE Lab on a small thumbnail with a seeded k-means++ start, so the same
    picture and seed always give the same palette; near-identical centres are merged, and a
    picture with fewer distinct colours than ``k`` gives fewer.
    """
    if int(k) < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    return _palette_from_pixels(_thumbnail_pixels(img), int(k), int(seed))


def _word(value: float, table: Sequence[tuple[float, str]]) -> str:
    return next(word for bound, word in table if value < bound)


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


@dataclass(frozen=True)
class ImageLook:
    """Measured figures of a picture (each 0..1) and the words fixed thresholds give them."""

    brightness: float  # mean luma (Rec. 601)
    contrast: float  # RMS contrast: standard deviation of luma
    saturation: float  # mean HSV saturation
    palette: list[tuple[str, float]] = field(default_factory=list)
    colourfulness: float | None = None  # Hasler–Süsstrunk M (0..~150); None: judge by saturation

    @property
    def brightness_word(self) -> str:
        return _word(self.brightness, BRIGHTNESS_WORDS)

    @property
    def contrast_word(self) -> str:
        return _word(self.contrast, CONTRAST_WORDS)

    @property
    def saturation_word(self) -> str:
        if self.colourfulness is not None:
            return _word(self.colourfulness, COLOURFULNESS_WORDS)
        return _word(self.saturation, SATURATION_WORDS)

    @property
    def colour_names(self) -> list[str]:
        """Names of the biggest palette colours (up to three, none in a monochrome picture)."""
        if self.saturation_word == "monochrome":
            return []
        names: list[str] = []
        for hex_colour, share in self.palette:
            name = colour_name(hex_colour)
            if share >= MIN_NAMED_SHARE and name not in names:
                names.append(name)
            if len(names) == MAX_NAMES:
                break
        return names

    def _tones(self) -> str:
        names = self.colour_names
        if not names:
            return ""
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"{joined} tones"

    def parts(self) -> list[tuple[str, str]]:
        """(phrase, the figure behind it) for each phrase of :meth:`describe`, in order."""
        out = [
            (self.brightness_word, f"average brightness {_percent(self.brightness)}"),
            (self.contrast_word, f"contrast (RMS) {_percent(self.contrast)}"),
            (self.saturation_word,
             f"colourfulness {self.colourfulness:.0f} (Hasler–Süsstrunk)"
             if self.colourfulness is not None
             else f"average saturation {_percent(self.saturation)}"),
        ]
        tones = self._tones()
        if tones:
            named = [(h, s) for h, s in self.palette if s >= MIN_NAMED_SHARE][:MAX_NAMES]
            shares = ", ".join(f"{h} covers {_percent(s)}" for h, s in named)
            out.append((tones, f"main colours: {shares}"))
        return out

    def describe(self) -> str:
        """e.g. 'a dark, high-contrast, muted image in deep blue and rust tones'."""
        text = f"a {self.brightness_word}, {self.contrast_word}, {self.saturation_word} image"
        tones = self._tones()
        return f"{text} in {tones}" if tones else text


def look_at(img: Image.Image, seed: int = 0) -> ImageLook:
    """Brightness, contrast, saturation and palette of ``img`` (read from a small thumbnail)."""
    rgb = _thumbnail_pixels(img)
    unit = rgb / 255.0
    luma = unit @ _LUMA
    top, bottom = unit.max(axis=1), unit.min(axis=1)
    saturation = np.where(top > 0, (top - bottom) / np.maximum(top, 1e-9), 0.0)
    return ImageLook(
        brightness=float(np.clip(luma.mean(), 0.0, 1.0)),
        contrast=float(np.clip(luma.std(), 0.0, 1.0)),
        saturation=float(np.clip(saturation.mean(), 0.0, 1.0)),
        palette=_palette_from_pixels(rgb, 5, int(seed)),
        colourfulness=colourfulness(rgb),
    )


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Süsstrunk's colourfulness of (n, 3) pixels in 0..255."""
    values = np.asarray(rgb, np.float64).reshape(-1, 3)
    rg = values[:, 0] - values[:, 1]
    yb = 0.5 * (values[:, 0] + values[:, 1]) - values[:, 2]
    spread = float(np.hypot(rg.std(), yb.std()))
    mean = float(np.hypot(rg.mean(), yb.mean()))
    return spread + 0.3 * mean
