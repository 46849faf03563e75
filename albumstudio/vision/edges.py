"""Canny edge maps, made exactly as ControlNet v1.1 canny's training data was (``cv2.Canny``)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from albumstudio.core.errors import InputError

MAX_THRESHOLD = 1000


def canny_map(img: Image.Image, low: int = 100, high: int = 200) -> Image.Image:
    """White edges on black, RGB, the size of ``img`` (Music2P used thresholds 100 and 200)."""
    if not 0 <= low < high <= MAX_THRESHOLD:
        raise InputError(f"Edge thresholds must satisfy 0 ≤ low < high ≤ {MAX_THRESHOLD} "
                         f"(got {low} and {high}).")
    import cv2

    grey = np.asarray(img.convert("L"))
    edges = cv2.Canny(grey, int(low), int(high))
    return Image.fromarray(np.repeat(edges[:, :, None], 3, axis=2), "RGB")
