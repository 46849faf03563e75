"""ADE20K segmentation maps of the reference image, for the seg ControlNet.

The seg ControlNet was trained on ADE20K class colours, so only a SegFormer with ADE20K's 150
classes is accepted. Models load offline through
:func:`albumstudio.engines.models.load_pretrained`; torch and transformers are imported inside
the methods, never at module import.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from albumstudio.core.errors import InputError
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.engines.device import choose_device, free_device_memory
from albumstudio.engines.models import load_pretrained

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

ADE20K_CLASS_COUNT = 150
# Class scores are upsampled to at most this many pixels on the long side (150 float maps
# of a 3000x3000 image would take 5 GB); larger images get their labels resized instead.
MAX_SCORE_SIDE = 768
_WHAT = "the segmentation model"


class Segmenter:
    """Loaded SegFormer models (the last ``max_models`` used), each loaded on first use."""

    def __init__(self, model: str | None = None, device: str = "cpu",
                 max_models: int = 1) -> None:
        """``device`` is "cpu", "cuda", "mps" or "auto"; models always run in float32."""
        self.model_id = model or default_model("segmenter")
        self.device = device
        self.max_models = max(1, max_models)
        self._lock = threading.Lock()
        self._loaded: OrderedDict[tuple[str, str], tuple[Any, Any]] = OrderedDict()

    def is_loaded(self, model: str | None = None, device: str | None = None) -> bool:
        """True when that model (by default this segmenter's own) is in memory on that device."""
        return (model or self.model_id, device or self.device) in self._loaded

    def labels(self, img: Image.Image, model: str | None = None,
               device: str | None = None) -> np.ndarray:
        """ADE20K class ids (0-149) per pixel of ``img``, as a (height, width) uint8 array."""
        import numpy as np
        import torch
        from PIL import Image

        with self._lock:
            segformer, processor = self._load(model or self.model_id, device or self.device)
            rgb = img if img.mode == "RGB" else img.convert("RGB")
            inputs = processor(images=rgb, return_tensors="pt")
            pixel_values = inputs["pixel_values"].to(segformer.device, segformer.dtype)
            with torch.inference_mode():
                outputs = segformer(pixel_values=pixel_values)
                score_size = _score_size(rgb.width, rgb.height)
                labels = processor.post_process_semantic_segmentation(
                    outputs, target_sizes=[(score_size[1], score_size[0])])[0]
        class_ids: np.ndarray = labels.to("cpu", torch.uint8).numpy()
        if score_size != rgb.size:
            class_ids = np.asarray(Image.fromarray(class_ids).resize(rgb.size, Image.Resampling.NEAREST))
        return class_ids

    def segmentation_map(self, img: Image.Image, model: str | None = None,
                         device: str | None = None) -> Image.Image:
        """An RGB map the size of ``img``, each pixel coloured with its ADE20K class colour."""
        from albumstudio.vision.ade20k import colorize

        return colorize(self.labels(img, model, device))

    def unload(self) -> None:
        """Drop every loaded model (and free GPU memory); the next map loads again."""
        with self._lock:
            self._loaded.clear()
        free_device_memory()

    def _load(self, model_id: str, device: str) -> tuple[Any, Any]:
        key = (model_id, device)
        if key in self._loaded:
            self._loaded.move_to_end(key)
            return self._loaded[key]
        from transformers import SegformerForSemanticSegmentation, SegformerImageProcessor

        placement = choose_device(device).device
        segformer = load_pretrained(SegformerForSemanticSegmentation, model_id, _WHAT)
        classes = segformer.config.num_labels
        if classes != ADE20K_CLASS_COUNT:
            raise InputError(
                f"The segmentation model {model_id} has {classes} classes, not ADE20K's "
                f"{ADE20K_CLASS_COUNT}: the seg ControlNet expects ADE20K classes, so choose "
                f"an ADE20K model such as {default_model('segmenter')}.")
        processor = load_pretrained(SegformerImageProcessor, model_id, _WHAT)
        self._loaded[key] = (segformer.to(placement).eval(), processor)
        while len(self._loaded) > self.max_models:
            self._loaded.popitem(last=False)
        return self._loaded[key]


def _score_size(width: int, height: int) -> tuple[int, int]:
    longest = max(width, height)
    if longest <= MAX_SCORE_SIDE:
        return width, height
    scale = MAX_SCORE_SIDE / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def segmentation_map(img: Image.Image, model: str | None = None,
                     device: str = "cpu") -> Image.Image:
    """The ADE20K-coloured segmentation map of ``img`` (loads the model for this call only).

    Callers that make several maps pass ``Segmenter().segmentation_map`` instead, which has
    the same signature and keeps the model loaded.
    """
    segmenter = Segmenter(model, device)
    try:
        return segmenter.segmentation_map(img)
    finally:
        segmenter.unload()


def shared_segmenter(models: ModelCache, model: str, device: str = "cpu") -> Segmenter:
    """The one segmenter for ``model`` on ``device``, kept by the app's model cache (the Picture
    tab's preview and the diffusion engine share it)."""
    return models.get("segmenter", model, device, lambda: Segmenter(model, device))
