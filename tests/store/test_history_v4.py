"""History schema 4: one variant of an entry kept as a favourite or moved to the trash on its own,
its files going only when the trash is emptied and nothing else uses them; and a version 3
history (tests/fixtures/history_v3, written by the schema 3 code) migrated in place."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from albumstudio.core.errors import InputError
from albumstudio.core.jobs import JobRecord, Output
from albumstudio.store.history import SCHEMA_VERSION, HistoryQuery, HistoryStore
from tests.support.history_fixtures import assert_every_rerun_is_identical_or_says_why


def test_a_version_3_history_migrates_with_each_variant_taking_its_entrys_state(v3_history):
    store = HistoryStore(v3_history.history)
    try:
        assert store.schema_version == SCHEMA_VERSION == 4
        kept = {r.id: r for r in store.records()}
        assert sorted(kept) == [1, 2, 4, 5]
        assert kept[1].favourite and [o.favourite for o in kept[1].outputs] == [True, True]
        assert not any(o.favourite or o.trashed for r in (kept[2], kept[5]) for o in r.outputs)
        assert kept[4].status == "failed" and kept[4].outputs == ()
        trashed = store.records(query=HistoryQuery(trash=True))
        assert [r.id for r in trashed] == [3]
        assert trashed[0].outputs[0].trashed == trashed[0].trashed is not None
        assert [i.job_id for i in store.items(query=HistoryQuery(favourites=True))] == [1, 1]
        assert [r.job_id for r in store.rows(HistoryQuery(trash=True))] == [3]
        assert [r.id for r in store.records(query=HistoryQuery(search="harbour"))] == [1]
        # the trashed entry shares its file with entry 2: emptying keeps it
        shared = Path(kept[2].outputs[0].path)
        emptied = store.empty_trash()
        assert (emptied.entries, emptied.files) == (1, 0) and shared.is_file()
    finally:
        store.close()
    again = HistoryStore(v3_history.history)  # a migrated database opens as it is
    try:
        assert again.schema_version == 4 and sorted(r.id for r in again.records()) == [1, 2, 4, 5]
    finally:
        again.close()
    assert_every_rerun_is_identical_or_says_why(v3_history)


def _two_variants(store: HistoryStore, first: bytes, second: bytes) -> JobRecord:
    return store.record(JobRecord(
        kind="cover", engine="design", request={"prompt": "two of them", "seed": 1,
                                                "variants": 2},
        request_version=2, status="finished", created=time.time(),
        outputs=(Output("image/png", data=first, seed=1), Output("image/png", data=second,
                                                                  seed=2))))


def test_one_variant_is_a_favourite_and_the_entry_follows(store):
    entry = _two_variants(store, b"first", b"second")
    one, other = (o.id for o in entry.outputs)
    store.set_variant_favourite([other])
    record = store.get(entry.id)
    assert record is not None and record.favourite  # an entry with a favourite variant
    assert [o.favourite for o in record.outputs] == [False, True]
    assert [i.id for i in store.items(query=HistoryQuery(favourites=True))] == [other]
    assert [r.id for r in store.rows(HistoryQuery(favourites=True))] == [other]
    assert [r.favourite for r in store.rows()] == [False, True]
    store.set_variant_favourite([other], False)
    assert not store.get(entry.id).favourite  # type: ignore[union-attr]
    store.set_favourite([entry.id])  # the whole entry: every variant
    assert [r.favourite for r in store.rows()] == [True, True]
    with pytest.raises(InputError):
        store.set_variant_favourite([9999])


def test_one_variant_to_the_trash_undo_and_emptying_keeps_a_file_still_in_use(store):
    entry = _two_variants(store, b"mine alone", b"shared bytes")
    elsewhere = store.add("cover", b"shared bytes", ".png")
    alone, shared = entry.outputs
    assert store.trash_variants([alone.id]) == [alone.id]
    assert store.trash_variants([alone.id]) == []  # already there
    assert [i.id for i in store.items()] == [elsewhere.id, shared.id]
    assert [r.id for r in store.rows(HistoryQuery(trash=True))] == [alone.id]
    record = store.get(entry.id)
    assert record is not None and record.trashed is None  # the entry keeps a variant
    assert [o.trashed is not None for o in record.outputs] == [True, False]
    assert entry.id in [r.id for r in store.records(query=HistoryQuery(trash=True))]
    use = store.disk_use()
    assert (use.trash_entries, use.trash_variants) == (0, 1)
    assert use.trash_bytes == len(b"mine alone")
    assert store.restore_variants([alone.id]) == [alone.id]  # undo
    assert [i.id for i in store.items()] == [elsewhere.id, alone.id, shared.id]
    store.trash_variants([alone.id, shared.id])  # every variant: the entry is in the trash
    assert store.get(entry.id).trashed is not None  # type: ignore[union-attr]
    assert [r.id for r in store.records()] == [elsewhere.job_id]
    store.restore_variants([shared.id])
    assert store.get(entry.id).trashed is None  # type: ignore[union-attr]
    assert Path(alone.path).is_file()  # files stay while in the trash
    emptied = store.empty_trash()
    assert (emptied.entries, emptied.variants, emptied.files) == (0, 1, 1)
    assert emptied.bytes == len(b"mine alone") and not Path(alone.path).exists()
    left = store.get(entry.id)
    assert left is not None and [o.id for o in left.outputs] == [shared.id]
    store.trash_variants([shared.id])
    emptied = store.empty_trash()
    assert (emptied.entries, emptied.files) == (1, 0)  # the entry went, its file is used
    assert store.get(entry.id) is None
    assert Path(shared.path).read_bytes() == b"shared bytes"
    with pytest.raises(InputError):
        store.trash_variants([12345])


def test_trashing_and_restoring_a_whole_entry_moves_every_variant(store):
    entry = _two_variants(store, b"a", b"b")
    store.trash_variants([entry.outputs[0].id])
    assert store.trash([entry.id]) == [entry.id]
    assert all(o.trashed is not None for o in store.get(entry.id).outputs)  # type: ignore
    assert store.items() == []
    assert store.restore([entry.id]) == [entry.id]
    assert len(store.items()) == 2
    store.trash_variants([entry.outputs[1].id])
    assert store.restore([entry.id]) == [entry.id]  # part of it was in the trash
    assert len(store.items()) == 2


def test_a_file_two_variants_share_stays_while_one_of_them_is_kept(store):
    entry = _two_variants(store, b"same picture", b"same picture")
    first, second = entry.outputs
    assert first.path == second.path
    store.trash_variants([first.id])
    emptied = store.empty_trash()
    assert (emptied.variants, emptied.files, emptied.bytes) == (1, 0, 0)
    assert Path(second.path).read_bytes() == b"same picture"
    assert store.disk_use().trash_bytes == 0
    store.trash_variants([second.id])
    assert store.disk_use().trash_bytes == len(b"same picture")
    emptied = store.empty_trash()
    assert (emptied.entries, emptied.files) == (1, 1) and not Path(second.path).exists()
