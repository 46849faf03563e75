"""The history database's schemas and the forward migrations between them.

1. ``items``: one row per image (AlbumStudio 0.1).
2. ``jobs`` + ``outputs``: one row per job, its files in ``outputs``.
3. ``jobs`` gains ``favourite`` and ``trashed`` (when it went to the trash; NULL while kept),
   and ``jobs_text`` holds the words a search looks through (prompt, negative prompt, title,
   artist, tags): an FTS5 table where SQLite has FTS5, else a plain table searched with LIKE.
4. ``outputs`` gains ``favourite`` and ``trashed`` too: one variant of an entry can be kept as a
   favourite or thrown away on its own. The entry's own two columns then say what its variants
   say together: a favourite when any variant is one, in the trash when every variant is.

Every migration runs inside the caller's one transaction (all or nothing).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from albumstudio.core.jobs import MEDIA_EXTENSIONS, Note

SCHEMA_VERSION = 4
TEXT_COLUMNS = ("prompt", "negative", "title", "artist", "tags")

V1 = """
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

V2 = """
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

V3 = """
ALTER TABLE jobs ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN trashed REAL;
ALTER TABLE jobs ADD COLUMN title TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_trashed ON jobs(trashed, created DESC, id DESC);
CREATE INDEX jobs_title ON jobs(title COLLATE NOCASE, created);
CREATE INDEX outputs_file ON outputs(file_hash)
"""

V4 = """
ALTER TABLE outputs ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outputs ADD COLUMN trashed REAL;
UPDATE outputs SET favourite = (SELECT favourite FROM jobs WHERE jobs.id = outputs.job_id),
                   trashed = (SELECT trashed FROM jobs WHERE jobs.id = outputs.job_id)
"""

_MEDIA_BY_EXT = {ext: media for media, ext in MEDIA_EXTENSIONS.items()}


def media_of(ext: str) -> str:
    return _MEDIA_BY_EXT.get(ext, "application/octet-stream")


def has_fts5(db: sqlite3.Connection) -> bool:
    """Whether this Python's SQLite was built with FTS5."""
    try:
        db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
        db.execute("DROP TABLE temp.fts5_probe")
    except sqlite3.OperationalError:
        return False
    return True


def text_table_sql(fts5: bool) -> str:
    columns = ", ".join(TEXT_COLUMNS)
    if fts5:
        return (f"CREATE VIRTUAL TABLE jobs_text USING fts5({columns}, "
                "tokenize = 'unicode61 remove_diacritics 2')")
    return f"CREATE TABLE jobs_text ({columns})"


def uses_fts5(db: sqlite3.Connection) -> bool:
    """Whether this database's search table is FTS5 (it may have been made elsewhere)."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE name = 'jobs_text'").fetchone()
    return bool(row) and "VIRTUAL TABLE" in str(row[0]).upper()


def text_of(request: dict[str, Any]) -> tuple[str, ...]:
    """What a search looks through, from a request: prompt (the artist's own words are always
    part of it), negative prompt, title, artist and tags (genre and the music's tags)."""
    mood = request.get("mood")
    tags = list(mood.get("tags") or ()) if isinstance(mood, dict) else []
    genre = request.get("genre")
    if genre:
        tags.insert(0, genre)
    return (str(request.get("prompt") or ""), str(request.get("negative_prompt") or ""),
            str(request.get("title") or ""), str(request.get("artist") or ""),
            " ".join(str(t) for t in tags))


def insert_text(db: sqlite3.Connection, job_id: int, request: dict[str, Any]) -> None:
    db.execute(f"INSERT INTO jobs_text (rowid, {', '.join(TEXT_COLUMNS)}) VALUES (?,?,?,?,?,?)",
               (job_id, *text_of(request)))


def v1_to_v2(db: sqlite3.Connection, files: Callable[[str, str], Path]) -> None:
    """Every version 1 entry (one image each) becomes a finished job with one output; the
    entry's id is kept, so links to it still work."""
    run_script(db, V2)
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
            (item_id, 0, media_of(ext), file_hash, ext, size, width, height, seed))
    db.execute("DROP TABLE items")


def v2_to_v3(db: sqlite3.Connection, fts5: bool) -> None:
    """Favourites, the trash, the title to sort by, and the search table filled from every
    job's request."""
    run_script(db, V3)
    db.execute(text_table_sql(fts5))
    for job_id, request_json in db.execute("SELECT id, request_json FROM jobs").fetchall():
        request = load_json(request_json, {})
        db.execute("UPDATE jobs SET title = ? WHERE id = ?",
                   (str(request.get("title") or ""), job_id))
        insert_text(db, int(job_id), request)


def v3_to_v4(db: sqlite3.Connection) -> None:
    """Favourite and trash per variant: each output takes its entry's state."""
    run_script(db, V4)


def create_current(db: sqlite3.Connection, fts5: bool) -> None:
    run_script(db, V2)
    v2_to_v3(db, fts5)
    v3_to_v4(db)


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Each statement inside the open transaction (``executescript`` would commit first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def create_version_1(path: str | Path) -> None:
    """An empty version 1 database (what AlbumStudio 0.1 wrote), for migration tests."""
    db = sqlite3.connect(str(path))
    try:
        run_script(db, V1)
        db.execute("PRAGMA user_version = 1")
        db.commit()
    finally:
        db.close()


def load_json(text: str, fallback: Any) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return fallback
    return value if isinstance(value, type(fallback)) else fallback
