"""Whole covers at full size through the app's own diffusion engine, without weights:
``python -m benchmarks.fullsize_engine [--backend torch|openvino] [--covers 3] [--keep FOLDER]``.

Saves a random-weight SD 1.5 pipeline, ControlNet canny and an LCM-LoRA-shaped LoRA (rank 4)
at their real sizes (:mod:`benchmarks.fullsize_sd15`) to a folder, then runs the same request
``--covers`` times: LCM fast mode (4 steps, no guidance) with ControlNet canny at 512² on a
drawn reference image, on the CPU with PyTorch (``--backend torch``) or OpenVINO. The first
cover includes loading (and, for OpenVINO, converting the parts once); the others are the
seconds per cover an artist waits. Prints JSON with the load average after each cover.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIDE = 512


def _save_models(root: Path) -> None:
    from diffusers import PNDMScheduler, StableDiffusionPipeline
    from PIL import Image, ImageDraw
    from transformers import CLIPTokenizer

    from benchmarks.fullsize_sd15 import build, config
    from tests.support.tiny_sd import _write_tokenizer, build_tiny_lora

    if not (root / "sd" / "model_index.json").exists():
        _write_tokenizer(root / "tokenizer")  # a small vocabulary: tokenizing is not timed
        tokenizer = CLIPTokenizer(str(root / "tokenizer" / "vocab.json"),
                                  str(root / "tokenizer" / "merges.txt"), model_max_length=77)
        scheduler = PNDMScheduler.from_config(config("scheduler"))
        pipe: Any = StableDiffusionPipeline(
            unet=build("unet"), vae=build("vae", 2), text_encoder=build("text_encoder"),
            tokenizer=tokenizer, scheduler=scheduler, safety_checker=None,
            feature_extractor=None, requires_safety_checker=False)
        pipe.save_pretrained(root / "sd", safe_serialization=True)
        del pipe
        build("controlnet_canny", 1).save_pretrained(root / "canny", safe_serialization=True)
    if not (root / "lcm" / "tiny_lora.safetensors").exists():
        build_tiny_lora(root / "lcm", config=config("unet"), seed=6)
    image = Image.new("RGB", (640, 560), (25, 40, 90))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 60, 420, 400), fill=(240, 190, 60))
    draw.rectangle((300, 250, 600, 520), fill=(190, 30, 50))
    image.save(root / "reference.png")


def measure(backend: str = "openvino", covers: int = 3, keep: Path | None = None) -> dict[str, Any]:
    """Seconds per whole cover through DiffusionCoverEngine (see the module docstring)."""
    sys.path.insert(0, str(ROOT))
    from albumstudio.core.cover import Condition
    from albumstudio.engines.diffusion_cover import DiffusionCoverEngine
    from tests.support.requests import cover_request

    with tempfile.TemporaryDirectory() as scratch:
        root = keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        _save_models(root)
        request = cover_request(
            "diffusion", model=str(root / "sd"), prompt="a neon city at night", size=SIDE,
            steps=20, seed=1, lcm=True, lcm_lora=str(root / "lcm" / "tiny_lora.safetensors"),
            image_path=str(root / "reference.png"), conditions=(Condition("canny"),),
            controlnets=(("canny", str(root / "canny")),),
            device="openvino" if backend == "openvino" else "cpu")
        engine = DiffusionCoverEngine(openvino_root=root / "openvino")
        runs = []
        for _ in range(covers):
            started = time.perf_counter()
            result = engine.run(request)
            runs.append({"seconds": round(time.perf_counter() - started, 1),
                         "load_average_1m": round(os.getloadavg()[0], 2)})
        engine.unload()
    return {"backend": backend, "device": result.device, "notes": list(result.notes),
            "side": SIDE, "mode": "LCM 4 steps, no guidance, ControlNet canny",
            "first_cover_includes": "loading" + (" and converting once"
                                                 if backend == "openvino" else ""),
            "covers": runs, "cpu_count": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("torch", "openvino"), default="openvino")
    parser.add_argument("--covers", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None,
                        help="save the models (and conversions) here and reuse them next time")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.backend, args.covers, args.keep), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
