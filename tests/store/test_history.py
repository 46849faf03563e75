import sqlite3

import pytest

from albumstudio.core.errors import UserFacingError
from albumstudio.store.history import SCHEMA_VERSION, HistoryStore


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


def test_a_damaged_database_is_reported_not_replaced(tmp_path):
    folder = tmp_path / "h"
    folder.mkdir()
    (folder / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserFacingError):
        HistoryStore(folder)
    assert (folder / "history.sqlite3").read_bytes().startswith(b"this is not a database")
