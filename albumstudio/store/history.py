"""The history of everything generated: an SQLite index plus content-addressed files.

Each entry records what was made (kind "cover" for now; posters and clips later), the request
that made it as JSON (so it can be re-run exactly), the seed, and the BLAKE2b hash of its
file, which lives once under ``history/files/ab/abcdef….png`` however often it is referenced.
The schema carries a version and migrates forward; a database from a newer AlbumStudio is left
untouched and reported in one sentence.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from albumstudio.core.errors import UserFacingError
from albumstudio.store.files import atomic_write_bytes

SCHEMA_VERSION = 1
THUMB_SIDE = 96

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        created REAL NOT NULL,
        file_hash TEXT NOT NULL,
        file_ext TEXT NOT NULL,
        width INTEGER NOT NULL DEFAULT 0,
        height INTEGER NOT NULL DEFAULT 0,
        seed INTEGER NOT NULL DEFAULT 0,
        engine TEXT NOT NULL DEFAULT '',
        track_hash TEXT NOT NULL DEFAULT '',
        request_json TEXT NOT NULL DEFAULT '{}',
        notes TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX items_created ON items(created);
    CREATE INDEX items_track ON items(track_hash);
    """,
}


@dataclass(frozen=True)
class HistoryItem:
    id: int
    kind: str
    created: float
    file_hash: str
    file_ext: str
    width: int
    height: int
    seed: int
    engine: str
    track_hash: str
    request: dict[str, object]
    notes: str
    path: Path

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


class HistoryStore:
    """Thread-safe: one connection guarded by a lock (workers add, the UI lists)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.files = self.folder / "files"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.folder / "history.sqlite3"
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(self.db_path), check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise UserFacingError(
                f"The history database could not be opened ({exc}); AlbumStudio left it as it "
                f"is at {self.db_path}, move it aside to start a new history."
            ) from exc

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"it was written by a newer AlbumStudio (schema {version})")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            with self._db:
                self._db.executescript(_MIGRATIONS[step])
                self._db.execute(f"PRAGMA user_version = {step}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def file_path(self, file_hash: str, ext: str) -> Path:
        return self.files / file_hash[:2] / f"{file_hash}{ext}"

    def add(self, kind: str, data: bytes, ext: str, *, width: int = 0, height: int = 0,
            seed: int = 0, engine: str = "", track_hash: str = "",
            request: dict[str, object] | None = None, notes: str = "") -> HistoryItem:
        """Store ``data`` by content hash (once) and index it; returns the new entry."""
        file_hash = hashlib.blake2b(data, digest_size=20).hexdigest()
        path = self.file_path(file_hash, ext)
        if not path.exists():
            atomic_write_bytes(path, data)
        created = time.time()
        request_json = json.dumps(request or {}, ensure_ascii=False, sort_keys=True)
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO items (kind, created, file_hash, file_ext, width, height, seed, "
                "engine, track_hash, request_json, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (kind, created, file_hash, ext, width, height, seed, engine, track_hash,
                 request_json, notes),
            )
            item_id = int(cursor.lastrowid or 0)
        return HistoryItem(item_id, kind, created, file_hash, ext, width, height, seed, engine,
                           track_hash, request or {}, notes, path)

    def items(self, kind: str | None = None, limit: int = 200) -> list[HistoryItem]:
        """Newest first; entries whose file has gone missing are skipped."""
        query = ("SELECT id, kind, created, file_hash, file_ext, width, height, seed, engine, "
                 "track_hash, request_json, notes FROM items")
        args: tuple[object, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            args = (kind,)
        query += " ORDER BY created DESC, id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(query, (*args, int(limit))).fetchall()
        out = []
        for row in rows:
            path = self.file_path(row[3], row[4])
            if not path.exists():
                continue
            try:
                request = json.loads(row[10])
            except ValueError:
                request = {}
            out.append(HistoryItem(int(row[0]), row[1], float(row[2]), row[3], row[4],
                                   int(row[5]), int(row[6]), int(row[7]), row[8], row[9],
                                   request, row[11], path))
        return out

    def thumbnail(self, item: HistoryItem, side: int = THUMB_SIDE) -> bytes:
        """A small PNG of the item (made once, then read from ``thumbs/``)."""
        path = self.folder / "thumbs" / f"{item.file_hash}-{side}.png"
        try:
            return path.read_bytes()
        except OSError:
            pass
        from PIL import Image

        with Image.open(item.path) as img:
            img.draft("RGB", (side, side))
            small = img.convert("RGB")
            small.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, "PNG")
        data = out.getvalue()
        atomic_write_bytes(path, data)
        return data

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0])
