"""The time of a cover estimated before it starts from the chosen backend's own measured steps
(#20): OpenVINO and PyTorch jobs on the CPU are told apart, LCM jobs count the steps they ran,
and on a CPU the estimate recommends LCM mode when it is off."""

from __future__ import annotations

from albumstudio.core.jobs import JobRecord
from albumstudio.engines import device
from albumstudio.services.device_info import cover_device_name, time_estimate
from albumstudio.store.history import HistoryStore


def _job(seconds: float, steps: int, device: str, **options: object) -> JobRecord:
    return JobRecord(kind="cover", engine="diffusion",
                     request={"variants": 1, "options": {"steps": steps, **options}},
                     request_version=1, status="finished", timings={"generate": seconds},
                     device=device)


def test_each_cpu_backend_is_estimated_from_its_own_jobs(tmp_path):
    history = HistoryStore(tmp_path / "history")
    try:
        history.record(_job(60.0, 20, "cpu"))  # PyTorch: 3 s a step
        history.record(_job(16.0, 20, "cpu-openvino", lcm=True))  # LCM ran 4 steps: 4 s each
        history.record(_job(12.0, 6, "cpu-openvino", scheduler="lcm"))  # 6 steps: 2 s each
        history.record(_job(60.0, 20, "cpu-openvino"))  # 3 s a step
        torch_cpu = time_estimate(history, 4, device="cpu")
        assert (torch_cpu.jobs, torch_cpu.seconds) == (1, 12.0)
        openvino = time_estimate(history, 4, device="cpu-openvino")
        assert (openvino.jobs, openvino.seconds) == (3, 12.0)
        assert openvino.sentence == ("About 12 seconds on this CPU with OpenVINO "
                                     "(from 3 past jobs here).")
    finally:
        history.close()


def test_lcm_is_recommended_on_a_cpu_only_when_it_is_off(tmp_path):
    advised = time_estimate(None, 20, device="cpu-openvino", advise_lcm=True).sentence
    assert advised.startswith("No past diffusion job on this CPU with OpenVINO")
    assert advised.endswith("LCM mode (4 steps, no guidance) is the fast choice.")
    assert "LCM" not in time_estimate(None, 20, device="cuda", advise_lcm=True).sentence
    assert "LCM" not in time_estimate(None, 4, device="cpu").sentence


def test_the_estimate_asks_the_one_device_choice(monkeypatch):
    import torch

    if torch.cuda.is_available() or device._mps_available(torch):
        return  # a GPU wins: covered by the device tests
    monkeypatch.setattr(device, "openvino_installed", lambda: True)
    monkeypatch.delenv(device.BACKEND_ENV, raising=False)
    assert cover_device_name() == "cpu-openvino"
    monkeypatch.setenv(device.BACKEND_ENV, "torch")
    assert cover_device_name() == "cpu"
