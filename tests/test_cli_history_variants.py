"""``albumstudio history`` (#13): clips listed by their length and format (not "0×0"), and one
variant of an entry made a favourite, deleted and restored with ``--variant N``."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf

from albumstudio import cli
from albumstudio.core.jobs import JobRecord, Output
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import default_paths


def _wav(seconds: float) -> bytes:
    out = io.BytesIO()
    sf.write(out, np.zeros(int(seconds * 8000), np.float32), 8000, format="WAV")
    return out.getvalue()


@pytest.fixture
def history():
    paths = default_paths().ensure()
    store = HistoryStore(paths.history)
    try:
        audio = store.record(JobRecord(
            kind="clip", engine="highlight", request={"title": "Hook"}, request_version=1,
            status="finished", outputs=(Output("audio/wav", data=_wav(2.5), duration_s=2.5,
                                               seed=None),)))
        video = store.record(JobRecord(
            kind="clip", engine="highlight", request={"title": "Teaser"}, request_version=1,
            status="finished", outputs=(Output("video/mp4", data=b"not played here",
                                               width=1080, height=1920, duration_s=15.0),)))
        cover = store.record(JobRecord(
            kind="cover", engine="design", request={"title": "Two", "seed": 1},
            request_version=2, status="finished",
            outputs=(Output("image/png", data=b"first", width=256, height=256, seed=1),
                     Output("image/png", data=b"second", width=256, height=256, seed=2))))
    finally:
        store.close()
    return paths, audio, video, cover


def run(capsys, *argv):
    code = cli.main(["history", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_clips_are_listed_by_length_and_format(history, capsys):
    _, audio, video, cover = history
    code, out, _ = run(capsys, "list")
    lines = {int(line.split()[0].rstrip("*")): line for line in out.splitlines()}
    assert code == 0 and "0×0" not in out
    assert "2.5 s WAV" in lines[audio.id]
    assert "1080×1920 15.0 s MP4" in lines[video.id]
    assert "256×256 " in lines[cover.id] and "(+1 more)" in lines[cover.id]
    code, out, _ = run(capsys, "show", str(audio.id))
    assert code == 0 and "(audio/wav, 2.5 s WAV, seed None" in out
    code, out, _ = run(capsys, "list", "--json")
    shown = {e["id"]: e for e in json.loads(out)}
    assert shown[audio.id]["duration_s"] == 2.5


def test_one_variant_is_favoured_deleted_and_restored(history, capsys):
    paths, _, _, cover = history
    second = cover.outputs[1].id
    code, out, _ = run(capsys, "favourite", str(cover.id), "--variant", "2")
    assert code == 0 and out == f"Variant 2 of entry {cover.id} is a favourite.\n"
    code, out, _ = run(capsys, "show", str(cover.id))
    assert "seed 2, 6 bytes, favourite)" in out and "seed 1, 5 bytes)" in out
    code, out, _ = run(capsys, "delete", str(cover.id), "--variant", "1")
    assert code == 0 and "moved to the trash" in out
    code, out, _ = run(capsys, "list")
    line = next(line for line in out.splitlines() if line.startswith(f"{cover.id:>5}"))
    assert line.startswith(f"{cover.id:>5}*") and "(1 in the trash)" in line
    code, out, _ = run(capsys, "delete", str(cover.id), "--variant", "1")
    assert "was in the trash already" in out
    store = HistoryStore(paths.history)
    try:
        assert [i.id for i in store.items() if i.job_id == cover.id] == [second]
    finally:
        store.close()
    code, out, _ = run(capsys, "restore", str(cover.id), "--variant", "1")
    assert code == 0 and out == f"Variant 1 of entry {cover.id} restored.\n"
    code, _, err = run(capsys, "delete", str(cover.id), "--variant", "3")
    assert code == 2 and "has 2 variant(s), not 3" in err and err.count("\n") == 1
    code, _, err = run(capsys, "favourite", str(cover.id), "1", "--variant", "1")
    assert code == 2 and "--variant goes with one entry ID." in err
