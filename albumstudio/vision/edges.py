"""Canny edge maps made the way ControlNet canny's training maps were (``cv2.Canny``)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from albumstudio.core.errors import InputError

MAX_THRESHOLD = 1000


def canny_map(img: Image.Image, low: int = 100, high: int = 200) -> Image.Image:
    """White edges on black, RGB, the size of ``img``.

    ``cv2.Canny`` runs on the RGB pixels, as in the ControlNet annotator and the diffusers
    examples (it takes the strongest channel's gradient, so edges between colours of equal
    brightness still show). Thresholds must satisfy 0 ≤ low < high ≤ 1000.
    """
    try:
        low_value, high_value = int(low), int(high)
    except (TypeError, ValueError):
        low_value, high_value = -1, -1
    if not 0 <= low_value < high_value <= MAX_THRESHOLD:
        raise InputError(f"The edge thresholds must be whole numbers with 0 ≤ low < high ≤ "
                         f"{MAX_THRESHOLD} (got low {low}, high {high}); set a low threshold "
                         "below the high one.")
    import cv2

    pixels = np.ascontiguousarray(np.asarray(img.convert("RGB")))
    edges = cv2.Canny(pixels, low_value, high_value)
    return Image.fromarray(np.repeat(edges[:, :, None], 3, axis=2), "RGB")
