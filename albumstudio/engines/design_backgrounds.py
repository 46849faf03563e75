"""Generative cover backgrounds for a track without a reference image.

Ten seeded families, each drawn from the music's figures: waveform rings (the energy curve bent
round a circle), an aura (a soft colour field with one crisp shape), a sunburst (rays counted
by tempo), a Bauhaus grid (cells counted by onset density), and the six of
``design_families`` (hills, staves, dots, shards, bars, cut-outs). Soft fields are computed small and scaled up; shapes are
drawn at full size so their edges stay crisp.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from albumstudio.core.cover import MusicMood
from albumstudio.core.design_plan import FAMILIES, FAMILY_LABELS, choose_family
from albumstudio.core.mood_palette import MoodPalette
from albumstudio.engines.design_families import FAMILY_FUNCTIONS
from albumstudio.engines.design_treatments import palette_rgb, rng_for, upscale

Rgb = tuple[int, int, int]
STYLES = FAMILIES
STYLE_LABELS = FAMILY_LABELS


def choose_style(mood: MusicMood, seed: int, genre: str = "") -> str:
    """The background family :func:`core.design_plan.choose_family` picks for this seed."""
    return choose_family(mood, seed, genre).value


def energy_profile(mood: MusicMood, count: int, seed: int) -> np.ndarray:
    """``count`` values in 0..1: the track's energy curve resampled and smoothed, or a seeded
    smooth curve around the overall energy when the track has none."""
    curve = np.asarray(mood.energy_curve, dtype=np.float64)
    if curve.size >= 4 and np.isfinite(curve).all():
        values = np.interp(np.linspace(0, curve.size - 1, count), np.arange(curve.size), curve)
    else:
        steps = rng_for(seed, 41).standard_normal(count)
        values = np.cumsum(steps) + np.sin(np.linspace(0, 3 * np.pi, count)) * count ** 0.5
    width = max(1, count // 40)
    kernel = np.ones(2 * width + 1) / (2 * width + 1)
    values = np.convolve(np.pad(values, width, mode="edge"), kernel, mode="valid")
    span = values.max() - values.min()
    values = (values - values.min()) / span if span > 1e-9 else np.full(count, 0.5)
    return values


def colour_field(size: int, colours: list[Rgb], seed: int, salt: int) -> Image.Image:
    """A soft mesh gradient: each colour glows from a seeded point; computed at 96² and scaled."""
    side = 96
    rng = rng_for(seed, salt)
    axis = (np.arange(side, dtype=np.float32) + 0.5) / side
    total = np.zeros((side, side, 3), dtype=np.float32)
    weight = np.zeros((side, side), dtype=np.float32)
    for colour in colours:
        cx, cy = rng.uniform(-0.1, 1.1, 2)
        spread = np.float32(rng.uniform(0.25, 0.55))
        dist = (axis[None, :] - cx) ** 2 + (axis[:, None] - cy) ** 2
        w = np.exp(-dist / (spread * spread)) + np.float32(1e-4)
        total += w[..., None] * np.asarray(colour, dtype=np.float32)
        weight += w
    field = (total / weight[..., None]).round().clip(0, 255).astype(np.uint8)
    return upscale(Image.fromarray(field, "RGB"), size)


def _mix(a: Rgb, b: Rgb, share: float) -> Rgb:
    return tuple(round(x + (y - x) * share) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _rings(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    rng = rng_for(seed, 51)
    shadow, mid = palette_rgb(palette.shadow), palette_rgb(palette.mid)
    image = colour_field(size, [shadow, _mix(shadow, mid, 0.6), shadow], seed, 52)
    draw = ImageDraw.Draw(image)
    energy = float(np.clip(mood.energy, 0.0, 1.0))
    count = 7 + round(energy * 9)
    points = 540
    profile = energy_profile(mood, points, seed)
    blend = np.linspace(0.0, 1.0, points // 8)
    profile[: blend.size] = profile[: blend.size] * blend + profile[-blend.size:][::-1] * (1 - blend)
    cx = size * (0.5 + rng.uniform(-0.03, 0.03))
    cy = size * (0.44 + rng.uniform(-0.03, 0.03))
    theta = np.linspace(0.0, 2.0 * np.pi, points, endpoint=False)
    amp = 0.1 + 0.3 * energy
    inner, outer = palette_rgb(palette.accent), palette_rgb(palette.highlight)
    disc = size * 0.09
    draw.ellipse((cx - disc, cy - disc, cx + disc, cy + disc), fill=palette_rgb(palette.secondary))
    width = max(1, round(size * 0.0045))
    for k in range(count):
        share = k / max(1, count - 1)
        base = size * (0.12 + 0.25 * share)
        shift = int(rng.integers(0, points))
        wave = np.roll(profile, shift) - 0.5
        radius = base * (1.0 + amp * (0.4 + 0.6 * share) * wave)
        xs, ys = cx + radius * np.cos(theta), cy + radius * np.sin(theta)
        line = list(zip(xs.tolist(), ys.tolist(), strict=True))
        draw.line([*line, line[0]], fill=_mix(inner, outer, share), width=width)
    return image


def _aura(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    rng = rng_for(seed, 71)
    colours = [palette_rgb(c) for c in (palette.mid, palette.accent, palette.secondary,
                                        palette.shadow, palette.highlight)]
    image = colour_field(size, colours, seed, 72)
    draw = ImageDraw.Draw(image)
    shape = ("disc", "ring", "horizon")[int(rng.integers(0, 3))]
    cx, cy = size * 0.5, size * rng.uniform(0.36, 0.46)
    radius = size * (0.14 + 0.1 * float(np.clip(mood.energy, 0.0, 1.0)))
    light = palette_rgb(palette.highlight)
    if shape == "disc":
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=light)
    elif shape == "ring":
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=light,
                     width=max(1, round(size * 0.008)))
    else:
        y = round(size * 0.58)
        draw.rectangle((round(size * 0.12), y, round(size * 0.88), y + max(1, size // 400)),
                       fill=light)
        draw.ellipse((cx - radius * 0.5, y - radius * 1.1, cx + radius * 0.5, y - radius * 0.1),
                     fill=palette_rgb(palette.accent))
    return image


def _sunburst(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    rng = rng_for(seed, 81)
    shadow, mid = palette_rgb(palette.shadow), palette_rgb(palette.mid)
    image = Image.new("RGB", (size, size), _mix(shadow, mid, 0.35))
    draw = ImageDraw.Draw(image)
    rays = int(np.clip(round(mood.tempo_bpm / 6.0), 12, 36)) // 2 * 2
    cx, horizon = size * rng.uniform(0.4, 0.6), size * rng.uniform(0.66, 0.76)
    reach = size * 1.6
    turn = float(rng.uniform(0.0, 360.0 / rays))
    for i in range(0, rays, 2):
        start = turn + i * 360.0 / rays
        draw.pieslice((cx - reach, horizon - reach, cx + reach, horizon + reach), start,
                      start + 360.0 / rays, fill=mid)
    radius = size * (0.17 + 0.08 * float(np.clip(mood.energy, 0.0, 1.0)))
    sun_box = (round(cx - radius), round(horizon - radius), round(cx + radius),
               round(horizon + radius))
    side = sun_box[2] - sun_box[0]
    ramp = np.linspace(0.0, 1.0, side, dtype=np.float32)[:, None, None]
    top, bottom = np.array(palette_rgb(palette.highlight)), np.array(palette_rgb(palette.accent))
    sun = (top + (bottom - top) * ramp).round().astype(np.uint8)
    sun_image = Image.fromarray(np.repeat(sun, side, axis=1), "RGB")
    mask = Image.new("L", (side, side), 0)
    mask_draw = ImageDraw.Draw(mask)
    mask_draw.ellipse((0, 0, side - 1, side - 1), fill=255)
    stripes = 4 + round(mood.onset_density) % 4
    for k in range(stripes):
        y = side * (0.3 + 0.2 * k / stripes)
        mask_draw.rectangle((0, round(y), side, round(y + side * 0.008 * (k + 1))), fill=0)
    image.paste(sun_image, sun_box[:2], mask)
    # below the horizon the rays are mirrored, darker, so the square is filled to its foot
    below = image.crop((0, round(2 * horizon - size), size, round(horizon)))
    below = below.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    below = Image.blend(below, Image.new("RGB", below.size, shadow), 0.6)
    image.paste(below, (0, round(horizon)))
    draw.rectangle((0, round(horizon), size, round(horizon) + max(1, size // 500)),
                   fill=palette_rgb(palette.secondary))
    return image


def _cell_motif(draw: ImageDraw.ImageDraw, w: int, h: int, fg: Rgb,
                rng: np.random.Generator) -> None:
    motif, turn = int(rng.integers(0, 5)), int(rng.integers(0, 4))
    if motif == 0:  # quarter circle from a corner
        cx, cy = (0, w)[turn % 2], (0, h)[turn // 2]
        draw.ellipse((cx - w, cy - h, cx + w, cy + h), fill=fg)
    elif motif == 1:  # half circle from an edge
        cx, cy = ((w // 2, 0), (w, h // 2), (w // 2, h), (0, h // 2))[turn]
        draw.ellipse((cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2), fill=fg)
    elif motif == 2:
        inset = w * 0.12
        draw.ellipse((inset, inset, w - inset, h - inset), fill=fg)
    elif motif == 3:
        corners = [(0, 0), (w, 0), (w, h), (0, h)]
        draw.polygon([corners[(turn + i) % 4] for i in range(3)], fill=fg)
    else:
        bands = 9
        for k in range(1, bands, 2):
            if turn % 2:
                draw.rectangle((k * w // bands, 0, (k + 1) * w // bands, h), fill=fg)
            else:
                draw.rectangle((0, k * h // bands, w, (k + 1) * h // bands), fill=fg)


def _grid(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    rng = rng_for(seed, 91)
    cells = int(np.clip(round(2 + mood.onset_density * 0.7), 3, 6))
    edges = np.linspace(0, size, cells + 1).round().astype(int)
    colours = [palette_rgb(c) for c in palette.colours]
    base_weights = np.array([0.3, 0.25, 0.15, 0.15, 0.15])
    activity = energy_profile(mood, cells, seed)
    image = Image.new("RGB", (size, size))
    for col in range(cells):
        for row in range(cells):
            x0, x1, y0, y1 = edges[col], edges[col + 1], edges[row], edges[row + 1]
            bg = int(rng.choice(5, p=base_weights))
            cell = Image.new("RGB", (int(x1 - x0), int(y1 - y0)), colours[bg])
            if rng.random() < 0.35 + 0.6 * activity[col]:
                fg = colours[int(rng.choice([i for i in range(5) if i != bg]))]
                _cell_motif(ImageDraw.Draw(cell), cell.width, cell.height, fg, rng)
            image.paste(cell, (int(x0), int(y0)))
    return image


_STYLE_FUNCTIONS = {"rings": _rings, "aura": _aura, "sunburst": _sunburst, "grid": _grid,
                    **FAMILY_FUNCTIONS}


def render_background(style: str, size: int, palette: MoodPalette, mood: MusicMood,
                      seed: int) -> Image.Image:
    """A ``size``×``size`` RGB background in one of :data:`STYLES`."""
    return _STYLE_FUNCTIONS[style](size, palette, mood, seed)
