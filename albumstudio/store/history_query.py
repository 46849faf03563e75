"""What the history is asked for and what it answers with: the query (filters, words, sort)
as SQL, and the plain records of outputs, rows, disk use and an emptied trash."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from albumstudio.core.errors import InputError
from albumstudio.store import history_schema as schema

SORTS = ("date", "track")


@dataclass(frozen=True)
class HistoryQuery:
    """Which entries to list. ``search`` looks through prompt, negative prompt, title, artist
    and tags (every word, each as a prefix); ``track`` is a track's content hash; ``trash``
    lists the trash instead of the kept entries (an entry with one variant in the trash and
    one kept is in both); ``favourites`` keeps the favourite variants (or the entries with
    one); ``sort`` is "date" (newest first) or "track" (by title, then newest first)."""

    kind: str | None = None
    engine: str | None = None
    track: str | None = None
    favourites: bool = False
    search: str = ""
    sort: str = "date"
    trash: bool = False
    finished: bool = False
    created_before: float | None = None
    job: int | None = None
    output: int | None = None


@dataclass(frozen=True)
class HistoryItem:
    """One output of one job, as the strip and the gallery show it. ``request`` is the request
    that makes exactly this output (its seed, one variant)."""

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
    favourite: bool = False
    trashed: float | None = None

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    @property
    def title(self) -> str:
        return str(self.request.get("title") or "")


@dataclass(frozen=True)
class GalleryRow:
    """One output as a thumbnail grid lists it (no request read)."""

    id: int  # the output's id
    job_id: int
    file_hash: str
    file_ext: str
    created: float
    kind: str
    engine: str
    title: str
    favourite: bool
    width: int
    height: int
    seed: int | None
    trashed: bool

    @property
    def file_name(self) -> str:
        return f"{self.file_hash}{self.file_ext}"


@dataclass(frozen=True)
class DiskUse:
    """What the history holds on disk: every distinct content file counted once."""

    entries: int
    files: int
    bytes: int
    trash_entries: int
    trash_bytes: int  # freed by emptying the trash (files no kept entry uses)
    thumbnail_bytes: int
    trash_variants: int = 0  # variants in the trash whose entry keeps others


@dataclass(frozen=True)
class EmptiedTrash:
    entries: int
    files: int
    bytes: int
    variants: int = 0  # variants removed from entries that keep others



def where_clause(query: HistoryQuery, fts5: bool, per_output: bool = False
                 ) -> tuple[str, list[object]]:
    """The SQL condition on ``jobs`` (and its arguments) for ``query``; with ``per_output``
    on ``jobs`` joined with ``outputs``, each variant judged by its own favourite and trash
    state. Listing entries, an entry is kept while one of its variants is, in the trash when
    one of them is (so one half in the trash shows in both lists), a favourite when one is."""
    if per_output:
        clauses = ["outputs.trashed IS NOT NULL" if query.trash else "outputs.trashed IS NULL"]
    elif query.trash:
        clauses = ["(jobs.trashed IS NOT NULL OR jobs.id IN "
                   "(SELECT job_id FROM outputs WHERE trashed IS NOT NULL))"]
    else:
        clauses = ["jobs.trashed IS NULL"]
    args: list[object] = []
    for column, value in (("kind", query.kind), ("engine", query.engine),
                          ("track_hash", query.track)):
        if value is not None:
            clauses.append(f"jobs.{column} = ?")
            args.append(value)
    if query.favourites:
        clauses.append("outputs.favourite = 1" if per_output else "jobs.favourite = 1")
    if query.finished:
        clauses.append("jobs.status = 'finished'")
    if query.created_before is not None:
        clauses.append("jobs.created < ?")
        args.append(query.created_before)
    if query.job is not None:
        clauses.append("jobs.id = ?")
        args.append(query.job)
    if query.output is not None:
        clauses.append("jobs.id = (SELECT job_id FROM outputs WHERE id = ?)")
        args.append(query.output)
    words = re.findall(r"\w+", query.search)
    if words and fts5:
        clauses.append("jobs.id IN (SELECT rowid FROM jobs_text WHERE jobs_text MATCH ?)")
        args.append(" ".join('"' + w.replace('"', '""') + '"*' for w in words))
    elif words:  # no FTS5 in this SQLite: every word somewhere, as LIKE finds it
        columns = " || ' ' || ".join(schema.TEXT_COLUMNS)
        for word in words:
            clauses.append("jobs.id IN (SELECT rowid FROM jobs_text WHERE "
                           f"({columns}) LIKE ? ESCAPE '\\')")
            args.append("%" + re.sub(r"([%_\\])", r"\\\1", word) + "%")
    return " AND ".join(clauses), args

def order_clause(query: HistoryQuery) -> str:
    if query.sort not in SORTS:
        raise InputError(f"Sort by {' or '.join(SORTS)}, not '{query.sort}'.")
    if query.sort == "track":
        return "jobs.title COLLATE NOCASE, jobs.track_hash, jobs.created DESC, jobs.id DESC"
    return "jobs.created DESC, jobs.id DESC"


JOB_COLUMNS = ("jobs.id, jobs.kind, jobs.engine, jobs.engine_version, jobs.status, "
               "jobs.request_json, jobs.request_version, jobs.created, jobs.track_hash, "
               "jobs.device, jobs.app_version, jobs.notes_json, jobs.timings_json, "
               "jobs.models_json, jobs.problem, jobs.favourite, jobs.trashed")
