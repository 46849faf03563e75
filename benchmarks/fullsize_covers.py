"""Full-size SD 1.5 + ControlNet speed without weights:
``python -m benchmarks.fullsize_covers [--device cpu|cuda|mps] [--backend torch|openvino]
[--precision auto|bf16|f32] [--side 512] [--repeats 2] [--json]``.

Builds the real-size parts from the bundled configs with random weights
(:mod:`benchmarks.fullsize_sd15`) and times, after one untimed warm-up call each:

* text encoding (one 77-token prompt);
* one UNet + ControlNet step with classifier-free guidance (batch 2) and without (batch 1,
  LCM), and the UNet alone (batch 1);
* the VAE decode of one image.

The seconds per cover are *computed* from those parts, not run end to end: LCM 4 steps =
1 text encoding + 4 steps without guidance + 1 decode; UniPC 20 steps = 2 text encodings
(prompt and negative prompt) + 20 steps with guidance + 1 decode (scheduler arithmetic is
negligible beside them). With ``--backend openvino`` (CPU only) each part is first converted
with the app's own converter (:mod:`albumstudio.engines.openvino_convert`) and run through
the app's own compiled-part wrapper; the conversion time is printed too, and the precision the
CPU plugin actually ran in. Peak memory is the process's peak resident set on the CPU, or
torch's peak allocation on CUDA. The load average is printed beside the figures: the machine
may be shared.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKENS = 77


def _timed(call: Callable[[], Any], repeats: int, sync: Callable[[], None]) -> float:
    call()  # warm-up: first-call allocations and (OpenVINO) compilation
    sync()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        sync()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def _peak_gib(device: str) -> float:
    if device == "cuda":
        import torch

        return round(torch.cuda.max_memory_allocated() / 1024**3, 2)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)  # KiB on Linux


class _Inputs:
    """Random inputs at the real shapes for a ``side`` × ``side`` cover."""

    def __init__(self, side: int, device: str, dtype: Any) -> None:
        import torch

        g = torch.Generator().manual_seed(0)
        latent = side // 8
        self.ids = torch.randint(0, 49408, (1, TOKENS), generator=g).to(device)
        self.latents = {b: torch.randn(b, 4, latent, latent, generator=g).to(device, dtype)
                        for b in (1, 2)}
        self.states = {b: torch.randn(b, TOKENS, 768, generator=g).to(device, dtype)
                       for b in (1, 2)}
        self.control = {b: torch.rand(b, 3, side, side, generator=g).to(device, dtype)
                        for b in (1, 2)}
        self.t = torch.tensor(500.0, device=device)


def _torch_parts(side: int, device: str, repeats: int) -> dict[str, Any]:
    import torch

    from benchmarks.fullsize_sd15 import build, parameters_m

    dtype = torch.float16 if device == "cuda" else torch.float32
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    x = _Inputs(side, device, dtype)
    out: dict[str, Any] = {"parameters_m": {}}

    def loaded(part: str, seed: int) -> Any:
        module = build(part, seed=seed).to(device, dtype)
        out["parameters_m"][part] = parameters_m(module)
        return module

    with torch.inference_mode():
        models = {"text": loaded("text_encoder", 0)}
        out["text_encoding_s"] = _timed(lambda: models["text"](x.ids), repeats, sync)
        models = {"unet": loaded("unet", 0), "controlnet": loaded("controlnet_canny", 1)}

        def step(batch: int, with_controlnet: bool = True) -> Any:
            residuals: dict[str, Any] = {}
            if with_controlnet:
                down, mid = models["controlnet"](
                    x.latents[batch], x.t, encoder_hidden_states=x.states[batch],
                    controlnet_cond=x.control[batch], return_dict=False)
                residuals = {"down_block_additional_residuals": down,
                             "mid_block_additional_residual": mid}
            return models["unet"](x.latents[batch], x.t, encoder_hidden_states=x.states[batch],
                                  return_dict=False, **residuals)[0]

        out["step_with_guidance_s"] = _timed(lambda: step(2), repeats, sync)
        out["step_without_guidance_s"] = _timed(lambda: step(1), repeats, sync)
        out["unet_alone_step_s"] = _timed(lambda: step(1, False), repeats, sync)
        models.clear()
        gc.collect()
        models["vae"] = loaded("vae", 2)
        out["vae_decode_s"] = _timed(
            lambda: models["vae"].decode(x.latents[1], return_dict=False), repeats, sync)
    return out


def _openvino_parts(side: int, repeats: int, precision: str, folder: Path) -> dict[str, Any]:
    import numpy as np
    import openvino
    import torch

    from albumstudio.engines import openvino_convert as convert
    from albumstudio.engines.openvino_modules import CompiledPart
    from benchmarks.fullsize_sd15 import build, config

    core = openvino.Core()
    unet_config = SimpleNamespace(**config("unet"))
    x = _Inputs(side, "cpu", torch.float32)
    conversion: dict[str, float] = {}

    def converted(part: str, make: Callable[[], Any], seed: int) -> Path:
        module = build(part, seed=seed)
        started = time.perf_counter()
        model = make()(module)
        xml = folder / part / "model.xml"
        xml.parent.mkdir(parents=True, exist_ok=True)
        openvino.save_model(model, xml, compress_to_fp16=True)
        conversion[part] = round(time.perf_counter() - started, 1)
        del module, model
        gc.collect()
        return xml

    def part(xml: Path, hint: str) -> CompiledPart:
        return CompiledPart(core, xml, hint)

    def arr(t: Any) -> Any:
        return np.ascontiguousarray(t.numpy())

    out: dict[str, Any] = {}
    ids = x.ids.numpy().astype(np.int64)
    text = part(converted("text_encoder", lambda: convert.convert_text_encoder, 0), "f32")
    out["text_encoding_s"] = _timed(lambda: text(ids), repeats, lambda: None)
    models = {"unet": part(converted("unet", lambda: convert.convert_unet, 0), precision),
              "net": part(converted("controlnet_canny", lambda: convert.convert_controlnet, 1),
                          precision)}
    t = np.array([500.0], np.float32)

    def step(batch: int, with_controlnet: bool = True) -> Any:
        latents, states = arr(x.latents[batch]), arr(x.states[batch])
        if with_controlnet:
            residuals = models["net"](latents, t, states, arr(x.control[batch]))
        else:
            residuals = [np.zeros(s, np.float32) for s in convert.residual_shapes(
                unet_config, batch, side // 8)]
        return models["unet"](latents, t, states, *residuals)

    out["step_with_guidance_s"] = _timed(lambda: step(2), repeats, lambda: None)
    out["step_without_guidance_s"] = _timed(lambda: step(1), repeats, lambda: None)
    out["unet_alone_step_s"] = _timed(lambda: step(1, False), repeats, lambda: None)
    out["precision"] = models["unet"].precision_used
    models.clear()
    gc.collect()
    vae = part(converted("vae", lambda: convert.convert_vae_decoder, 2), precision)
    out["vae_decode_s"] = _timed(lambda: vae(arr(x.latents[1])), repeats, lambda: None)
    out["conversion_s"] = conversion
    return out


def measure(device: str = "cpu", backend: str = "torch", side: int = 512, repeats: int = 2,
            precision: str = "auto") -> dict[str, Any]:
    """The parts' seconds, the computed seconds per cover and peak memory (see the docstring)."""
    sys.path.insert(0, str(ROOT))
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        return {"skipped": "no CUDA GPU"}
    if device == "mps" and not torch.backends.mps.is_available():
        return {"skipped": "no Apple GPU (MPS)"}
    if backend == "openvino" and device != "cpu":
        return {"skipped": "the OpenVINO backend runs on the CPU only"}
    started = time.perf_counter()
    if backend == "openvino":
        from albumstudio.engines.openvino_convert import require_openvino

        require_openvino()
        with tempfile.TemporaryDirectory() as folder:
            parts = _openvino_parts(side, repeats, precision, Path(folder))
    else:
        parts = _torch_parts(side, device, repeats)
    lcm = parts["text_encoding_s"] + 4 * parts["step_without_guidance_s"] + parts["vae_decode_s"]
    unipc = (2 * parts["text_encoding_s"] + 20 * parts["step_with_guidance_s"]
             + parts["vae_decode_s"])
    return {
        "device": device, "backend": backend, "side": side, "repeats": repeats,
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), **parts,
        "seconds_per_cover_computed": {"lcm_4_steps_canny": round(lcm, 2),
                                       "unipc_20_steps_canny_guidance": round(unipc, 2)},
        "peak_memory_gib": _peak_gib(device),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "wall_s": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda", "mps"), default="cpu")
    parser.add_argument("--backend", choices=("torch", "openvino"), default="torch")
    parser.add_argument("--precision", choices=("auto", "bf16", "f32"), default="auto",
                        help="OpenVINO's inference precision hint (auto: bf16 on AMX CPUs)")
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args(argv)
    try:
        result = measure(args.device, args.backend, args.side, args.repeats, args.precision)
    except Exception as exc:
        if type(exc).__name__ != "InputError":
            raise
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
