"""Job functions for the reference image: load it safely, and preview its conditioning maps.

Qt-free: each takes a :class:`JobContext` last (bind the other arguments with
``functools.partial``). Vision and model modules load on the worker, never on the main thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from albumstudio.core.cover import CropBox
from albumstudio.jobs.runner import JobContext

if TYPE_CHECKING:
    from PIL import Image

    from albumstudio.engines.segmentation import Segmenter
    from albumstudio.vision.palette import ImageLook

DISPLAY_MAX_SIDE = 1024
MAP_PREVIEW_MAX_SIDE = 512


@dataclass(frozen=True)
class LoadedImage:
    """A reference image as opened: full pixels for the engines, a small copy for the screen."""

    path: str
    image: Image.Image  # RGB, EXIF-rotated, full size
    display: Image.Image  # RGB, longest side ≤ DISPLAY_MAX_SIDE
    look: ImageLook
    size: tuple[int, int]  # (width, height) of ``image``
    default_crop: CropBox


def _fit_within(img: Image.Image, max_side: int) -> Image.Image:
    from PIL import Image

    width, height = img.size
    if max(width, height) <= max_side:
        return img.copy()
    scale = max_side / max(width, height)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    return img.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)


def load_reference(path: str, ctx: JobContext) -> LoadedImage:
    """Open ``path`` safely (InputError with one sentence for a bad file) and look at its colours."""
    from albumstudio.vision.crop import default_crop
    from albumstudio.vision.image_load import load_image
    from albumstudio.vision.palette import look_at

    ctx.progress(0.0, "Opening the photo")
    image = load_image(path)
    ctx.check_cancel()
    display = _fit_within(image, DISPLAY_MAX_SIDE)
    ctx.check_cancel()
    ctx.progress(0.6, "Reading its colours")
    look = look_at(display)
    return LoadedImage(path, image, display, look, image.size, default_crop(*image.size))


def map_source(loaded: LoadedImage, crop: CropBox) -> tuple[Image.Image, CropBox]:
    """The smaller image (and the crop in its pixels) that still gives a full-size map preview.

    The display copy serves when the crop covers at least MAP_PREVIEW_MAX_SIDE of its pixels
    (or the crop's own size, if smaller), so slider moves do not resample the full photo.
    """
    scale = loaded.display.width / loaded.size[0]
    wanted = min(crop.size, MAP_PREVIEW_MAX_SIDE)
    if scale >= 1.0 or crop.size * scale < wanted:
        return loaded.image, crop
    scaled = CropBox(round(crop.left * scale), round(crop.top * scale),
                     max(1, round(crop.size * scale)))
    return loaded.display, scaled


def preview_crop(img: Image.Image, crop: CropBox) -> Image.Image:
    """The square crop at most MAP_PREVIEW_MAX_SIDE pixels wide (what the map previews read)."""
    from albumstudio.vision.crop import apply_crop, clamp_crop

    crop = clamp_crop(crop, *img.size)
    return apply_crop(img, crop, max(1, min(crop.size, MAP_PREVIEW_MAX_SIDE)))


def canny_preview(img: Image.Image, crop: CropBox, low: int, high: int,
                  ctx: JobContext) -> Image.Image:
    """The Canny edge map (RGB) of the crop, as the canny ControlNet would see it."""
    from albumstudio.vision.edges import canny_map

    square = preview_crop(img, crop)
    ctx.check_cancel()
    return canny_map(square, low=int(low), high=int(high))


def seg_preview(img: Image.Image, crop: CropBox, model: str, ctx: JobContext,
                segmenter: Segmenter | None = None) -> Image.Image:
    """The ADE20K-coloured segmentation map (RGB) of the crop, computed on the CPU.

    Pass a :class:`Segmenter` to keep the model loaded between previews.
    """
    from albumstudio.engines.segmentation import segmentation_map

    square = preview_crop(img, crop)
    ctx.check_cancel()
    ctx.progress(0.1, "Segmenting the photo")
    if segmenter is not None:
        return segmenter.segmentation_map(square, model=model, device="cpu")
    return segmentation_map(square, model=model, device="cpu")


def segmenter_installed(model: str, ctx: JobContext) -> bool:
    """Whether the segmentation model's files are on this computer (may read the hub cache)."""
    from albumstudio.engines.models import is_installed

    ctx.check_cancel()
    return bool(is_installed(model))
