"""A history written by AlbumStudio 0.1 (schema 1, made with that version's code and kept in
tests/fixtures/history_v1) opens in place as the current schema: every entry kept, listed, and re-run to
identical bytes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from albumstudio import cli
from albumstudio.core.errors import UserFacingError
from albumstudio.services import Services
from albumstudio.store.history import SCHEMA_VERSION, HistoryStore, create_version_1
from tests.support.history_fixtures import assert_rerun_is_identical_or_says_why


def test_a_version_1_history_is_migrated_in_place_with_every_entry(v1_history):
    store = HistoryStore(v1_history.history)
    try:
        assert store.schema_version == SCHEMA_VERSION
        records = store.records()
        assert sorted(r.id for r in records) == [1, 2, 3]  # ids kept
        assert all(r.status == "finished" and r.engine == "design" and r.kind == "cover"
                   for r in records)
        assert all(r.request_version == 1 and len(r.outputs) == 1 for r in records)
        seeds = {r.id: r.outputs[0].seed for r in records}
        assert seeds == {1: 11, 2: 12, 3: 3}
        sizes = {r.id: (r.outputs[0].width, r.outputs[0].height) for r in records}
        assert sizes == {1: (256, 256), 2: (256, 256), 3: (320, 320)}
        for record in records:
            output = record.outputs[0]
            assert Path(output.path).is_file() and output.bytes == Path(output.path).stat().st_size
            kinds = {n.kind for n in record.notes}
            assert kinds == {"explanation"}  # palette, treatment, type: reasons, not warnings
        assert len(store.items()) == 3
    finally:
        store.close()
    again = HistoryStore(v1_history.history)  # opening a migrated database changes nothing
    try:
        assert [r.id for r in again.records()] == [r.id for r in records]
    finally:
        again.close()


def test_migrated_entries_are_listed_and_rerun_identically_or_with_the_engine_note(v1_history, capsys):
    assert cli.main(["history", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(e["id"] for e in listed) == [1, 2, 3]
    services = Services.open(v1_history)
    try:
        items = services.history.items()
        assert len(items) == 3
        for item in items:
            request = services.covers.request_of(item)
            assert request.version == 2 and request.seed == item.seed and request.variants == 1
            assert_rerun_is_identical_or_says_why(services, item)
    finally:
        services.close()


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path):
    folder = tmp_path / "history"
    folder.mkdir()
    path = folder / "history.sqlite3"
    create_version_1(path)
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE items RENAME TO items_from_elsewhere")  # a schema 1 it cannot read
    db.commit()
    db.close()
    with pytest.raises(UserFacingError) as caught:
        HistoryStore(folder)
    assert "left it as it is" in caught.value.message
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "items_from_elsewhere" in tables and "jobs" not in tables
    finally:
        db.close()


def test_the_window_shows_a_migrated_history(v1_history, qtbot):
    from albumstudio.ui.main_window import MainWindow

    window = MainWindow(v1_history)
    qtbot.addWidget(window)
    try:
        assert window.history.list.count() == 3
    finally:
        window.shutdown()
