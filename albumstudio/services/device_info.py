"""Where models will run on this computer, and how long a long job takes here.

:func:`device_report` lists the CUDA GPUs with their free memory, whether Apple's MPS is there,
and the device, dtype and memory preset the engines will choose (the one decision lives in
:mod:`albumstudio.engines.device`; torch is imported only when asked). :func:`time_estimate`
answers "about how long on this CPU" from this computer's own past jobs in the history: the
median seconds per diffusion step of its finished jobs on that device, never a guess. Covers on
the CPU through OpenVINO are recorded as "cpu-openvino" (:func:`cover_device_name`), so each
backend's estimate comes from that backend's own measured steps; an LCM job counts the steps it
really ran (4 for the ordinary 20, at most 8).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    free_gb: float
    total_gb: float


@dataclass(frozen=True)
class DeviceReport:
    gpus: tuple[GpuInfo, ...]
    mps: bool
    device: str  # what "auto" chooses: cuda, mps or cpu
    dtype: str
    preset: str
    reason: str
    problem: str = ""  # torch could not be asked (not installed, broken driver)

    def lines(self) -> list[str]:
        found = [f"GPU {g.index}: {g.name}, {g.free_gb:.1f} of {g.total_gb:.1f} GB free"
                 for g in self.gpus]
        if self.mps:
            found.append("Apple GPU (MPS)")
        if not found:
            found.append("No GPU found (neither CUDA nor Apple MPS).")
        if self.problem:
            return [*found, self.problem]
        where = {"cuda": "the GPU (CUDA)", "mps": "the Apple GPU (MPS)"}.get(self.device,
                                                                         "the CPU")
        return [*found, f"Models run on {where} in {self.dtype}, {self.preset} memory preset."]

    def to_dict(self) -> dict[str, Any]:
        return {"gpus": [g.__dict__ for g in self.gpus], "mps": self.mps, "device": self.device,
                "dtype": self.dtype, "preset": self.preset, "reason": self.reason,
                "problem": self.problem}


def device_report() -> DeviceReport:
    """The devices torch sees and the choice the engines will make (imports torch)."""
    try:
        import torch

        from albumstudio.engines.device import _mps_available, choose_device

        gpus = []
        if torch.cuda.is_available():
            for index in range(torch.cuda.device_count()):
                free, total = torch.cuda.mem_get_info(index)
                gpus.append(GpuInfo(index, torch.cuda.get_device_name(index),
                                    round(free / 1024**3, 2), round(total / 1024**3, 2)))
        choice = choose_device("auto")
        return DeviceReport(tuple(gpus), _mps_available(torch), choice.device, choice.dtype_name,
                            choice.preset, choice.reason)
    except (ImportError, RuntimeError, OSError) as exc:
        return DeviceReport((), False, "cpu", "float32", "full", "",
                            f"The GPU could not be asked about ({type(exc).__name__}): "
                            "models run on the CPU.")


@dataclass(frozen=True)
class TimeEstimate:
    seconds: float | None
    jobs: int  # how many past jobs the figure comes from
    sentence: str


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"about {max(1, round(seconds))} seconds"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} minutes"
    return f"about {seconds / 3600:.1f} hours"


LCM_STEPS, LCM_MAX_STEPS, DEFAULT_STEPS = 4, 8, 20  # as in engines.diffusion_cover
PLACES = {"cpu": "this CPU", "cpu-openvino": "this CPU with OpenVINO"}


def cover_device_name(requested: str = "auto") -> str:
    """Where a diffusion cover would run, as the history names it ("cuda", "mps", "cpu" or
    "cpu-openvino"); "cpu" when the choice cannot be made."""
    from albumstudio.core.errors import InputError
    from albumstudio.engines.device import choose_cover_device

    try:
        return choose_cover_device(requested).name
    except (InputError, ImportError, RuntimeError, OSError):
        return "cpu"


def _steps_run(options: dict[str, Any]) -> Any:
    steps = options.get("steps")
    if isinstance(steps, int) and (options.get("lcm") or options.get("scheduler") == "lcm"):
        return LCM_STEPS if steps == DEFAULT_STEPS else min(steps, LCM_MAX_STEPS)
    return steps


def seconds_per_step(records: list[Any], device: str = "cpu",
                     engine: str = "diffusion") -> list[float]:
    """Seconds per diffusion step of each finished ``engine`` job that ran on ``device``."""
    figures = []
    for record in records:
        if record.status != "finished" or record.device != device or record.engine != engine:
            continue
        options = record.request.get("options") or {}
        steps = _steps_run(options) if isinstance(options, dict) else None
        variants = max(1, int(record.request.get("variants") or 1))
        seconds = record.timings.get("generate")
        if isinstance(steps, int) and steps > 0 and seconds:
            figures.append(float(seconds) / (steps * variants))
    return figures


def time_estimate(history: Any, steps: int, variants: int = 1, device: str = "cpu",
                  engine: str = "diffusion", advise_lcm: bool = False) -> TimeEstimate:
    """How long ``variants`` images of ``steps`` steps take on ``device``, from this computer's
    past jobs (``history``: a HistoryStore, or None); ``advise_lcm`` adds, on a CPU, that LCM
    mode is the fast choice there."""
    where = PLACES.get(device, f"this {device.upper()}")
    advice = (" On a CPU, LCM mode (4 steps, no guidance) is the fast choice."
              if advise_lcm and device.startswith("cpu") else "")
    records = history.records(limit=500) if history is not None else []
    figures = seconds_per_step(records, device, engine)
    if not figures:
        return TimeEstimate(None, 0,
                            f"No past {engine} job on {where} to estimate from yet.{advice}")
    seconds = statistics.median(figures) * steps * max(1, variants)
    return TimeEstimate(seconds, len(figures),
                        f"{_minutes(seconds)[0].upper()}{_minutes(seconds)[1:]} on {where} "
                        f"(from {len(figures)} past job{'s' if len(figures) != 1 else ''} here)."
                        f"{advice}")
