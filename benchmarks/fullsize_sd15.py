"""SD 1.5 parts at their real sizes with random weights, built from the real configs bundled in
``benchmarks/configs/sd15/`` (UNet 860 M parameters, ControlNet v1.1 canny 361 M, VAE 84 M,
CLIP ViT-L/14 text encoder 123 M). Speed does not depend on the weights' values, so these
measure real-size speed on any machine without downloading a checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIGS = Path(__file__).resolve().parent / "configs" / "sd15"
PARTS = ("text_encoder", "unet", "controlnet_canny", "vae")


def config(part: str) -> dict[str, Any]:
    """The bundled config of ``part`` without its bookkeeping keys (``_class_name``, …)."""
    raw = json.loads((CONFIGS / f"{part}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def build(part: str, seed: int = 0) -> Any:
    """A random-weight module of ``part`` (one of :data:`PARTS`) in eval mode, float32 on CPU."""
    import torch

    torch.manual_seed(seed)
    module: Any
    if part == "text_encoder":
        from transformers import CLIPTextConfig, CLIPTextModel

        module = CLIPTextModel(CLIPTextConfig(**config(part)))  # type: ignore[misc]
    elif part == "unet":
        from diffusers import UNet2DConditionModel

        module = UNet2DConditionModel(**config(part))
    elif part == "controlnet_canny":
        from diffusers import ControlNetModel

        module = ControlNetModel(**config(part))
        with torch.no_grad():  # a new ControlNet's output convolutions are zero: make them
            for block in [*module.controlnet_down_blocks, module.controlnet_mid_block]:
                block.weight.normal_(0.0, 0.02)  # non-zero, as in a trained one
    elif part == "vae":
        from diffusers import AutoencoderKL

        module = AutoencoderKL(**config(part))
    else:
        raise ValueError(f"unknown part {part!r}: one of {', '.join(PARTS)}")
    return module.eval()


def parameters_m(module: Any) -> float:
    """Millions of parameters."""
    return round(sum(p.numel() for p in module.parameters()) / 1e6, 1)
