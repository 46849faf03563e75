"""The models AlbumStudio knows, read from ``resources/models.json`` (the only place an id is written).

Each entry has a role (what it is for), an id (a Hugging Face repository or a bundled name), a
pinned revision (a commit; ``None``: the newest snapshot in the user's cache), the hashes of
files at that revision where they could be cited (``hashes``: a name → ``sha256`` for weights,
``git_sha1`` for small files, and ``size``; ``pin_source`` says where they come from), its size,
its licence and whether that licence allows commercial use. :func:`default_model` answers "which model plays
this role" for every caller, so changing a default is one line of data.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

ROLES = ("sd15", "controlnet-canny", "controlnet-seg", "controlnet-qr", "lcm-lora", "captioner",
         "segmenter", "musicgen", "tagger", "music-captioner", "music-captioner-text",
         "caption-summarizer", "upscaler")
ROLE_NAMES = {"sd15": "the Stable Diffusion model", "controlnet-canny": "the canny ControlNet",
              "controlnet-seg": "the seg ControlNet", "controlnet-qr": "the QR ControlNet",
              "lcm-lora": "the LCM-LoRA", "captioner": "the captioning model",
              "segmenter": "the segmentation model", "musicgen": "MusicGen",
              "tagger": "the music tagger",
              "music-captioner": "the music captioning model (LP-MusicCaps)",
              "music-captioner-text": "the tokenizer of LP-MusicCaps (BART base)",
              "caption-summarizer": "the caption summariser (BART large CNN)",
              "upscaler": "the super-resolution model (Swin2SR)"}


def find_model(role_or_id: str) -> ModelEntry | None:
    """The entry named by its id, or the default model of a role (None when neither)."""
    entry = model_entry(role_or_id)
    if entry is not None:
        return entry
    return next((e for e in models() if e.role == role_or_id and e.default), None)


def role_name(role: str) -> str:
    """How a sentence names the model of ``role`` ("the Stable Diffusion model")."""
    return ROLE_NAMES.get(role, "the model")


DEFAULT_FILES = ("*.json", "*.safetensors", "*.txt", "*.model", "!*.fp16.safetensors")
HASH_KINDS = {"sha256": re.compile(r"^[0-9a-f]{64}$"), "git_sha1": re.compile(r"^[0-9a-f]{40}$")}
COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class FileHash:
    """A file's hash as the registry pins it: ``kind`` sha256 (weights, the hub's LFS oid) or
    git_sha1 (the git blob id of a small file), and its size in bytes."""

    name: str
    kind: str
    value: str
    size: int


@dataclass(frozen=True)
class ModelEntry:
    role: str
    id: str
    default: bool
    revision: str | None
    size_mb: int
    license: str
    commercial_use: bool
    purpose: str
    url: str
    bundled: bool = False
    files: tuple[str, ...] = ()  # what the app needs: a name (must exist), a glob, "!glob" (not)
    note: str = ""
    hashes: tuple[FileHash, ...] = ()  # files at ``revision`` whose hashes could be cited
    pin_source: str = ""  # where the revision and the hashes were read

    def pinned_hash(self, name: str) -> FileHash | None:
        """The registry's hash of file ``name`` (None: the registry pins none for it)."""
        return next((h for h in self.hashes if h.name == name), None)

    @property
    def downloadable(self) -> bool:
        """A Hugging Face repository the model manager can fetch (not shipped with the app)."""
        return not self.bundled and self.id.count("/") == 1


@functools.cache
def models() -> tuple[ModelEntry, ...]:
    """Every registered model, in the order of the data file."""
    text = resources.files("albumstudio.resources").joinpath("models.json").read_text("utf-8")
    data = json.loads(text)
    entries = tuple(ModelEntry(
        role=str(m["role"]), id=str(m["id"]), default=bool(m.get("default", False)),
        revision=m.get("revision"), size_mb=int(m.get("size_mb", 0)), license=str(m["license"]),
        commercial_use=bool(m.get("commercial_use", False)), purpose=str(m.get("purpose", "")),
        url=str(m.get("url", "")), bundled=bool(m.get("bundled", False)),
        files=tuple(str(f) for f in m.get("files", DEFAULT_FILES)), note=str(m.get("note", "")),
        hashes=_hashes(m), pin_source=str(m.get("pin_source", "")),
    ) for m in data["models"])
    unknown = {e.role for e in entries} - set(ROLES)
    if unknown:
        raise ValueError(f"models.json names unknown roles: {sorted(unknown)}")
    return entries


def _hashes(m: dict[str, object]) -> tuple[FileHash, ...]:
    """The entry's pinned file hashes, checked: a pin needs a commit to belong to."""
    given = m.get("hashes") or {}
    revision = m.get("revision")
    if not isinstance(given, dict):
        raise ValueError(f"models.json: the hashes of {m.get('id')} are not a mapping")
    if revision not in (None, "bundled") and not COMMIT.match(str(revision)):
        raise ValueError(f"models.json: the revision of {m.get('id')} is not a commit")
    if given and revision is None:
        raise ValueError(f"models.json: {m.get('id')} pins file hashes without a revision")
    out = []
    for name, spec in given.items():
        kinds = [k for k in HASH_KINDS if isinstance(spec, dict) and k in spec]
        if len(kinds) != 1 or not HASH_KINDS[kinds[0]].match(str(spec[kinds[0]])) \
                or not isinstance(spec.get("size"), int):
            raise ValueError(f"models.json: the hash of {m.get('id')}'s {name} is not one "
                             "sha256 or git_sha1 with its size")
        out.append(FileHash(str(name), kinds[0], str(spec[kinds[0]]), int(spec["size"])))
    return tuple(out)


_LOCAL_FOLDERS: dict[str, str] = {}


def use_local_folders(folders: dict[str, str]) -> None:
    """The folders the artist chose per role in the model manager (read from the data folder
    when the app starts, and each time one is chosen): :func:`default_model` answers with them."""
    _LOCAL_FOLDERS.clear()
    _LOCAL_FOLDERS.update({role: folder for role, folder in folders.items() if role in ROLES})


def default_model(role: str) -> str:
    """The id of the model that plays ``role`` unless the artist chooses another (a local
    folder chosen for the role in the model manager)."""
    chosen = _LOCAL_FOLDERS.get(role)
    if chosen:
        return chosen
    for entry in models():
        if entry.role == role and entry.default:
            return entry.id
    raise KeyError(f"no default model for role {role!r}")


def model_with(role: str, word: str) -> str:
    """The id of the ``role`` model whose id names ``word`` (``model_with("musicgen",
    "melody")``), so no source file spells an id; KeyError when there is none."""
    for entry in models_for(role):
        if word in entry.id:
            return entry.id
    raise KeyError(f"no {role} model named {word!r}")


def models_for(role: str) -> tuple[ModelEntry, ...]:
    return tuple(e for e in models() if e.role == role)


def model_entry(model_id: str) -> ModelEntry | None:
    """The registry entry for ``model_id``, or None for a model the app does not list (a local
    folder, another hub id)."""
    return next((e for e in models() if e.id == model_id), None)


def revision_of(model_id: str) -> str | None:
    entry = model_entry(model_id)
    return entry.revision if entry is not None else None
