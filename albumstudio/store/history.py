"""The history of everything generated: an SQLite index of job records plus content-addressed files.

Each job (a cover, later posters and clips) is one row of ``jobs``: kind, engine and its version,
the request as JSON with its version (so it can be re-run exactly), status, notes, timings, app
version, the models used, whether it is a favourite and whether it is in the trash. Its outputs
(images, audio, PDFs) are rows of ``outputs``; each file lives once under
``history/files/ab/abcdef….png`` (BLAKE2b-160 of its bytes) however often it is referenced, and
is removed only when the trash is emptied and no other entry names it.

The schema carries a version and migrates forward in place (``history_schema``). A database
from a newer AlbumStudio, or one a migration cannot read, is left untouched and reported in one
sentence; a damaged one is moved aside with its files (``history_files.move_aside``) and the
history starts empty, saying so in :attr:`HistoryStore.notice`. Every open sweeps away what a
killed write left behind. Several processes may use one folder at once (WAL, and every write
takes the write lock first).
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from albumstudio.core.errors import UserFacingError
from albumstudio.core.jobs import JobRecord, ModelUse, Note, Output
from albumstudio.store import history_schema as schema
from albumstudio.store.files import atomic_write_bytes
from albumstudio.store.history_files import SWEEP_GRACE_S, Swept, move_aside, sweep
from albumstudio.store.history_query import (
    JOB_COLUMNS,
    DiskUse,
    EmptiedTrash,
    GalleryRow,
    HistoryItem,
    HistoryQuery,
    order_clause,
    where_clause,
)
from albumstudio.store.history_schema import (
    SCHEMA_VERSION,
    create_version_1,
    load_json,
    media_of,
)
from albumstudio.store.history_trash import TrashAndFavourites

__all__ = ["SCHEMA_VERSION", "THUMB_SIDE", "DiskUse", "EmptiedTrash", "GalleryRow", "HistoryItem",
           "HistoryQuery", "HistoryStore", "create_version_1"]

THUMB_SIDE = 96
PICTURE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


class _Unreadable(Exception):
    """A database that is fine as a file but that this version cannot use (left as it is)."""


class HistoryStore(TrashAndFavourites):
    """Thread-safe: one connection guarded by a lock (workers add, the UI lists)."""

    def __init__(self, folder: str | Path, sweep_grace_s: float = SWEEP_GRACE_S) -> None:
        self.folder = Path(folder)
        self.files = self.folder / "files"
        self.thumbs = self.folder / "thumbs"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.folder / "history.sqlite3"
        self.notice = ""  # one sentence when the history had to start again (damaged database)
        self.swept = Swept()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        deadline = time.monotonic() + 15.0
        while True:
            try:
                self._open()
                self.swept = self.sweep(sweep_grace_s)
                return
            except _Unreadable as exc:
                self._close_quietly()
                raise UserFacingError(
                    f"The history database could not be opened ({exc}); AlbumStudio left it "
                    f"as it is at {self.db_path}, move it aside to start a new history."
                ) from exc
            except sqlite3.DatabaseError as exc:
                self._close_quietly()
                if isinstance(exc, sqlite3.OperationalError) and (
                        "locked" in str(exc) or "busy" in str(exc)):
                    # another AlbumStudio is creating or migrating it right now: wait for it
                    if time.monotonic() < deadline:
                        time.sleep(0.05)
                        continue
                    raise UserFacingError(
                        f"The history database is in use by another program ({exc}); close "
                        "the other AlbumStudio and try again.") from exc
                if self.notice:  # moved aside once already: do not loop
                    raise UserFacingError(
                        f"The history database could not be started ({exc}).") from exc
                kept = move_aside(self.db_path, self.files)
                self.notice = (f"The history database was damaged ({exc}); AlbumStudio kept it "
                               f"and its files as {kept.name} and started a new, empty history.")

    def _open(self) -> None:
        self._db = sqlite3.connect(str(self.db_path), check_same_thread=False, timeout=10.0,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        check = self._db.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {check[0] if check else 'no answer'}")
        self.fts5 = schema.uses_fts5(self._db)

    def _close_quietly(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise UserFacingError("The history is closed.")
        return self._db

    def _migrate(self) -> None:
        """Bring the schema up to date in one transaction (all or nothing)."""
        db = self.db
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise _Unreadable(f"it was written by a newer AlbumStudio (schema {version})")
        if version == SCHEMA_VERSION:
            return
        # the write lock first, then look again: another process opening the same new folder
        # at this moment may have created or migrated it already (then there is nothing to do)
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version == SCHEMA_VERSION:
                db.execute("COMMIT")
                return
            try:
                if version == 0:  # a new database starts at the newest schema
                    schema.create_current(db, schema.has_fts5(db))
                else:
                    if version < 2:
                        schema.v1_to_v2(db, self.file_path)
                    if version < 3:
                        schema.v2_to_v3(db, schema.has_fts5(db))
                    schema.v3_to_v4(db)
            except sqlite3.DatabaseError as exc:
                if "malformed" in str(exc) or "not a database" in str(exc):
                    raise
                raise _Unreadable(str(exc)) from exc
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """The lock, then the database's write lock (BEGIN IMMEDIATE): all or nothing."""
        with self._lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._close_quietly()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def data_version(self) -> int:
        """Changes whenever another connection (another AlbumStudio) commits a change."""
        with self._lock:
            return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def file_path(self, file_hash: str, ext: str) -> Path:
        return self.files / file_hash[:2] / f"{file_hash}{ext}"

    def store_file(self, data: bytes, ext: str) -> tuple[str, Path]:
        """Keep ``data`` once by content hash; its hash and path."""
        file_hash = hashlib.blake2b(data, digest_size=20).hexdigest()
        path = self.file_path(file_hash, ext)
        if not path.exists():
            atomic_write_bytes(path, data)
        return file_hash, path

    def _referenced(self) -> set[str]:
        return {f"{h}{e}" for h, e in
                self.db.execute("SELECT DISTINCT file_hash, file_ext FROM outputs")}

    def sweep(self, grace_s: float = SWEEP_GRACE_S) -> Swept:
        """Remove what killed writes left (temporaries, files no entry names) once older than
        ``grace_s``; done on every open."""
        with self._write() as db:
            del db
            return sweep(self.files, self.thumbs, self._referenced(), grace_s)

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
        for output in outputs:  # a picture of what is not one (a PDF poster): its thumbnail
            if output.display is not None and not output.media.startswith("image/") \
                    and output.file_hash:
                self._keep_preview(output.file_hash, output.display)
        with self._write() as db:
            for output in outputs:  # emptied trash or a sweep may have removed it meanwhile
                if output.data is not None and not Path(output.path).exists():
                    atomic_write_bytes(output.path, output.data)
            cursor = db.execute(
                "INSERT INTO jobs (kind, engine, engine_version, status, request_json, "
                "request_version, created, track_hash, device, app_version, notes_json, "
                "timings_json, models_json, problem, favourite, title) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.kind, record.engine, record.engine_version, record.status,
                 json.dumps(record.request, ensure_ascii=False, sort_keys=True),
                 record.request_version, record.created, record.track_hash, record.device,
                 record.app_version, json.dumps([n.to_dict() for n in record.notes]),
                 json.dumps(record.timings), json.dumps([m.to_dict() for m in record.models]),
                 record.problem, int(record.favourite), str(record.request.get("title") or "")))
            job_id = int(cursor.lastrowid or 0)
            schema.insert_text(db, job_id, record.request)
            for position, output in enumerate(outputs):
                cursor = db.execute(
                    "INSERT INTO outputs (job_id, position, media, file_hash, file_ext, bytes, "
                    "width, height, duration_s, seed, notes_json, favourite) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (job_id, position, output.media, output.file_hash, output.extension,
                     output.bytes, output.width, output.height, output.duration_s, output.seed,
                     json.dumps([n.to_dict() for n in output.notes]),
                     int(record.favourite or output.favourite)))
                outputs[position] = replace(output, id=int(cursor.lastrowid or 0))
        return replace(record, id=job_id, outputs=tuple(outputs))


    def records(self, kind: str | None = None, limit: int = 200, *,
                query: HistoryQuery | None = None, offset: int = 0) -> list[JobRecord]:
        """The entries ``query`` asks for (by default every kept entry), newest first."""
        query = query or HistoryQuery(kind=kind)
        where, args = where_clause(query, self.fts5)
        with self._lock:
            rows = self.db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE {where} ORDER BY {order_clause(query)}"
                " LIMIT ? OFFSET ?", (*args, int(limit), int(offset))).fetchall()
            return self._records(rows)

    def get(self, job_id: int) -> JobRecord | None:
        """One entry by id, in the trash or not."""
        with self._lock:
            rows = self.db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?",
                                   (int(job_id),)).fetchall()
            found = self._records(rows)
        return found[0] if found else None

    def _records(self, rows: list[Any]) -> list[JobRecord]:
        ids = [int(r[0]) for r in rows]
        outs: dict[int, list[Output]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for o in self.db.execute(
                    "SELECT job_id, media, file_hash, file_ext, bytes, width, height, "
                    "duration_s, seed, notes_json, id, favourite, trashed FROM outputs "
                    f"WHERE job_id IN ({marks}) ORDER BY job_id, position", chunk).fetchall():
                outs[int(o[0])].append(Output(
                    media=o[1], file_hash=o[2], path=str(self.file_path(o[2], o[3])),
                    bytes=int(o[4]), width=int(o[5]), height=int(o[6]),
                    duration_s=float(o[7]), seed=None if o[8] is None else int(o[8]),
                    notes=_notes(o[9]), id=int(o[10]), favourite=bool(o[11]),
                    trashed=None if o[12] is None else float(o[12])))
        return [JobRecord(
            kind=r[1], engine=r[2], engine_version=int(r[3]), status=r[4],
            request=load_json(r[5], {}), request_version=int(r[6]), created=float(r[7]),
            track_hash=r[8], device=r[9], app_version=r[10], notes=_notes(r[11]),
            timings={str(k): float(v) for k, v in load_json(r[12], {}).items()},
            models=tuple(ModelUse(str(m.get("role", "")), str(m.get("id", "")), m.get("revision"))
                         for m in load_json(r[13], []) if isinstance(m, dict)),
            problem=r[14], outputs=tuple(outs[int(r[0])]), id=int(r[0]),
            favourite=bool(r[15]), trashed=None if r[16] is None else float(r[16]),
        ) for r in rows]

    def count_entries(self, query: HistoryQuery | None = None) -> int:
        where, args = where_clause(query or HistoryQuery(), self.fts5)
        with self._lock:
            return int(self.db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}",
                                       args).fetchone()[0])

    # -- the strip's and the gallery's view: one item per output -----------------------------
    def items(self, kind: str | None = None, limit: int = 200, *,
              query: HistoryQuery | None = None, offset: int = 0,
              check_files: bool = True) -> list[HistoryItem]:
        """Every finished output ``query`` asks for, newest first; outputs whose file has gone
        are skipped (unless ``check_files`` is False)."""
        query = replace(query or HistoryQuery(kind=kind), finished=True)
        where, args = where_clause(query, self.fts5, per_output=True)
        with self._lock:
            rows = self.db.execute(
                "SELECT outputs.id, jobs.kind, jobs.created, outputs.file_hash, outputs.file_ext,"
                " outputs.width, outputs.height, outputs.seed, jobs.engine, jobs.track_hash, "
                "jobs.request_json, jobs.notes_json, outputs.notes_json, jobs.id, "
                "jobs.engine_version, outputs.favourite, outputs.trashed "
                f"FROM outputs JOIN jobs ON jobs.id = outputs.job_id WHERE {where} "
                f"ORDER BY {order_clause(query)}, outputs.position LIMIT ? OFFSET ?",
                (*args, int(limit), int(offset))).fetchall()
        out: list[HistoryItem] = []
        for r in rows:
            path = self.file_path(r[3], r[4])
            if check_files and not path.exists():
                continue
            request = load_json(r[10], {})
            if r[7] is not None and "seed" in request:
                request["seed"] = int(r[7])
            if "variants" in request:
                request["variants"] = 1
            notes = "; ".join(dict.fromkeys(n.text for n in (*_notes(r[11]), *_notes(r[12]))))
            out.append(HistoryItem(
                id=int(r[0]), kind=r[1], created=float(r[2]), file_hash=r[3], file_ext=r[4],
                width=int(r[5]), height=int(r[6]), seed=int(r[7] or 0), engine=r[8],
                track_hash=r[9], request=request, notes=notes, path=path, job_id=int(r[13]),
                engine_version=int(r[14]), favourite=bool(r[15]),
                trashed=None if r[16] is None else float(r[16])))
        return out

    def item_of(self, job_id: int, position: int = 0) -> HistoryItem | None:
        """An entry's output as an item (the first by default), in the trash or not."""
        with self._lock:
            row = self.db.execute("SELECT id FROM jobs WHERE id = ?", (int(job_id),)).fetchone()
        if row is None:
            return None
        found = sorted((i for trash in (False, True) for i in self.items(
            limit=10_000, query=HistoryQuery(trash=trash, job=int(job_id)), check_files=False)),
            key=lambda i: i.id)
        return found[position] if 0 <= position < len(found) else None

    def item(self, output_id: int) -> HistoryItem | None:
        """One output by its id, in the trash or not."""
        for trash in (False, True):
            found = [i for i in self.items(limit=1_000, query=HistoryQuery(
                trash=trash, output=int(output_id)), check_files=False) if i.id == output_id]
            if found:
                return found[0]
        return None

    def rows(self, query: HistoryQuery | None = None, limit: int = 1_000_000) -> list[GalleryRow]:
        """What a grid of thumbnails needs of every finished output ``query`` asks for, without
        reading requests (cheap for tens of thousands of entries)."""
        query = replace(query or HistoryQuery(), finished=True)
        where, args = where_clause(query, self.fts5, per_output=True)
        with self._lock:
            found = self.db.execute(
                "SELECT outputs.id, jobs.id, outputs.file_hash, outputs.file_ext, jobs.created, "
                "jobs.kind, jobs.engine, jobs.title, outputs.favourite, outputs.width, "
                "outputs.height, outputs.seed, outputs.trashed IS NOT NULL "
                f"FROM outputs JOIN jobs ON jobs.id = outputs.job_id WHERE {where} "
                f"ORDER BY {order_clause(query)}, outputs.position LIMIT ?",
                (*args, int(limit))).fetchall()
        return [GalleryRow(int(r[0]), int(r[1]), r[2], r[3], float(r[4]), r[5], r[6], r[7],
                           bool(r[8]), int(r[9]), int(r[10]), None if r[11] is None else int(r[11]),
                           bool(r[12])) for r in found]

    def thumbnail(self, item: HistoryItem, side: int = THUMB_SIDE) -> bytes:
        """A small PNG of the item (made once, then read from ``thumbs/``)."""
        return self.thumbnail_of(item.file_hash, item.file_ext, side)

    def preview_path(self, file_hash: str) -> Path:
        """Where the picture of a stored file that is not a picture is kept (a PDF poster's
        raster, a video's cover frame, an audio clip's waveform)."""
        return self.thumbs / file_hash[:2] / f"{file_hash}-preview.png"

    def _keep_preview(self, file_hash: str, rgb: Any) -> None:
        from PIL import Image

        out = io.BytesIO()
        Image.fromarray(rgb).convert("RGB").save(out, "PNG")
        atomic_write_bytes(self.preview_path(file_hash), out.getvalue())

    def put_thumbnail(self, file_hash: str, side: int, png: bytes, preview: bool = False
                      ) -> None:
        """Keep a thumbnail (or with ``preview`` the full-size picture) made elsewhere."""
        path = self.preview_path(file_hash) if preview else \
            self.thumbs / file_hash[:2] / f"{file_hash}-{side}.png"
        atomic_write_bytes(path, png)

    def thumbnail_of(self, file_hash: str, ext: str, side: int = THUMB_SIDE) -> bytes:
        """A small PNG of a stored file (made once, then read from ``thumbs/``): of its picture
        kept beside it (a PDF's first page, see ``preview_path``) when it is not a picture
        itself. OSError when the file has gone or there is nothing to draw it from."""
        path = self.thumbs / file_hash[:2] / f"{file_hash}-{side}.png"
        try:
            return path.read_bytes()
        except OSError:
            pass
        from PIL import Image

        source = self.file_path(file_hash, ext)
        if ext.lower() not in PICTURE_EXTENSIONS:
            preview = self.preview_path(file_hash)
            if not preview.exists() and ext.lower() == ".pdf":
                _render_pdf_page(source, preview)
            if not preview.exists():
                raise OSError(f"no picture of the {ext} file {file_hash[:12]}")
            source = preview
        with Image.open(source) as img:
            img.draft("RGB", (side, side))
            small = img.convert("RGB")
            small.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, "PNG")
        data = out.getvalue()
        atomic_write_bytes(path, data)
        return data

    def count(self) -> int:
        """How many outputs the history holds (the trash included)."""
        with self._lock:
            return int(self.db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0])

    # -- favourites, the trash, housekeeping --------------------------------------------------

    def add(self, kind: str, data: bytes, ext: str, *, width: int = 0, height: int = 0,
            seed: int = 0, engine: str = "", track_hash: str = "",
            request: dict[str, object] | None = None, notes: str = "") -> HistoryItem:
        """Store one finished output as its own job (a shortcut for a single file)."""
        request = dict(request or {})
        record = self.record(JobRecord(
            kind=kind, engine=engine, request=request,
            request_version=int(request.get("version") or 0),  # type: ignore[call-overload]
            status="finished", track_hash=track_hash,
            notes=tuple(Note(n) for n in notes.split("; ") if n),
            outputs=(Output(media_of(ext), data=data, width=width, height=height, seed=seed),),
            created=time.time()))
        output = record.outputs[0]
        return HistoryItem(output.id, kind, record.created, output.file_hash, ext, width,
                           height, seed, engine, track_hash, request, notes, Path(output.path),
                           record.id, record.engine_version)


def _notes(text: str) -> tuple[Note, ...]:
    return tuple(Note(str(n.get("text", "")), str(n.get("kind", "warning")))
                 for n in load_json(text, []) if isinstance(n, dict))


def _render_pdf_page(pdf: Path, out: Path) -> None:
    """The first page of ``pdf`` as a PNG at ``out``, when pypdfium2 is installed (entries
    made before posters kept their own picture)."""
    try:
        import pypdfium2  # type: ignore[import-untyped]
    except ImportError:
        return
    try:
        document = pypdfium2.PdfDocument(str(pdf))
    except pypdfium2.PdfiumError:
        return  # not a PDF pdfium can read: the placeholder stays
    try:
        page = document[0]
        image = page.render(scale=512 / max(1.0, page.get_width(), page.get_height())).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG")
    atomic_write_bytes(out, buffer.getvalue())
