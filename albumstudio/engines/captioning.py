"""BLIP captions of the artist's reference image, for the cover prompt.

The model is loaded on first use (offline, safetensors only, through
:func:`albumstudio.engines.models.load_pretrained`) and kept until :meth:`ImageCaptioner.unload`.
torch and transformers are imported inside the methods, never at module import.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.engines.device import choose_device, free_device_memory
from albumstudio.engines.models import load_pretrained

if TYPE_CHECKING:
    from PIL import Image

CAPTION_BEAMS = 3
CAPTION_MAX_NEW_TOKENS = 30

# BLIP base was trained on web captions and often opens with a made-up word ("arafed",
# "araffe", "arafly") or a "there is ..." frame that adds nothing to a prompt.
_MADE_UP_WORD = re.compile(r"\b(?:(an?)\s+)?araf\w*\s*", re.IGNORECASE)
_LEADING_FRAME = re.compile(r"^there\s+(?:is|are)\s+", re.IGNORECASE)
_TRAILING_PUNCTUATION = " \t\n.,;:!?-"
_WHAT = "the image captioning model"


def clean_caption(text: str) -> str:
    """``text`` without BLIP's usual artefacts, extra spaces or trailing punctuation."""
    text = " ".join(text.split())

    def drop_made_up_word(match: re.Match[str]) -> str:
        article = match.group(1)
        if not article:
            return ""
        following = text[match.end():match.end() + 1].lower()
        return "an " if following and following in "aeiou" else "a "

    text = _MADE_UP_WORD.sub(drop_made_up_word, text).strip()
    text = _LEADING_FRAME.sub("", text)
    return " ".join(text.split()).rstrip(_TRAILING_PUNCTUATION)


class ImageCaptioner:
    """One BLIP captioning model on one device, loaded on first use and reused after."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        """``device`` is "cpu", "cuda" (float16), "mps" or "auto" (see engines.device)."""
        self.model_id = model or default_model("captioner")
        self.device = device
        self._lock = threading.Lock()
        self._model: Any = None
        self._processor: Any = None

    @property
    def is_loaded(self) -> bool:
        """True once the model and processor are in memory."""
        return self._model is not None

    def caption(self, img: Image.Image, prompt: str | None = None) -> str:
        """A short description of ``img``; with ``prompt``, the caption continues that text."""
        import torch

        with self._lock:
            model, processor = self._load()
            rgb = img if img.mode == "RGB" else img.convert("RGB")
            text = prompt.strip() if prompt and prompt.strip() else None
            inputs = processor(images=rgb, text=text, return_tensors="pt")
            inputs = {name: value.to(model.device) for name, value in inputs.items()}
            inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
            with torch.inference_mode():
                tokens = model.generate(**inputs, num_beams=CAPTION_BEAMS,
                                        max_new_tokens=CAPTION_MAX_NEW_TOKENS)
            return clean_caption(processor.decode(tokens[0], skip_special_tokens=True))

    def unload(self) -> None:
        """Drop the model (and free its GPU memory); the next caption loads it again."""
        with self._lock:
            self._model = None
            self._processor = None
        free_device_memory()

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            from transformers import BlipForConditionalGeneration, BlipProcessor

            choice = choose_device(self.device)
            processor = load_pretrained(BlipProcessor, self.model_id, _WHAT)
            model = load_pretrained(BlipForConditionalGeneration, self.model_id, _WHAT,
                                    dtype=choice.torch_dtype())
            self._model = model.to(choice.device).eval()
            self._processor = processor
        return self._model, self._processor


def shared_captioner(models: ModelCache, model: str, device: str = "auto") -> ImageCaptioner:
    """The one captioner for ``model`` on ``device``, kept by the app's model cache."""
    return models.get("captioner", model, device, lambda: ImageCaptioner(model, device))
