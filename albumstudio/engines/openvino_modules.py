"""OpenVINO stand-ins for the modules a diffusers SD 1.5 pipeline calls, so the pipeline's own
scheduler loop runs unchanged and only the module calls go to OpenVINO.

Each stand-in answers the same call the pipeline makes (``unet(latents, t,
encoder_hidden_states=…, down_block_additional_residuals=…, …)``, ``controlnet(…)``,
``text_encoder(ids)``, ``vae.decode(latents)``) and returns torch tensors. A compiled model is
made per input shape (OpenVINO's CPU plugin is fastest with static shapes) and kept; the
compiled blobs are cached on disk (``CACHE_DIR``), so a second run compiles in a moment.

This module imports torch, diffusers and openvino at the top: it is imported only when an
OpenVINO pipeline is made (:mod:`albumstudio.engines.openvino_pipeline`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openvino
import torch
from diffusers import ControlNetModel

from albumstudio.engines.openvino_convert import residual_shapes

PRECISION_HINTS = {"bf16": "bf16", "f32": "f32"}
MAX_SHAPES = 3


class CompiledPart:
    """One converted part, compiled for each input shape it is called with."""

    def __init__(self, core: Any, xml: Path, precision: str = "auto",
                 cache_dir: Path | None = None) -> None:
        self.core = core
        self.model = core.read_model(str(xml))
        self.config: dict[str, str] = {"PERFORMANCE_HINT": "LATENCY"}
        if precision in PRECISION_HINTS:
            self.config["INFERENCE_PRECISION_HINT"] = PRECISION_HINTS[precision]
        if cache_dir is not None:
            self.config["CACHE_DIR"] = str(cache_dir)
        self._compiled: dict[tuple[tuple[int, ...], ...], Any] = {}
        self.precision_used = ""

    def compiled(self, shapes: tuple[tuple[int, ...], ...]) -> Any:
        found = self._compiled.get(shapes)
        if found is None:
            model = self.model.clone()
            model.reshape({port: openvino.PartialShape(list(shape))
                           for port, shape in zip(model.inputs, shapes, strict=True)})
            found = self.core.compile_model(model, "CPU", self.config)
            hint = found.get_property("INFERENCE_PRECISION_HINT")
            self.precision_used = hint.to_string() if hasattr(hint, "to_string") else str(hint)
            if len(self._compiled) >= MAX_SHAPES:
                self._compiled.pop(next(iter(self._compiled)))
            self._compiled[shapes] = found
        return found

    def __call__(self, *inputs: np.ndarray) -> list[np.ndarray]:
        compiled = self.compiled(tuple(tuple(a.shape) for a in inputs))
        request = compiled.create_infer_request()
        request.infer(list(inputs), share_inputs=True)
        return [request.get_output_tensor(i).data.copy() for i in range(len(compiled.outputs))]


def _array(tensor: Any) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().float().cpu().numpy(), dtype=np.float32)


def _timestep(t: Any) -> np.ndarray:
    value = t.detach().float().reshape(-1)[:1] if torch.is_tensor(t) else torch.tensor([float(t)])
    return _array(value)


class _OnCpu:
    """What the pipeline asks of every module: where it is and in which dtype."""

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32


class OpenVinoUNet(_OnCpu, torch.nn.Module):
    """The UNet: ControlNet residuals are inputs, zeros when there is no ControlNet."""

    def __init__(self, part: CompiledPart, config: Any) -> None:
        torch.nn.Module.__init__(self)
        self.part = part
        self.config = config

    def forward(self, sample: Any, timestep: Any, encoder_hidden_states: Any,
                timestep_cond: Any = None, cross_attention_kwargs: Any = None,
                down_block_additional_residuals: Any = None,
                mid_block_additional_residual: Any = None, added_cond_kwargs: Any = None,
                return_dict: bool = False) -> tuple[torch.Tensor]:
        if down_block_additional_residuals is None:
            batch, _, side, _ = sample.shape
            residuals = [np.zeros(s, np.float32) for s in residual_shapes(self.config, batch, side)]
        else:
            residuals = [_array(r) for r in (*down_block_additional_residuals,
                                              mid_block_additional_residual)]
        out = self.part(_array(sample), _timestep(timestep), _array(encoder_hidden_states),
                        *residuals)
        return (torch.from_numpy(out[0]),)


class OpenVinoControlNet(_OnCpu, ControlNetModel):
    """A ControlNetModel for the pipeline's type checks, computed by OpenVINO."""

    def __init__(self, part: CompiledPart, config: Any) -> None:  # no weights: skip the parent's
        torch.nn.Module.__init__(self)  # type: ignore[arg-type]  # diffusers is untyped here
        self._internal_dict = config
        self.part = part

    def forward(self, sample: Any, timestep: Any, encoder_hidden_states: Any,
                controlnet_cond: Any, conditioning_scale: float = 1.0, class_labels: Any = None,
                timestep_cond: Any = None, attention_mask: Any = None,
                added_cond_kwargs: Any = None, cross_attention_kwargs: Any = None,
                guess_mode: bool = False, return_dict: bool = True) -> Any:
        if guess_mode:
            raise ValueError("guess mode is not supported by the OpenVINO ControlNet")
        outputs = self.part(_array(sample), _timestep(timestep), _array(encoder_hidden_states),
                            _array(controlnet_cond))
        scaled = [torch.from_numpy(o) * float(conditioning_scale) for o in outputs]
        return scaled[:-1], scaled[-1]


class OpenVinoTextEncoder(_OnCpu, torch.nn.Module):
    """The CLIP text encoder: returns (last hidden state,) like CLIPTextModel with a tuple."""

    def __init__(self, part: CompiledPart, config: Any) -> None:
        torch.nn.Module.__init__(self)
        self.part = part
        self.config = config

    def forward(self, input_ids: Any, attention_mask: Any = None,
                output_hidden_states: bool = False, **_: Any) -> tuple[torch.Tensor]:
        if output_hidden_states:
            raise ValueError("clip skip is not supported by the OpenVINO text encoder")
        ids = np.ascontiguousarray(input_ids.detach().cpu().numpy().astype(np.int64))
        return (torch.from_numpy(self.part(ids)[0]),)


def decode_with(part: CompiledPart) -> Any:
    """A ``vae.decode`` that runs ``part`` (returns (image,) or an object with ``.sample``)."""
    from diffusers.models.autoencoders.vae import DecoderOutput

    def decode(z: Any, return_dict: bool = True, generator: Any = None) -> Any:
        images = [torch.from_numpy(part(_array(z[i:i + 1]))[0]) for i in range(z.shape[0])]
        image = torch.cat(images)
        return DecoderOutput(sample=image) if return_dict else (image,)

    return decode
