"""Atomic file writes and content hashes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

HASH_CHUNK = 1 << 20


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write to a temporary name beside ``path`` and move it into place, so a crash never leaves half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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
