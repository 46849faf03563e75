"""The history of everything generated: an SQLite index of job records plus content-addressed files.

Each job (a cover, later posters and clips) is one row of ``jobs``: kind, engine and its version,
the request as JSON with its version (so it can be re-run exactly), status, notes, timings, app
version and the models used. Its outputs (images, audio, PDFs) are rows of ``outputs``; each
file lives once under ``history/files/ab/abcdef….png`` (BLAKE2b-160 of its bytes) however often
it is referenced.

The schema carries a version and migrates forward in place (version 1 kept one row per image in
``items``; every entry is carried over). A database from a newer AlbumStudio, or a damaged one,
is left untouched and reported in one sentence.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from albumstudio.core.errors import UserFacingError
from albumstudio.core.jobs import MEDIA_EXTENSIONS, JobRecord, ModelUse, Note, Output
from albumstudio.store.files import atomic_write_bytes

SCHEMA_VERSION = 2
THUMB_SIDE = 96

_V1 = """
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
"""

_V2 = """
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    engine TEXT NOT NULL,
    engine_version INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    request_json TEXT NOT NULL DEFAULT '{}',
    request_version INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    track_hash TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '',
    app_version TEXT NOT NULL DEFAULT '',
    notes_json TEXT NOT NULL DEFAULT '[]',
    timings_json TEXT NOT NULL DEFAULT '{}',
    models_json TEXT NOT NULL DEFAULT '[]',
    problem TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_created ON jobs(created);
CREATE INDEX jobs_track ON jobs(track_hash);
CREATE TABLE outputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    media TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    file_ext TEXT NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    duration_s REAL NOT NULL DEFAULT 0,
    seed INTEGER,
    notes_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX outputs_job ON outputs(job_id);
"""

_MEDIA_BY_EXT = {ext: media for media, ext in MEDIA_EXTENSIONS.items()}


def _v1_to_v2(db: sqlite3.Connection, files: Callable[[str, str], Path]) -> None:
    """Every version 1 entry (one image each) becomes a finished job with one output; the
    entry's id is kept, so links to it still work."""
    _run_script(db, _V2)
    rows = db.execute("SELECT id, kind, created, file_hash, file_ext, width, height, seed, "
                      "engine, track_hash, request_json, notes FROM items ORDER BY id").fetchall()
    for (item_id, kind, created, file_hash, ext, width, height, seed, engine, track_hash,
         request_json, notes) in rows:
        try:
            request_version = int(json.loads(request_json).get("version") or 0)
        except (ValueError, AttributeError):
            request_version = 0
        note_list = [Note.of(n.strip()).to_dict() for n in notes.split("; ") if n.strip()]
        db.execute(
            "INSERT INTO jobs (id, kind, engine, engine_version, status, request_json, "
            "request_version, created, track_hash, notes_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (item_id, kind, engine, 1, "finished", request_json, request_version, created,
             track_hash, json.dumps(note_list)))
        try:
            size = files(file_hash, ext).stat().st_size
        except OSError:
            size = 0
        db.execute(
            "INSERT INTO outputs (job_id, position, media, file_hash, file_ext, bytes, width, "
            "height, seed) VALUES (?,?,?,?,?,?,?,?,?)",
            (item_id, 0, _MEDIA_BY_EXT.get(ext, "application/octet-stream"), file_hash, ext,
             size, width, height, seed))
    db.execute("DROP TABLE items")


@dataclass(frozen=True)
class HistoryItem:
    """One output of one job, as the history strip shows it. ``request`` is the request that
    makes exactly this output (its seed, one variant)."""

    id: int  # the output's id
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
    job_id: int = 0
    engine_version: int = 1

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
        deadline = time.monotonic() + 15.0
        while True:
            try:
                self._db = sqlite3.connect(str(self.db_path), check_same_thread=False,
                                           timeout=10.0)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
                return
            except sqlite3.DatabaseError as exc:
                if getattr(self, "_db", None) is not None:
                    self._db.close()
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    # another AlbumStudio is creating or migrating it right now: wait for it
                    if time.monotonic() < deadline:
                        time.sleep(0.05)
                        continue
                    raise UserFacingError(
                        f"The history database is in use by another program ({exc}); close "
                        "the other AlbumStudio and try again.") from exc
                raise UserFacingError(
                    f"The history database could not be opened ({exc}); AlbumStudio left it "
                    f"as it is at {self.db_path}, move it aside to start a new history."
                ) from exc

    def _migrate(self) -> None:
        """Bring the schema up to date in one transaction (all or nothing)."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"it was written by a newer AlbumStudio (schema {version})")
        if version == SCHEMA_VERSION:
            return
        # the write lock first, then look again: another process opening the same new folder
        # at this moment may have created or migrated it already (then there is nothing to do)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version == SCHEMA_VERSION:
                self._db.commit()
                return
            if version == 0:  # a new database starts at the newest schema
                _run_script(self._db, _V2)
            else:
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    if step == 2:
                        _v1_to_v2(self._db, self.file_path)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            self._db.rollback()
            raise
        self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def file_path(self, file_hash: str, ext: str) -> Path:
        return self.files / file_hash[:2] / f"{file_hash}{ext}"

    def store_file(self, data: bytes, ext: str) -> tuple[str, Path]:
        """Keep ``data`` once by content hash; its hash and path."""
        file_hash = hashlib.blake2b(data, digest_size=20).hexdigest()
        path = self.file_path(file_hash, ext)
        if not path.exists():
            atomic_write_bytes(path, data)
        return file_hash, path

    # -- job records -------------------------------------------------------------------------
    def record(self, record: JobRecord) -> JobRecord:
        """Store a job and the bytes of its outputs; the record comes back with ids and paths."""
        outputs = []
        for output in record.outputs:
            if output.data is not None:
                file_hash, path = self.store_file(output.data, output.extension)
                output = replace(output, file_hash=file_hash, path=str(path),
                                 bytes=len(output.data))
            outputs.append(output)
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO jobs (kind, engine, engine_version, status, request_json, "
                "request_version, created, track_hash, device, app_version, notes_json, "
                "timings_json, models_json, problem) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.kind, record.engine, record.engine_version, record.status,
                 json.dumps(record.request, ensure_ascii=False, sort_keys=True),
                 record.request_version, record.created, record.track_hash, record.device,
                 record.app_version, json.dumps([n.to_dict() for n in record.notes]),
                 json.dumps(record.timings), json.dumps([m.to_dict() for m in record.models]),
                 record.problem))
            job_id = int(cursor.lastrowid or 0)
            for position, output in enumerate(outputs):
                cursor = self._db.execute(
                    "INSERT INTO outputs (job_id, position, media, file_hash, file_ext, bytes, "
                    "width, height, duration_s, seed, notes_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (job_id, position, output.media, output.file_hash, output.extension,
                     output.bytes, output.width, output.height, output.duration_s, output.seed,
                     json.dumps([n.to_dict() for n in output.notes])))
                outputs[position] = replace(output, id=int(cursor.lastrowid or 0))
        return replace(record, id=job_id, outputs=tuple(outputs))

    def records(self, kind: str | None = None, limit: int = 200) -> list[JobRecord]:
        """Newest first."""
        query = ("SELECT id, kind, engine, engine_version, status, request_json, request_version, "
                 "created, track_hash, device, app_version, notes_json, timings_json, "
                 "models_json, problem FROM jobs")
        args: tuple[object, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            args = (kind,)
        query += " ORDER BY created DESC, id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(query, (*args, int(limit))).fetchall()
            ids = [int(r[0]) for r in rows]
            outs: dict[int, list[Output]] = {i: [] for i in ids}
            if ids:
                marks = ",".join("?" * len(ids))
                for o in self._db.execute(
                        "SELECT job_id, media, file_hash, file_ext, bytes, width, height, "
                        f"duration_s, seed, notes_json, id FROM outputs WHERE job_id IN ({marks}) "
                        "ORDER BY job_id, position", ids).fetchall():
                    outs[int(o[0])].append(Output(
                        media=o[1], file_hash=o[2], path=str(self.file_path(o[2], o[3])),
                        bytes=int(o[4]), width=int(o[5]), height=int(o[6]),
                        duration_s=float(o[7]), seed=None if o[8] is None else int(o[8]),
                        notes=_notes(o[9]), id=int(o[10])))
        return [JobRecord(
            kind=r[1], engine=r[2], engine_version=int(r[3]), status=r[4],
            request=_json(r[5], {}), request_version=int(r[6]), created=float(r[7]),
            track_hash=r[8], device=r[9], app_version=r[10], notes=_notes(r[11]),
            timings={str(k): float(v) for k, v in _json(r[12], {}).items()},
            models=tuple(ModelUse(str(m.get("role", "")), str(m.get("id", "")), m.get("revision"))
                         for m in _json(r[13], []) if isinstance(m, dict)),
            problem=r[14], outputs=tuple(outs[int(r[0])]), id=int(r[0]),
        ) for r in rows]

    # -- the strip's view: one item per output -----------------------------------------------
    def items(self, kind: str | None = None, limit: int = 200) -> list[HistoryItem]:
        """Every finished output, newest first; outputs whose file has gone are skipped."""
        out: list[HistoryItem] = []
        for record in self.records(kind, limit):
            if record.status != "finished":
                continue
            for output in record.outputs:
                path = Path(output.path)
                if not path.exists():
                    continue
                request = dict(record.request)
                if output.seed is not None and "seed" in request:
                    request["seed"] = output.seed
                if "variants" in request:
                    request["variants"] = 1
                notes = "; ".join(n.text for n in (*record.notes, *output.notes))
                out.append(HistoryItem(
                    id=output.id, kind=record.kind, created=record.created,
                    file_hash=output.file_hash, file_ext=path.suffix, width=output.width,
                    height=output.height, seed=output.seed or 0, engine=record.engine,
                    track_hash=record.track_hash, request=request, notes=notes, path=path,
                    job_id=record.id, engine_version=record.engine_version))
                if len(out) >= limit:
                    return out
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
        """How many outputs the history holds."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0])

    def add(self, kind: str, data: bytes, ext: str, *, width: int = 0, height: int = 0,
            seed: int = 0, engine: str = "", track_hash: str = "",
            request: dict[str, object] | None = None, notes: str = "") -> HistoryItem:
        """Store one finished output as its own job (a shortcut for a single file)."""
        media = _MEDIA_BY_EXT.get(ext, "application/octet-stream")
        request = dict(request or {})
        record = self.record(JobRecord(
            kind=kind, engine=engine, request=request,
            request_version=int(request.get("version") or 0),  # type: ignore[call-overload]
            status="finished", track_hash=track_hash,
            notes=tuple(Note(n) for n in notes.split("; ") if n),
            outputs=(Output(media, data=data, width=width, height=height, seed=seed),),
            created=time.time()))
        output = record.outputs[0]
        return HistoryItem(output.id, kind, record.created, output.file_hash, ext, width,
                           height, seed, engine, track_hash, request, notes, Path(output.path),
                           record.id, record.engine_version)


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Each statement inside the open transaction (``executescript`` would commit first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def create_version_1(path: str | Path) -> None:
    """An empty version 1 database (what AlbumStudio 0.1 wrote), for migration tests."""
    db = sqlite3.connect(str(path))
    try:
        _run_script(db, _V1)
        db.execute("PRAGMA user_version = 1")
        db.commit()
    finally:
        db.close()


def _json(text: str, fallback: Any) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return fallback
    return value if isinstance(value, type(fallback)) else fallback


def _notes(text: str) -> tuple[Note, ...]:
    return tuple(Note(str(n.get("text", "")), str(n.get("kind", "warning")))
                 for n in _json(text, []) if isinstance(n, dict))
