"""The one place that loads pretrained weights (the models themselves are listed in
``resources/models.json``, read by :mod:`albumstudio.core.model_registry`).

Every load goes through :func:`load_pretrained`: local files only (the app never downloads
implicitly), safetensors only (no pickle), and every failure becomes one plain sentence.
torch, diffusers and transformers are never imported here.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from albumstudio.core.errors import InputError, ModelMissingError

CONFIG_NAMES = ("model_index.json", "config.json")
MAX_HEADER_BYTES = 100_000_000  # the safetensors format caps its header at 100 MB
UNSAFE_WEIGHT_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl")


def _sentence(text: str) -> str:
    """``text`` starting a sentence (only the first letter raised: "The Stable Diffusion model")."""
    return text[:1].upper() + text[1:]


def _looks_like_hub_id(id_or_path: str) -> bool:
    return (id_or_path.count("/") == 1 and not id_or_path.startswith((".", "~", "/"))
            and "\\" not in id_or_path and ":" not in id_or_path)


def cached_folder(id_or_path: str, subfolder: str | None = None) -> Path | None:
    """The local folder holding ``id_or_path`` (a local folder or a hub-cache snapshot), or None."""
    path = Path(os.path.expanduser(id_or_path))
    if path.exists():
        return path / subfolder if subfolder else path
    if not _looks_like_hub_id(id_or_path):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub ships with diffusers
        return None
    for name in CONFIG_NAMES:
        filename = f"{subfolder}/{name}" if subfolder else name
        try:
            found = try_to_load_from_cache(id_or_path, filename)
        except Exception:  # noqa: BLE001 - an invalid repo id is simply "not cached"
            return None
        if isinstance(found, str):
            return Path(found).parent
    return None


def is_installed(id_or_path: str) -> bool:
    """True when a local folder or the hub cache holds the model's config."""
    path = Path(os.path.expanduser(id_or_path))
    if path.is_file():
        return path.suffix == ".safetensors"
    if path.is_dir():
        return any((path / name).is_file() for name in CONFIG_NAMES)
    return cached_folder(id_or_path) is not None


def safetensors_header(path: Path) -> dict[str, Any] | None:
    """The header of a complete safetensors file (its ``__metadata__`` included), read without
    torch; None when it does not parse or the file's size does not match its tensors."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            raw = handle.read(8)
            if len(raw) < 8:
                return None
            header_len = int.from_bytes(raw, "little")
            if header_len <= 0 or header_len > MAX_HEADER_BYTES or 8 + header_len > size:
                return None
            header = json.loads(handle.read(header_len))
        if not isinstance(header, dict):
            return None
        ends = [int(info["data_offsets"][1]) for key, info in header.items()
                if key != "__metadata__" and isinstance(info, dict) and "data_offsets" in info]
    except (OSError, ValueError, TypeError, LookupError, RecursionError):  # odd or nested
        return None
    return header if 8 + header_len + max(ends, default=0) == size else None


def safetensors_is_complete(path: Path) -> bool:
    """True when the file's header parses and its size matches the tensors it declares."""
    return safetensors_header(path) is not None


def _weight_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return [folder] if folder.is_file() else []
    return [p for p in folder.rglob("*") if p.is_file()
            and (p.suffix == ".safetensors" or p.suffix in UNSAFE_WEIGHT_SUFFIXES)]


def install_hint(id_or_path: str, local: str = "a local model folder") -> str:
    """What the artist can do when a model is missing: the Models dialog or ``albumstudio
    models download`` for a model the app lists, ``hf download`` for any other hub id."""
    from albumstudio.core.model_registry import model_entry

    if model_entry(id_or_path) is not None:
        return (f"download it once in Help › Models… or with `albumstudio models download "
                f"{id_or_path}` (or `hf download {id_or_path}`; it goes to your Hugging Face "
                f"cache, AlbumStudio then works offline) or choose {local}")
    if _looks_like_hub_id(id_or_path):
        return (f"download it once with `hf download {id_or_path}` (it goes to your Hugging Face "
                f"cache, AlbumStudio then works offline) or choose {local}")
    return f"that path does not exist; choose {local}"


def diagnose(id_or_path: str, what: str, subfolder: str | None = None) -> str | None:
    """One sentence naming what is wrong with the model's files, or None if nothing is found."""
    folder = cached_folder(id_or_path, subfolder)
    if folder is None or not folder.exists():
        return f"{_sentence(what)} ({id_or_path}) is not installed: {install_hint(id_or_path)}."
    weights = _weight_files(folder)
    damaged = [p for p in weights if p.suffix == ".safetensors" and not safetensors_is_complete(p)]
    if damaged:
        return (f"The model file {damaged[0].name} of {what} is incomplete or damaged: "
                "download it again.")
    parts = [folder, *(p for p in folder.iterdir() if p.is_dir() and _weight_files(p))] \
        if folder.is_dir() else [folder]
    if folder.is_dir() and (folder / "model_index.json").is_file() and len(parts) > 1:
        parts = parts[1:]  # a pipeline loads its components' folders; stray root files are unused
    for part in parts:
        own = [p for p in weights if p.parent == part] if part.is_dir() else weights
        if own and all(p.suffix in UNSAFE_WEIGHT_SUFFIXES for p in own):
            return (f"The folder for {what} ({id_or_path}) has only unsafe pickle (.bin) "
                    "weights: convert them to .safetensors or download the safetensors version.")
    if folder.is_dir() and any(not any((part / name).is_file() for name in CONFIG_NAMES)
                               for part in parts):
        return (f"The folder for {what} ({id_or_path}) is missing a config file "
                "(model_index.json or config.json): pass the model's full folder or download "
                "it again.")
    return None


def _message_from_text(text: str, id_or_path: str, what: str) -> str:
    lowered = text.lower()
    if "safetensors" in lowered and ("could not find" in lowered or "no file named" in lowered
                                     or "does not appear" in lowered):
        return (f"The folder for {what} ({id_or_path}) has only unsafe pickle (.bin) weights: "
                "convert them to .safetensors or download the safetensors version.")
    if any(word in lowered for word in ("deserializ", "header", "incomplete", "truncat",
                                        "unexpected end", "metadata")):
        return f"A model file of {what} is incomplete or damaged: download it again."
    if "config" in lowered and ("no file named" in lowered or "does not appear" in lowered):
        return (f"The folder for {what} ({id_or_path}) has no config file: "
                "pass the model's full folder or download it again.")
    return (f"{_sentence(what)} ({id_or_path}) could not be loaded: check the folder "
            "or download it again.")


def prepare_model_environment() -> None:
    """Before diffusers or transformers are imported: never reach the network, and keep their
    progress bars and advice out of the artist's terminal (an explicit setting wins)."""
    import warnings

    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                        ("DIFFUSERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                        ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")):
        os.environ.setdefault(name, value)
    warnings.filterwarnings("ignore", category=UserWarning, module="huggingface_hub")
    warnings.filterwarnings("ignore", category=FutureWarning, module="diffusers")


def quiet_model_libraries() -> None:
    """Keep diffusers' and transformers' progress bars and advice out of the artist's terminal."""
    import sys

    for name in ("diffusers", "transformers"):
        if name in sys.modules:
            logging = importlib.import_module(f"{name}.utils.logging")
            logging.set_verbosity_error()
            logging.disable_progress_bar()


def load_pretrained(cls: Any, id_or_path: str, what: str, **kwargs: Any) -> Any:
    """``cls.from_pretrained`` offline and safetensors-only; failures become one-sentence errors."""
    quiet_model_libraries()
    options: dict[str, Any] = {"local_files_only": True, "use_safetensors": True}
    options.update(kwargs)
    source = os.path.expanduser(id_or_path)
    try:
        return cls.from_pretrained(source, **options)
    except InputError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError, ImportError) as exc:
        if type(exc).__name__ == "OutOfMemoryError":
            raise
        message = diagnose(id_or_path, what, kwargs.get("subfolder")) or _message_from_text(
            str(exc), id_or_path, what)
        raise ModelMissingError(message) from exc
    except Exception as exc:  # safetensors_rust.SafetensorError and other library errors
        if type(exc).__name__ not in ("SafetensorError", "HeaderTooLarge", "HFValidationError",
                                      "EntryNotFoundError", "LocalEntryNotFoundError"):
            raise
        message = diagnose(id_or_path, what, kwargs.get("subfolder")) or _message_from_text(
            str(exc), id_or_path, what)
        raise ModelMissingError(message) from exc


LORA_FILE_NAMES = ("pytorch_lora_weights.safetensors",)


def resolve_lora(id_or_path: str, what: str) -> Path:
    """The local, complete .safetensors file of a LoRA given as a file, a folder or a hub id."""
    path = Path(os.path.expanduser(id_or_path))
    if path.suffix.lower() in UNSAFE_WEIGHT_SUFFIXES:
        raise InputError(f"{_sentence(what)} ({path.name}) is a pickle file that could run "
                         "code: use the .safetensors version of the LoRA instead.")
    found: Path | None = None
    if path.is_file():
        if path.suffix.lower() != ".safetensors":
            raise InputError(f"{_sentence(what)} ({path.name}) is not a .safetensors file: "
                             "choose the LoRA's .safetensors file.")
        found = path
    elif path.is_dir():
        files = sorted(path.glob("*.safetensors"))
        preferred = [p for p in files if p.name in LORA_FILE_NAMES]
        found = next(iter(preferred or files), None)
        if found is None and any(p.suffix in UNSAFE_WEIGHT_SUFFIXES for p in path.iterdir()):
            raise InputError(f"The folder for {what} ({id_or_path}) has only unsafe pickle "
                             "weights: use the .safetensors version of the LoRA instead.")
    elif _looks_like_hub_id(id_or_path):
        from huggingface_hub import try_to_load_from_cache

        for name in LORA_FILE_NAMES:
            cached = try_to_load_from_cache(id_or_path, name)
            if isinstance(cached, str):
                found = Path(cached)
                break
    if found is None:
        raise ModelMissingError(f"{_sentence(what)} ({id_or_path}) is not installed: "
                         f"{install_hint(id_or_path, 'a local .safetensors file')}.")
    if not safetensors_is_complete(found):
        raise ModelMissingError(f"The LoRA file {found.name} of {what} is incomplete or damaged: "
                         "download it again.")
    return found
