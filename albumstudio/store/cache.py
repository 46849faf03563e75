"""A content-addressed cache: one file per (kind, content hash), written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from albumstudio.store.files import atomic_write_bytes
from albumstudio.store.storage import note_unwritable


class ContentCache:
    """Stores derived data (peaks, analysis) keyed by the source file's content hash."""

    def __init__(self, folder: str | os.PathLike[str], suffix: str) -> None:
        self.folder = Path(folder)
        self.suffix = suffix

    def path_for(self, key: str) -> Path:
        if not key or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("cache keys are lowercase hex digests")
        return self.folder / key[:2] / f"{key}{self.suffix}"

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self.path_for(key).read_bytes()
        except OSError:
            return None

    def put_bytes(self, key: str, data: bytes) -> None:
        """Keep ``data`` for next time; a folder that cannot be written (read-only, full) only
        means it is not kept: one warning is noted (store.storage) and nothing is raised."""
        try:
            atomic_write_bytes(self.path_for(key), data)
        except OSError as exc:
            note_unwritable(self.folder, exc, "the cache folder",
                            "results are used but not kept for next time")

    def get_json(self, key: str) -> dict[str, Any] | None:
        raw = self.get_bytes(key)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            return None
        return value if isinstance(value, dict) else None

    def put_json(self, key: str, value: dict[str, Any]) -> None:
        self.put_bytes(key, json.dumps(value).encode())

    def discard(self, key: str) -> None:
        try:
            self.path_for(key).unlink()
        except OSError:
            pass
