"""Converting an SD 1.5 pipeline's parts to OpenVINO IR once, and finding them again.

Each part is converted from the loaded PyTorch module and kept in its own folder under the
OpenVINO model folder (``<data>/models/openvino/<part>-<digest>/model.xml``). The digest covers
everything the converted weights depend on: the resolved model folder (a hub snapshot's folder
is its revision), the size and modification time of each of the part's files, the LoRAs fused
into it with their scales, the OpenVINO version and this module's format version. A changed
model, LoRA or ControlNet therefore gives a new digest and a new conversion; the folder it
replaces (the same part of the same model with the same LoRAs) is removed once the new one
is complete. A conversion is
written to a temporary folder and renamed into place, so a cancelled or failed one leaves
nothing behind.

The UNet takes the ControlNet residuals as inputs (zeros without a ControlNet), the ControlNet
returns them unscaled (the caller multiplies by the condition weight), the text encoder returns
its last hidden state and the VAE decoder the image from unscaled latents. torch and openvino are
imported only inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from albumstudio.core.errors import CancelledError, InputError
from albumstudio.engines.device import OPENVINO_INSTALL
from albumstudio.engines.models import cached_folder

FORMAT_VERSION = 1
PARTS = ("text_encoder", "unet", "vae_decoder", "controlnet")
PART_FILES = {"text_encoder": "text_encoder", "unet": "unet", "vae_decoder": "vae"}
TRACE_LATENT_SIDE = 8  # 64 px: the converted models keep every dimension dynamic
TOKENS = 77


def require_openvino() -> Any:
    """The ``openvino`` module, or one sentence saying how to install it. Its usage reports
    (``openvino_telemetry``, started on import) are kept off: the app works offline."""
    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    try:
        import openvino
    except ImportError as exc:
        raise InputError("OpenVINO is not installed: install it with "
                         f"`{OPENVINO_INSTALL}` or choose the CPU device.") from exc
    return openvino


_CORE: Any = None
_CORE_LOCK = threading.Lock()


def shared_core() -> Any:
    """The process's one OpenVINO ``Core``, kept until the process ends.

    Each Core's CPU plugin gives the thread that compiles with it an alternate signal stack and,
    when the Core is freed, puts back the one it found. Two Cores freed in the order they were
    made leave the thread's signal stack pointing at freed memory, and the next signal Python
    handles there (Ctrl+C) segfaults the process. One Core, never freed, cannot get the order
    wrong."""
    global _CORE
    with _CORE_LOCK:
        if _CORE is None:
            _CORE = require_openvino().Core()
        return _CORE


@dataclass(frozen=True)
class PartKey:
    """One convertible part: ``slot`` names it across versions (hashed), ``digest`` this
    version."""

    part: str
    slot: str
    digest: str

    @property
    def folder_name(self) -> str:
        return f"{self.part}-{self.digest}"


def _files(folder: Path | None) -> list[tuple[str, int, int]]:
    if folder is None or not folder.exists():
        return []
    paths = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    found = []
    for path in paths:
        stat = path.stat()
        found.append((path.name if path == folder else str(path.relative_to(folder)),
                      stat.st_size, stat.st_mtime_ns))
    return found


def _digest(items: Iterable[Any]) -> str:
    openvino = require_openvino()

    payload = json.dumps([FORMAT_VERSION, openvino.__version__, *items], default=str)
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def part_key(part: str, model: str, adapters: tuple[Any, ...] = ()) -> PartKey:
    """The key of ``part`` of ``model`` (a pipeline id or folder; a ControlNet's own for
    "controlnet") with ``adapters`` (pipelines.Adapter) fused in."""
    sub = PART_FILES.get(part)
    folder = cached_folder(model, sub) if sub else cached_folder(model)
    resolved = str(folder.resolve()) if folder is not None else model
    fused = [(a.name, *a.identity[1:], a.scale) for a in adapters]
    # a slot is one part of one model with one set of LoRAs: a new version of it (changed files)
    # replaces the old one, while the same model with other LoRAs (LCM on and off) keeps its own
    slot = json.dumps([part, resolved, [(a.name, str(a.path), a.scale) for a in adapters]])
    return PartKey(part, hashlib.blake2b(slot.encode(), digest_size=6).hexdigest(),
                   _digest([part, resolved, _files(folder), fused]))


class IrStore:
    """The folder of converted parts: which are ready, writing one safely, pruning old ones."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: PartKey) -> Path:
        return self.root / key.folder_name / "model.xml"

    def ready(self, key: PartKey) -> bool:
        folder = self.root / key.folder_name
        return (folder / "model.xml").is_file() and (folder / "done.json").is_file()

    def config(self, key: PartKey) -> dict[str, Any]:
        """The converted module's own config (saved beside it)."""
        path = self.root / key.folder_name / "config.json"
        loaded = json.loads(path.read_text(encoding="utf-8"))
        return loaded if isinstance(loaded, dict) else {}

    def write(self, key: PartKey, model: Any, config: dict[str, Any] | None = None) -> Path:
        """Save ``model`` (an ov.Model) and the module's ``config`` for ``key``, then remove older
        versions of its slot."""
        openvino = require_openvino()

        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / key.folder_name
        temporary = self.root / f".{key.folder_name}.{os.getpid()}.{threading.get_ident()}.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        try:
            temporary.mkdir(parents=True)
            openvino.save_model(model, temporary / "model.xml", compress_to_fp16=True)
            (temporary / "config.json").write_text(json.dumps(config or {}, default=_plain),
                                                   encoding="utf-8")
            (temporary / "done.json").write_text(json.dumps({"slot": key.slot, "part": key.part,
                                                             "digest": key.digest}),
                                                 encoding="utf-8")
            shutil.rmtree(final, ignore_errors=True)
            os.replace(temporary, final)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        self.prune(key)
        return final / "model.xml"

    def prune(self, key: PartKey) -> int:
        """Remove every other version of ``key``'s slot; returns how many were removed."""
        removed = 0
        for done in self.root.glob(f"{key.part}-*/done.json"):
            try:
                slot = json.loads(done.read_text(encoding="utf-8")).get("slot")
            except (OSError, ValueError):
                continue
            if slot == key.slot and done.parent.name != key.folder_name:
                shutil.rmtree(done.parent, ignore_errors=True)
                removed += 1
        return removed


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | set) else str(value)


def module_config(module: Any) -> dict[str, Any]:
    """A module's config as plain data (diffusers' FrozenDict or a transformers config)."""
    config = module.config
    return dict(config.to_dict() if hasattr(config, "to_dict") else config)


def residual_shapes(config: Any, batch: int, side: int) -> list[tuple[int, int, int, int]]:
    """The shapes of the 12 down-block residuals and the mid-block residual a ControlNet gives
    an SD UNet of ``config`` for latents ``side`` × ``side``."""
    channels = list(config.block_out_channels)
    layers = config.layers_per_block
    shapes = [(batch, channels[0], side, side)]
    size = side
    for index, width in enumerate(channels):
        per_block = layers if isinstance(layers, int) else layers[index]
        shapes += [(batch, width, size, size)] * per_block
        if index < len(channels) - 1:
            size //= 2
            shapes.append((batch, width, size, size))
    shapes.append((batch, channels[-1], size, size))
    return shapes


def _no_telemetry() -> None:
    """OpenVINO's converter reports usage to the network unless its telemetry is replaced by
    its own stub: the app works offline and sends nothing."""
    import importlib

    stub = importlib.import_module("openvino.tools.ovc.telemetry_stub")
    for name in ("convert_impl", "telemetry_utils", "utils", "main"):
        try:
            module = importlib.import_module(f"openvino.tools.ovc.{name}")
        except ImportError:
            continue
        if hasattr(module, "tm"):
            setattr(module, "tm", stub)  # noqa: B010 - an attribute mypy cannot see


def _convert(module: Any, example: tuple[Any, ...]) -> Any:
    import warnings

    import torch

    openvino = require_openvino()
    _no_telemetry()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python branches it fixed
        return openvino.convert_model(module.eval(), example_input=example)


def _trace_inputs_unet(unet: Any) -> tuple[Any, ...]:
    import torch

    side = TRACE_LATENT_SIDE
    residuals = [torch.zeros(shape) for shape in residual_shapes(unet.config, 1, side)]
    return (torch.randn(1, unet.config.in_channels, side, side), torch.tensor([500.0]),
            torch.randn(1, TOKENS, unet.config.cross_attention_dim), *residuals)


def convert_unet(unet: Any) -> Any:
    """An ov.Model of ``unet``: (sample, timestep[1], text states, *13 residuals) → noise."""
    import torch

    class UNetWithResiduals(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.unet = unet

        def forward(self, sample: Any, timestep: Any, states: Any, *residuals: Any) -> Any:
            return self.unet(sample, timestep, encoder_hidden_states=states,
                             down_block_additional_residuals=list(residuals[:-1]),
                             mid_block_additional_residual=residuals[-1], return_dict=False)[0]

    return _convert(UNetWithResiduals(), _trace_inputs_unet(unet))


def convert_controlnet(controlnet: Any) -> Any:
    """An ov.Model of ``controlnet``: (sample, timestep[1], text states, condition image) → the
    13 residuals at condition weight 1."""
    import torch

    class ControlNetResiduals(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.controlnet = controlnet

        def forward(self, sample: Any, timestep: Any, states: Any, condition: Any) -> Any:
            down, mid = self.controlnet(sample, timestep, encoder_hidden_states=states,
                                        controlnet_cond=condition, conditioning_scale=1.0,
                                        return_dict=False)
            return (*down, mid)

    side = TRACE_LATENT_SIDE
    example = (torch.randn(1, controlnet.config.in_channels, side, side), torch.tensor([500.0]),
               torch.randn(1, TOKENS, controlnet.config.cross_attention_dim),
               torch.rand(1, 3, side * 8, side * 8))
    return _convert(ControlNetResiduals(), example)


def convert_text_encoder(text_encoder: Any) -> Any:
    """An ov.Model of the CLIP text encoder: token ids (1, 77) → last hidden state."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = text_encoder

        def forward(self, ids: Any) -> Any:
            return self.encoder(ids, return_dict=False)[0]

    ids = torch.zeros(1, TOKENS, dtype=torch.int64)
    return _convert(LastHiddenState(), (ids,))


def convert_vae_decoder(vae: Any) -> Any:
    """An ov.Model of the VAE decoder: unscaled latents → image in -1..1."""
    import torch

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vae = vae

        def forward(self, latents: Any) -> Any:
            return self.vae.decode(latents, return_dict=False)[0]

    example = torch.randn(1, vae.config.latent_channels, TRACE_LATENT_SIDE, TRACE_LATENT_SIDE)
    return _convert(Decoder(), (example,))


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text_encoder": convert_text_encoder, "unet": convert_unet,
    "vae_decoder": convert_vae_decoder, "controlnet": convert_controlnet,
}


def convert_parts(store: IrStore, jobs: list[tuple[PartKey, Callable[[], Any]]],
                  progress: Callable[[int, int, str], None] | None = None,
                  cancel: threading.Event | None = None) -> None:
    """Convert each (key, module getter) in turn; cancel is honoured between parts and a failure
    becomes one sentence (nothing half-written is left)."""
    for done, (key, module) in enumerate(jobs):
        if cancel is not None and cancel.is_set():
            raise CancelledError("conversion to OpenVINO cancelled")
        what = key.part.replace("_", " ")
        if progress is not None:
            progress(done, len(jobs), f"converting the {what} to OpenVINO (once)…")
        try:
            loaded = module()
            store.write(key, CONVERTERS[key.part](loaded), module_config(loaded))
        except (InputError, CancelledError, MemoryError):
            raise
        except OSError as exc:
            raise InputError(f"The converted {what} could not be written to {store.root} "
                             f"({exc.strerror or exc}): free some disk space or use the "
                             "PyTorch CPU backend (ALBUMSTUDIO_CPU_BACKEND=torch).") from exc
        except Exception as exc:  # noqa: BLE001 - the converter's own errors vary by version
            raise InputError(f"OpenVINO could not convert the {what} of this model "
                             f"({type(exc).__name__}): use the PyTorch CPU backend "
                             "(ALBUMSTUDIO_CPU_BACKEND=torch) for it.") from exc
    if progress is not None and jobs:
        progress(len(jobs), len(jobs), "converted to OpenVINO")
