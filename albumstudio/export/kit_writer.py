"""Writing a release kit folder whole or not at all.

Everything goes into a hidden temporary folder beside the target (``.albumstudio-kit-…``):
the cover files, posters, clips, tagged track copies and last ``release.json`` (every file,
its SHA-256 and its provenance). Only then is the folder renamed into place, as
"Artist - Title" or, when that is taken, "Artist - Title (2)". A read-only folder, a full
disk or any other failure removes the temporary folder and, for storage faults, says so in
one sentence; nothing half-written is left and nothing is overwritten.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from albumstudio.core.errors import InputError
from albumstudio.core.text import display_name
from albumstudio.export.safe_names import inside, safe_component, unused_path
from albumstudio.export.track_tags import ReleaseFields, tagged_copy
from albumstudio.store.files import TEMP_PREFIX, UMASK
from albumstudio.store.storage import is_storage_fault, storage_error

MANIFEST = "release.json"
KIT_FORMAT = "albumstudio-release-kit"
KIT_TEMP_PREFIX = f"{TEMP_PREFIX}kit-"
Step = Callable[[str, float], None]  # (what is being written, fraction of the writing done)


@dataclass(frozen=True)
class KitEntry:
    """One file of the kit: ``path`` inside it ("cover.jpg", "clips/x.m4a"); either ``data``
    or a ``track`` to copy with ``cover`` and ``fields`` embedded in its tags."""

    path: str
    role: str  # cover | cover-master | poster | clip | track
    data: bytes | None = None
    track: str | None = None
    cover: bytes = b""
    fields: ReleaseFields = field(default_factory=ReleaseFields)
    provenance: str = ""  # a key of the manifest's "provenance" (the job that made it)


def check_out_folder(out: str | os.PathLike[str]) -> Path:
    """The folder the kit goes into; InputError when it is not an existing folder."""
    folder = Path(out)
    name = display_name(str(folder))
    if folder.exists() and not folder.is_dir():
        raise InputError(f"'{name}' is a file, not a folder; give the folder the kit goes in.")
    if not folder.is_dir():
        raise InputError(f"The folder '{name}' does not exist; create it or choose another.")
    return folder


def safe_entry_path(root: Path, path: str) -> Path:
    """``path`` (with '/' between folders) under ``root``, each part a safe name."""
    target = root
    for part in path.split("/"):
        target = inside(target, safe_component(part))
    return target


def _new_temp_folder(out: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=KIT_TEMP_PREFIX, suffix=".tmp", dir=out))
    os.chmod(folder, 0o777 & ~UMASK)  # the kit gets a new folder's usual permissions
    return folder


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _move_into_place(temp: Path, wanted: Path) -> Path:
    for _attempt in range(20):
        target = unused_path(wanted)
        try:
            os.rename(temp, target)  # fails on a non-empty folder made meanwhile
            return target
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    raise InputError(f"Could not find a free name beside '{display_name(str(wanted))}'.")


def write_kit(out: str | os.PathLike[str], folder_name: str, entries: Sequence[KitEntry],
              manifest: dict[str, Any], step: Step | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the kit into ``out``/``folder_name`` (or "… (2)"); the folder and the manifest
    as written. InputError/StorageError (one sentence) with nothing left behind on failure."""
    folder = check_out_folder(out)
    wanted = folder / safe_component(folder_name, fallback="Release")
    temp: Path | None = None
    try:
        temp = _new_temp_folder(folder)
        files = []
        for i, entry in enumerate(entries):
            if step is not None:
                step(entry.path, i / max(1, len(entries)))
            target = safe_entry_path(temp, entry.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            if entry.track is not None:
                tagged_copy(entry.track, target, entry.cover, entry.fields)
            elif entry.data is not None:
                _write_bytes(target, entry.data)
            else:
                raise ValueError(f"kit entry {entry.path} has neither data nor a track")
            files.append({"path": target.relative_to(temp).as_posix(), "role": entry.role,
                          "bytes": target.stat().st_size, "sha256": _sha256(target),
                          "provenance": entry.provenance})
        written = {**manifest, "format": KIT_FORMAT, "files": files}
        if step is not None:
            step(MANIFEST, 1.0)
        _write_bytes(temp / MANIFEST, json.dumps(written, indent=2, ensure_ascii=False)
                     .encode("utf-8") + b"\n")
        placed = _move_into_place(temp, wanted)
        temp = None
        return placed, written
    except OSError as exc:
        if is_storage_fault(exc):
            raise storage_error(exc, wanted) from None
        raise
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
