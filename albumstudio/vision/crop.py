"""Square crops of the reference picture (covers are square)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image

from albumstudio.core.cover import CropBox

if TYPE_CHECKING:
    import numpy as np

MIN_CROP = 16
REDUCING_GAP = 3.0  # Pillow first shrinks by whole factors, then Lanczos: fast and still sharp


def default_crop(width: int, height: int) -> CropBox:
    """The largest square, centred."""
    side = max(1, min(int(width), int(height)))
    return CropBox((int(width) - side) // 2, (int(height) - side) // 2, side)


def clamp_crop(crop: CropBox, width: int, height: int) -> CropBox:
    """The crop moved inside the picture, its side between ``MIN_CROP`` and the short side.

    A picture whose short side is below ``MIN_CROP`` gets a crop of that short side.
    """
    width, height = int(width), int(height)
    limit = max(1, min(width, height))
    side = min(max(int(round(crop.size)), MIN_CROP), limit)
    left = min(max(int(round(crop.left)), 0), width - side)
    top = min(max(int(round(crop.top)), 0), height - side)
    return CropBox(max(0, left), max(0, top), side)


def apply_crop(img: Image.Image, crop: CropBox | None, size: int) -> Image.Image:
    """The square ``crop`` (None: the centred one) resized to ``size``×``size`` with Lanczos."""
    size = int(size)
    if size < 1:
        raise ValueError(f"output size must be at least 1 pixel, not {size}")
    box = (default_crop(*img.size) if crop is None else clamp_crop(crop, *img.size))
    region = (box.left, box.top, box.left + box.size, box.top + box.size)
    square = img.crop(region)  # resampling sees only the crop: no bleed from outside it
    if box.size == size:
        return square
    return square.resize((size, size), Image.Resampling.LANCZOS,
                         reducing_gap=REDUCING_GAP if box.size >= 2 * size else None)


SCREEN_SIDE = 1024


def screen_copy(img: Image.Image, side: int = SCREEN_SIDE) -> np.ndarray:
    """The picture at most ``side`` pixels on its long side, as an RGB uint8 array (for showing)."""
    import cv2
    import numpy as np

    pixels = np.asarray(img if img.mode == "RGB" else img.convert("RGB"))
    height, width = pixels.shape[:2]
    if max(width, height) > side:
        scale = side / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)  # ~10× Pillow's Lanczos
    return np.ascontiguousarray(pixels)
