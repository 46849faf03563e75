"""MusicGen overhead of the app over a bare ``generate``: ``python -m benchmarks.music`` prints
JSON (figures only; no test asserts on them).

On the tiny random-weight MusicGen of the tests (loaded through the app's loader), one torch
thread, the same prompt, seed and settings:

- bare: ``torch.manual_seed`` + processor + ``model.generate`` (what a transformers user writes);
- engine: :meth:`MusicGenerator.generate` (step watch for progress and cancel, numpy
  conversion, −14 LUFS / −1 dBTP normalisation);
- service: :meth:`MusicService.generate` without the history (the engine plus the request
  check, the model check, WAV encoding and the job record).

Target: service / bare ≤ 1.10. The figures interleave the three so that a busy machine
slows each alike; the medians of ``runs`` rounds are reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "An ambient instrumental track in E minor at 72 BPM, slow tempo; a calm mood."


def measure(seconds: float = 5.0, runs: int = 7) -> dict:
    sys.path.insert(0, str(ROOT))
    import torch

    from albumstudio.core.model_cache import ModelCache
    from albumstudio.core.music_attributes import MusicRequest
    from albumstudio.engines.musicgen import MusicGenerator, shared_generator, tokens_for
    from albumstudio.services.music import MusicService
    from tests.support.tiny_musicgen import build_tiny_musicgen

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        model_dir = str(build_tiny_musicgen(Path(folder) / "tiny-musicgen"))
        cache = ModelCache()
        service = MusicService(cache, None)
        request = MusicRequest(PROMPT, seconds=seconds, seed=3, model=model_dir, device="cpu",
                               top_k=50)
        generator: MusicGenerator = shared_generator(cache, model_dir, "cpu")
        model, processor = generator.load()
        steps = tokens_for(seconds, 50, 4)

        def bare() -> None:
            with torch.inference_mode():
                torch.manual_seed(request.seed)
                inputs = processor(text=[request.prompt], padding=True, return_tensors="pt")
                model.generate(**inputs, do_sample=True, guidance_scale=request.guidance,
                               top_k=request.top_k, temperature=request.temperature,
                               max_new_tokens=steps)

        jobs = {"bare": bare, "engine": lambda: generator.generate(request),
                "service": lambda: service.generate(request, record=False)}
        for job in jobs.values():  # warm-up
            job()
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for _ in range(runs):
            for name, job in jobs.items():
                started = time.perf_counter()
                job()
                times[name].append(time.perf_counter() - started)
        service.unload()
    median = {name: statistics.median(values) for name, values in times.items()}
    return {
        "model": "tiny random-weight MusicGen (tests/support/tiny_musicgen.py), 1 torch thread",
        "clip_seconds": seconds, "decoder_steps": steps, "runs": runs,
        "bare_generate_s": round(median["bare"], 4),
        "engine_generate_s": round(median["engine"], 4),
        "service_generate_s": round(median["service"], 4),
        "engine_over_bare": round(median["engine"] / median["bare"], 3),
        "service_over_bare": round(median["service"] / median["bare"], 3),
        "target_service_over_bare": 1.10,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.seconds, args.runs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
