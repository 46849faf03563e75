"""One paragraph from a track's segment captions, with BART large CNN, as Music2P did.

Music2P ran transformers' summarization pipeline on BART large CNN (the ``caption-summarizer`` model) with
``max_length=130, min_length=30, do_sample=False``; the model's own generation settings (beam
count, length penalty, no repeated 3-grams) come from its folder. Here the same call is made
directly: the captions joined with spaces, tokenized (cut at the model's longest input), then
``generate``. Loaded offline and from safetensors only, through
:func:`albumstudio.engines.models.load_pretrained`; torch and transformers are imported inside.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.engines.device import choose_device, free_device_memory
from albumstudio.engines.models import load_pretrained

SUMMARY_MAX_LENGTH = 130
SUMMARY_MIN_LENGTH = 30
_WHAT = "the caption summariser"


def joined(captions: Sequence[str]) -> str:
    """The text BART summarises: the captions in order, each ending with a full stop."""
    parts = [c.strip() for c in captions if c.strip()]
    return " ".join(p if p.endswith((".", "!", "?")) else f"{p}." for p in parts)


class CaptionSummarizer:
    """BART large CNN (or a model like it) on one device, loaded on first use."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        self.model_id = model or default_model("caption-summarizer")
        self.device = device
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    def summarize(self, captions: Sequence[str], seed: int = 0) -> str:
        """The paragraph for ``captions`` ("" when there is nothing to summarise)."""
        import torch

        text = joined(captions)
        if not text:
            return ""
        with self._lock:
            model, tokenizer = self._load()
            limit = int(getattr(model.config, "max_position_embeddings", 1024))
            inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=limit)
            inputs = {k: v.to(model.device) for k, v in inputs.items()}
            torch.manual_seed(seed)
            with torch.inference_mode():
                ids = model.generate(**inputs, max_length=SUMMARY_MAX_LENGTH,
                                     min_length=SUMMARY_MIN_LENGTH, do_sample=False)
            return " ".join(tokenizer.decode(ids[0], skip_special_tokens=True).split())

    def unload(self) -> None:
        with self._lock:
            self._model = None
            self._tokenizer = None
        free_device_memory()

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            from transformers import AutoTokenizer, BartForConditionalGeneration

            choice = choose_device(self.device)
            tokenizer = load_pretrained(AutoTokenizer, self.model_id, _WHAT)
            model = load_pretrained(BartForConditionalGeneration, self.model_id, _WHAT,
                                    dtype=choice.torch_dtype())
            self._model = model.to(choice.device).eval()
            self._tokenizer = tokenizer
        return self._model, self._tokenizer


def shared_summarizer(models: ModelCache, model: str, device: str = "auto") -> CaptionSummarizer:
    """The one summariser for ``model`` on ``device``, kept by the app's model cache."""
    return models.get("caption-summarizer", model, device,
                      lambda: CaptionSummarizer(model, device))
