"""The one place that decides where models run (CUDA, MPS or CPU), in which dtype, and how
memory is saved.

Memory presets, lightest last (:data:`PRESETS`), chosen from the free VRAM when a pipeline is
loaded. The thresholds are for SD 1.5 at 512² in fp16 with up to two ControlNets (UNet 1.7 GB,
text encoder 0.25 GB, VAE 0.16 GB, each ControlNet 0.7 GB, plus activations):

* ``full``       ≥ 8 GB free: everything stays on the GPU;
* ``sliced``     ≥ 5 GB free: as full, and the VAE decodes in slices and tiles;
* ``offload``    ≥ 3 GB free: whole models move to the GPU only while they run
  (``enable_model_cpu_offload``), with VAE slicing and tiling: ~20-30 % slower;
* ``sequential`` below 3 GB: layer by layer (``enable_sequential_cpu_offload``): several
  times slower, but SD 1.5 fits in about 1 GB.

On CPU there is nothing to offload to, so every preset only adds slicing; on Apple MPS the
pipeline runs in float32 (the dtype of diffusers' MPS guide; fp16 there has produced black
images and dtype errors) with attention slicing, as that guide recommends for < 64 GB RAM.
torch is imported only inside the functions.

Diffusion covers on the CPU can run on OpenVINO instead of PyTorch (the ``cpu-fast`` extra):
:func:`choose_cover_device` picks it for "auto" when ``openvino`` is installed and
``ALBUMSTUDIO_CPU_BACKEND`` does not say "torch", and for "openvino" always (one sentence with the
install command when it is missing). ``ALBUMSTUDIO_OPENVINO_PRECISION`` ("auto", "bf16" or
"f32") is the inference precision hint: "auto" leaves OpenVINO's default, which is bf16 on
CPUs with AMX or AVX-512-BF16 and f32 elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, replace
from typing import Any

from albumstudio.core.errors import InputError

PRESETS = ("full", "sliced", "offload", "sequential")
DEVICES = ("auto", "cuda", "mps", "cpu")
COVER_DEVICES = (*DEVICES, "openvino")
BACKEND_ENV = "ALBUMSTUDIO_CPU_BACKEND"
PRECISION_ENV = "ALBUMSTUDIO_OPENVINO_PRECISION"
PRECISIONS = ("auto", "bf16", "f32")
OPENVINO_INSTALL = "pip install 'albumstudio[cpu-fast]'"
PRESET_MIN_FREE_GB = {"full": 8.0, "sliced": 5.0, "offload": 3.0, "sequential": 0.0}


@dataclass(frozen=True)
class DeviceChoice:
    """Where a pipeline runs and why; ``dtype_name`` is a torch dtype name ("float16")."""

    device: str
    dtype_name: str
    preset: str
    free_vram_gb: float | None
    reason: str
    backend: str = "torch"  # "torch" | "openvino" (CPU only)
    precision: str = "auto"  # OpenVINO's inference precision hint (see PRECISIONS)

    @property
    def name(self) -> str:
        """What the result and the history call it: "cuda", "mps", "cpu" or "cpu-openvino"."""
        return f"{self.device}-openvino" if self.backend == "openvino" else self.device

    @property
    def generator_device(self) -> str:
        """The device for torch.Generator: CUDA's own, otherwise CPU (reproducible on MPS)."""
        return "cuda" if self.device == "cuda" else "cpu"

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype_name)

    def with_preset(self, preset: str) -> DeviceChoice:
        return replace(self, preset=preset)


def preset_for_free_vram(free_gb: float) -> str:
    """The heaviest preset whose free-VRAM threshold ``free_gb`` meets."""
    return next(p for p in PRESETS if free_gb >= PRESET_MIN_FREE_GB[p])


def lighter_preset(preset: str) -> str | None:
    """The next preset that uses less GPU memory, or None when ``preset`` is the lightest."""
    if preset not in PRESETS:
        raise ValueError(f"unknown memory preset {preset!r}")
    index = PRESETS.index(preset)
    return PRESETS[index + 1] if index + 1 < len(PRESETS) else None


def _mps_available(torch: Any) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def choose_device(requested: str = "auto") -> DeviceChoice:
    """CUDA fp16 when available, else Apple MPS fp32, else CPU fp32; ``requested`` forces one."""
    if requested not in DEVICES:
        raise InputError(f"Unknown device '{requested}': use one of {', '.join(DEVICES)}.")
    import torch

    if requested in ("auto", "cuda") and torch.cuda.is_available():
        free_bytes, _total = torch.cuda.mem_get_info()
        free_gb = round(free_bytes / 1024**3, 2)
        preset = preset_for_free_vram(free_gb)
        name = torch.cuda.get_device_name()
        return DeviceChoice("cuda", "float16", preset, free_gb,
                            f"{name} with {free_gb:.1f} GB free: {preset} memory preset")
    if requested == "cuda":
        raise InputError("No CUDA GPU is available: choose the CPU (or auto) device instead.")
    if requested in ("auto", "mps") and _mps_available(torch):
        return DeviceChoice("mps", "float32", "sliced", None, "Apple GPU (MPS), float32")
    if requested == "mps":
        raise InputError("The Apple GPU (MPS) is not available: choose the CPU (or auto) "
                         "device instead.")
    reason = "no GPU found: CPU, float32" if requested == "auto" else "CPU requested, float32"
    return DeviceChoice("cpu", "float32", "full", None, reason)


def openvino_installed() -> bool:
    """True when the ``openvino`` package can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("openvino") is not None
    except (ImportError, ValueError):
        return False


def openvino_precision() -> str:
    """The precision hint from ``ALBUMSTUDIO_OPENVINO_PRECISION`` ("auto" when unset)."""
    value = os.environ.get(PRECISION_ENV, "auto").strip().lower() or "auto"
    if value not in PRECISIONS:
        raise InputError(f"{PRECISION_ENV} must be one of {', '.join(PRECISIONS)} "
                         f"(it is '{value}').")
    return value


def choose_cover_device(requested: str = "auto") -> DeviceChoice:
    """As :func:`choose_device`, and on the CPU the backend: OpenVINO when asked for
    ("openvino"), or for "auto" when it is installed and not turned off; PyTorch otherwise."""
    if requested not in COVER_DEVICES:
        raise InputError(f"Unknown device '{requested}': use one of {', '.join(COVER_DEVICES)}.")
    if requested == "openvino":
        if not openvino_installed():
            raise InputError("OpenVINO is not installed: install it with "
                             f"`{OPENVINO_INSTALL}` or choose the CPU device.")
        choice = choose_device("cpu")
        return replace(choice, backend="openvino", precision=openvino_precision(),
                       reason="CPU with OpenVINO (requested)")
    choice = choose_device(requested)
    wanted = os.environ.get(BACKEND_ENV, "openvino").strip().lower()
    if requested == "auto" and choice.device == "cpu" and wanted != "torch" \
            and openvino_installed():
        return replace(choice, backend="openvino", precision=openvino_precision(),
                       reason="no GPU found: CPU with OpenVINO")
    return choice


def apply_preset(pipe: Any, preset: str, device: str) -> None:
    """Place ``pipe`` on ``device`` with the memory savings of ``preset`` (undoing earlier ones)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown memory preset {preset!r}")
    if hasattr(pipe, "remove_all_hooks"):
        pipe.remove_all_hooks()
    vae = getattr(pipe, "vae", None)
    light = preset != "full"
    if vae is not None:
        if light:
            vae.enable_slicing()
            vae.enable_tiling()
        else:
            vae.disable_slicing()
            vae.disable_tiling()
    if device == "mps" and hasattr(pipe, "enable_attention_slicing"):
        pipe.enable_attention_slicing()
    if device == "cuda" and preset == "offload":
        pipe.enable_model_cpu_offload(device=device)
    elif device == "cuda" and preset == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    if device == "cuda":
        free_device_memory()


def execution_device(pipe: Any, device: str) -> str:
    """The device the pipeline computes on (offloaded pipelines report CPU as ``pipe.device``)."""
    found = getattr(pipe, "_execution_device", None)
    return str(getattr(found, "type", device) or device)


def free_device_memory() -> None:
    """Return cached blocks to the driver after a model is dropped or an OOM error."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's CUDA OOM error or a RuntimeError saying the device ran out of memory."""
    torch = sys.modules.get("torch")
    oom_type = getattr(getattr(torch, "cuda", None), "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
