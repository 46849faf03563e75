"""The diffusion cover engine's own overhead: ``python -m benchmarks.covers_diffusion`` prints JSON.

On a tiny random-weight SD 1.5-shaped pipeline (128x128, 4 UniPC steps, CPU) it times a whole
engine job (validation, scheduler, per-step preview and cancel callback, PNG encoding) and the
window's whole job — ``CoverService.run`` with a history: the engine through the registry, the
ETA on every step, the job record and filing the PNG in the history — against a bare diffusers
call on the same loaded components with the same arguments. Target: the engine's median job
time is at most 1.10x the bare call's median, after a warm-up.
"""

from __future__ import annotations

import argparse
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
    """Median engine job time, median bare diffusers time, the window's whole job and the
    ratios to the bare call."""
    sys.path.insert(0, str(ROOT))
    import torch

    from albumstudio.core.cover import CoverRequest, DiffusionOptions
    from albumstudio.core.model_cache import ModelCache
    from albumstudio.services.covers import CoverService
    from albumstudio.store.history import HistoryStore
    from benchmarks.tiny_engines import tiny_registry
    from tests.support.tiny_sd import build_tiny_sd

    with tempfile.TemporaryDirectory() as folder:
        model = str(build_tiny_sd(Path(folder)))
        history = HistoryStore(Path(folder) / "history")
        covers = CoverService(ModelCache(), history, registry=tiny_registry())
        engine = covers.engine("diffusion")  # the one the service runs: same loaded pipeline
        request = CoverRequest(
            engine="diffusion", prompt="a red cat on a blue sea", size=SIDE, seed=3,
            options=DiffusionOptions(model=model, steps=STEPS, scheduler="unipc"))
        options = request.options
        reports: list[object] = []
        cancel = threading.Event()
        records = []

        def job() -> None:
            engine.run(request, reports.append, cancel)

        def full_job() -> None:  # what the window's model queue runs for Generate
            records.append(covers.run(request, reports.append, cancel, track_hash="bench"))

        def bare() -> None:
            pipe = engine.pipeline
            pipe(request.prompt, negative_prompt=request.negative_prompt,
                 num_inference_steps=STEPS, guidance_scale=options.guidance, height=SIDE,
                 width=SIDE, generator=torch.Generator("cpu").manual_seed(request.seed))

        job()  # loads the pipeline: load time is not what this measures
        bare()
        full_job()  # first history write (database pages, the file's folder)
        records.clear()
        reports.clear()
        engine_times, bare_times, full_times = [], [], []
        for _ in range(runs):  # interleaved, so drift in machine load hits both alike
            for fn, times in ((job, engine_times), (bare, bare_times), (full_job, full_times)):
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
        previews = sum(1 for r in reports if getattr(r, "preview", None) is not None)
        phases = {name: round(statistics.median(r.timings.get(name, 0.0) for r in records), 4)
                  for name in ("prepare", "generate", "record")}
        filed = history.count()
        covers.unload()
        history.close()
    engine_s, bare_s = statistics.median(engine_times), statistics.median(bare_times)
    full_s = statistics.median(full_times)
    return {
        "diffusion_tiny_side": SIDE, "diffusion_tiny_steps": STEPS, "runs": runs,
        "diffusion_engine_job_s_median": round(engine_s, 4),
        "diffusion_bare_call_s_median": round(bare_s, 4),
        "diffusion_engine_over_bare_ratio": round(engine_s / bare_s, 3),
        "diffusion_window_job_s_median_incl_history_and_display": round(full_s, 4),
        "diffusion_window_job_over_bare_ratio": round(full_s / bare_s, 3),
        "diffusion_window_job_phases_s_median": phases,
        "diffusion_ratio_target": TARGET_RATIO,
        "diffusion_previews_per_job": previews // (2 * runs),
        "history_entries_filed": filed,
        "torch_threads": torch.get_num_threads(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each (default 9)")
    args = parser.parse_args()
    print(json.dumps(measure(max(1, args.runs)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
