"""A cheap live preview of SD 1.5 latents: a linear 4→3 projection to RGB, no VAE decode.

Each latent channel contributes a fixed amount to red, green and blue; the factors below are
ComfyUI's ``latent_rgb_factors`` for SD 1.5 (comfy/latent_formats.py, class ``SD15``), fitted
by least squares between latents and decoded images. They apply to the latents the sampler
works on (already multiplied by the VAE scaling factor 0.18215), so ``(x + 1) / 2`` maps them
to 0..1 as in ComfyUI's latent previewer. The preview is 1/8 of the image size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

SD15_LATENT_RGB_FACTORS = np.array([
    #  R        G        B
    [0.3512, 0.2297, 0.3227],
    [0.3250, 0.4974, 0.2350],
    [-0.2829, 0.1762, 0.2721],
    [-0.2120, -0.2616, -0.7177],
], dtype=np.float32)


def latents_to_rgb(latents: Any) -> np.ndarray:
    """RGB uint8 (H/8, W/8, 3) from latents shaped (4, h, w) or (batch, 4, h, w) (first item)."""
    if hasattr(latents, "detach"):
        latents = latents.detach().float().cpu().numpy()
    array = np.asarray(latents, dtype=np.float32)
    if array.ndim == 4:
        array = array[0]
    if array.ndim != 3 or array.shape[0] != SD15_LATENT_RGB_FACTORS.shape[0]:
        raise ValueError(f"expected latents shaped (4, h, w), got {array.shape}")
    rgb = np.einsum("chw,cr->hwr", array, SD15_LATENT_RGB_FACTORS)
    unit: NDArray[np.float32] = np.clip((rgb + 1.0) / 2.0, 0.0, 1.0)  # numpy types both Any
    return (unit * 255.0 + 0.5).astype(np.uint8)
