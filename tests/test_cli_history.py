"""``albumstudio history list|show|rerun|delete|restore|empty-trash|favourite|clean|disk``,
driven through ``albumstudio.cli.main`` on a real history in the test's data folder."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from albumstudio import cli
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.png_settings import settings_of, strip_settings
from albumstudio.services.covers import CoverService, compressed_png
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import default_paths
from tests.support.requests import cover_request


@pytest.fixture
def made():
    """Three design covers: 'harbour' (two variants), 'fox' twice (one shared file)."""
    paths = default_paths().ensure()
    store = HistoryStore(paths.history)
    covers = CoverService(ModelCache(), store)
    try:
        harbour = covers.run(cover_request(
            "design", prompt="neon rain over a harbour", title="Harbour Lights",
            artist="Nadia Sol", size=256, seed=3, variants=2, layout="centered"))
        fox = cover_request("design", prompt="ink fox", title="Fox Song", artist="The Echoes",
                            size=256, seed=9, layout="stacked")
        fox_1 = covers.run(fox)
        fox_2 = covers.run(fox)
    finally:
        store.close()
    return paths, harbour, fox_1, fox_2


def run(capsys, *argv):
    code = cli.main(["history", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence_error(code, err):
    return code == 2 and err.startswith("albumstudio: error: ") and err.count("\n") == 1


def test_list_filters_searches_and_limits(made, capsys):
    _, harbour, fox_1, fox_2 = made
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0 and [e["id"] for e in json.loads(out)] == [fox_2.id, fox_1.id, harbour.id]
    code, out, _ = run(capsys, "list", "--json", "--search", "harb")
    assert [e["id"] for e in json.loads(out)] == [harbour.id]
    code, out, _ = run(capsys, "list", "--json", "--search", "echoes", "--limit", "1")
    assert [e["id"] for e in json.loads(out)] == [fox_2.id]
    assert run(capsys, "favourite", str(fox_1.id))[0] == 0
    code, out, _ = run(capsys, "list", "--favourites")
    assert code == 0 and out.splitlines()[0].split()[0] == f"{fox_1.id}*"
    code, out, _ = run(capsys, "list", "--json", "--kind", "poster")
    assert json.loads(out) == []
    code, out, _ = run(capsys, "list", "--search", "nothing-like-this")
    assert out.strip() == "No entry matches."
    code, out, _ = run(capsys, "list", "--sort", "track", "--json")
    assert [e["id"] for e in json.loads(out)] == [fox_2.id, fox_1.id, harbour.id]  # F < H
    assert one_sentence_error(*run(capsys, "list", "--limit", "0")[::2])


def test_show_gives_every_setting_models_timings_notes_and_files(made, capsys):
    _, harbour, _, _ = made
    code, out, _ = run(capsys, "show", str(harbour.id), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["id"] == harbour.id
    for key in ("prompt", "title", "artist", "size", "seed", "layout", "treatment", "grain",
                "mood.energy", "mood.tags", "variants"):
        assert key in shown["settings"], key
    assert shown["settings"]["layout"] == "centered" and shown["request"]["seed"] == 3
    assert [o["seed"] for o in shown["outputs"]] == [3, 4]
    assert shown["timings"]["generate"] > 0 and shown["explanations"]
    assert shown["models"] == [] and shown["favourite"] is False
    code, out, _ = run(capsys, "show", str(harbour.id))
    assert code == 0 and "settings:" in out and "layout" in out and "centered" in out
    assert out.count("file ") == 2 and harbour.outputs[1].path in out
    assert one_sentence_error(*run(capsys, "show", "999")[::2])


def test_rerun_saves_identical_bytes_with_the_settings_and_never_overwrites(made, capsys,
                                                                             tmp_path):
    paths, harbour, _, _ = made
    out_file = tmp_path / "again.png"
    code, out, err = run(capsys, "rerun", str(harbour.id), "--output", "2", "--out",
                         str(out_file), "--no-history")
    assert code == 0, err
    assert f"identical to entry {harbour.id}" in out and "seed 4" in out
    saved = out_file.read_bytes()
    # the history's pixels, compressed for keeping as every saved cover is, then the settings
    assert strip_settings(saved) == compressed_png(open(harbour.outputs[1].path, "rb").read())
    assert settings_of(saved)["seed"] == 4
    code, _, err = run(capsys, "rerun", str(harbour.id), "--out", str(out_file))
    assert one_sentence_error(code, err) and "already exists" in err
    code, out, err = run(capsys, "rerun", str(harbour.id), "--out", str(out_file), "--overwrite")
    assert code == 0 and "kept in the history as entry" in err
    assert one_sentence_error(*run(capsys, "rerun", "999", "--out",
                                   str(tmp_path / "x.png"))[::2])
    assert one_sentence_error(*run(capsys, "rerun", str(harbour.id), "--output", "3", "--out",
                                   str(tmp_path / "y.png"))[::2])
    db = sqlite3.connect(paths.history / "history.sqlite3")  # made by an older engine
    db.execute("UPDATE jobs SET engine_version = 0 WHERE id = ?", (harbour.id,))
    db.commit()
    db.close()
    code, out, err = run(capsys, "rerun", str(harbour.id), "--out", str(tmp_path / "z.png"),
                         "--no-history")
    assert code == 0 and "engine has changed since this cover was made" in err


def test_delete_restore_and_empty_trash_keep_a_file_still_in_use(made, capsys):
    _, harbour, fox_1, fox_2 = made
    shared = fox_1.outputs[0].path
    assert shared == fox_2.outputs[0].path
    code, out, _ = run(capsys, "delete", str(fox_1.id), str(harbour.id))
    assert code == 0 and "Moved entries" in out and "restore" in out
    code, out, _ = run(capsys, "list", "--json")
    assert [e["id"] for e in json.loads(out)] == [fox_2.id]
    code, out, _ = run(capsys, "list", "--trash", "--json")
    assert sorted(e["id"] for e in json.loads(out)) == sorted([fox_1.id, harbour.id])
    assert run(capsys, "restore", str(harbour.id))[0] == 0  # undo
    code, out, _ = run(capsys, "list", "--json")
    assert sorted(e["id"] for e in json.loads(out)) == sorted([fox_2.id, harbour.id])
    code, out, _ = run(capsys, "empty-trash")
    assert code == 0 and out.startswith("Removed 1 entry and 0 files")
    assert open(shared, "rb").read()  # fox_2 still uses it
    assert one_sentence_error(*run(capsys, "show", str(fox_1.id))[::2])  # gone for good
    assert one_sentence_error(*run(capsys, "delete", "999")[::2])
    assert one_sentence_error(*run(capsys, "restore", "999")[::2])
    assert run(capsys, "empty-trash")[1].strip() == "The trash is empty."


def test_favourite_and_clean_with_a_preview(made, capsys):
    paths, harbour, fox_1, fox_2 = made
    db = sqlite3.connect(paths.history / "history.sqlite3")
    db.execute("UPDATE jobs SET created = ? WHERE id IN (?, ?)",
               (time.time() - 40 * 86400, harbour.id, fox_1.id))
    db.commit()
    db.close()
    assert run(capsys, "favourite", str(harbour.id))[0] == 0
    code, out, _ = run(capsys, "clean", "--older-than", "30", "--dry-run")
    assert code == 0 and "would go to the trash" in out
    assert [line.split()[0] for line in out.splitlines()[:-1]] == [str(fox_1.id)]
    code, out, _ = run(capsys, "list", "--json")
    assert len(json.loads(out)) == 3  # the preview moved nothing
    code, out, _ = run(capsys, "clean", "--older-than", "30")
    assert code == 0 and "Moved 1 entry" in out
    code, out, _ = run(capsys, "list", "--json")
    assert sorted(e["id"] for e in json.loads(out)) == sorted([harbour.id, fox_2.id])
    assert run(capsys, "favourite", str(harbour.id), "--off")[0] == 0
    code, out, _ = run(capsys, "clean", "--older-than", "30", "--dry-run")
    assert out.splitlines()[0].split()[0] == str(harbour.id)
    assert one_sentence_error(*run(capsys, "favourite", "999")[::2])
    code, out, _ = run(capsys, "disk", "--json")
    use = json.loads(out)
    assert use["entries"] == 2 and use["trash_entries"] == 1 and use["files"] == 3
