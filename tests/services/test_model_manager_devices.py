"""Devices and honest time estimates from this computer's own past jobs."""

from __future__ import annotations

from albumstudio.core.jobs import JobRecord
from albumstudio.services.device_info import device_report, time_estimate
from albumstudio.store.history import HistoryStore


def _job(seconds: float, steps: int, variants: int = 1, device: str = "cpu",
         engine: str = "diffusion", status: str = "finished") -> JobRecord:
    return JobRecord(kind="cover", engine=engine, request={"variants": variants,
                                                            "options": {"steps": steps}},
                     request_version=1, status=status, timings={"generate": seconds},
                     device=device)


def test_the_device_report_says_where_models_run():
    import torch

    report = device_report()
    if torch.cuda.is_available():
        assert report.device == "cuda" and report.gpus and report.dtype == "float16"
    else:
        assert report.device in ("cpu", "mps") and report.gpus == ()
        assert report.dtype == "float32"
        assert any("No GPU" in line or "MPS" in line for line in report.lines())
    assert report.preset in ("full", "sliced", "offload", "sequential")
    assert report.to_dict()["device"] == report.device


def test_a_cpu_estimate_is_the_median_of_past_cpu_jobs_here(tmp_path):
    history = HistoryStore(tmp_path / "history")
    try:
        assert time_estimate(history, 20).seconds is None
        assert "No past diffusion job" in time_estimate(history, 20).sentence
        history.record(_job(40.0, 20))  # 2 s a step
        history.record(_job(60.0, 10, variants=2))  # 3 s a step
        history.record(_job(20.0, 20))  # 1 s a step
        history.record(_job(1.0, 20, device="cuda"))  # another device: not counted
        history.record(_job(500.0, 20, status="failed"))  # not a finished job
        history.record(_job(9.0, 0, engine="design"))  # no diffusion steps
        estimate = time_estimate(history, 30, variants=4)
        assert estimate.jobs == 3
        assert estimate.seconds == 2.0 * 30 * 4
        assert estimate.sentence == "About 4 minutes on this CPU (from 3 past jobs here)."
        assert time_estimate(history, 1, device="cuda").jobs == 1
    finally:
        history.close()
