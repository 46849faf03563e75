"""More background families for the design engine, each the engine's own and each driven by the
music's figures (energy curve, tempo, onset density, energy) and seeded.

- hills: layered hills under a sun, receding into the sky's colour (folk, acoustic);
- staves: groups of five flowing lines with note heads at the onsets (orchestral, classical);
- dots: a halftone field whose dot sizes follow the energy curve (electronic, pop);
- shards: the square cut by straight tears into flat, high-contrast pieces (rock, punk);
- bars: heavy bars from the energy curve over a record disc (hip-hop);
- cutouts: overlapping organic paper shapes in flat colours (jazz).

Shapes are drawn at full size so edges stay crisp; soft grounds come from ``colour_field``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from albumstudio.core.cover import MusicMood
from albumstudio.core.mood_palette import MoodPalette
from albumstudio.engines.design_treatments import palette_rgb, rng_for

Rgb = tuple[int, int, int]


def _mix(a: Rgb, b: Rgb, share: float) -> Rgb:
    return tuple(round(x + (y - x) * share) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _energy(mood: MusicMood) -> float:
    return float(np.clip(mood.energy, 0.0, 1.0))


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    kernel = np.ones(2 * width + 1) / (2 * width + 1)
    return np.convolve(np.pad(values, width, mode="edge"), kernel, mode="valid")


def hills(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    from albumstudio.engines.design_backgrounds import colour_field, energy_profile

    rng = rng_for(seed, 111)
    sky_top, sky_low = palette_rgb(palette.secondary), palette_rgb(palette.highlight)
    image = colour_field(size, [sky_low, _mix(sky_top, sky_low, 0.5), sky_low], seed, 112)
    draw = ImageDraw.Draw(image)
    sun_r = size * (0.09 + 0.07 * _energy(mood))
    sx, sy = size * rng.uniform(0.25, 0.75), size * rng.uniform(0.2, 0.34)
    draw.ellipse((sx - sun_r, sy - sun_r, sx + sun_r, sy + sun_r),
                 fill=palette_rgb(palette.accent))
    layers = 4 + int(rng.integers(0, 3))
    samples = 160
    xs = np.linspace(-0.02, 1.02, samples) * size
    profile = energy_profile(mood, samples * 4, seed)
    front, back = palette_rgb(palette.shadow), palette_rgb(palette.mid)
    for k in range(layers):
        depth = k / max(1, layers - 1)  # 0 back … 1 front
        start = int(rng.integers(0, samples * 3))
        wave = _smooth(profile[start:start + samples], 6 + 4 * (layers - k))
        base = size * (0.42 + 0.5 * depth)
        height = size * (0.14 - 0.05 * depth) * (0.6 + _energy(mood))
        ys = base - height * (wave - 0.3)
        colour = _mix(_mix(back, front, depth), sky_low, 0.45 * (1 - depth))
        draw.polygon([*zip(xs.tolist(), ys.tolist(), strict=True), (size, size), (0, size)],
                     fill=colour)
    return image


def staves(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    from albumstudio.engines.design_backgrounds import colour_field, energy_profile

    rng = rng_for(seed, 121)
    ground = palette_rgb(palette.shadow)
    image = colour_field(size, [ground, _mix(ground, palette_rgb(palette.mid), 0.5), ground],
                         seed, 122)
    draw = ImageDraw.Draw(image)
    count = 3 + int(rng.integers(0, 3))
    samples = 220
    xs = np.linspace(-0.05, 1.05, samples) * size
    profile = energy_profile(mood, samples * 3, seed)
    gap = size * 0.017
    line_w = max(1, round(size * 0.0035))
    light, accent = palette_rgb(palette.highlight), palette_rgb(palette.accent)
    notes_per_staff = int(np.clip(round(mood.onset_density * 2.5), 4, 18))
    tilt = rng.uniform(-0.12, 0.12)
    for s in range(count):
        start = int(rng.integers(0, samples * 2))
        wave = _smooth(profile[start:start + samples], 10) - 0.5
        centre = size * (0.12 + 0.78 * (s + 0.5) / count)
        swing = size * (0.08 + 0.1 * _energy(mood))
        ys = centre + swing * wave + tilt * (xs - size / 2)
        colour = _mix(light, palette_rgb(palette.mid), 0.25 * (s % 2))
        for line in range(5):
            offset = (line - 2) * gap
            draw.line(list(zip(xs.tolist(), (ys + offset).tolist(), strict=True)), fill=colour,
                      width=line_w)
        for index in rng.choice(np.arange(8, samples - 8), notes_per_staff, replace=False):
            step = int(rng.integers(-4, 5))
            nx, ny = float(xs[index]), float(ys[index] + step * gap / 2)
            rx, ry = gap * 0.85, gap * 0.62
            draw.ellipse((nx - rx, ny - ry, nx + rx, ny + ry), fill=accent)
    return image


def dots(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    from albumstudio.engines.design_backgrounds import energy_profile

    rng = rng_for(seed, 131)
    image = Image.new("RGB", (size, size), palette_rgb(palette.shadow))
    draw = ImageDraw.Draw(image)
    cells = int(np.clip(round(mood.tempo_bpm / 5.0), 14, 34))
    pitch = size / cells
    across = energy_profile(mood, cells, seed)
    angle = rng.uniform(0, np.pi)
    fx, fy = np.cos(angle), np.sin(angle)
    phase = rng.uniform(0, 2 * np.pi)
    waves = 1.0 + 2.0 * _energy(mood)
    colours = [palette_rgb(palette.accent), palette_rgb(palette.highlight),
               palette_rgb(palette.secondary)]
    split = rng.uniform(0.3, 0.7)
    for row in range(cells):
        for col in range(cells):
            u, v = (col + 0.5) / cells, (row + 0.5) / cells
            field = 0.5 + 0.5 * np.sin(2 * np.pi * waves * (u * fx + v * fy) + phase)
            value = 0.15 + 0.85 * (0.55 * field + 0.45 * across[col])
            radius = pitch * 0.5 * value
            cx, cy = (col + 0.5) * pitch, (row + 0.5) * pitch
            colour = colours[0] if u * fx + v * fy < split else colours[1 + (row + col) % 2]
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
    return image


def shards(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    rng = rng_for(seed, 141)
    colours = [palette_rgb(c) for c in (palette.shadow, palette.mid, palette.accent,
                                        palette.highlight, palette.secondary)]
    pieces: list[np.ndarray] = [np.array([[0, 0], [size, 0], [size, size], [0, size]], float)]
    cuts = 5 + round(6 * _energy(mood)) + int(rng.integers(0, 3))
    for _ in range(cuts):
        target = max(range(len(pieces)), key=lambda i: _area(pieces[i]) * rng.uniform(0.6, 1))
        piece = pieces.pop(target)
        centre = piece.mean(axis=0) + rng.normal(0, size * 0.05, 2)
        angle = rng.uniform(0, np.pi)
        normal = np.array([np.cos(angle), np.sin(angle)])
        for part in _split(piece, centre, normal):
            if len(part) >= 3:
                pieces.append(part)
    image = Image.new("RGB", (size, size), colours[0])
    draw = ImageDraw.Draw(image)
    weights = np.array([0.3, 0.25, 0.15, 0.15, 0.15])
    previous = -1
    for piece in pieces:
        choice = int(rng.choice(5, p=weights))
        if choice == previous:
            choice = (choice + 1) % 5
        previous = choice
        draw.polygon([tuple(p) for p in piece.tolist()], fill=colours[choice])
        if rng.random() < 0.25:  # a few pieces carry print lines
            _hatch(image, piece, colours[(choice + 2) % 5], size)
    line = max(1, round(size * 0.004))
    for piece in pieces:
        draw.line([tuple(p) for p in piece.tolist()] + [tuple(piece[0].tolist())],
                  fill=colours[0], width=line)
    return image


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def _split(poly: np.ndarray, point: np.ndarray, normal: np.ndarray) -> list[np.ndarray]:
    """The convex polygon cut in two by the line through ``point`` across ``normal``."""
    sides = (poly - point) @ normal
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for i in range(len(poly)):
        a, b = poly[i], poly[(i + 1) % len(poly)]
        sa, sb = sides[i], sides[(i + 1) % len(poly)]
        (left if sa >= 0 else right).append(a)
        if (sa >= 0) != (sb >= 0):
            cross = a + (b - a) * (sa / (sa - sb))
            left.append(cross)
            right.append(cross)
    return [np.array(left), np.array(right)]


def _hatch(image: Image.Image, piece: np.ndarray, colour: Rgb, size: int) -> None:
    """Diagonal print lines inside ``piece``."""
    from PIL import ImageChops

    left, top = np.floor(piece.min(axis=0)).astype(int).clip(0, size)
    right, bottom = np.ceil(piece.max(axis=0)).astype(int).clip(0, size)
    w, h = int(right - left), int(bottom - top)
    if w < 2 or h < 2:
        return
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).polygon([(x - left, y - top) for x, y in piece.tolist()], fill=255)
    lines = Image.new("L", (w, h), 0)
    ink = ImageDraw.Draw(lines)
    step = max(4, round(size * 0.014))
    width = max(1, step // 3)
    offset = (left + top) % step  # lines continue across pieces as on one printed sheet
    for k in range(-h - offset, w + h, step):
        ink.line((k, 0, k - h, h), fill=255, width=width)
    image.paste(colour, (int(left), int(top)), ImageChops.multiply(mask, lines))


def bars(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    from albumstudio.engines.design_backgrounds import colour_field, energy_profile

    rng = rng_for(seed, 151)
    ground = palette_rgb(palette.shadow)
    image = colour_field(size, [ground, _mix(ground, palette_rgb(palette.secondary), 0.5),
                                ground], seed, 152)
    draw = ImageDraw.Draw(image)
    disc_r = size * rng.uniform(0.3, 0.4)
    cx, cy = size * rng.uniform(0.4, 0.6), size * rng.uniform(0.38, 0.5)
    draw.ellipse((cx - disc_r, cy - disc_r, cx + disc_r, cy + disc_r),
                 fill=_mix(ground, palette_rgb(palette.mid), 0.7))
    for k in range(1, 6):
        r = disc_r * (0.35 + 0.12 * k)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ground,
                     width=max(1, round(size * 0.002)))
    count = int(np.clip(round(mood.tempo_bpm / 8.0), 9, 21))
    heights = energy_profile(mood, count, seed)
    floor = size * rng.uniform(0.84, 0.95)
    pitch = size / count
    width = pitch * 0.62
    loud = palette_rgb(palette.accent)
    quiet = palette_rgb(palette.highlight)
    for i, h in enumerate(heights):
        top = floor - size * (0.12 + 0.6 * float(h) * (0.5 + 0.5 * _energy(mood)))
        x = i * pitch + (pitch - width) / 2
        draw.rectangle((round(x), round(top), round(x + width), round(floor)),
                       fill=loud if h > 0.75 else quiet)
    return image


def cutouts(size: int, palette: MoodPalette, mood: MusicMood, seed: int) -> Image.Image:
    rng = rng_for(seed, 161)
    colours = [palette_rgb(c) for c in (palette.mid, palette.accent, palette.secondary,
                                        palette.highlight, palette.shadow)]
    ground = int(rng.integers(0, 2))
    image = Image.new("RGB", (size, size), colours[3] if ground else colours[4])
    draw = ImageDraw.Draw(image)
    count = int(np.clip(round(4 + mood.onset_density), 5, 12))
    theta = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    for k in range(count):
        cx, cy = size * rng.uniform(0.1, 0.9, 2)
        base = size * rng.uniform(0.1, 0.3)
        radius = np.full_like(theta, 1.0)
        for harmonic in range(2, 6):
            radius += rng.uniform(0, 0.35 / harmonic * (1 + _energy(mood))) * np.cos(
                harmonic * theta + rng.uniform(0, 2 * np.pi))
        xs, ys = cx + base * radius * np.cos(theta), cy + base * radius * np.sin(theta)
        choices = [c for i, c in enumerate(colours[:3]) if i != (k + ground) % 3] or colours
        colour = choices[int(rng.integers(0, len(choices)))]
        draw.polygon(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=colour)
    return image


FAMILY_FUNCTIONS = {"hills": hills, "staves": staves, "dots": dots, "shards": shards,
                    "bars": bars, "cutouts": cutouts}
