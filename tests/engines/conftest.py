"""Tiny random-weight Stable Diffusion models, built once per test session."""

from __future__ import annotations

import pytest

from tests.support.tiny_sd import build_tiny_controlnet, build_tiny_lora, build_tiny_sd


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory) -> str:
    """A StableDiffusionPipeline folder (safetensors) with tiny random weights."""
    return str(build_tiny_sd(tmp_path_factory.mktemp("tiny-sd")))


@pytest.fixture(scope="session")
def tiny_controlnets(tmp_path_factory) -> dict[str, str]:
    """Two tiny ControlNet folders with different weights, for canny and seg."""
    root = tmp_path_factory.mktemp("tiny-controlnets")
    return {"canny": str(build_tiny_controlnet(root / "canny", seed=3)),
            "seg": str(build_tiny_controlnet(root / "seg", seed=5))}


@pytest.fixture(scope="session")
def tiny_lora(tmp_path_factory) -> str:
    """A diffusers-format LoRA .safetensors for the tiny UNet."""
    return str(build_tiny_lora(tmp_path_factory.mktemp("tiny-lora"), seed=4))


@pytest.fixture(scope="session")
def tiny_lcm_lora(tmp_path_factory) -> str:
    """Stands in for the LCM-LoRA (same format, other weights)."""
    return str(build_tiny_lora(tmp_path_factory.mktemp("tiny-lcm-lora"), seed=6))


# one_torch_thread, which the engine tests use, is in tests/conftest.py


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> str:
    """A 96×80 reference photo with hard edges (a yellow disc, a red box on blue)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (96, 80), (30, 60, 200))
    draw = ImageDraw.Draw(img)
    draw.ellipse((10, 10, 70, 70), fill=(240, 200, 40))
    draw.rectangle((50, 40, 90, 75), fill=(200, 20, 30))
    path = tmp_path_factory.mktemp("reference") / "reference.png"
    img.save(path)
    return str(path)
