"""Favourites, the trash and housekeeping of the history (a part of :class:`HistoryStore`).

Deleting moves entries to the trash (hidden, their files kept, restorable); emptying it removes
the rows for good first and then, under the write lock again, each file no other entry names,
so a kill in between leaves only unreferenced files for the next open to sweep.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from albumstudio.core.errors import InputError
from albumstudio.core.jobs import JobRecord
from albumstudio.store.history_query import DiskUse, EmptiedTrash, HistoryQuery

DAY_S = 86400.0


class TrashAndFavourites:
    if TYPE_CHECKING:
        _lock: threading.Lock
        thumbs: Path

        @property
        def db(self) -> sqlite3.Connection: ...

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _referenced(self) -> set[str]: ...

        def file_path(self, file_hash: str, ext: str) -> Path: ...

        def records(self, kind: str | None = None, limit: int = 200, *,
                    query: HistoryQuery | None = None, offset: int = 0) -> list[JobRecord]: ...

    def _existing(self, db: sqlite3.Connection, job_ids: Iterable[int]) -> list[int]:
        ids = sorted({int(i) for i in job_ids})
        found = {int(r[0]) for r in db.execute(
            f"SELECT id FROM jobs WHERE id IN ({','.join('?' * len(ids))})", ids)} if ids else set()
        missing = [i for i in ids if i not in found]
        if missing:
            raise InputError(f"There is no history entry {missing[0]}; "
                             "`albumstudio history list` shows the entries.")
        return ids

    def set_favourite(self, job_ids: Iterable[int], favourite: bool = True) -> None:
        with self._write() as db:
            ids = self._existing(db, job_ids)
            db.executemany("UPDATE jobs SET favourite = ? WHERE id = ?",
                           [(int(favourite), i) for i in ids])

    def trash(self, job_ids: Iterable[int], now: float | None = None) -> list[int]:
        """Move entries to the trash (hidden, their files kept); the ids that moved."""
        when = time.time() if now is None else now
        with self._write() as db:
            ids = self._existing(db, job_ids)
            moved = [int(r[0]) for r in db.execute(
                f"SELECT id FROM jobs WHERE trashed IS NULL AND id IN ({','.join('?' * len(ids))})",
                ids)] if ids else []
            db.executemany("UPDATE jobs SET trashed = ? WHERE id = ?", [(when, i) for i in moved])
        return moved

    def restore(self, job_ids: Iterable[int]) -> list[int]:
        """Take entries out of the trash (undo); the ids that came back."""
        with self._write() as db:
            ids = self._existing(db, job_ids)
            back = [int(r[0]) for r in db.execute(
                "SELECT id FROM jobs WHERE trashed IS NOT NULL AND "
                f"id IN ({','.join('?' * len(ids))})", ids)] if ids else []
            db.executemany("UPDATE jobs SET trashed = NULL WHERE id = ?", [(i,) for i in back])
        return back

    def empty_trash(self) -> EmptiedTrash:
        """Remove the trashed entries for good, and each of their files that no other entry
        uses (a file shared with a kept entry stays)."""
        with self._write() as db:
            ids = [int(r[0]) for r in db.execute("SELECT id FROM jobs WHERE trashed IS NOT NULL")]
            if not ids:
                return EmptiedTrash(0, 0, 0)
            marks = ",".join("?" * len(ids))
            candidates = {(h, e) for h, e in db.execute(
                f"SELECT DISTINCT file_hash, file_ext FROM outputs WHERE job_id IN ({marks})",
                ids)}
            db.execute(f"DELETE FROM jobs_text WHERE rowid IN ({marks})", ids)
            db.execute(f"DELETE FROM outputs WHERE job_id IN ({marks})", ids)
            db.execute(f"DELETE FROM jobs WHERE id IN ({marks})", ids)
        # the rows are gone for good (committed) before any file goes: a kill in between
        # leaves unreferenced files, which the next open sweeps away, never an entry without
        # its file; the write lock again, so nobody commits a new reference meanwhile
        with self._write():
            still = self._referenced()
            files = freed = 0
            for file_hash, ext in sorted(candidates):
                if f"{file_hash}{ext}" in still:
                    continue
                path = self.file_path(file_hash, ext)
                try:
                    size = path.stat().st_size
                    path.unlink()
                except OSError:
                    continue
                files += 1
                freed += size
                for thumb in (self.thumbs / file_hash[:2]).glob(f"{file_hash}-*.png"):
                    thumb.unlink(missing_ok=True)
        return EmptiedTrash(len(ids), files, freed)

    def clean_up(self, older_than_days: float, dry_run: bool = True,
                 now: float | None = None) -> list[JobRecord]:
        """The kept entries that are not favourites and older than ``older_than_days``; unless
        ``dry_run``, they are moved to the trash (restorable until it is emptied)."""
        if older_than_days < 0:
            raise InputError("The age must be 0 days or more.")
        cutoff = (time.time() if now is None else now) - older_than_days * DAY_S
        query = HistoryQuery(created_before=cutoff)
        going = [r for r in self.records(limit=1_000_000, query=query) if not r.favourite]
        if not dry_run and going:
            self.trash([r.id for r in going], now=now)
        return going

    def disk_use(self, thumbnails: bool = False) -> DiskUse:
        """Entries and bytes, the trash's share; with ``thumbnails`` the thumbnail cache is
        measured too (a walk over its files)."""
        with self._lock:
            db = self.db
            entries, trash_entries = db.execute(
                "SELECT COUNT(*) - COUNT(trashed), COUNT(trashed) FROM jobs").fetchone()
            files, size = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(b), 0) FROM (SELECT MAX(outputs.bytes) AS b "
                "FROM outputs GROUP BY file_hash, file_ext)").fetchone()
            trash_bytes = db.execute(
                "SELECT COALESCE(SUM(b), 0) FROM (SELECT MAX(outputs.bytes) AS b, "
                "MIN(jobs.trashed IS NOT NULL) AS only_trash FROM outputs JOIN jobs ON "
                "jobs.id = outputs.job_id GROUP BY file_hash, file_ext) WHERE only_trash = 1"
            ).fetchone()[0]
        thumbs = 0
        if thumbnails and self.thumbs.is_dir():
            for path in self.thumbs.rglob("*.png"):
                try:
                    thumbs += path.stat().st_size
                except OSError:
                    pass
        return DiskUse(int(entries), int(files), int(size), int(trash_entries), int(trash_bytes),
                       thumbs)
