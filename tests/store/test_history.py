import sqlite3

import pytest

from albumstudio.core.errors import UserFacingError
from albumstudio.store.history import SCHEMA_VERSION, HistoryStore
from tests.support.history_fixtures import one_item_history


def test_items_are_indexed_newest_first_and_files_stored_once(tmp_path):
    store = HistoryStore(tmp_path / "history")
    a = store.add("cover", b"png-a", ".png", width=8, height=8, seed=1, engine="design",
                  request={"seed": 1, "prompt": "neon rain"})
    b = store.add("cover", b"png-b", ".png", seed=2)
    c = store.add("cover", b"png-a", ".png", seed=3)  # same bytes, second entry
    items = store.items()
    assert [i.id for i in items] == [c.id, b.id, a.id]
    assert items[-1].request == {"seed": 1, "prompt": "neon rain"}
    assert a.path == c.path and a.path.read_bytes() == b"png-a"
    assert len(list((tmp_path / "history" / "files").rglob("*.png"))) == 2
    assert store.count() == 3
    store.close()


def test_history_survives_reopening_and_skips_missing_files(tmp_path):
    store = HistoryStore(tmp_path / "h")
    keep = store.add("cover", b"keep", ".png")
    gone = store.add("cover", b"gone", ".png")
    store.close()
    gone.path.unlink()
    again = HistoryStore(tmp_path / "h")
    assert [i.id for i in again.items()] == [keep.id]
    assert again.items(kind="poster") == []
    again.close()


def test_a_newer_schema_is_left_untouched_with_one_sentence(tmp_path):
    folder = tmp_path / "h"
    folder.mkdir()
    db = sqlite3.connect(str(folder / "history.sqlite3"))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(UserFacingError) as err:
        HistoryStore(folder)
    assert "newer AlbumStudio" in err.value.message and "\n" not in err.value.message
    db = sqlite3.connect(str(folder / "history.sqlite3"))
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5
    db.close()


def test_a_damaged_database_is_kept_aside_with_its_files_and_the_history_starts_empty(tmp_path):
    folder = tmp_path / "h"
    kept_item = one_item_history(folder, b"a picture of the old history")
    (folder / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    store = HistoryStore(folder)
    try:
        assert store.items() == [] and store.schema_version == SCHEMA_VERSION
        assert "damaged" in store.notice and "\n" not in store.notice
        aside = [p for p in folder.iterdir() if p.name.startswith("history.sqlite3.damaged-")]
        assert len(aside) == 1 and aside[0].name in store.notice
        assert aside[0].read_bytes().startswith(b"this is not a database")
        files_aside = folder / aside[0].name.replace("history.sqlite3", "files")
        kept = files_aside / kept_item.path.relative_to(folder / "files")
        assert kept.read_bytes() == b"a picture of the old history"  # nothing swept away
        store.add("cover", b"new", ".png")
        assert len(store.items()) == 1
    finally:
        store.close()
    again = HistoryStore(folder)  # the new history is not damaged: no second notice
    try:
        assert again.notice == "" and len(again.items()) == 1
    finally:
        again.close()
