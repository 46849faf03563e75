"""Proof of the catalogue batch on this machine's worker processes: every kit passes the
release-kit checker, a second run does nothing, a worker killed mid-batch or Ctrl+C leaves no
partial or duplicate folder, and the same catalogue gives byte-identical kits."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from albumstudio.core.errors import InputError
from albumstudio.services import Services
from albumstudio.services.batch import (
    BatchService,
    folder_state,
    leftover_temporaries,
    plan_batch,
)
from albumstudio.services.kit import KitService
from albumstudio.store.paths import DataPaths
from tests.export.test_kit_checker import independent_check
from tests.support.batch_catalogue import kit_bytes, make_catalogue, worker_processes


@pytest.fixture(scope="module")
def label(tmp_path_factory):
    root = tmp_path_factory.mktemp("label")
    catalogue, expected = make_catalogue(root)
    services = Services.open(DataPaths(root / "data", root / "cache").ensure(),
                             with_history=False)
    batch = BatchService(KitService(services))
    events = []
    summary = batch.run(plan_batch(catalogue, root / "kits"), workers=2, events=events.append)
    yield batch, catalogue, expected, root, summary, events
    services.close()


def test_every_release_becomes_a_kit_that_passes_the_checker(label):
    batch, catalogue, expected, root, summary, events = label
    assert not summary.failed and not summary.skipped and not summary.cancelled
    assert sorted(d["release"] for d in summary.done) == sorted(expected)
    assert sorted(p.name for p in (root / "kits").iterdir()) == sorted(expected)
    for name, (track, digest, profile) in expected.items():
        folder = root / "kits" / name
        independent_check(folder, track, digest, profile)
        assert folder_state(folder) == "complete"
    assert (root / "kits" / "Label Band 0 - Song 0" / "poster-qr.png").is_file()
    assert {"reading the track", "making the cover", "writing the folder"} <= set(
        summary.stages)
    assert all(v >= 0 for v in summary.stages.values())
    kinds = [(e.kind, e.release) for e in events]
    for name in expected:
        assert kinds.index(("started", name)) < kinds.index(("done", name))
    assert events[-1].finished == events[-1].total == 3 and events[-1].eta_s == 0
    assert summary.to_dict()["done"][0]["folder"].startswith(str(root / "kits"))
    assert not worker_processes() and not leftover_temporaries(root / "kits")


def test_a_second_run_does_nothing(label):
    batch, catalogue, expected, root, summary, events = label
    before = {p: p.stat().st_mtime_ns for p in (root / "kits").rglob("*")}
    again = batch.run(plan_batch(catalogue, root / "kits"), workers=2)
    assert not again.done and not again.failed
    assert sorted(s["release"] for s in again.skipped) == sorted(expected)
    assert {p: p.stat().st_mtime_ns for p in (root / "kits").rglob("*")} == before
    assert not worker_processes()  # no pool was even started


def test_a_folder_that_no_longer_matches_its_manifest_is_reported_not_remade(label, tmp_path):
    batch, catalogue, expected, root, summary, events = label
    name = "Label Band 1 - Song 1"
    copy = tmp_path / name
    shutil.copytree(root / "kits" / name, copy)
    assert folder_state(copy) == "complete"
    (copy / "extra.txt").write_text("mine")
    assert folder_state(copy) == "different"
    (copy / "extra.txt").unlink()
    cover = copy / "cover.jpg"
    cover.write_bytes(cover.read_bytes()[:-1] + b"\0")
    assert folder_state(copy) == "different"
    (copy / "release.json").write_text("{")
    assert folder_state(copy) == "different"
    assert folder_state(tmp_path / "nothing") == "missing"


def test_a_killed_worker_is_retried_and_leaves_no_partial_or_duplicate_kit(label):
    batch, catalogue, expected, root, summary, events = label
    # the same catalogue plus a row whose track is not audio, into a new folder, one worker
    catalogue2, expected2 = make_catalogue(root, rows=2, broken=True, name="broken.csv",
                                           stamp=int(catalogue.stat().st_mtime))
    killed = []

    def kill_when_started(event):
        if event.kind == "started" and event.release == "Label Band 1 - Song 1" and not killed:
            def kill():
                for process in worker_processes():
                    os.kill(process.pid, signal.SIGKILL)
                    killed.append(process.pid)
            threading.Timer(1.5, kill).start()

    made = batch.run(plan_batch(catalogue2, root / "again"), workers=1,
                     events=kill_when_started)
    assert killed and made.retried >= 1
    assert sorted(d["release"] for d in made.done) == sorted(expected2)
    assert [(f["row"], f["release"]) for f in made.failed] == [(4, "Label Band 9 - Broken")]
    reason = made.failed[0]["reason"]
    assert reason.startswith("The track 'broken.wav'") or "broken.wav" in reason
    assert "broken.wav" in reason and "\n" not in reason and "Traceback" not in reason
    assert sorted(p.name for p in (root / "again").iterdir()) == sorted(expected2)
    for name, (track, digest, profile) in expected2.items():
        independent_check(root / "again" / name, track, digest, profile)
        # same seed, same picture, same track → the same kit, byte for byte
        assert kit_bytes(root / "again" / name) == kit_bytes(root / "kits" / name)
    assert not worker_processes() and not leftover_temporaries(root / "again")


def test_a_second_run_into_another_folder_makes_the_same_bytes_release_json_included(label):
    """Run 2 of the same catalogue (other workers, a ledger that now holds run 1's covers, a
    later clock) gives every file of every kit byte for byte, release.json too: its time is
    the catalogue's own and its checks state results, not how much was exported before."""
    batch, catalogue, expected, root, summary, events = label
    second = batch.run(plan_batch(catalogue, root / "second"), workers=1)
    assert not second.failed and len(second.done) == len(expected)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(catalogue.stat().st_mtime))
    for name in expected:
        ours = kit_bytes(root / "second" / name)
        assert ours == kit_bytes(root / "kits" / name), name
        assert json.loads(ours["release.json"])["created"] == stamp


def test_the_time_a_kit_records_is_the_rows_then_source_date_epoch_then_the_catalogues(
        tmp_path, monkeypatch):
    from albumstudio.export.kit_manifest import created_stamp

    catalogue, _expected = make_catalogue(tmp_path, rows=2, seconds=1.0, stamp=1_600_000_000)
    lines = catalogue.read_text("utf-8").splitlines()
    lines[0] += ",Created"
    lines[1] += ",2024-05-31T18:00:00+02:00"
    lines[2] += ","
    catalogue.write_text("\n".join(lines) + "\n", "utf-8")
    os.utime(catalogue, (1_600_000_000, 1_600_000_000))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = plan_batch(catalogue, tmp_path / "kits").releases
    assert (first.created, second.created) == (1_717_171_200, 1_600_000_000)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    first, second = plan_batch(catalogue, tmp_path / "kits").releases
    assert (first.created, second.created) == (1_717_171_200, 1_234_567_890)
    assert created_stamp() == "2009-02-13T23:31:30+0000" == created_stamp(1_234_567_890)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="^SOURCE_DATE_EPOCH is 'yesterday', not a whole"):
        plan_batch(catalogue, tmp_path / "kits")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert created_stamp() == time.strftime("%Y-%m-%dT%H:%M:%S%z")  # no fixed time: now


def test_ctrl_c_stops_the_pool_and_leaves_no_half_written_folder(label):
    batch, catalogue, expected, root, summary, events = label
    out = root / "interrupted"
    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))

    def interrupt_once_started(event):
        if event.kind == "started" and not timer.is_alive() and not timer.finished.is_set():
            timer.start()

    stopped = batch.run(plan_batch(catalogue, out), workers=2, events=interrupt_once_started)
    timer.join()
    assert stopped.cancelled and len(stopped.done) < 3
    assert not worker_processes()
    assert not leftover_temporaries(out)
    for folder in out.iterdir():  # whatever was written is whole
        assert folder_state(folder) == "complete"


def test_a_row_the_kit_refuses_is_one_sentence_before_anything_is_made(tmp_path):
    services = Services.open(DataPaths(tmp_path / "data", tmp_path / "cache").ensure(),
                             with_history=False)
    batch = BatchService(KitService(services))
    (tmp_path / "raw.aac").write_bytes(b"\xff\xf1")
    bad = tmp_path / "bad.csv"
    bad.write_text("track,title,artist\nraw.aac,Raw,Band\n")
    with pytest.raises(InputError, match=r"^Row 2 of 'bad.csv': 'raw.aac' cannot carry a cover"):
        batch.run(plan_batch(bad, tmp_path / "kits"))
    assert not (tmp_path / "kits").exists()
    twice = tmp_path / "twice.csv"
    twice.write_text("track,title,artist\nraw.aac,Raw,Band\nraw.aac,raw,band\n")
    with pytest.raises(InputError, match="Rows 2 and 3 of 'twice.csv' are both 'Band - Raw'"):
        plan_batch(twice, tmp_path / "kits")
    services.close()


def test_unfinished_folders_of_a_killed_batch_are_swept_after_the_grace_period(tmp_path):
    from albumstudio.export.kit_writer import KIT_TEMP_PREFIX
    from albumstudio.services.batch import sweep_abandoned

    old = tmp_path / f"{KIT_TEMP_PREFIX}abc.tmp"
    (old / "clips").mkdir(parents=True)
    (old / "cover.jpg").write_bytes(b"half")
    young = tmp_path / f"{KIT_TEMP_PREFIX}def.tmp"
    young.mkdir()
    mine = tmp_path / "Artist - Title"
    mine.mkdir()
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(mine, (1_000_000, 1_000_000))
    assert sweep_abandoned(tmp_path) == 1
    assert not old.exists() and young.exists() and mine.exists()


def test_a_worker_that_cannot_see_our_files_makes_the_same_kit_from_their_bytes(label,
                                                                                tmp_path):
    """What a remote cluster's worker does: the track and picture arrive as bytes, are
    written to its scratch folder, and the kit names them as the catalogue does."""
    from dataclasses import replace

    from albumstudio.services.batch import BatchJob, _request, prepare_release

    batch, catalogue, expected, root, summary, events = label
    release = plan_batch(catalogue, root / "kits").releases[0]
    name = "Label Band 0 - Song 0"
    elsewhere = tmp_path / "not-on-this-worker"
    request = _request(release, root / "kits")
    job = BatchJob(release.row, name, replace(request, track=str(elsewhere / "song0.flac"),
                                              image=str(elsewhere / "photo0.jpg")),
                   batch.kits.services.paths, track_bytes=Path(release.track).read_bytes(),
                   image_bytes=Path(release.image).read_bytes())
    made = prepare_release(job)
    assert made.prepared.cover.request["image_path"] == str(elsewhere / "photo0.jpg")
    assert made.prepared.clip.request["track_path"] == str(elsewhere / "song0.flac")
    out = tmp_path / "kits"
    out.mkdir()
    written = batch.kits.write(replace(made.prepared, request=replace(
        made.prepared.request, track=release.track, image=release.image, out=str(out))))
    theirs, ours = kit_bytes(written.folder), kit_bytes(root / "kits" / name)
    manifest = json.loads(theirs.pop("release.json"))
    reference = json.loads(ours.pop("release.json"))
    assert theirs == ours  # every file but the manifest: the same bytes
    for kind, key in (("cover", "image_path"), ("clip", "track_path")):
        manifest["provenance"][kind]["request"].pop(key)
        reference["provenance"][kind]["request"].pop(key)
    assert manifest == reference
