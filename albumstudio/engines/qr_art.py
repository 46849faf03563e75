"""The art poster engine: Stable Diffusion 1.5 with the QR ControlNet paints the code, then
the scan guarantee holds it to account.

The control image is the code (black on white, its quiet zone included) on a #808080 canvas,
16 px per module and a canvas side that is a multiple of 64 up to 1024, as the QR Monster
model card advises. txt2img paints from the prompt; img2img paints over the cover (strength).
If the result does not scan, it is made again at a higher conditioning scale (``retries``
times), then repaired module by module (:mod:`albumstudio.engines.qr_repair`). The models load
through the same :class:`PipelineCache` as the diffusion cover engine (offline,
safetensors only) and stay loaded in the app's model cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from PIL import Image

from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.jobs import ProgressFn, steps_progress
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.core.qr import (
    ArtQrOptions,
    PosterResult,
    QrRequest,
    RepairReport,
    check_art_options,
)
from albumstudio.engines.design_png import encode_png
from albumstudio.engines.device import DeviceChoice, choose_device
from albumstudio.engines.diffusion_preview import latents_to_rgb
from albumstudio.engines.pipelines import PipelineCache, PipelineSpec
from albumstudio.engines.qr_code import QrSymbol, make_symbol, palette_of, pick_colours
from albumstudio.engines.qr_poster import (
    CODE_MODULE_PX,
    ScanFailedError,
    check_request,
    load_picture,
    poster_from_code,
    preview_of,
)
from albumstudio.engines.qr_repair import repair
from albumstudio.engines.qr_scan import scan

GREY = (128, 128, 128)  # #808080: "don't care" for the QR ControlNet
MAX_CANVAS = 1024
CANVAS_STEP = 64
MAX_CONDITIONING = 5.0
RETRY_FACTOR = 1.35
DEFAULT_PROMPT = "album artwork, abstract, rich colours, intricate detail, best quality"
NEGATIVE = "lowres, blurry, worst quality, low quality, text, watermark"


def module_px_for(symbol: QrSymbol, wanted: int) -> int:
    """``wanted`` pixels per module, fewer when the code would not fit the largest canvas."""
    return max(1, min(wanted, MAX_CANVAS // symbol.with_quiet))


def control_image(symbol: QrSymbol, module_px: int) -> tuple[Image.Image, int]:
    """The ControlNet's input: the code (quiet zone white) centred on the grey canvas, and
    the offset of the code's corner in the canvas."""
    code_side = symbol.with_quiet * module_px
    side = min(MAX_CANVAS, -(-code_side // CANVAS_STEP) * CANVAS_STEP)
    canvas = np.empty((side, side, 3), dtype=np.uint8)
    canvas[:] = GREY
    grid = np.ones((symbol.with_quiet,) * 2, dtype=bool)
    q = (symbol.with_quiet - symbol.count) // 2
    grid[q:q + symbol.count, q:q + symbol.count] = ~symbol.modules
    code = np.kron(grid, np.ones((module_px, module_px), dtype=bool)).astype(np.uint8) * 255
    offset = (side - code_side) // 2
    canvas[offset:offset + code_side, offset:offset + code_side] = code[..., None]
    return Image.fromarray(canvas), offset


def call_arguments(request: QrRequest, control: Image.Image, base: Image.Image | None,
                   conditioning: float) -> dict[str, Any]:
    """What the pipeline is called with (a direct diffusers call with these and the same
    generator gives the same pixels)."""
    options: ArtQrOptions = request.options
    arguments: dict[str, Any] = {
        "prompt": request.prompt or DEFAULT_PROMPT, "negative_prompt": NEGATIVE,
        "num_inference_steps": options.steps, "guidance_scale": options.guidance,
        "controlnet_conditioning_scale": conditioning,
    }
    if options.mode == "img2img":
        arguments.update(image=base, control_image=control, strength=options.strength)
    else:
        arguments.update(image=control, height=control.height, width=control.width)
    return arguments


class ArtPosterEngine:
    """Keeps the loaded pipeline (shared with the diffusion cover engine) between posters."""

    def __init__(self, models: ModelCache | None = None,
                 choose: Callable[[str], DeviceChoice] = choose_device) -> None:
        self.models = models if models is not None else ModelCache()
        self.choose = choose

    @property
    def cache(self) -> PipelineCache:
        return self.models.get("sd15", "pipeline", "any", PipelineCache)

    def unload(self) -> None:
        self.cache.unload()

    def pipeline(self, request: QrRequest) -> tuple[Any, DeviceChoice]:
        options: ArtQrOptions = request.options
        choice = self.choose(options.device)
        spec = PipelineSpec(model=options.model or default_model("sd15"),
                            controlnets=(("QR", options.controlnet
                                          or default_model("controlnet-qr")),),
                            img2img=options.mode == "img2img", device=choice.device,
                            dtype_name=choice.dtype_name)
        pipe = self.cache.get(spec, choice.preset)
        self.cache.set_scheduler("euler-a")
        return pipe, choice

    def paint(self, request: QrRequest, symbol: QrSymbol, module_px: int, conditioning: float,
              progress: ProgressFn | None = None, cancel: threading.Event | None = None
              ) -> np.ndarray:
        """The painted canvas (RGB array) at ``conditioning``."""
        import torch

        pipe, choice = self.pipeline(request)
        control, _offset = control_image(symbol, module_px)
        base = None
        if request.options.mode == "img2img":
            cover = load_picture(request.image_path)
            if cover is None:
                raise InputError("img2img paints over a picture; add the cover art or choose "
                                 "txt2img.")
            from albumstudio.engines.poster_layout import square_art

            base = square_art(cover, control.width)
        arguments = call_arguments(request, control, base, conditioning)
        generator = torch.Generator(choice.generator_device).manual_seed(request.seed)
        output = pipe(**arguments, generator=generator,
                      callback_on_step_end=_step_callback(progress, cancel))
        if cancel is not None and cancel.is_set():
            raise CancelledError("making the poster")
        return np.asarray(output.images[0].convert("RGB"))

    def run(self, request: QrRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> PosterResult:
        options = request.options
        if not isinstance(options, ArtQrOptions):
            raise InputError("The art poster engine was given another engine's settings.")
        check_art_options(options)
        check_request(request)
        symbol = make_symbol(request.payload)
        module_px = module_px_for(symbol, options.module_px)
        conditioning = options.conditioning
        code_side = symbol.with_quiet * module_px
        first: np.ndarray | None = None
        retries = 0
        while True:
            canvas = self.paint(request, symbol, module_px, conditioning, progress, cancel)
            offset = (canvas.shape[0] - code_side) // 2
            painted = canvas[offset:offset + code_side, offset:offset + code_side]
            if first is None:
                first = canvas
            if scan(painted, request.payload, module_px, fail_fast=True).ok or \
                    retries >= options.retries or conditioning >= MAX_CONDITIONING:
                break
            retries += 1
            conditioning = min(MAX_CONDITIONING, conditioning * RETRY_FACTOR)
        art = Image.fromarray(painted)
        cover = load_picture(request.image_path)
        dark, light = pick_colours(palette_of(cover if cover is not None else art))
        state: dict[str, Any] = {}

        def code_at(px: int) -> np.ndarray:
            image = np.asarray(art.resize((symbol.with_quiet * px,) * 2,
                                          Image.Resampling.LANCZOS))
            fixed = repair(image, symbol, px, lambda im: scan(im, request.payload, px,
                                                              fail_fast=True))
            if not fixed.report.ok:
                raise ScanFailedError("The painted code does not scan even after repair; "
                                      "raise the QR visibility or choose the plain engine.")
            state.update(fixed=fixed)
            return fixed.image

        if request.code_only:
            code = code_at(CODE_MODULE_PX)
            report = scan(code, request.payload, CODE_MODULE_PX)
            png = encode_png(code)
            result = PosterResult(png, "image/png", code.shape[1], code.shape[0], report, png,
                                  (0, 0, code.shape[1], code.shape[0]), (dark, light))
            if request.format == "pdf":
                from albumstudio.engines.poster_pdf import image_pdf

                result = replace(result, data=image_pdf(Image.fromarray(code)),
                                 media="application/pdf",
                                 preview=preview_of(Image.fromarray(code)))
        else:
            result = poster_from_code(request, symbol, code_at, cover, (dark, light), "square",
                                      vector_code=False)
        fixed = state["fixed"]
        repaired = RepairReport(conditioning, retries, fixed.rounds, fixed.mean_change,
                                fixed.changed_modules)
        models = (("sd15", options.model or default_model("sd15")),
                  ("controlnet-qr", options.controlnet or default_model("controlnet-qr")))
        return replace(result, repair=repaired, before_repair=first, models=models,
                       device=self.cache.spec.device if self.cache.spec else "")


def _step_callback(progress: ProgressFn | None, cancel: threading.Event | None
                   ) -> Callable[..., dict[str, Any]]:
    def on_step_end(pipe: Any, step: int, _timestep: Any,
                    tensors: dict[str, Any]) -> dict[str, Any]:
        if progress is not None:
            total = int(getattr(pipe, "num_timesteps", 0) or 0)
            latents = tensors.get("latents")
            preview = latents_to_rgb(latents) if latents is not None else None
            progress(steps_progress(step + 1, total, f"painting, step {step + 1} of {total}",
                                    preview=preview))
        if cancel is not None and cancel.is_set():
            pipe._interrupt = True
        return tensors

    return on_step_end
