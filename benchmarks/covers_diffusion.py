"""The diffusion cover engine's own overhead: ``python -m benchmarks.covers_diffusion`` prints JSON.

On a tiny random-weight SD 1.5-shaped pipeline (128x128, 4 UniPC steps, CPU) it times a whole
engine job (validation, scheduler, per-step preview and cancel callback, PNG encoding) against
a bare diffusers call on the same loaded components with the same arguments. Target: the
engine's median job time is at most 1.10x the bare call's median, after a warm-up.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIDE = 128
STEPS = 4
TARGET_RATIO = 1.10


def measure(runs: int = 9) -> dict:
    """Median engine job time, median bare diffusers time and their ratio."""
    sys.path.insert(0, str(ROOT))
    import torch

    from albumstudio.core.cover import CoverRequest
    from albumstudio.engines.diffusion_cover import DiffusionCoverEngine
    from tests.support.tiny_sd import build_tiny_sd

    with tempfile.TemporaryDirectory() as folder:
        model = str(build_tiny_sd(Path(folder)))
        engine = DiffusionCoverEngine(min_side=64)
        request = CoverRequest(engine="diffusion", model=model, prompt="a red cat on a blue sea",
                               size=SIDE, steps=STEPS, seed=3, scheduler="unipc")
        previews: list[object] = []
        cancel = threading.Event()

        def job() -> None:
            engine.run(request, previews.append, cancel)

        from albumstudio.jobs.cover_jobs import CoverWorker
        from albumstudio.jobs.runner import JobContext
        from albumstudio.store.history import HistoryStore

        history = HistoryStore(Path(folder) / "history")
        worker = CoverWorker(history)
        worker._diffusion = engine
        context = JobContext(cancel, lambda f, t: None, previews.append, "making the cover")

        def full_job() -> None:  # what the window runs: engine, history filing, display copy
            worker.run(request, context)

        def bare() -> None:
            pipe = engine.pipeline
            pipe(request.prompt, negative_prompt=request.negative_prompt,
                 num_inference_steps=STEPS, guidance_scale=request.guidance, height=SIDE,
                 width=SIDE, generator=torch.Generator("cpu").manual_seed(request.seed))

        job()  # loads the pipeline: load time is not what this measures
        bare()
        engine_times, bare_times, full_times = [], [], []
        for _ in range(runs):  # interleaved, so drift in machine load hits both alike
            for fn, times in ((job, engine_times), (bare, bare_times), (full_job, full_times)):
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
        engine.unload()
        history.close()
    engine_s, bare_s = statistics.median(engine_times), statistics.median(bare_times)
    full_s = statistics.median(full_times)
    return {
        "diffusion_tiny_side": SIDE, "diffusion_tiny_steps": STEPS,
        "diffusion_engine_job_s_median": round(engine_s, 4),
        "diffusion_bare_call_s_median": round(bare_s, 4),
        "diffusion_engine_over_bare_ratio": round(engine_s / bare_s, 3),
        "diffusion_window_job_s_median_incl_history_and_display": round(full_s, 4),
        "diffusion_window_job_over_bare_ratio": round(full_s / bare_s, 3),
        "diffusion_ratio_target": TARGET_RATIO,
        "diffusion_previews_per_job": len(previews) // (2 * runs + 1),
        "torch_threads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
