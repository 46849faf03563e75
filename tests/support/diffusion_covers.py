"""What the diffusion cover tests share: the tiny request, a stand-in segmenter, and a progress
callback that cancels a run at a known step."""

from __future__ import annotations

import threading
from typing import Any

from PIL import Image

from albumstudio.core.cover import CoverRequest
from tests.support.requests import changed, cover_request

SIDE = 64
PROMPT = "a red cat on a blue sea"
NEGATIVE = "dark, lowres"


def tiny_request(tiny_sd: str, **changes: Any) -> CoverRequest:
    """A 64×64, 3-step diffusion request on the tiny model (seed 7, UniPC), with ``changes``."""
    base = cover_request("diffusion", model=tiny_sd, prompt=PROMPT, negative_prompt=NEGATIVE,
                         size=SIDE, steps=3, seed=7, scheduler="unipc")
    return changed(base, **changes)


def fake_segment(img: Image.Image, model: str, device: str) -> Image.Image:
    """A colour map from the image (stands in for SegFormer, which another test covers)."""
    return img.convert("RGB").quantize(colors=4).convert("RGB")


class CancelAtStep:
    """A progress callback that keeps every denoising step it is told of and sets ``cancel``
    once step ``at`` is reported."""

    def __init__(self, at: int = 1) -> None:
        self.at = at
        self.cancel = threading.Event()
        self.seen: list[int] = []

    def __call__(self, progress: Any) -> None:
        if progress.step > 0:
            self.seen.append(progress.step)
        if progress.step == self.at:
            self.cancel.set()
