"""Super-resolution for a cover smaller than the distributor's size (Swin2SR, through transformers).

Used only when the model of the ``upscaler`` role is installed (its folder chosen in the model
manager, or the registry's model in the Hugging Face cache); otherwise the kit enlarges with
Lanczos and mild sharpening, as before. The weights load offline and from safetensors only
(:func:`albumstudio.engines.models.load_pretrained`), so a folder with only pickle weights is
one sentence. The picture goes through the network in tiles of :data:`TILE` pixels that
overlap by :data:`OVERLAP` and are blended with linear ramps, so enlarging 512 px to 2048 px
keeps one tile's activations in memory at a time; the result (×4 for the registry's model) is
then brought to the profile's size with Lanczos by the caller. It runs on the GPU when one is
found (float32), else on the CPU, where the registry's model is slow: tens of seconds a tile on
2 busy cores (benchmarks/upscale.py). torch and transformers are imported inside the functions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from albumstudio.core.errors import CancelledError
from albumstudio.core.jobs import ModelUse
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model, model_entry, revision_of
from albumstudio.engines.models import cached_folder, is_installed, load_pretrained

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

ROLE = "upscaler"
WHAT = "the super-resolution model"
TILE = 128  # input pixels per tile side (a multiple of the window size of 8)
OVERLAP = 16  # input pixels two neighbouring tiles share


def installed_upscaler() -> str | None:
    """The id (or local folder) of the installed super-resolution model; None when the
    registry has no such role or its model is not installed."""
    try:
        model = default_model(ROLE)
    except KeyError:
        return None
    return model if is_installed(model) else None


def _positions(length: int, tile: int, overlap: int) -> list[int]:
    """Tile starts covering ``length`` (the last one flush with the end)."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def _ramp(size: int, fade: int, start: bool, end: bool) -> np.ndarray:
    """Weights along one side of a tile: rising over ``fade`` pixels where it overlaps a
    neighbour before it, falling where it overlaps one after it."""
    import numpy as np

    weights = np.ones(size, dtype=np.float32)
    if fade > 0:
        rising = (np.arange(fade, dtype=np.float32) + 0.5) / fade
        if start:
            weights[:fade] = np.minimum(weights[:fade], rising)
        if end:
            weights[-fade:] = np.minimum(weights[-fade:], rising[::-1])
    return weights


class Upscaler:
    """A Swin2SR model, loaded on first use (into ``cache`` when given)."""

    def __init__(self, model: str, cache: ModelCache | None = None, tile: int = TILE,
                 overlap: int = OVERLAP, device: str = "auto") -> None:
        self.model_id = model
        self.requested = device
        self._device: str | None = None
        self.cache = cache
        self.tile = tile
        self.overlap = overlap
        self._lock = threading.Lock()
        self._loaded: Any = None

    def _load(self) -> Any:
        from albumstudio.engines.models import prepare_model_environment

        prepare_model_environment()
        from transformers import Swin2SRForImageSuperResolution

        folder = cached_folder(self.model_id)
        model = load_pretrained(Swin2SRForImageSuperResolution,
                                str(folder) if folder is not None else self.model_id, WHAT)
        return model.eval().to(self.device)

    @property
    def device(self) -> str:
        """"cuda", "mps" or "cpu" (chosen once; always float32)."""
        if self._device is None:
            from albumstudio.engines.device import choose_device

            self._device = choose_device(self.requested).device
        return self._device

    def model(self) -> Any:
        """The loaded network (ModelMissingError, one sentence, when it cannot be loaded)."""
        if self._loaded is None:
            if self.cache is not None:
                self._loaded = self.cache.get(ROLE, self.model_id, self.device, self._load)
            else:
                self._loaded = self._load()
        return self._loaded

    @property
    def scale(self) -> int:
        return int(self.model().config.upscale)

    def use(self) -> ModelUse:
        return ModelUse(ROLE, self.model_id, revision_of(self.model_id))

    def provenance(self) -> dict[str, Any]:
        """The model as release.json names it: id, revision, licence, commercial use."""
        entry = model_entry(self.model_id)
        return {**self.use().to_dict(), "architecture": "Swin2SR",
                "license": entry.license if entry else "unknown",
                "commercial_use": entry.commercial_use if entry else None}

    def enlarge(self, image: Image.Image, cancel: threading.Event | None = None,
                progress: Callable[[float], None] | None = None) -> Image.Image:
        """``image`` (RGB) enlarged by the model's scale, tile by tile (``progress(fraction)``
        after each tile; CancelledError between tiles once ``cancel`` is set)."""
        import numpy as np
        import torch
        from PIL import Image

        with self._lock:
            network = self.model()
            scale = int(network.config.upscale)
            window = int(network.config.window_size)
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
            height, width = rgb.shape[:2]
            out = np.zeros((height * scale, width * scale, 3), dtype=np.float32)
            weight = np.zeros((height * scale, width * scale, 1), dtype=np.float32)
            tile = max(window, self.tile - self.tile % window)
            fade = min(self.overlap, tile // 2) * scale
            rows = _positions(height, tile, self.overlap)
            cols = _positions(width, tile, self.overlap)
            done = 0
            with torch.inference_mode():
                for top in rows:
                    for left in cols:
                        if cancel is not None and cancel.is_set():
                            raise CancelledError("enlarging the cover")
                        part = rgb[top:top + tile, left:left + tile]
                        h, w = part.shape[:2]
                        pad_h, pad_w = (-h) % window, (-w) % window
                        if pad_h or pad_w:  # the model wants whole windows
                            part = np.pad(part, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
                        pixels = torch.from_numpy(np.ascontiguousarray(
                            part.transpose(2, 0, 1)))[None].to(self.device)
                        made = network(pixel_values=pixels).reconstruction[0]
                        made = made[:, :h * scale, :w * scale].clamp(0, 1).float().cpu().numpy()
                        ramp = np.outer(
                            _ramp(h * scale, fade, top > 0, top + h < height),
                            _ramp(w * scale, fade, left > 0, left + w < width))[..., None]
                        y, x = top * scale, left * scale
                        out[y:y + h * scale, x:x + w * scale] += made.transpose(1, 2, 0) * ramp
                        weight[y:y + h * scale, x:x + w * scale] += ramp
                        done += 1
                        if progress is not None:
                            progress(done / (len(rows) * len(cols)))
        pixels_out = np.clip(out / np.maximum(weight, 1e-6) * 255.0 + 0.5, 0, 255)
        return Image.fromarray(pixels_out.astype(np.uint8), "RGB")

    def unload(self) -> None:
        with self._lock:
            self._loaded = None
            if self.cache is not None:
                self.cache.evict(ROLE)
