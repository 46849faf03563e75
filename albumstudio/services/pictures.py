"""The reference picture: load it safely, describe it, and preview its conditioning maps.

Shared by the window (as jobs) and the CLI. Each function takes ``cancel`` (a
``threading.Event`` or None) and, where it reports, ``progress``; vision and model modules are
imported inside, so they load on the worker, never on the main thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from albumstudio.core.cover import CropBox
from albumstudio.core.errors import CancelledError
from albumstudio.core.jobs import Progress, ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model

if TYPE_CHECKING:
    from PIL import Image

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


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("the picture")


def _say(progress: ProgressFn | None, fraction: float, text: str) -> None:
    if progress is not None:
        progress(Progress(fraction, text))


def load_reference(path: str, cancel: threading.Event | None = None,
                   progress: ProgressFn | None = None) -> LoadedImage:
    """Open ``path`` safely (InputError with one sentence for a bad file) and look at its colours."""
    from albumstudio.vision.crop import default_crop
    from albumstudio.vision.image_load import load_image
    from albumstudio.vision.palette import look_at

    _say(progress, 0.0, "Opening the photo")
    image = load_image(path)
    _check(cancel)
    display = _fit_within(image, DISPLAY_MAX_SIDE)
    _check(cancel)
    _say(progress, 0.6, "Reading its colours")
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
                  cancel: threading.Event | None = None) -> Image.Image:
    """The Canny edge map (RGB) of the crop, as the canny ControlNet would see it."""
    from albumstudio.vision.edges import canny_map

    square = preview_crop(img, crop)
    _check(cancel)
    return canny_map(square, low=int(low), high=int(high))


def seg_preview(img: Image.Image, crop: CropBox, models: ModelCache, model: str | None = None,
                cancel: threading.Event | None = None,
                progress: ProgressFn | None = None) -> Image.Image:
    """The ADE20K-coloured segmentation map (RGB) of the crop, computed on the CPU with the
    segmenter the model cache keeps (the diffusion engine shares it)."""
    from albumstudio.engines.segmentation import shared_segmenter

    model = model or default_model("segmenter")
    square = preview_crop(img, crop)
    _check(cancel)
    _say(progress, 0.1, "Segmenting the photo")
    return shared_segmenter(models, model, "cpu").segmentation_map(square, model=model,
                                                                   device="cpu")


def model_installed(model: str, cancel: threading.Event | None = None) -> bool:
    """Whether a model's files are on this computer (may read the hub cache)."""
    from albumstudio.engines.models import is_installed

    _check(cancel)
    return bool(is_installed(model))


CAPTION_SIDE = 384  # BLIP base reads 384×384


@dataclass(frozen=True)
class PictureWords:
    """What the prompt says about the picture, and where it came from ("look": the offline
    colours and light; "blip": the BLIP caption)."""

    text: str
    source: str


def look_words(loaded: LoadedImage) -> PictureWords:
    """The offline description: colours, light and contrast of the picture."""
    return PictureWords(loaded.look.describe(), "look")


def caption(path: str, crop: CropBox | None, models: ModelCache, model: str | None = None,
            cancel: threading.Event | None = None) -> PictureWords:
    """BLIP's caption of the square crop (the captioner stays loaded in the model cache)."""
    from albumstudio.engines.captioning import shared_captioner
    from albumstudio.vision.crop import apply_crop, default_crop
    from albumstudio.vision.image_load import load_image

    image = load_image(path)
    crop = crop or default_crop(*image.size)
    picture = apply_crop(image, crop, CAPTION_SIDE)
    _check(cancel)
    model = model or default_model("captioner")
    return PictureWords(shared_captioner(models, model, "auto").caption(picture), "blip")


def describe_picture(loaded: LoadedImage, crop: CropBox | None, models: ModelCache,
                     cancel: threading.Event | None = None) -> PictureWords:
    """BLIP's caption of the crop when the captioner is installed, else the offline look (the
    rule the window and the CLI share: the window shows the look at once and replaces it with
    the caption when the model queue gets to it)."""
    if model_installed(default_model("captioner"), cancel):
        return caption(loaded.path, crop, models, cancel=cancel)
    return look_words(loaded)
