"""Favourites, the trash and housekeeping of the history (a part of :class:`HistoryStore`).

Deleting moves entries to the trash (hidden, their files kept, restorable); emptying it removes
the rows for good first and then, under the write lock again, each file no other entry names,
so a kill in between leaves only unreferenced files for the next open to sweep.

An entry with several variants (outputs) can also have one variant kept as a favourite or moved
to the trash on its own (``*_variants``). The entry's own state follows its variants: a
favourite when any of them is, in the trash when all of them are. Emptying the trash removes
trashed variants from entries that keep others, and their files when nothing else uses them.
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

    def _existing_outputs(self, db: sqlite3.Connection, output_ids: Iterable[int]
                          ) -> dict[int, int]:
        """Each output id with its entry's id; InputError for one that does not exist."""
        ids = sorted({int(i) for i in output_ids})
        found = {int(r[0]): int(r[1]) for r in db.execute(
            f"SELECT id, job_id FROM outputs WHERE id IN ({','.join('?' * len(ids))})", ids)
        } if ids else {}
        missing = [i for i in ids if i not in found]
        if missing:
            raise InputError(f"There is no variant {missing[0]} in the history; "
                             "`albumstudio history show ID` lists an entry's files.")
        return found

    @staticmethod
    def _follow_variants(db: sqlite3.Connection, job_ids: Iterable[int]) -> None:
        """An entry's favourite and trash state from its variants' (entries with outputs)."""
        db.executemany(
            "UPDATE jobs SET favourite = (SELECT MAX(favourite) FROM outputs WHERE job_id = ?), "
            "trashed = CASE WHEN EXISTS (SELECT 1 FROM outputs WHERE job_id = ? AND trashed IS "
            "NULL) THEN NULL ELSE (SELECT MAX(trashed) FROM outputs WHERE job_id = ?) END "
            "WHERE id = ? AND EXISTS (SELECT 1 FROM outputs WHERE job_id = ?)",
            [(i, i, i, i, i) for i in sorted(set(job_ids))])

    def set_favourite(self, job_ids: Iterable[int], favourite: bool = True) -> None:
        """Entries (every variant of each) as favourites, or no longer."""
        with self._write() as db:
            ids = self._existing(db, job_ids)
            db.executemany("UPDATE jobs SET favourite = ? WHERE id = ?",
                           [(int(favourite), i) for i in ids])
            db.executemany("UPDATE outputs SET favourite = ? WHERE job_id = ?",
                           [(int(favourite), i) for i in ids])

    def set_variant_favourite(self, output_ids: Iterable[int], favourite: bool = True) -> None:
        """Single variants (outputs) as favourites, or no longer; their entries follow."""
        with self._write() as db:
            found = self._existing_outputs(db, output_ids)
            db.executemany("UPDATE outputs SET favourite = ? WHERE id = ?",
                           [(int(favourite), i) for i in found])
            self._follow_variants(db, found.values())

    def trash(self, job_ids: Iterable[int], now: float | None = None) -> list[int]:
        """Move entries (every variant) to the trash, their files kept; the ids that moved
        (an entry with only some variants in the trash moves the rest)."""
        when = time.time() if now is None else now
        with self._write() as db:
            ids = self._existing(db, job_ids)
            moved = [int(r[0]) for r in db.execute(
                f"SELECT id FROM jobs WHERE trashed IS NULL AND id IN ({','.join('?' * len(ids))})",
                ids)] if ids else []
            db.executemany("UPDATE jobs SET trashed = ? WHERE id = ?", [(when, i) for i in moved])
            db.executemany("UPDATE outputs SET trashed = ? WHERE job_id = ? AND trashed IS NULL",
                           [(when, i) for i in moved])
        return moved

    def restore(self, job_ids: Iterable[int]) -> list[int]:
        """Take entries out of the trash, every variant (undo); the ids that came back."""
        with self._write() as db:
            ids = self._existing(db, job_ids)
            back = [int(r[0]) for r in db.execute(
                "SELECT id FROM jobs WHERE (trashed IS NOT NULL OR id IN (SELECT job_id FROM "
                f"outputs WHERE trashed IS NOT NULL)) AND id IN ({','.join('?' * len(ids))})",
                ids)] if ids else []
            db.executemany("UPDATE jobs SET trashed = NULL WHERE id = ?", [(i,) for i in back])
            db.executemany("UPDATE outputs SET trashed = NULL WHERE job_id = ?",
                           [(i,) for i in back])
        return back

    def trash_variants(self, output_ids: Iterable[int], now: float | None = None) -> list[int]:
        """Move single variants (outputs) to the trash, their files kept; the output ids that
        moved. An entry whose every variant is in the trash is in the trash itself."""
        when = time.time() if now is None else now
        with self._write() as db:
            found = self._existing_outputs(db, output_ids)
            marks = ",".join("?" * len(found))
            moved = [int(r[0]) for r in db.execute(
                f"SELECT id FROM outputs WHERE trashed IS NULL AND id IN ({marks})",
                list(found))] if found else []
            db.executemany("UPDATE outputs SET trashed = ? WHERE id = ?",
                           [(when, i) for i in moved])
            self._follow_variants(db, (found[i] for i in moved))
        return moved

    def restore_variants(self, output_ids: Iterable[int]) -> list[int]:
        """Take single variants out of the trash (undo); the output ids that came back."""
        with self._write() as db:
            found = self._existing_outputs(db, output_ids)
            marks = ",".join("?" * len(found))
            back = [int(r[0]) for r in db.execute(
                f"SELECT id FROM outputs WHERE trashed IS NOT NULL AND id IN ({marks})",
                list(found))] if found else []
            db.executemany("UPDATE outputs SET trashed = NULL WHERE id = ?", [(i,) for i in back])
            self._follow_variants(db, (found[i] for i in back))
        return back

    def empty_trash(self) -> EmptiedTrash:
        """Remove the trashed entries and variants for good, and each of their files that no
        other entry or variant uses (a file shared with a kept one stays)."""
        with self._write() as db:
            ids = [int(r[0]) for r in db.execute("SELECT id FROM jobs WHERE trashed IS NOT NULL")]
            variants = [int(r[0]) for r in db.execute(
                "SELECT outputs.id FROM outputs JOIN jobs ON jobs.id = outputs.job_id "
                "WHERE outputs.trashed IS NOT NULL AND jobs.trashed IS NULL")]
            if not ids and not variants:
                return EmptiedTrash(0, 0, 0)
            marks = ",".join("?" * len(ids))
            variant_marks = ",".join("?" * len(variants))
            candidates = {(h, e) for h, e in db.execute(
                f"SELECT DISTINCT file_hash, file_ext FROM outputs WHERE job_id IN ({marks}) "
                f"OR id IN ({variant_marks})", [*ids, *variants])}
            db.execute(f"DELETE FROM outputs WHERE id IN ({variant_marks})", variants)
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
        return EmptiedTrash(len(ids), files, freed, len(variants))

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
            trash_bytes = db.execute(  # an entry in the trash has every variant there
                "SELECT COALESCE(SUM(b), 0) FROM (SELECT MAX(bytes) AS b, MIN(trashed IS NOT "
                "NULL) AS only_trash FROM outputs GROUP BY file_hash, file_ext) WHERE only_trash = 1"
            ).fetchone()[0]
            trash_variants = db.execute(
                "SELECT COUNT(*) FROM outputs JOIN jobs ON jobs.id = outputs.job_id "
                "WHERE outputs.trashed IS NOT NULL AND jobs.trashed IS NULL").fetchone()[0]
        thumbs = 0
        if thumbnails and self.thumbs.is_dir():
            for path in self.thumbs.rglob("*.png"):
                try:
                    thumbs += path.stat().st_size
                except OSError:
                    pass
        return DiskUse(int(entries), int(files), int(size), int(trash_entries), int(trash_bytes),
                       thumbs, int(trash_variants))
