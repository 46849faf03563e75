"""History schema 3: favourites, the trash, search, filters, sorting, disk use, clean-up, the
sweep on open, and a version 2 history (tests/fixtures/history_v2, written by the schema 2
code) migrated in place."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from albumstudio.core.errors import InputError
from albumstudio.store import history_schema
from albumstudio.store.files import TEMP_PREFIX
from albumstudio.store.history import SCHEMA_VERSION, HistoryQuery, HistoryStore
from albumstudio.store.history_files import stray_files
from tests.support.history_fixtures import (
    assert_every_rerun_is_identical_or_says_why,
    one_item_history,
)

DAY = 86400.0


def _request(prompt, title="", artist="", genre="", tags=(), seed=0):
    return {"version": 2, "engine": "design", "prompt": prompt, "title": title,
            "artist": artist, "genre": genre, "mood": {"tags": list(tags)}, "seed": seed}


def test_a_version_2_history_migrates_searchable_and_reruns_identically_or_with_the_note(v2_history):
    store = HistoryStore(v2_history.history)
    try:
        assert store.schema_version == SCHEMA_VERSION == 4
        records = store.records()
        assert sorted(r.id for r in records) == [1, 2, 3, 4]
        assert {r.id: r.status for r in records}[4] == "failed"
        assert [len(r.outputs) for r in sorted(records, key=lambda r: r.id)] == [2, 1, 1, 0]
        assert not any(r.favourite or r.trashed for r in records)
        assert [r.id for r in store.records(query=HistoryQuery(search="harbour"))] == [1]
        assert sorted(r.id for r in store.records(query=HistoryQuery(search="echoes fox"))) \
            == [2, 3]
        assert [r.id for r in store.records(query=HistoryQuery(search="chill"))] == [1]  # tags
        assert len(store.items()) == 4  # the failed job has no output
    finally:
        store.close()
    assert_every_rerun_is_identical_or_says_why(v2_history)


def test_favourites_filters_and_sorting(store):
    a = store.add("cover", b"a", ".png", engine="design", track_hash="t1",
                  request=_request("red sky", title="Beta"))
    b = store.add("cover", b"b", ".png", engine="diffusion", track_hash="t2",
                  request=_request("blue sea", title="alpha"))
    c = store.add("poster", b"c", ".png", engine="plain", track_hash="t1",
                  request=_request("qr", title="Beta"))
    store.set_favourite([b.job_id])
    ids = lambda **q: [r.id for r in store.records(query=HistoryQuery(**q))]  # noqa: E731
    assert ids() == [c.job_id, b.job_id, a.job_id]
    assert ids(favourites=True) == [b.job_id]
    assert ids(kind="cover") == [b.job_id, a.job_id]
    assert ids(engine="diffusion") == [b.job_id]
    assert ids(track="t1") == [c.job_id, a.job_id]
    assert ids(sort="track") == [b.job_id, c.job_id, a.job_id]  # alpha, then Beta newest first
    assert [i.job_id for i in store.items(query=HistoryQuery(favourites=True))] == [b.job_id]
    store.set_favourite([b.job_id], False)
    assert ids(favourites=True) == []
    with pytest.raises(InputError):
        store.set_favourite([999])
    with pytest.raises(InputError):
        store.records(query=HistoryQuery(sort="size"))


@pytest.mark.parametrize("fts5", [True, False], ids=["fts5", "like"])
def test_search_looks_through_prompt_title_artist_and_tags(tmp_path, monkeypatch, fts5):
    if not fts5:
        monkeypatch.setattr(history_schema, "has_fts5", lambda db: False)
    store = HistoryStore(tmp_path / "h")
    try:
        assert store.fts5 is fts5
        a = store.add("cover", b"a", ".png", request=_request(
            "neon rain over a harbour", title="Nachtfahrt", artist="Nadia Sol",
            genre="Electronic", tags=("ambient",)))
        b = store.add("cover", b"b", ".png", request=_request(
            "ink sketch of a fox", title="Fox Song", artist="The Échoes", tags=("folk",)))
        find = lambda text: sorted(  # noqa: E731
            r.id for r in store.records(query=HistoryQuery(search=text)))
        assert find("harbour") == [a.job_id]
        assert find("nacht") == [a.job_id]  # a word's start
        assert find("nadia") == [a.job_id]
        assert find("ambient") == [a.job_id] and find("electronic") == [a.job_id]
        assert find("fox song") == [b.job_id]
        assert find("fox harbour") == []  # every word must be found
        assert find("") == [a.job_id, b.job_id]
        assert find('"fox*" ) (') == [b.job_id]  # no query syntax reaches SQLite
        if fts5:
            assert find("echoes") == [b.job_id]  # diacritics folded
        else:
            assert find("Échoes") == [b.job_id]
    finally:
        store.close()


def test_trash_hides_restore_undoes_and_emptying_keeps_a_file_still_in_use(store):
    shared_1 = store.add("cover", b"same bytes", ".png")
    shared_2 = store.add("cover", b"same bytes", ".png")
    alone = store.add("cover", b"only mine", ".png")
    assert shared_1.path == shared_2.path
    assert store.trash([shared_1.job_id, alone.job_id]) == [shared_1.job_id, alone.job_id]
    assert [i.job_id for i in store.items()] == [shared_2.job_id]
    assert sorted(r.id for r in store.records(query=HistoryQuery(trash=True))) \
        == [shared_1.job_id, alone.job_id]
    assert alone.path.exists()  # files stay while entries are in the trash
    use = store.disk_use()
    assert (use.entries, use.trash_entries, use.files) == (1, 2, 2)
    assert use.trash_bytes == len(b"only mine") and use.bytes == 19
    assert store.restore([alone.job_id]) == [alone.job_id]  # undo
    assert sorted(i.job_id for i in store.items()) == [shared_2.job_id, alone.job_id]
    store.trash([alone.job_id])
    emptied = store.empty_trash()
    assert (emptied.entries, emptied.files, emptied.bytes) == (2, 1, len(b"only mine"))
    assert not alone.path.exists()
    assert shared_2.path.read_bytes() == b"same bytes"  # still used by shared_2
    assert store.get(shared_1.job_id) is None and store.get(shared_2.job_id) is not None
    assert store.records(query=HistoryQuery(search="")) and store.empty_trash().entries == 0
    with pytest.raises(InputError):
        store.trash([12345])


def test_clean_up_previews_then_moves_old_non_favourites_to_the_trash(store, tmp_path):
    now = time.time()
    old = store.add("cover", b"old", ".png")
    old_favourite = store.add("cover", b"old fav", ".png")
    new = store.add("cover", b"new", ".png")
    db = sqlite3.connect(tmp_path / "h" / "history.sqlite3")
    db.execute("UPDATE jobs SET created = ? WHERE id IN (?, ?)",
               (now - 40 * DAY, old.job_id, old_favourite.job_id))
    db.commit()
    db.close()
    store.set_favourite([old_favourite.job_id])
    preview = store.clean_up(30, dry_run=True, now=now)
    assert [r.id for r in preview] == [old.job_id]
    assert len(store.items()) == 3  # a preview changes nothing
    gone = store.clean_up(30, dry_run=False, now=now)
    assert [r.id for r in gone] == [old.job_id]
    assert sorted(i.job_id for i in store.items()) == [old_favourite.job_id, new.job_id]
    assert old.path.exists() and store.restore([old.job_id]) == [old.job_id]


def test_two_stores_on_one_folder_see_each_others_entries(tmp_path):
    first = HistoryStore(tmp_path / "h")
    second = HistoryStore(tmp_path / "h")
    try:
        version = first.data_version()
        b = second.add("cover", b"from the second", ".png", request=_request("second window"))
        assert first.data_version() != version
        a = first.add("cover", b"from the first", ".png")
        assert {i.job_id for i in first.items()} == {i.job_id for i in second.items()} \
            == {a.job_id, b.job_id}
        first.trash([b.job_id])
        assert [i.job_id for i in second.items()] == [a.job_id]
        assert [r.id for r in second.records(query=HistoryQuery(search="second"))] == []
        second.restore([b.job_id])
        assert [r.id for r in first.records(query=HistoryQuery(search="second"))] == [b.job_id]
    finally:
        first.close()
        second.close()


def test_opening_sweeps_old_temporaries_and_unreferenced_files_but_not_young_ones(tmp_path):
    folder = tmp_path / "h"
    kept = one_item_history(folder, b"kept")
    sub = kept.path.parent
    old_temp = sub / f"{TEMP_PREFIX}abc.tmp"
    young_temp = sub / f"{TEMP_PREFIX}def.tmp"
    orphan = folder / "files" / "ff" / ("ff" * 20 + ".png")
    orphan.parent.mkdir()
    for path in (old_temp, young_temp, orphan):
        path.write_bytes(b"x")
    hour_ago = time.time() - 3600
    os.utime(old_temp, (hour_ago, hour_ago))
    os.utime(orphan, (hour_ago, hour_ago))
    store = HistoryStore(folder, sweep_grace_s=600)
    try:
        assert (store.swept.temporaries, store.swept.unreferenced) == (1, 1)
        assert not old_temp.exists() and not orphan.exists()
        assert young_temp.exists() and kept.path.exists()  # maybe another AlbumStudio's
    finally:
        store.close()
    store = HistoryStore(folder, sweep_grace_s=0)
    try:
        assert stray_files(store.files, {kept.path.name}) == []
        assert kept.path.read_bytes() == b"kept"
    finally:
        store.close()
