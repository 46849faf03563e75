"""Atomic file writes and content hashes."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Protocol

HASH_CHUNK = 1 << 20


def _read_umask() -> int:
    """The process's umask (read once, at import, while nothing else runs)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()


TEMP_PREFIX = ".albumstudio-"  # short, so a 255-byte file name still has a temporary name


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, replace: bool = True) -> None:
    """Write to a temporary name beside ``path`` and move it into place, so a crash never leaves
    half a file. The file gets the permissions any new file gets (the user's umask), or keeps
    those of the file it replaces, not the private mode of the temporary file.

    With ``replace=False`` an existing file is never replaced, even by a write racing this one:
    the temporary file is linked to ``path`` (which fails if ``path`` exists, FileExistsError)
    rather than renamed over it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~UMASK
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=target.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)  # atomic, and refuses an existing name
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


TEMP_GRACE_S = 15 * 60.0  # a temporary this young may belong to a write still under way


def sweep_temporaries(folder: str | os.PathLike[str], grace_s: float = TEMP_GRACE_S,
                      now: float | None = None, depth: int = 5) -> int:
    """Remove our temporary files (``.albumstudio-*.tmp``, left by a process killed while it
    wrote) under ``folder``, down to ``depth`` levels, when older than ``grace_s``: a second
    AlbumStudio writing at this moment is not disturbed. Returns how many went."""
    cutoff = (time.time() if now is None else now) - grace_s
    removed = 0
    pending = [(os.fspath(folder), 0)]
    while pending:
        where, level = pending.pop()
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if level + 1 < depth:
                        pending.append((entry.path, level + 1))
                elif entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(".tmp") \
                        and entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                continue
    return removed


class ByteReader(Protocol):
    """What ``hash_stream`` reads from: a binary file or anything with its ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


def hash_stream(handle: ByteReader) -> str:
    """BLAKE2b-160 of everything readable from ``handle`` (read in 1 MiB chunks)."""
    digest = hashlib.blake2b(digest_size=20)
    while chunk := handle.read(HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def hash_file(path: str | os.PathLike[str]) -> str:
    with open(path, "rb") as handle:
        return hash_stream(handle)
