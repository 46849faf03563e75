"""Histories written by older AlbumStudio versions (kept in tests/fixtures/history_v<N>), copied
into a test's data folder, and the checks the migration tests make on them."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from albumstudio.services import Services
from albumstudio.store.history import HistoryItem, HistoryStore
from albumstudio.store.paths import DataPaths, default_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def old_history(version: int) -> DataPaths:
    """The schema ``version`` history in this test's data folder, its requests naming the copied
    photo (the fixture says ``@PHOTO@`` where the photo's path goes); fails unless the copy is
    still at that schema."""
    fixture = FIXTURES / f"history_v{version}"
    paths = default_paths().ensure()
    shutil.copytree(fixture / "history", paths.history)
    photo = paths.data / "photo.png"
    shutil.copy(fixture / "photo.png", photo)
    table = "items" if version == 1 else "jobs"  # schema 2 renamed the table
    db = sqlite3.connect(paths.history / "history.sqlite3")
    db.execute(f"UPDATE {table} SET request_json = replace(request_json, '@PHOTO@', ?)",
               (json.dumps(str(photo))[1:-1],))
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == version
    db.close()
    return paths


def assert_rerun_is_identical_or_says_why(services: Services, item: HistoryItem) -> None:
    """Re-running ``item`` gives the same bytes and no warning, or, where its engine has changed
    since it was made, a warning that says so."""
    again = services.covers.rerun(item, record=False)
    changed = services.covers.changed_since(item)
    if changed is None:  # the engine that made it: the same bytes, nothing to say
        assert not again.warnings()
        assert again.outputs[0].data == item.read_bytes(), item.id
    else:  # the engine has changed since: the re-run says so
        assert changed.text in again.warnings()


def one_item_history(folder: Path, data: bytes) -> HistoryItem:
    """A history in ``folder`` holding one cover with these bytes, closed again."""
    store = HistoryStore(folder)
    item = store.add("cover", data, ".png")
    store.close()
    return item


def assert_every_rerun_is_identical_or_says_why(paths: DataPaths) -> None:
    """:func:`assert_rerun_is_identical_or_says_why` for every entry of the history in ``paths``."""
    services = Services.open(paths)
    try:
        for item in services.history.items():
            assert_rerun_is_identical_or_says_why(services, item)
    finally:
        services.close()
