"""The SD 1.5 pipeline on OpenVINO: the same diffusers pipeline class and scheduler loop as the
PyTorch path, with the text encoder, UNet, ControlNets and VAE decoder run by OpenVINO.

:class:`OpenVinoPipelineCache` converts what is missing once (:mod:`openvino_convert`: loading
the PyTorch pipeline through the app's own loader, fusing the LoRAs, converting each part),
then builds the pipeline from the converted parts, the tokenizer, the scheduler config and the
PyTorch VAE (its encoder serves img2img; its decoder is replaced). It keeps the built pipeline
until the model, ControlNets, LoRAs or precision change.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from albumstudio.core.errors import ModelMissingError
from albumstudio.engines.models import cached_folder, load_pretrained
from albumstudio.engines.openvino_convert import (
    IrStore,
    PartKey,
    convert_parts,
    part_key,
    require_openvino,
    shared_core,
)
from albumstudio.engines.pipelines import (
    SCHEDULER_CLASSES,
    Adapter,
    PipelineCache,
    PipelineSpec,
    pipeline_class,
)

ConvertProgress = Callable[[int, int, str], None]


def default_root() -> Path:
    """Where converted models live: the ``openvino`` folder in the app's model folder."""
    from albumstudio.store.paths import default_paths

    return default_paths().models / "openvino"


def touches_text_encoder(adapter: Adapter) -> bool:
    """True when the LoRA file has text-encoder weights (the LCM-LoRA has UNet weights only)."""
    from safetensors import safe_open

    with safe_open(str(adapter.path), framework="np") as handle:
        return any(key.startswith(("text_encoder", "lora_te")) for key in handle.keys())


def part_keys(spec: PipelineSpec, adapters: tuple[Adapter, ...]) -> list[PartKey]:
    """The parts ``spec`` needs, LoRAs fused into the text encoder and UNet, ControlNets last."""
    text_adapters = tuple(a for a in adapters if touches_text_encoder(a))
    keys = [part_key("text_encoder", spec.model, text_adapters),
            part_key("unet", spec.model, adapters),
            part_key("vae_decoder", spec.model)]
    return keys + [part_key("controlnet", path) for _kind, path in spec.controlnets]


class OpenVinoPipelineCache:
    """Converts once, then builds and keeps one OpenVINO-backed pipeline."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.store = IrStore(self.root)
        self.pipeline: Any = None
        self.converted: list[str] = []  # the parts the last get() had to convert
        self._identity: tuple[Any, ...] | None = None
        self._parts: dict[tuple[str, str], Any] = {}
        self._scheduler_config: Any = None
        self._unet: Any = None

    def get(self, spec: PipelineSpec, adapters: tuple[Adapter, ...], precision: str = "auto",
            progress: ConvertProgress | None = None,
            cancel: threading.Event | None = None) -> Any:
        """The pipeline for ``spec`` with ``adapters`` fused, converting what is missing."""
        require_openvino()
        keys = part_keys(spec, adapters)
        identity = (spec, tuple(keys), precision)
        if identity == self._identity and self.pipeline is not None:
            self.converted = []
            return self.pipeline
        missing = [k for k in keys if not self.store.ready(k)]
        self.converted = [k.part for k in missing]
        if missing:
            self._convert(spec, adapters, missing, progress, cancel)
        self.pipeline = self._build(spec, keys, precision)
        self._identity = identity
        return self.pipeline

    def set_scheduler(self, name: str) -> None:
        """As :meth:`PipelineCache.set_scheduler`: a scheduler of kind ``name`` from the model's
        own scheduler config, so both backends step identically."""
        import diffusers

        scheduler_class = getattr(diffusers, SCHEDULER_CLASSES[name])
        if type(self.pipeline.scheduler) is not scheduler_class:
            self.pipeline.scheduler = scheduler_class.from_config(self._scheduler_config)

    @property
    def precision_used(self) -> str:
        """The precision the UNet ran in ("bf16", "f32"), once it has run."""
        return self._unet.precision_used if self._unet is not None else ""

    def unload(self) -> None:
        """Drop the pipeline and the compiled models."""
        self.pipeline = self._identity = self._scheduler_config = None
        self._parts = {}
        self._unet = None
        gc.collect()

    def _convert(self, spec: PipelineSpec, adapters: tuple[Adapter, ...], missing: list[PartKey],
                 progress: ConvertProgress | None, cancel: threading.Event | None) -> None:
        torch_spec = PipelineSpec(model=spec.model, controlnets=spec.controlnets, device="cpu",
                                  dtype_name="float32")
        loader = PipelineCache()
        loaded: dict[str, Any] = {}

        def pipeline() -> Any:
            if "pipe" not in loaded:
                if progress is not None:
                    progress(0, len(missing), "loading the model to convert it to OpenVINO…")
                pipe = loader.get(torch_spec, "full")
                loader.set_adapters(adapters)
                if adapters:
                    pipe.fuse_lora(components=["unet", "text_encoder"],
                                   adapter_names=[a.name for a in adapters])
                    pipe.unload_lora_weights()
                loaded["pipe"] = pipe
            return loaded["pipe"]

        def controlnet(path: str) -> Any:
            nets = getattr(pipeline().controlnet, "nets", None) or [pipeline().controlnet]
            index = [p for _kind, p in spec.controlnets].index(path)
            return nets[index]

        by_folder = {part_key("controlnet", path).digest: path for _k, path in spec.controlnets}
        getters: dict[str, Callable[[PartKey], Any]] = {  # each part's loaded module
            "text_encoder": lambda _k: pipeline().text_encoder,
            "unet": lambda _k: pipeline().unet,
            "vae_decoder": lambda _k: pipeline().vae,
            "controlnet": lambda k: controlnet(by_folder[k.digest]),
        }
        jobs: list[tuple[PartKey, Callable[[], Any]]] = [
            (key, partial(getters[key.part], key)) for key in missing]
        try:
            convert_parts(self.store, jobs, progress, cancel)
        finally:
            loader.unload()
            loaded.clear()
            gc.collect()

    def _part(self, key: PartKey, precision: str) -> Any:
        from albumstudio.engines.openvino_modules import CompiledPart

        found = self._parts.get((key.digest, precision))
        if found is None:
            found = CompiledPart(shared_core(), self.store.path(key), precision,
                                 self.root / "compiled")
            self._parts[(key.digest, precision)] = found
        return found

    def _build(self, spec: PipelineSpec, keys: list[PartKey], precision: str) -> Any:
        import diffusers
        from diffusers.configuration_utils import FrozenDict
        from transformers import CLIPTokenizer

        from albumstudio.engines import openvino_modules as ov

        self._parts = {k: v for k, v in self._parts.items()
                       if k[0] in {key.digest for key in keys}}
        text_key, unet_key, vae_key, *net_keys = keys
        folder = cached_folder(spec.model)
        if folder is None:
            raise ModelMissingError(f"The Stable Diffusion model ({spec.model}) is not installed.")
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
        scheduler_class = getattr(diffusers, index.get("scheduler", ["", "DDIMScheduler"])[1],
                                  diffusers.DDIMScheduler)
        scheduler = load_pretrained(scheduler_class, spec.model, "the Stable Diffusion model",
                                    subfolder="scheduler")
        self._scheduler_config = scheduler.config
        tokenizer = CLIPTokenizer.from_pretrained(str(folder), subfolder="tokenizer",
                                                  local_files_only=True)
        vae = load_pretrained(diffusers.AutoencoderKL, spec.model, "the Stable Diffusion model",
                              subfolder="vae")
        vae.decode = ov.decode_with(self._part(vae_key, precision))
        self._unet = self._part(unet_key, precision)
        parts: dict[str, Any] = {
            # f32 always: cheap, and bf16 turns CLIP's causal mask into NaNs
            "text_encoder": ov.OpenVinoTextEncoder(self._part(text_key, "f32"),
                                                   SimpleNamespace(**self.store.config(text_key))),
            "unet": ov.OpenVinoUNet(self._unet,
                                    FrozenDict(self.store.config(unet_key))),  # type: ignore[no-untyped-call]
        }
        nets = [ov.OpenVinoControlNet(self._part(k, precision),
                                      FrozenDict(self.store.config(k)))  # type: ignore[no-untyped-call]
                for k in net_keys]
        if nets:
            parts["controlnet"] = nets[0] if len(nets) == 1 else nets
        pipe = pipeline_class(bool(nets), spec.img2img)(
            vae=vae, tokenizer=tokenizer, scheduler=scheduler, safety_checker=None,
            feature_extractor=None, requires_safety_checker=False, **parts)
        pipe.set_progress_bar_config(disable=True)
        return pipe
