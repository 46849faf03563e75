"""Treatments of the reference image (duotone, gradient map, halftone, soft blur, natural grade)
and the common finish (film grain, vignette), all seeded and vectorised.

Per-pixel colour work runs as 256-entry lookup tables inside Pillow; the expensive textures
(halftone screen, blur, grain, vignette falloff) are computed at a reduced size and scaled up
with OpenCV, whose resampling and saturating uint8 arithmetic are several times faster than
Pillow's at 3000² (cv2 is imported on first use, never at start-up).
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from albumstudio.core.design_plan import rng_for
from albumstudio.core.mood_palette import MoodPalette, relative_luminance

__all__ = ["rng_for"]  # one seeding for the plan and the drawing (core.design_plan)

Rgb = tuple[int, int, int]
WORK_SIDE = 1280  # textures are computed at most this large, then scaled up


def upscale(image: Image.Image, size: int, smooth: bool = True) -> Image.Image:
    """``image`` resized to ``size``² (bicubic, or bilinear when ``smooth`` is False)."""
    if image.size == (size, size):
        return image
    import cv2

    mode = cv2.INTER_CUBIC if smooth else cv2.INTER_LINEAR
    if image.width > size:
        mode = cv2.INTER_AREA
    return Image.fromarray(cv2.resize(np.asarray(image), (size, size), interpolation=mode),
                           image.mode)


def _levels(image: Image.Image, low_share: float = 0.01,
            high_share: float = 0.99) -> NDArray[np.float64]:
    """Index table stretching the image's 1st..99th luminance percentiles to 0..255."""
    hist = np.asarray(image.convert("L").reduce(4).histogram(), dtype=np.float64)
    cdf = np.cumsum(hist) / max(1.0, hist.sum())
    low = int(np.searchsorted(cdf, low_share))
    high = int(np.searchsorted(cdf, high_share))
    if high - low < 16:
        low, high = 0, 255
    levels = np.arange(256, dtype=np.float64)
    return np.clip((levels - low) / (high - low), 0.0, 1.0)


def s_curve(values: NDArray[np.float64], strength: float) -> NDArray[np.float64]:
    """Contrast curve on 0..1 values (strength 0: identity)."""
    curved = 0.5 - 0.5 * np.cos(np.pi * values)
    return values + (curved - values) * strength


def ramp_lut(colours: list[Rgb], tone: NDArray[np.float64]) -> list[int]:
    """A 768-entry table (R, G, B) mapping 256 luminance levels through ``colours`` (dark →
    light, evenly spaced) after the tone curve ``tone`` (256 values in 0..1)."""
    stops = np.linspace(0.0, 1.0, len(colours))
    table = np.array(colours, dtype=np.float64)
    channels = [np.interp(tone, stops, table[:, c]) for c in range(3)]
    table_u8 = np.concatenate(channels).round().clip(0, 255).astype(np.uint8)
    return cast("list[int]", table_u8.tolist())  # tolist() is typed Any


def map_luminance(image: Image.Image, lut: list[int], size: int | None = None) -> Image.Image:
    """Recolour by luminance through a 768-entry (R, G, B) table; the grey image is scaled to
    ``size`` first when given (cheaper than scaling colour)."""
    grey = image.convert("L")
    if size is not None:
        grey = upscale(grey, size)
    return Image.merge("RGB", [grey.point(lut[i * 256:(i + 1) * 256]) for i in range(3)])


def by_luminance(palette: MoodPalette, roles: tuple[str, ...]) -> list[Rgb]:
    colours = sorted({getattr(palette, r) for r in roles}, key=relative_luminance)
    return [palette_rgb(c) for c in colours]


def palette_rgb(colour: str) -> Rgb:
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def duotone(image: Image.Image, palette: MoodPalette, seed: int, size: int) -> Image.Image:
    """Two inks: the shadow colour and the accent (or the highlight when the accent is dark)."""
    light = palette.accent if relative_luminance(palette.accent) >= 0.25 else palette.highlight
    tone = s_curve(_levels(image), 0.35)
    lut = ramp_lut([palette_rgb(palette.shadow), palette_rgb(light)], tone)
    return map_luminance(image, lut, size)


def gradient_map(image: Image.Image, palette: MoodPalette, seed: int, size: int) -> Image.Image:
    """Luminance through every palette tone from darkest to lightest."""
    colours = by_luminance(palette, ("shadow", "mid", "accent", "highlight"))
    return map_luminance(image, ramp_lut(colours, s_curve(_levels(image), 0.25)), size)


def halftone(image: Image.Image, palette: MoodPalette, seed: int, size: int) -> Image.Image:
    """A rotated dot screen in the shadow colour over paper tinted highlight → accent."""
    work = min(size, WORK_SIDE)
    rng = rng_for(seed, 11)
    angle = math.radians(float(rng.choice([15.0, 45.0, 75.0])))
    cells = float(rng.uniform(70.0, 100.0))
    pitch = work / cells
    tone = s_curve(_levels(image), 0.3)
    darkness_lut = ((1.0 - tone) * 255.0).round().astype(np.uint8).tolist()
    small = image.convert("L").resize((work, work), Image.Resampling.BILINEAR).point(darkness_lut)
    darkness = np.asarray(small, dtype=np.float32) / 255.0
    axis = np.arange(work, dtype=np.float32) / np.float32(pitch)
    cos, sin = np.float32(math.cos(angle)), np.float32(math.sin(angle))
    u = axis[None, :] * cos + axis[:, None] * sin
    v = axis[:, None] * cos - axis[None, :] * sin
    u -= np.floor(u) + np.float32(0.5)
    v -= np.floor(v) + np.float32(0.5)
    threshold = np.minimum(np.float32(np.pi) * (u * u + v * v), np.float32(1.0))
    ink = (darkness - threshold) * np.float32(pitch * 0.6) + np.float32(0.5)
    mask = Image.fromarray((np.clip(ink, 0.0, 1.0) * 255.0).astype(np.uint8), "L")
    mask = upscale(mask, size)
    paper_colours = [palette_rgb(palette.accent), palette_rgb(palette.highlight)]
    paper_tone = 0.55 + 0.45 * tone
    paper = map_luminance(image, ramp_lut(paper_colours, paper_tone), size)
    return Image.composite(Image.new("RGB", paper.size, palette_rgb(palette.shadow)), paper, mask)


def natural(image: Image.Image, palette: MoodPalette, seed: int, size: int) -> Image.Image:
    """Colour grading only: levels, a gentle contrast curve, shadows and highlights toned
    toward the palette."""
    tone = s_curve(_levels(image, 0.005, 0.995), 0.2)
    curve = (tone * 255.0).round().astype(np.uint8).tolist()
    graded = image.point(curve * 3)
    toned = map_luminance(graded, ramp_lut(by_luminance(palette, ("shadow", "mid", "highlight")),
                                           np.linspace(0.0, 1.0, 256)))
    return upscale(Image.blend(graded, toned, 0.18), size)


def soft_blur(image: Image.Image, palette: MoodPalette, seed: int, size: int) -> Image.Image:
    """The picture blurred into a soft, palette-tinted background, with the sharp picture set in
    as a card above the centre."""
    rng = rng_for(seed, 12)
    small_side = max(32, size // 8)
    small = image.resize((small_side, small_side), Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(small_side * 0.035))
    tint = map_luminance(small, ramp_lut(by_luminance(palette, ("shadow", "mid", "highlight")),
                                         np.linspace(0.0, 1.0, 256)))
    background = Image.blend(small, tint, 0.45)
    card = round(size * float(rng.uniform(0.5, 0.58)))
    round_card = bool(rng.random() < 0.35)
    cx, cy = size // 2, round(size * 0.42)
    box = (cx - card // 2, cy - card // 2, cx - card // 2 + card, cy - card // 2 + card)
    scale = small_side / size
    shade = Image.new("L", background.size, 0)
    drop = [round(v * scale) for v in (box[0], box[1] + size * 0.02, box[2], box[3] + size * 0.03)]
    draw = ImageDraw.Draw(shade)
    (draw.ellipse if round_card else draw.rectangle)(drop, fill=150)
    shade = shade.filter(ImageFilter.GaussianBlur(small_side * 0.03))
    background = Image.composite(Image.new("RGB", background.size, palette_rgb(palette.shadow)),
                                 background, shade)
    out = upscale(background, size)
    picture = natural(image.resize((card, card), Image.Resampling.BILINEAR), palette, seed, card)
    mask = Image.new("L", (card, card), 0)
    shape = ImageDraw.Draw(mask)
    if round_card:
        shape.ellipse((0, 0, card - 1, card - 1), fill=255)
    else:
        shape.rounded_rectangle((0, 0, card - 1, card - 1), radius=round(card * 0.015), fill=255)
    out.paste(picture, box[:2], mask)
    return out


TREATMENT_FUNCTIONS = {
    "duotone": duotone,
    "gradient-map": gradient_map,
    "halftone": halftone,
    "blur": soft_blur,
    "natural": natural,
}


def apply_treatment(name: str, image: Image.Image, palette: MoodPalette, seed: int,
                    size: int | None = None) -> Image.Image:
    """One of core.cover.TREATMENTS applied to a square RGB picture: a new ``size`` square
    image (default: the picture's side). The picture may be smaller than ``size``; it is
    scaled up after the colour work, where that is cheaper."""
    picture = image if image.mode == "RGB" else image.convert("RGB")
    return TREATMENT_FUNCTIONS[name](picture, palette, seed, size or image.width)


def film_grain(pixels: np.ndarray, amount: float, seed: int) -> np.ndarray:
    """Monochrome seeded grain (amount 0..1) added to (H, W, 3) uint8 pixels; the noise is drawn
    at half size and scaled up, so it clumps like film grain."""
    if amount <= 0:
        return pixels
    import cv2

    height, width = pixels.shape[:2]
    noise = rng_for(seed, 21).standard_normal((max(8, height // 2), max(8, width // 2)),
                                              dtype=np.float32)
    noise *= np.float32(min(1.0, amount) * 40.0)
    noise += np.float32(128.0)
    centred = np.clip(noise, 0.0, 255.0).astype(np.uint8)
    grain = cv2.resize(centred, (width, height), interpolation=cv2.INTER_LINEAR)
    # cv2's stubs (here and in vignette) leave out the scalar second operand OpenCV accepts
    lighter = cv2.subtract(grain, 128)  # type: ignore[call-overload]
    darker = cv2.subtract(cv2.bitwise_not(grain), 127)  # type: ignore[call-overload]
    out = cv2.add(pixels, cv2.merge([lighter, lighter, lighter]))
    return cv2.subtract(out, cv2.merge([darker, darker, darker]))


def vignette(pixels: np.ndarray, amount: float, colour: Rgb) -> np.ndarray:
    """(H, W, 3) uint8 pixels with the corners darkened toward ``colour`` (amount 0..1); the
    falloff is drawn at 256² and scaled up."""
    if amount <= 0:
        return pixels
    import cv2

    side = 256
    axis = (np.arange(side, dtype=np.float32) + 0.5) / side * 2.0 - 1.0
    radius = np.sqrt(axis[None, :] ** 2 + axis[:, None] ** 2) / np.float32(math.sqrt(2.0))
    fall = np.clip((radius - 0.35) / 0.65, 0.0, 1.0) ** 2 * np.float32(min(1.0, amount) * 0.9)
    keep: np.ndarray = ((1.0 - fall) * 255.0).round().astype(np.uint8)
    keep = cv2.resize(keep, (pixels.shape[1], pixels.shape[0]), interpolation=cv2.INTER_LINEAR)
    keep3 = cv2.merge([keep, keep, keep])
    edge = cv2.multiply(cv2.bitwise_not(keep3), (*map(float, colour), 0.0),  # type: ignore[call-overload]
                        scale=1 / 255)
    return cv2.add(cv2.multiply(pixels, keep3, scale=1 / 255), edge)
