"""Diffusion cover speed with real checkpoints on a GPU: ``python -m benchmarks.gpu_covers``.

Needs CUDA and, in the local Hugging Face cache, SD 1.5, ControlNet v1.1 canny and the SD 1.5
LCM-LoRA (the app never downloads here). Prints JSON; without CUDA or weights it prints a
``skipped`` reason and exits 0. Measures, at 512x512 with ControlNet canny on a drawn
reference image:

* time to the first cover in a fresh engine, including loading the pipeline from a warm disk
  cache (a first engine has already read the files once), LCM-LoRA 4 steps;
* seconds per image, pipeline loaded: LCM-LoRA 4 steps, and 20-step UniPC.

With CUDA but without the weights (a lent GPU machine has no network), it measures the same
parts at their real sizes with random weights instead (:mod:`benchmarks.fullsize_covers`, fp16)
and says so under ``random_full_size_weights``: speed does not depend on the weights' values.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIDE = 512
REPEATS = 3


def _reference(folder: Path) -> str:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 560), (25, 40, 90))
    draw = ImageDraw.Draw(img)
    draw.ellipse((80, 60, 420, 400), fill=(240, 190, 60))
    draw.rectangle((300, 250, 600, 520), fill=(190, 30, 50))
    draw.line((0, 540, 640, 300), fill=(250, 250, 250), width=12)
    path = folder / "reference.png"
    img.save(path)
    return str(path)


def _missing() -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU: this benchmark needs one"
    from albumstudio.core.model_registry import default_model
    from albumstudio.engines.models import is_installed, resolve_lora

    models = (default_model("sd15"), default_model("controlnet-canny"))
    absent = [m for m in models if not is_installed(m)]
    lcm_lora = default_model("lcm-lora")
    try:
        resolve_lora(lcm_lora, "the LCM-LoRA")
    except Exception:  # noqa: BLE001 - any failure means "not usable here"
        absent.append(lcm_lora)
    if absent:
        return f"weights not in the local Hugging Face cache: {', '.join(absent)}"
    return None


def measure() -> dict:
    """Time to first cover and seconds per image for SD 1.5 + canny on CUDA (or a skip)."""
    sys.path.insert(0, str(ROOT))
    reason = _missing()
    if reason is not None and reason.startswith("weights not in"):
        from benchmarks.fullsize_covers import measure as measure_full_size

        return {"real_weights": f"skipped: {reason}",
                "random_full_size_weights": measure_full_size(device="cuda")}
    if reason is not None:
        return {"skipped": reason}
    import torch

    from albumstudio.core.cover import Condition, CoverRequest, DiffusionOptions
    from albumstudio.engines.diffusion_cover import DiffusionCoverEngine

    with tempfile.TemporaryDirectory() as folder:
        base = CoverRequest(engine="diffusion", prompt="a neon city at night, album cover",
                            image_path=_reference(Path(folder)), size=SIDE, seed=11,
                            options=DiffusionOptions(conditions=(Condition("canny"),),
                                                     device="cuda"))
        # the default 20 steps become 4 in LCM mode
        lcm = base.with_options(lcm=True, steps=20)
        unipc = base.with_options(scheduler="unipc", steps=20)

        warm_up = DiffusionCoverEngine()
        started = time.perf_counter()
        warm_up.run(lcm)
        first_process_s = time.perf_counter() - started
        warm_up.unload()
        del warm_up

        engine = DiffusionCoverEngine()
        torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        result = engine.run(lcm)
        first_cover_s = time.perf_counter() - started

        per_image: dict[str, float] = {}
        for name, request in (("lcm_4_steps_canny", lcm), ("unipc_20_steps_canny", unipc)):
            engine.run(request)  # scheduler and adapters switched outside the timing
            times = []
            for repeat in range(REPEATS):
                torch.cuda.synchronize()
                started = time.perf_counter()
                engine.run(request.with_seed(100 + repeat))
                torch.cuda.synchronize()
                times.append(time.perf_counter() - started)
            per_image[name] = round(statistics.median(times), 3)
        preset = engine.cache.preset
        peak_gib = torch.cuda.max_memory_allocated() / 1024**3
        engine.unload()

    return {
        "gpu": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "side": SIDE,
        "device": result.device,
        "memory_preset": preset,
        "first_cover_in_first_engine_s": round(first_process_s, 2),
        "time_to_first_cover_warm_disk_s": round(first_cover_s, 2),
        "seconds_per_image": per_image,
        "peak_gpu_memory_gib": round(peak_gib, 2),
        "notes": list(result.notes),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
