"""The diffusion cover engine: Stable Diffusion 1.5 with optional ControlNets, LoRAs and LCM.

One :class:`DiffusionCoverEngine` is kept alive by the job layer, so the loaded pipeline is
reused between requests (see :mod:`albumstudio.engines.pipelines`). Each variant is one
pipeline call with ``seed + i``, so cancel and preview work per image, and the same request
always gives the same pixels.

LCM fast mode (``request.options.lcm`` or the "lcm" scheduler) loads the LCM-LoRA and the LCM
scheduler. Steps: 4 when the request still has the ordinary default of 20, otherwise the
request's own steps capped at 8 (LCM gains nothing beyond). Guidance: 1.0 (no classifier-free
guidance, twice as fast) when the request has the ordinary default of 7.5, otherwise the
request's value clamped into 1.0-2.0 (LCM-LoRA images burn above 2).

On the CPU with OpenVINO (:func:`albumstudio.engines.device.choose_cover_device`) the same
diffusers pipeline and scheduler loop run with the modules converted to OpenVINO
(:mod:`albumstudio.engines.openvino_pipeline`; converted once, with progress and cancel); the
result's device is then "cpu-openvino" and a note says the precision.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from albumstudio.core.cover import (
    CONDITION_KINDS,
    DIFFUSION_MODES,
    CoverImage,
    CoverRequest,
    CoverResult,
    DiffusionOptions,
)
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.jobs import ProgressFn, steps_progress
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.engines.device import (
    DeviceChoice,
    choose_cover_device,
    is_out_of_memory,
    lighter_preset,
)
from albumstudio.engines.diffusion_preview import latents_to_rgb
from albumstudio.engines.models import resolve_lora
from albumstudio.engines.pipelines import Adapter, PipelineCache, PipelineSpec
from albumstudio.vision.crop import screen_copy

SegmentFn = Callable[[Any, str, str], Any]  # (PIL image, model id, device) -> PIL seg map

_DEFAULTS = {f.name: f.default for f in fields(DiffusionOptions)}
LCM_STEPS = 4
LCM_MAX_STEPS = 8
LCM_GUIDANCE = (1.0, 2.0)
MAX_STEPS = 150
MAX_VARIANTS = 16
OPENVINO_SIDE_MULTIPLE = 64  # the converted UNet is traced for latents divisible by 8
PRESET_NAMES = {"full": "everything on the GPU", "sliced": "VAE slicing and tiling",
                "offload": "CPU offload", "sequential": "sequential CPU offload"}


def effective_steps_and_guidance(request: CoverRequest) -> tuple[int, float]:
    """The steps and guidance actually used (LCM mode changes them, see the module docstring)."""
    if not is_lcm(request):
        return request.options.steps, request.options.guidance
    if request.options.steps == _DEFAULTS["steps"]:
        steps = LCM_STEPS
    else:
        steps = min(request.options.steps, LCM_MAX_STEPS)
    low, high = LCM_GUIDANCE
    if request.options.guidance == _DEFAULTS["guidance"]:
        guidance = low
    else:
        guidance = min(max(request.options.guidance, low), high)
    return steps, guidance


def is_lcm(request: CoverRequest) -> bool:
    """True for LCM fast mode: asked for directly, or by choosing the "lcm" scheduler."""
    options: DiffusionOptions = request.options
    return options.lcm or options.scheduler == "lcm"


class DiffusionCoverEngine:
    """Makes covers with diffusers; keeps the loaded pipeline until the model or device change."""

    def __init__(self, cache: PipelineCache | None = None, *, models: ModelCache | None = None,
                 segment: SegmentFn | None = None,
                 choose: Callable[[str], DeviceChoice] = choose_cover_device,
                 min_side: int = 256, max_side: int = 1024,
                 openvino_root: Path | None = None) -> None:
        """Loaded models live in ``models`` (the app's one model cache); a private cache is made
        when none is given."""
        self.models = models if models is not None else ModelCache()
        self._own_cache = cache
        self.choose = choose
        self.min_side = min_side
        self.max_side = max_side
        self._segment = segment
        self.openvino_root = openvino_root

    @property
    def cache(self) -> PipelineCache:
        """The pipeline holder (kept by the model cache under the sd15 role)."""
        if self._own_cache is not None:
            return self._own_cache
        return self.models.get("sd15", "pipeline", "any", PipelineCache)

    @property
    def openvino(self) -> Any:
        """The OpenVINO pipeline holder (kept by the model cache beside the PyTorch one)."""
        from albumstudio.engines.openvino_pipeline import OpenVinoPipelineCache

        return self.models.get("sd15", "openvino", "cpu",
                               lambda: OpenVinoPipelineCache(self.openvino_root))

    @property
    def pipeline(self) -> Any:
        """The loaded diffusers pipeline, or None."""
        return self.cache.pipeline

    def unload(self) -> None:
        """Free the loaded pipeline (and the segmentation model)."""
        self.cache.unload()
        if self.models.peek("sd15", "openvino", "cpu") is not None:
            self.openvino.unload()
        self.models.evict("segmenter")

    def side(self, request: CoverRequest) -> int:
        """The square output side: ``request.size`` to a multiple of 8, within the limits."""
        side = int(round(request.size / 8)) * 8
        if side > self.max_side:
            raise InputError(f"Diffusion covers can be at most {self.max_side} px "
                             f"(asked for {request.size}): choose a smaller size; the export "
                             "upscales it.")
        return max(self.min_side, side)

    def run(self, request: CoverRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> CoverResult:
        """Make ``request.variants`` covers; raises InputError or CancelledError."""
        started = time.perf_counter()
        if not isinstance(request.options, DiffusionOptions):
            raise InputError("The diffusion engine was given another engine's settings; choose "
                             "the engine again.")
        _validate(request)
        side = self.side(request)
        steps, guidance = effective_steps_and_guidance(request)
        _check_cancel(cancel)
        choice = self.choose(request.options.device)
        backend_notes: list[str] = []
        if choice.backend == "openvino" and side % OPENVINO_SIDE_MULTIPLE:
            choice = replace(choice, backend="torch")
            backend_notes.append(f"OpenVINO needs a side that is a multiple of "
                                 f"{OPENVINO_SIDE_MULTIPLE} px: ran on PyTorch instead")
        spec = PipelineSpec(
            model=request.options.model,
            controlnets=tuple((c.kind, request.options.controlnet_for(c.kind))
                              for c in request.options.conditions),
            img2img=request.options.mode == "img2img", device=choice.device,
            dtype_name=choice.dtype_name)
        adapters = _adapters(request)
        reference = self._reference(request, side)
        controls = [self._control_image(c, reference, choice) for c in request.options.conditions]
        _check_cancel(cancel)
        placement_notes: list[str] = list(backend_notes)
        scheduler = "lcm" if is_lcm(request) else request.options.scheduler
        if choice.backend == "openvino":
            pipe = self._openvino_pipeline(spec, adapters, choice, steps, progress, cancel)
            self.openvino.set_scheduler(scheduler)
        else:
            if self.cache.needs_reload(spec):
                if progress is not None:
                    progress(steps_progress(0, steps, "loading the model…", 0,
                                            request.variants))
                self.cache.unload()
                choice = replace(self.choose(request.options.device), backend="torch")
            pipe = self._place(spec, choice, adapters, placement_notes)
            self.cache.set_scheduler(scheduler)
        arguments = _call_arguments(request, side, steps, guidance, reference, controls)

        images: list[CoverImage] = []
        notes = list(placement_notes)
        for index in range(request.variants):
            _check_cancel(cancel)
            seed = request.seed + index
            image, image_notes = self._one_image(pipe, arguments, seed, choice, index,
                                                 progress, cancel, request.variants)
            if index == 0:
                image_notes = placement_notes + self._backend_notes(choice) + image_notes
            notes.extend(n for n in image_notes if n not in notes)
            images.append(CoverImage(_png(image), image.width, image.height, seed,
                                     tuple(image_notes), display=screen_copy(image)))
        return CoverResult(request, tuple(images), time.perf_counter() - started,
                           device=choice.name, notes=tuple(notes), models=models_used(request))

    def _openvino_pipeline(self, spec: PipelineSpec, adapters: tuple[Adapter, ...],
                           choice: DeviceChoice, steps: int, progress: ProgressFn | None,
                           cancel: threading.Event | None) -> Any:
        if self.cache.pipeline is not None:
            self.cache.unload()  # one copy of the weights in memory, not two

        def converting(done: int, total: int, text: str) -> None:
            if progress is not None:
                progress(steps_progress(0, steps, text if total == 0 else
                                        f"{text} ({done} of {total} parts)"))

        return self.openvino.get(replace(spec, device="cpu", dtype_name="float32"), adapters,
                                 choice.precision, converting, cancel)

    def _backend_notes(self, choice: DeviceChoice) -> list[str]:
        if choice.backend != "openvino":
            return []
        precision = self.openvino.precision_used or choice.precision
        return [f"OpenVINO on the CPU ({precision} precision)"]

    def _place(self, spec: PipelineSpec, choice: DeviceChoice, adapters: tuple[Adapter, ...],
               notes: list[str]) -> Any:
        while True:
            try:
                pipe = self.cache.get(spec, choice.preset)
                self.cache.set_adapters(adapters)
                return pipe
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                notes.append(self._lighten(exc, choice))

    def _lighten(self, exc: BaseException, choice: DeviceChoice) -> str:
        lighter = lighter_preset(self.cache.preset or choice.preset)
        if lighter is None:
            raise InputError("The GPU ran out of memory even with sequential CPU offload: "
                             "choose a smaller size or fewer ControlNets.") from exc
        self.cache.apply_preset(lighter)
        return f"Ran out of GPU memory; retried with {lighter} ({PRESET_NAMES[lighter]})"

    def _one_image(self, pipe: Any, arguments: dict[str, Any], seed: int, choice: DeviceChoice,
                   index: int, progress: ProgressFn | None,
                   cancel: threading.Event | None, items: int = 1) -> tuple[Any, list[str]]:
        import torch

        notes: list[str] = []
        while True:
            generator = torch.Generator(choice.generator_device).manual_seed(seed)
            callback = _step_callback(index, progress, cancel, items)
            try:
                output = self._generate(pipe, {**arguments, "generator": generator,
                                               "callback_on_step_end": callback})
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                notes.append(self._lighten(exc, choice))
                continue
            _check_cancel(cancel)
            return output.images[0], notes

    def _generate(self, pipe: Any, arguments: dict[str, Any]) -> Any:
        return pipe(**arguments)

    def _reference(self, request: CoverRequest, side: int) -> Any:
        if request.image_path is None:
            if request.options.conditions:
                raise InputError("ControlNet conditions need a reference image: add an image "
                                 "or turn the conditions off.")
            if request.options.mode == "img2img":
                raise InputError("img2img starts from a reference image: add an image or "
                                 "choose txt2img.")
            return None
        from albumstudio.vision.crop import apply_crop
        from albumstudio.vision.image_load import load_image

        return apply_crop(load_image(request.image_path), request.crop, side).convert("RGB")

    def _control_image(self, condition: Any, reference: Any, choice: DeviceChoice) -> Any:
        if condition.kind == "canny":
            from albumstudio.vision.edges import canny_map

            return canny_map(reference, condition.low, condition.high).convert("RGB")
        model = default_model("segmenter")
        return self._segment_fn(model, choice.device)(reference, model,
                                                      choice.device).convert("RGB")

    def _segment_fn(self, model: str, device: str) -> SegmentFn:
        if self._segment is not None:
            return self._segment
        from albumstudio.engines.segmentation import shared_segmenter

        return shared_segmenter(self.models, model, device).segmentation_map


def models_used(request: CoverRequest) -> tuple[tuple[str, str], ...]:
    """(role, id or folder) of every model a diffusion request loads."""
    options = request.options
    used = [("sd15", options.model)]
    used += [(f"controlnet-{c.kind}", options.controlnet_for(c.kind)) for c in options.conditions]
    if any(c.kind == "seg" for c in options.conditions):
        used.append(("segmenter", default_model("segmenter")))
    if is_lcm(request):
        used.append(("lcm-lora", options.lcm_lora))
    used += [("lora", lora.path) for lora in options.loras]
    return tuple(used)


def _validate(request: CoverRequest) -> None:
    if request.options.mode not in DIFFUSION_MODES:
        raise InputError(f"Unknown diffusion mode '{request.options.mode}': use txt2img or img2img.")
    for condition in request.options.conditions:
        if condition.kind not in CONDITION_KINDS:
            raise InputError(f"Unknown condition '{condition.kind}': use "
                             f"{' or '.join(CONDITION_KINDS)}.")
        if not request.options.controlnet_for(condition.kind):
            raise InputError(f"No ControlNet is set for '{condition.kind}': choose one in "
                             "the model settings.")
        if not 0.0 <= condition.weight <= 5.0:
            raise InputError("A ControlNet weight must be between 0 and 5.")
    if not 1 <= request.options.steps <= MAX_STEPS:
        raise InputError(f"Steps must be between 1 and {MAX_STEPS}.")
    if not 0.0 <= request.options.guidance <= 30.0:
        raise InputError("Guidance must be between 0 and 30.")
    if not 1 <= request.variants <= MAX_VARIANTS:
        raise InputError(f"Make between 1 and {MAX_VARIANTS} variants at a time.")
    if request.options.mode == "img2img":
        steps, _ = effective_steps_and_guidance(request)
        if not 0.0 < request.options.strength <= 1.0 or int(steps * request.options.strength) < 1:
            raise InputError("Strength must be above 0 and at most 1, and leave at least one "
                             "step (raise the strength or the steps).")


def _adapters(request: CoverRequest) -> tuple[Adapter, ...]:
    adapters = []
    if is_lcm(request):
        adapters.append(Adapter("lcm", resolve_lora(request.options.lcm_lora, "the LCM-LoRA"), 1.0))
    for index, lora in enumerate(request.options.loras):
        path = resolve_lora(lora.path, "the style LoRA")
        digest = hashlib.blake2b(str(path).encode(), digest_size=4).hexdigest()
        adapters.append(Adapter(f"style{index}_{digest}", path, float(lora.scale)))
    return tuple(adapters)


def _call_arguments(request: CoverRequest, side: int, steps: int, guidance: float,
                    reference: Any, controls: list[Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or None,
        "num_inference_steps": steps,
        "guidance_scale": guidance,
        "callback_on_step_end_tensor_inputs": ["latents"],
    }
    if request.options.mode == "img2img":
        arguments.update(image=reference, strength=request.options.strength)
    else:
        arguments.update(height=side, width=side)
    if controls:
        single = len(controls) == 1
        weights = [float(c.weight) for c in request.options.conditions]
        key = "control_image" if request.options.mode == "img2img" else "image"
        arguments[key] = controls[0] if single else controls
        arguments["controlnet_conditioning_scale"] = weights[0] if single else weights
    return arguments


def _step_callback(index: int, progress: ProgressFn | None, cancel: threading.Event | None,
                   items: int = 1) -> Callable[..., dict[str, Any]]:
    def on_step_end(pipe: Any, step: int, _timestep: Any,
                    tensors: dict[str, Any]) -> dict[str, Any]:
        if progress is not None:
            total = int(getattr(pipe, "num_timesteps", 0) or 0)
            latents = tensors.get("latents")
            preview = latents_to_rgb(latents) if latents is not None else None
            progress(steps_progress(step + 1, total, f"step {step + 1} of {total}", index,
                                    items, preview))
        if cancel is not None and cancel.is_set():
            pipe._interrupt = True
        return tensors

    return on_step_end


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("cover cancelled")


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", compress_level=3)  # 6: +50 % time, -10 % size
    return buffer.getvalue()
