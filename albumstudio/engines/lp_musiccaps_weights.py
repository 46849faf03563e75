"""The LP-MusicCaps checkpoint, made safe: read the authors' ``transfer.pth`` once without
unpickling code, write its weights as safetensors, and load only those afterwards.

``torch.load(path, map_location="cpu", weights_only=True)`` accepts tensors, numbers, strings
and containers only; a checkpoint that would need any other class (that is, one that could run
code while loading) is refused with one sentence. The converted file is written to a temporary
name and renamed, so a half-written file never takes the place of a good one.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from albumstudio.core.errors import InputError

FORMAT = "albumstudio-lp-musiccaps"
FORMAT_VERSION = "1"
# tied to bart.model.shared.weight: a state dict may or may not list them
TIED_KEYS = frozenset({"bart.model.encoder.embed_tokens.weight",
                       "bart.model.decoder.embed_tokens.weight", "bart.lm_head.weight"})
# what torch's weights-only unpickler says of a class or function it will not import
_NEEDS_CODE = ("Unsupported global", "GLOBAL", "not an allowed global", "Unsupported class",
               "REDUCE", "BUILD")


class UnsafeCheckpointError(InputError):
    """A checkpoint that cannot be read without running code from it."""


class CheckpointMismatchError(InputError):
    """A checkpoint whose weights are not LP-MusicCaps' weights."""


def check_keys(expected: set[str], found: set[str]) -> None:
    """Raise CheckpointMismatchError unless ``found`` names exactly the model's weights."""
    missing = sorted(expected - found - TIED_KEYS)
    unexpected = sorted(found - expected)
    if missing or unexpected:
        example = (missing or unexpected)[0]
        raise CheckpointMismatchError(
            f"This checkpoint is not LP-MusicCaps' (it {'lacks' if missing else 'has an unknown'}"
            f" weight '{example}' and {len(missing) + len(unexpected) - 1} other differences): "
            "download it again with `albumstudio models download music-captioner`.")


def state_dict_of(loaded: Any) -> dict[str, Any]:
    """The model weights in what ``torch.load`` returned (the authors save
    ``{"epoch", "state_dict", "optimizer"}``; DistributedDataParallel adds ``module.``)."""
    import torch

    state = loaded.get("state_dict", loaded) if isinstance(loaded, Mapping) else None
    if not isinstance(state, Mapping) or not state:
        raise CheckpointMismatchError("This checkpoint holds no model weights: download "
                                      "it again with `albumstudio models download music-captioner`.")
    tensors: dict[str, Any] = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            continue
        name = str(key)
        tensors[name[len("module."):] if name.startswith("module.") else name] = value
    return tensors


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The state dict of a pickled torch checkpoint, read with ``weights_only=True``."""
    import torch

    source = Path(path)
    try:
        loaded = torch.load(source, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, AttributeError, ModuleNotFoundError, TypeError) as exc:
        if not any(word in str(exc) for word in _NEEDS_CODE):
            raise InputError(f"The checkpoint {source.name} is damaged or cut short: download "
                             "it again.") from exc
        raise UnsafeCheckpointError(
            f"The checkpoint {source.name} needs code of its own to load (it is not plain "
            "weights), so AlbumStudio refuses to open it.") from exc
    except (EOFError, RuntimeError, ValueError, OSError, IndexError, KeyError) as exc:
        raise InputError(f"The checkpoint {source.name} is damaged or cut short: download it "
                         "again.") from exc
    return state_dict_of(loaded)


def convert_checkpoint(source: str | Path, target: str | Path,
                       config_overrides: dict[str, Any] | None = None) -> Path:
    """Write ``source``'s weights to ``target`` (.safetensors), checked against the model's
    own parameter names; returns ``target``. ``config_overrides``: a smaller BART (tests)."""
    from safetensors.torch import save_file

    from albumstudio.engines.lp_musiccaps import bart_config, build_model

    state = read_checkpoint(source)
    model = build_model(bart_config(config_overrides))
    check_keys(set(model.state_dict()), set(state))
    del model
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()
               if k not in TIED_KEYS or k == "bart.lm_head.weight" and
               "bart.model.shared.weight" not in state}
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.partial")
    try:
        save_file(tensors, str(temp), metadata={
            "format": FORMAT, "version": FORMAT_VERSION, "source": Path(source).name,
            "source_bytes": str(Path(source).stat().st_size),
            "bart_overrides": json.dumps(config_overrides or {}, sort_keys=True)})
        os.replace(temp, out)
    finally:
        if temp.exists():
            temp.unlink()
    return out


def converted_metadata(path: str | Path) -> dict[str, str] | None:
    """The metadata of a complete safetensors file written by :func:`convert_checkpoint`,
    or None for any other file (read from the header: no torch is imported)."""
    from albumstudio.engines.models import safetensors_header

    header = safetensors_header(Path(path))
    metadata = header.get("__metadata__") if header is not None else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        return None
    return {str(k): str(v) for k, v in metadata.items()}


def is_converted(path: str | Path, source: str | Path | None = None) -> bool:
    """True for a converted file (made from ``source`` as it is now, when given)."""
    metadata = converted_metadata(path)
    if metadata is None:
        return False
    if source is None:
        return True
    origin = Path(source)
    return (metadata.get("source") == origin.name
            and metadata.get("source_bytes") == str(origin.stat().st_size))


def bart_overrides(path: str | Path) -> dict[str, object]:
    """The BART hyper-parameters a converted file was made with, beyond bart-base's."""
    metadata = converted_metadata(path) or {}
    loaded = json.loads(metadata.get("bart_overrides") or "{}")
    return loaded if isinstance(loaded, dict) else {}
