"""Square crops of the reference picture (covers are square)."""

from __future__ import annotations

from PIL import Image

from albumstudio.core.cover import CropBox

MIN_CROP = 16


def default_crop(width: int, height: int) -> CropBox:
    """The largest centred square."""
    side = max(1, min(width, height))
    return CropBox((width - side) // 2, (height - side) // 2, side)


def clamp_crop(crop: CropBox, width: int, height: int) -> CropBox:
    """The same crop kept inside the picture, at least ``MIN_CROP`` and at most the short side."""
    limit = max(1, min(width, height))
    side = int(min(max(crop.size, min(MIN_CROP, limit)), limit))
    left = int(min(max(crop.left, 0), width - side))
    top = int(min(max(crop.top, 0), height - side))
    return CropBox(left, top, side)


def apply_crop(img: Image.Image, crop: CropBox | None, size: int) -> Image.Image:
    """Cut the square and resize it to ``size``×``size`` (Lanczos)."""
    box = clamp_crop(crop, img.width, img.height) if crop else default_crop(img.width, img.height)
    region = (box.left, box.top, box.left + box.size, box.top + box.size)
    if box.size == size:
        return img.crop(region)
    return img.resize((size, size), Image.Resampling.LANCZOS, box=region,
                      reducing_gap=3.0 if box.size > 2 * size else None)
