"""The built-in cover engines' own settings, as options dataclasses.

Each field may carry metadata that the window's settings box and the CLI read, so an engine's
settings are declared once: ``label``, ``help``, ``choices`` (and ``choice_labels``),
``min``/``max``/``step``, ``editor`` (a special editor the window provides, e.g. "lora-files"),
and ``hidden`` (set by other controls, not shown in the box).
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from albumstudio.core.model_registry import default_model

CONDITION_KINDS = ("canny", "seg")
LAYOUTS = ("bottom-left", "centered", "top-band", "stacked", "none")
TREATMENTS = ("duotone", "gradient-map", "halftone", "blur", "natural")
SCHEDULERS = ("unipc", "ddim", "euler-a", "dpm++", "lcm")
DIFFUSION_MODES = ("txt2img", "img2img")
AUTO = "auto"  # design layout/treatment: chosen by the genre preset when the request is planned


def option(default: Any = MISSING, *, default_factory: Any = MISSING, **meta: Any) -> Any:
    """A dataclass field with settings-box metadata."""
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Condition:
    """One ControlNet condition derived from the reference image."""

    kind: str  # "canny" | "seg"
    weight: float = 1.0  # controlnet_conditioning_scale for this condition
    low: int = 100  # Canny thresholds (Music2P used cv2.Canny(100, 200))
    high: int = 200


@dataclass(frozen=True)
class LoraFile:
    path: str  # a .safetensors LoRA file or a hub id
    scale: float = 0.8


@dataclass(frozen=True)
class DesignOptions:
    """The offline design engine: a treatment of the photo (or a generative background), type."""

    layout: str = option(AUTO, label="Type layout", choices=(AUTO, *LAYOUTS),
                         help="Where the title and artist go; Auto follows the genre preset.")
    treatment: str = option(AUTO, label="Treatment", choices=(AUTO, *TREATMENTS),
                            help="How the photo is coloured; Auto follows the genre preset.")
    palette: tuple[str, ...] = option((), hidden=True)  # "#rrggbb"; empty: from the music's mood
    grain: float = option(0.25, label="Grain", min=0.0, max=1.0, step=0.05)
    vignette: float = option(0.35, label="Vignette", min=0.0, max=1.0, step=0.05)


def _default_controlnets() -> tuple[tuple[str, str], ...]:
    return (("canny", default_model("controlnet-canny")), ("seg", default_model("controlnet-seg")))


@dataclass(frozen=True)
class DiffusionOptions:
    """Stable Diffusion 1.5 with ControlNets, LoRAs and LCM fast mode."""

    model: str = option(default_factory=lambda: default_model("sd15"), label="Model",
                        editor="model", help="A model id from your local model cache, or a "
                        "pipeline folder.")
    conditions: tuple[Condition, ...] = option((), hidden=True)  # from the Picture tab
    controlnets: tuple[tuple[str, str], ...] = option(default_factory=_default_controlnets,
                                                      hidden=True)  # kind → id or folder
    mode: str = option("txt2img", label="Start from", choices=DIFFUSION_MODES,
                       choice_labels=("Noise (txt2img)", "The picture (img2img)"))
    scheduler: str = option("unipc", label="Scheduler", choices=SCHEDULERS,
                            choice_labels=("UniPC", "DDIM", "Euler a", "DPM++", "LCM"))
    steps: int = option(20, label="Steps", min=1, max=150)
    guidance: float = option(7.5, label="Guidance", min=0.0, max=30.0, step=0.5)
    strength: float = option(0.75, label="Strength", min=0.05, max=1.0, step=0.05,
                             help="img2img: how far to move away from the picture.")
    lcm: bool = option(False, label="Fast mode (LCM-LoRA, 4 steps)", editor="lcm")
    lcm_lora: str = option(default_factory=lambda: default_model("lcm-lora"), hidden=True)
    loras: tuple[LoraFile, ...] = option((), label="LoRA", editor="lora-files")
    device: str = option("auto", hidden=True)  # "auto" | "cuda" | "mps" | "cpu"

    def controlnet_for(self, kind: str) -> str:
        found = dict(self.controlnets).get(kind)
        if found:
            return found
        role = f"controlnet-{kind}"
        try:
            return default_model(role)
        except KeyError:
            return ""


_NESTED: dict[str, type] = {"conditions": Condition, "loras": LoraFile}


def _value(name: str, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        item = _NESTED.get(name)
        if item is not None:
            return tuple(item(**v) if isinstance(v, dict) else v for v in value)
        return tuple(tuple(v) if isinstance(v, (list, tuple)) else v for v in value)
    return value


def options_from_dict(kind: type, data: dict[str, Any]) -> Any:
    """An options dataclass from its JSON form; unknown keys are ignored, missing ones default."""
    names = {f.name for f in fields(kind)}
    return kind(**{k: _value(k, v) for k, v in data.items() if k in names})


def field_type(kind: type, name: str) -> type:
    """The plain type of an options field (bool, int, float, str or tuple)."""
    hints = typing.get_type_hints(kind)
    hint = hints[name]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    return typing.cast(type, origin or hint)  # get_type_hints gives Any


def parse_option(kind: type, name: str, text: str) -> Any:
    """A value for ``name`` from the text a person typed (the CLI's ``--set NAME=VALUE``)."""
    wanted = field_type(kind, name)
    meta = next(f.metadata for f in fields(kind) if f.name == name)
    if wanted is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{name} is on or off (true or false), not '{text}'")
    if wanted is int:
        value: Any = int(text)
    elif wanted is float:
        value = float(text)
    elif wanted is str:
        value = text
    else:
        raise ValueError(f"{name} cannot be set from text")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ValueError(f"{name} is one of {', '.join(map(str, choices))}, not '{text}'")
    low, high = meta.get("min"), meta.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be between {low} and {high}, not {text}")
    return value

