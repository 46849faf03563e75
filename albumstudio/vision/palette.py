"""The offline reading of a picture: its dominant colours and its look, in plain words.

When no captioning model is installed this is what the prompt says about the image
("a dark, high-contrast, muted image in deep blue and rust tones"); every word comes from a
fixed threshold on a measured figure, so the UI can say why it is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

THUMB_SIDE = 96
MERGE_DISTANCE = 12.0  # Lab ΔE below which two cluster centres are one colour

BRIGHTNESS_WORDS = ((0.22, "dark"), (0.40, "dim"), (0.62, "balanced"), (0.80, "bright"),
                    (9.0, "luminous"))
CONTRAST_WORDS = ((0.12, "soft"), (0.24, "moderate-contrast"), (9.0, "high-contrast"))
SATURATION_WORDS = ((0.08, "monochrome"), (0.25, "muted"), (0.50, "natural"), (9.0, "vivid"))

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


def _word(value: float, table) -> str:
    for bound, word in table:
        if value < bound:
            return word
    return table[-1][1]


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB 0..255 → CIE Lab (D65)."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])],
                    axis=1)


def _hex(rgb) -> str:
    r, g, b = (int(round(float(v))) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


_NAMED_LAB = _srgb_to_lab(np.array([_rgb(h) for _, h in NAMED_COLOURS]))


def colour_name(hex_colour: str) -> str:
    """The nearest name in a small fixed table (nearest in Lab)."""
    lab = _srgb_to_lab(_rgb(hex_colour)[None, :])
    return NAMED_COLOURS[int(np.argmin(((_NAMED_LAB - lab) ** 2).sum(axis=1)))][0]


def _pixels(img: Image.Image) -> np.ndarray:
    small = img.convert("RGB")
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float64).reshape(-1, 3)


def dominant_palette(img: Image.Image, k: int = 5, seed: int = 0) -> list[tuple[str, float]]:
    """Up to ``k`` ('#rrggbb', share) colours, largest share first (k-means++ in Lab)."""
    rgb = _pixels(img)
    lab = _srgb_to_lab(rgb)
    rng = np.random.default_rng(seed)
    unique = np.unique(np.round(lab, 1), axis=0)
    k = max(1, min(k, len(unique)))
    centres = [lab[rng.integers(len(lab))]]
    for _ in range(1, k):
        d = np.min(((lab[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2), axis=1)
        if d.sum() <= 0:
            break
        centres.append(lab[rng.choice(len(lab), p=d / d.sum())])
    c = np.array(centres)
    for _ in range(20):
        labels = np.argmin(((lab[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        new = np.array([lab[labels == i].mean(axis=0) if np.any(labels == i) else c[i]
                        for i in range(len(c))])
        if np.allclose(new, c, atol=1e-3):
            break
        c = new
    labels = np.argmin(((lab[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
    groups: list[tuple[np.ndarray, np.ndarray]] = []  # (lab centre, member mask)
    for i in np.argsort(-np.bincount(labels, minlength=len(c))):
        mask = labels == i
        if not mask.any():
            continue
        for j, (centre, members) in enumerate(groups):
            if np.sqrt(((centre - c[i]) ** 2).sum()) < MERGE_DISTANCE:
                groups[j] = (centre, members | mask)
                break
        else:
            groups.append((c[i], mask))
    total = float(len(lab))
    out = [(_hex(rgb[members].mean(axis=0)), float(members.sum()) / total)
           for _, members in groups]
    return sorted(out, key=lambda t: (-t[1], t[0]))


@dataclass(frozen=True)
class ImageLook:
    brightness: float  # 0..1 mean luma
    contrast: float  # 0..1 RMS contrast of luma
    saturation: float  # 0..1 mean HSV saturation
    palette: list[tuple[str, float]] = field(default_factory=list)

    @property
    def brightness_word(self) -> str:
        return _word(self.brightness, BRIGHTNESS_WORDS)

    @property
    def contrast_word(self) -> str:
        return _word(self.contrast, CONTRAST_WORDS)

    @property
    def saturation_word(self) -> str:
        return _word(self.saturation, SATURATION_WORDS)

    @property
    def colour_names(self) -> list[str]:
        names: list[str] = []
        for hex_colour, share in self.palette:
            name = colour_name(hex_colour)
            if share >= 0.08 and name not in names:
                names.append(name)
            if len(names) == 3:
                break
        return names

    def parts(self) -> list[tuple[str, str]]:
        """(phrase, the figure behind it) for each word of ``describe``."""
        out = [
            (self.brightness_word, f"mean brightness {self.brightness:.2f}"),
            (self.contrast_word, f"contrast {self.contrast:.2f}"),
            (self.saturation_word, f"saturation {self.saturation:.2f}"),
        ]
        names = self.colour_names
        if names and self.saturation_word != "monochrome":
            shares = ", ".join(f"{h} {s:.0%}" for h, s in self.palette[:3])
            out.append((self._tones(names), f"dominant colours {shares}"))
        return out

    @staticmethod
    def _tones(names: list[str]) -> str:
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"{joined} tones"

    def describe(self) -> str:
        words = [self.brightness_word, self.contrast_word, self.saturation_word]
        text = f"a {', '.join(words)} image"
        names = self.colour_names
        if names and self.saturation_word != "monochrome":
            text += f" in {self._tones(names)}"
        return text


def look_at(img: Image.Image, seed: int = 0) -> ImageLook:
    rgb = _pixels(img) / 255.0
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722])
    top, bottom = rgb.max(axis=1), rgb.min(axis=1)
    saturation = np.where(top > 0, (top - bottom) / np.maximum(top, 1e-9), 0.0)
    return ImageLook(
        brightness=float(luma.mean()),
        contrast=float(min(1.0, luma.std() * 2.0)),
        saturation=float(saturation.mean()),
        palette=dominant_palette(img, 5, seed),
    )
