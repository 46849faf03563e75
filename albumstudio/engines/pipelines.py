"""Loading and keeping SD 1.5 pipelines: one loaded model at a time, reused between requests.

:class:`PipelineCache` reloads the base model only when the model, device or dtype change,
loads ControlNets only when the set of ControlNets changes, and builds the txt2img / img2img /
ControlNet variant from the already-loaded components (no second copy of the weights).
LoRAs are loaded as named adapters into the shared UNet and switched with ``set_adapters``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from albumstudio.core.errors import InputError
from albumstudio.engines.device import apply_preset, free_device_memory, is_out_of_memory
from albumstudio.engines.models import cached_folder, load_pretrained

SCHEDULER_CLASSES = {
    "unipc": "UniPCMultistepScheduler",
    "ddim": "DDIMScheduler",
    "euler-a": "EulerAncestralDiscreteScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "lcm": "LCMScheduler",
}


@dataclass(frozen=True)
class PipelineSpec:
    """Which pipeline to run: base model, ControlNets in condition order, mode and device."""

    model: str
    controlnets: tuple[tuple[str, str], ...] = ()  # (kind, hub id or folder)
    img2img: bool = False
    device: str = "cpu"
    dtype_name: str = "float32"

    @property
    def base_key(self) -> tuple[str, str, str]:
        return (self.model, self.device, self.dtype_name)


@dataclass(frozen=True)
class Adapter:
    """One LoRA adapter to activate: its name, its local .safetensors file and its weight."""

    name: str
    path: Path
    scale: float

    @property
    def identity(self) -> tuple[str, str, int, int]:
        stat = self.path.stat()
        return (self.name, str(self.path), stat.st_size, stat.st_mtime_ns)


def pipeline_class(controlnet: bool, img2img: bool) -> Any:
    """The diffusers SD 1.5 pipeline class for this mode, with or without ControlNets."""
    import diffusers

    names = {
        (False, False): "StableDiffusionPipeline",
        (False, True): "StableDiffusionImg2ImgPipeline",
        (True, False): "StableDiffusionControlNetPipeline",
        (True, True): "StableDiffusionControlNetImg2ImgPipeline",
    }
    return getattr(diffusers, names[(controlnet, img2img)])


def model_class_name(model: str) -> str | None:
    """The ``_class_name`` in a pipeline folder's model_index.json, or None if unreadable."""
    folder = cached_folder(model)
    index = folder / "model_index.json" if folder is not None else None
    if index is None or not index.is_file():
        return None
    try:
        return str(json.loads(index.read_text(encoding="utf-8")).get("_class_name") or "")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None


def _use_fp16_variant(model: str, dtype_name: str) -> bool:
    """Load the half-size fp16 files when running in fp16, or when they are all there is."""
    unet = cached_folder(model, "unet")
    if unet is None or not unet.is_dir() or not any(unet.glob("*.fp16.safetensors")):
        return False
    return dtype_name == "float16" or not (unet / "diffusion_pytorch_model.safetensors").exists()


@contextmanager
def _lora_errors(pipe: Any, adapter: Adapter) -> Iterator[None]:
    try:
        yield
    except (ValueError, RuntimeError, KeyError, OSError) as exc:
        if is_out_of_memory(exc):
            raise
        pipe.unload_lora_weights()
        raise InputError(f"The LoRA {adapter.path.name} does not fit this model: choose a "
                         "LoRA made for Stable Diffusion 1.5.") from exc


class PipelineCache:
    """Holds one loaded model, its ControlNets and the pipeline variant last used."""

    def __init__(self) -> None:
        self.pipeline: Any = None
        self.spec: PipelineSpec | None = None
        self.preset: str | None = None
        self._base: Any = None
        self._base_key: tuple[str, str, str] | None = None
        self._scheduler_config: Any = None
        self._controlnets: dict[str, Any] = {}
        self._adapters: tuple[tuple[str, str, int, int], ...] = ()

    def needs_reload(self, spec: PipelineSpec) -> bool:
        """True when ``spec`` needs a different base model, device or dtype than the loaded one."""
        return self._base_key != spec.base_key

    def get(self, spec: PipelineSpec, preset: str) -> Any:
        """The pipeline for ``spec``; ``preset`` applies only when something new is placed."""
        if spec == self.spec and self.pipeline is not None:
            return self.pipeline
        if self.needs_reload(spec):
            self.unload()
            self._load_base(spec)
            self.preset = preset
        controlnets = [self._controlnet(kind, path, spec) for kind, path in spec.controlnets]
        self._controlnets = {path: self._controlnets[path] for _kind, path in spec.controlnets}
        if not controlnets and not spec.img2img:
            pipe = self._base
        else:
            components = {name: getattr(self._base, name) for name in
                          ("vae", "text_encoder", "tokenizer", "unet", "scheduler")}
            if controlnets:
                components["controlnet"] = controlnets[0] if len(controlnets) == 1 \
                    else controlnets
            pipe = pipeline_class(bool(controlnets), spec.img2img)(
                **components, safety_checker=None, feature_extractor=None,
                requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        if self.pipeline is not None:
            self.pipeline.remove_all_hooks()
        self.pipeline, self.spec = pipe, spec  # set first: a lighter preset can re-place it
        apply_preset(pipe, self.preset or preset, spec.device)
        return pipe

    def apply_preset(self, preset: str) -> None:
        """Re-place the current pipeline with another memory preset (after running out)."""
        if self.pipeline is None or self.spec is None:
            return
        free_device_memory()
        apply_preset(self.pipeline, preset, self.spec.device)
        self.preset = preset

    def set_scheduler(self, name: str) -> None:
        """Give the current pipeline a scheduler of kind ``name`` made from the model's config."""
        import diffusers

        if name not in SCHEDULER_CLASSES:
            raise InputError(f"Unknown scheduler '{name}': use one of "
                             f"{', '.join(SCHEDULER_CLASSES)}.")
        scheduler_class = getattr(diffusers, SCHEDULER_CLASSES[name])
        if type(self.pipeline.scheduler) is not scheduler_class:  # reused, as diffusers does
            self.pipeline.scheduler = scheduler_class.from_config(self._scheduler_config)

    def set_adapters(self, adapters: tuple[Adapter, ...]) -> None:
        """Load (only if changed) and activate exactly these LoRA adapters."""
        pipe = self.pipeline
        identity = tuple(a.identity for a in adapters)
        if identity != self._adapters:
            if self._adapters:
                pipe.unload_lora_weights()
                self._adapters = ()
            for adapter in adapters:
                with _lora_errors(pipe, adapter):
                    pipe.load_lora_weights(str(adapter.path.parent),
                                           weight_name=adapter.path.name,
                                           adapter_name=adapter.name, local_files_only=True,
                                           use_safetensors=True)
            self._adapters = identity
        if adapters:
            with _lora_errors(pipe, adapters[0]):
                pipe.set_adapters([a.name for a in adapters], [a.scale for a in adapters])

    def unload(self) -> None:
        """Drop every loaded model and free the memory it held."""
        for pipe in (self.pipeline, self._base):
            if pipe is not None and hasattr(pipe, "remove_all_hooks"):
                pipe.remove_all_hooks()
        on_gpu = self.spec is not None and self.spec.device == "cuda"
        self.pipeline = self._base = self.spec = self._base_key = None
        self._scheduler_config = None
        self._controlnets = {}
        self._adapters = ()
        self.preset = None
        gc.collect()
        if on_gpu:
            free_device_memory()

    def _load_base(self, spec: PipelineSpec) -> None:
        from diffusers import StableDiffusionPipeline

        class_name = model_class_name(spec.model) or ""
        if "XL" in class_name:
            raise InputError(f"{spec.model} is an SDXL model, which is not supported yet: "
                             "choose a Stable Diffusion 1.5 model.")
        extra: dict[str, Any] = {}
        if _use_fp16_variant(spec.model, spec.dtype_name):
            extra["variant"] = "fp16"
        import torch

        self._base = load_pretrained(
            StableDiffusionPipeline, spec.model, "the Stable Diffusion model",
            dtype=getattr(torch, spec.dtype_name), safety_checker=None,
            feature_extractor=None, requires_safety_checker=False, **extra)
        self._base_key = spec.base_key
        self._scheduler_config = self._base.scheduler.config

    def _controlnet(self, kind: str, path: str, spec: PipelineSpec) -> Any:
        if path not in self._controlnets:
            import torch
            from diffusers import ControlNetModel

            self._controlnets[path] = load_pretrained(
                ControlNetModel, path, f"the {kind} ControlNet",
                dtype=getattr(torch, spec.dtype_name))
        return self._controlnets[path]
