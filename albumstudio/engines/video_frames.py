"""The pictures of a social video: the still background (the cover blurred behind itself, the
sharp cover, the title and artist), the waveform and progress bar in their unplayed and played
looks, and the conversion to BT.709 limited-range YUV 4:2:0 in the encoder's own layout."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from albumstudio.core.clip import VIDEO_SIZES


def to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.709 limited-range Y (h, w), U and V (h/2, w/2) of an (h, w, 3) uint8 picture."""
    x = rgb.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = 16.0 + (219.0 / 255.0) * (0.2126 * r + 0.7152 * g + 0.0722 * b)
    h, w = rgb.shape[:2]
    quad = 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])
    r2, g2, b2 = quad[..., 0], quad[..., 1], quad[..., 2]
    u = 128.0 + (224.0 / 255.0) * (-0.1146 * r2 - 0.3854 * g2 + 0.5 * b2)
    v = 128.0 + (224.0 / 255.0) * (0.5 * r2 - 0.4542 * g2 - 0.0458 * b2)
    return tuple(np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, u, v))


class Yuv420Frame:
    """A picture in the encoder's yuv420p layout ((h·3/2, w) uint8), with writable views of
    its three planes."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.data = np.zeros((height * 3 // 2, width), dtype=np.uint8)
        quarter = height // 4
        self.y = self.data[:height]
        self.u = self.data[height:height + quarter].reshape(height // 2, width // 2)
        self.v = self.data[height + quarter:].reshape(height // 2, width // 2)

    def paste(self, rgb: np.ndarray, left: int, top: int) -> None:
        """Write an RGB picture at an even ``left``, ``top``."""
        y, u, v = to_yuv420(rgb)
        h, w = y.shape
        self.y[top:top + h, left:left + w] = y
        self.u[top // 2:(top + h) // 2, left // 2:(left + w) // 2] = u
        self.v[top // 2:(top + h) // 2, left // 2:(left + w) // 2] = v

    def paste_columns(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], left: int,
                      top: int, first: int, last: int) -> None:
        """Columns [first, last) (even) of converted planes placed at ``left``, ``top``."""
        y, u, v = planes
        h = y.shape[0]
        self.y[top:top + h, left + first:left + last] = y[:, first:last]
        rows = slice(top // 2, (top + h) // 2)
        cols = slice((left + first) // 2, (left + last) // 2)
        self.u[rows, cols] = u[:, first // 2:last // 2]
        self.v[rows, cols] = v[:, first // 2:last // 2]


def even(value: float) -> int:
    return int(value) // 2 * 2


def load_cover(path: str) -> Image.Image:
    """The picture at ``path`` (InputError for a bad one), or a plain dark square."""
    if path:
        from albumstudio.vision.image_load import load_image

        return load_image(path)
    return Image.new("RGB", (1024, 1024), (38, 40, 52))


def _fill(image: Image.Image, width: int, height: int) -> Image.Image:
    scale = max(width / image.width, height / image.height)
    size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    big = image.resize(size, Image.Resampling.BILINEAR)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return big.crop((left, top, left + width, top + height))


def square_of(image: Image.Image, side: int) -> Image.Image:
    return _fill(image, side, side).resize((side, side), Image.Resampling.LANCZOS) \
        if image.size != (side, side) else image


def accent_colour(cover: Image.Image) -> tuple[int, int, int]:
    """The cover's most vivid colour, lifted so it reads on the dark background."""
    small = np.asarray(cover.resize((48, 48), Image.Resampling.BILINEAR), dtype=np.float32)
    pixels = small.reshape(-1, 3)
    high, low = pixels.max(axis=1), pixels.min(axis=1)
    vivid = (high - low) * (high / 255.0)
    best = pixels[int(np.argmax(vivid))]
    if float(vivid.max()) < 40:  # a grey cover: a warm white
        return (240, 232, 220)
    scale = 235.0 / max(float(best.max()), 1.0)
    return tuple(int(min(255, c * scale)) for c in best)  # type: ignore[return-value]


def _text(draw: ImageDraw.ImageDraw, text: str, centre_x: int, top: int, size: int,
          width: int, weight: int, fill: tuple[int, int, int]) -> None:
    from albumstudio.engines.design_fonts import WORK_SANS, FontSpec, font_for_text, load_font

    if not text:
        return
    spec = font_for_text(FontSpec(WORK_SANS, weight), text)
    font = load_font(spec.file, size, spec.weight)
    shown = text
    while draw.textlength(shown, font=font) > width and len(shown) > 1:
        shown = shown[:-2].rstrip() + "…"
    draw.text((centre_x, top), shown, font=font, fill=fill, anchor="ma")


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    cover: tuple[int, int, int]  # left, top, side
    title_top: int
    artist_top: int
    wave: tuple[int, int, int, int]  # left, top, width, height
    bar: tuple[int, int, int, int]


def layout_for(name: str) -> Layout:
    width, height = VIDEO_SIZES[name]
    if name == "square":
        side = 600
        return Layout(width, height, (even((width - side) / 2), 80, side), 712, 796,
                      (90, 880, 900, 110), (90, 1010, 900, 8))
    side = 880
    top = 300
    return Layout(width, height, (even((width - side) / 2), top, side), top + side + 90,
                  top + side + 190, (90, top + side + 330, 900, 150),
                  (90, top + side + 510, 900, 10))


def background(cover: Image.Image, layout: Layout, title: str, artist: str,
               with_cover: bool = True) -> Image.Image:
    """The still picture: the cover blurred and darkened behind, the sharp cover, the words."""
    back = _fill(cover, layout.width // 8, layout.height // 8)
    back = back.filter(ImageFilter.GaussianBlur(3)).resize((layout.width, layout.height),
                                                           Image.Resampling.BICUBIC)
    back = Image.eval(back, lambda c: int(c * 0.42))
    left, top, side = layout.cover
    if with_cover:
        back.paste(square_of(cover, side), (left, top))
    draw = ImageDraw.Draw(back)
    _text(draw, title, layout.width // 2, layout.title_top, 64, layout.width - 160, 700,
          (250, 250, 250))
    _text(draw, artist, layout.width // 2, layout.artist_top, 44, layout.width - 160, 400,
          (215, 215, 215))
    return back


def waveform_heights(samples: np.ndarray, bars: int) -> np.ndarray:
    """0..1 RMS of ``bars`` equal stretches of (frames, channels) samples."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    edges = np.linspace(0, mono.size, bars + 1).astype(np.int64)
    rms = np.array([math.sqrt(float(np.mean(np.square(mono[a:b])))) if b > a else 0.0
                    for a, b in zip(edges[:-1], edges[1:], strict=True)])
    top = float(rms.max()) if rms.size else 0.0
    return np.clip(rms / top, 0.06, 1.0) if top > 0 else np.full(bars, 0.06)


def strips(back: Image.Image, box: tuple[int, int, int, int], heights: np.ndarray | None,
           played: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The unplayed and played look of a waveform (or a bar when ``heights`` is None) over the
    background, as RGB arrays."""
    left, top, width, height = box
    base = back.crop((left, top, left + width, top + height))
    looks = []
    for colour in ((150, 150, 150), played):
        picture = base.copy()
        draw = ImageDraw.Draw(picture)
        if heights is None:
            draw.rectangle((0, 0, width, height), fill=colour)
        else:
            pitch = width / heights.size
            for i, h in enumerate(heights):
                tall = max(4, int(h * height))
                x0 = int(i * pitch)
                y0 = (height - tall) // 2
                draw.rounded_rectangle((x0, y0, x0 + max(2, int(pitch * 0.6)), y0 + tall),
                                       radius=3, fill=colour)
        looks.append(np.asarray(picture))
    return looks[0], looks[1]
