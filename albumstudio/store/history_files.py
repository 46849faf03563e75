"""The history folder's files outside the database: stray files swept away on open, and a
damaged database moved aside with its files.

A write that is killed leaves either a temporary file (``.albumstudio-…``, the atomic write had
not finished) or a content file that no committed entry names (the file was written, the row
was not). Both are removed on the next open, but only once they are older than a grace period:
another AlbumStudio on the same folder may be between writing a file and committing its row.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from albumstudio.store.files import TEMP_PREFIX

SWEEP_GRACE_S = 15 * 60.0


@dataclass(frozen=True)
class Swept:
    """What an open removed: temporary files, and content files no entry names."""

    temporaries: int = 0
    unreferenced: int = 0
    thumbnails: int = 0


def _files_below(folder: Path) -> Iterator[os.DirEntry[str]]:
    try:
        subfolders = list(os.scandir(folder))
    except OSError:
        return
    for entry in subfolders:
        if entry.is_dir(follow_symlinks=False):
            try:
                yield from (e for e in os.scandir(entry.path) if e.is_file(follow_symlinks=False))
            except OSError:
                continue
        elif entry.is_file(follow_symlinks=False):
            yield entry


def _old(entry: os.DirEntry[str], cutoff: float) -> bool:
    try:
        return entry.stat(follow_symlinks=False).st_mtime <= cutoff
    except OSError:
        return False


def _remove(entry: os.DirEntry[str]) -> bool:
    try:
        os.unlink(entry.path)
    except OSError:
        return False
    return True


def sweep(files: Path, thumbs: Path, referenced: set[str], grace_s: float = SWEEP_GRACE_S,
          now: float | None = None) -> Swept:
    """Remove temporaries, content files whose name (hash + extension) is not in
    ``referenced``, and thumbnails of such files, when older than ``grace_s``. Call it while
    holding the database's write lock, so no entry is committed meanwhile."""
    cutoff = (time.time() if now is None else now) - grace_s
    temporaries = unreferenced = thumbnails = 0
    for entry in _files_below(files):
        if entry.name.startswith(TEMP_PREFIX):
            if _old(entry, cutoff) and _remove(entry):
                temporaries += 1
        elif entry.name not in referenced and _old(entry, cutoff) and _remove(entry):
            unreferenced += 1
    hashes = {name.partition(".")[0] for name in referenced}
    for entry in _files_below(thumbs):
        if entry.name.startswith(TEMP_PREFIX):
            if _old(entry, cutoff) and _remove(entry):
                temporaries += 1
        elif entry.name.partition("-")[0] not in hashes and _old(entry, cutoff) \
                and _remove(entry):
            thumbnails += 1
    return Swept(temporaries, unreferenced, thumbnails)


def stray_files(files: Path, referenced: set[str]) -> list[Path]:
    """Temporaries and unreferenced content files (whatever their age), for checks and tests."""
    return [Path(e.path) for e in _files_below(files)
            if e.name.startswith(TEMP_PREFIX) or e.name not in referenced]


def move_aside(db_path: Path, files: Path, now: float | None = None) -> Path:
    """Rename a damaged database (with its WAL and shared-memory files) and its content files
    to ``….damaged-YYYYMMDD-HHMMSS``, so a new history can start and nothing is lost; the new
    name of the database."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    suffix = f".damaged-{stamp}"
    n = 1
    while db_path.with_name(db_path.name + suffix).exists():
        n += 1
        suffix = f".damaged-{stamp}-{n}"
    kept = db_path.with_name(db_path.name + suffix)
    os.replace(db_path, kept)
    for extra in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + extra)
        if side.exists():
            os.replace(side, db_path.with_name(db_path.name + suffix + extra))
    if files.is_dir():
        os.replace(files, files.with_name(files.name + suffix))
    return kept
