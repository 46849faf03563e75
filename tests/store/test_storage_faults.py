"""Read-only drives, full disks and no permission are sentences, never "please report it"; the
work is still done and returned, and nothing of the artist's is lost (#11 item 4)."""

from __future__ import annotations

import errno
import io
import os
import pathlib
import tempfile

import pytest
from PIL import Image

from albumstudio import cli
from albumstudio.core.errors import UserFacingError
from albumstudio.export.cover_file import write_cover
from albumstudio.store import files, storage
from albumstudio.store.cache import ContentCache
from albumstudio.store.logs import log_unexpected, start_log, stop_log
from tests.support.synth import tone, write


@pytest.fixture(autouse=True)
def fresh_warnings():
    storage.forget_warnings()
    yield
    storage.forget_warnings()
    storage.set_listener(None)


def read_only_below(monkeypatch, root: pathlib.Path) -> None:
    """Everything under ``root`` behaves as on a drive mounted read-only: folders cannot be
    made and files cannot be created (reading what is there still works)."""
    real_mkdir, real_mkstemp = pathlib.Path.mkdir, tempfile.mkstemp

    def under(path: object) -> bool:
        return os.path.abspath(os.fspath(path)).startswith(os.fspath(root))

    def mkdir(self, *args, **kwargs):
        if under(self) and not self.is_dir():
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(self))
        return real_mkdir(self, *args, **kwargs)

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and under(dir):
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)


def test_a_cache_that_cannot_be_written_is_a_warning_once_and_the_result_stands(
        tmp_path, monkeypatch):
    read_only_below(monkeypatch, tmp_path / "cache")
    cache = ContentCache(tmp_path / "cache" / "analysis", ".json")
    cache.put_json("ab" * 32, {"tempo": 120})
    ContentCache(tmp_path / "cache" / "peaks", ".npz").put_bytes("cd" * 32, b"x")
    assert cache.get_json("ab" * 32) is None  # not kept, and nothing raised
    told = storage.take_warnings()
    assert len(told) == 1 and storage.take_warnings() == []
    assert told[0].startswith("The cache folder (")
    assert told[0].endswith("cannot be written (the drive is read-only); results are used but "
                            "not kept for next time.")


def test_analyze_on_a_read_only_data_and_cache_folder_prints_results_and_warnings(
        tmp_path, data_home, monkeypatch, capsys):
    track = write(tmp_path / "tone.wav", tone(3.0, 22050), 22050)
    read_only_below(monkeypatch, data_home)
    assert cli.main(["analyze", str(track)]) == 0
    out, err = capsys.readouterr()
    assert "tempo" in out and "description" in out
    assert "unexpected" not in err and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("albumstudio: warning: ") for line in lines)
    assert any("cache folder" in line and "read-only" in line for line in lines)
    assert not data_home.exists()


def test_a_cover_into_a_read_only_data_folder_is_made_and_not_kept_in_the_history(
        tmp_path, data_home, monkeypatch, capsys):
    track = write(tmp_path / "tone.wav", tone(3.0, 22050), 22050)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    read_only_below(monkeypatch, data_home)
    assert cli.main(["cover", str(track), "--size", "256", "--out", str(out_dir / "c.png")]) == 0
    err = capsys.readouterr().err
    assert (out_dir / "c.png").stat().st_size > 1000
    assert "history folder" in err and "not kept in AlbumStudio's history" in err
    assert "unexpected" not in err


@pytest.mark.parametrize(("code", "words"), [
    (errno.ENOSPC, "the disk is full; free some space or choose another drive."),
    (errno.EROFS, "the drive is read-only; choose a folder on a drive you can write to."),
    (errno.EACCES, "you do not have permission to write there; choose a folder you own or "
                   "change its permissions."),
])
def test_saving_into_a_full_or_read_only_place_keeps_the_old_file_and_leaves_no_temporary(
        tmp_path, monkeypatch, code, words):
    target = tmp_path / "cover.png"
    target.write_bytes(b"the artist's earlier cover")

    def fail(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.os, "fsync", fail)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 90)).save(buffer, "PNG")
    data = buffer.getvalue()
    with pytest.raises(storage.StorageError) as caught:
        write_cover(data, target, overwrite=True)
    assert isinstance(caught.value, UserFacingError)
    assert caught.value.message == f"Could not save 'cover.png': {words}"
    assert target.read_bytes() == b"the artist's earlier cover"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cover.png"]


def test_the_cli_says_a_full_disk_in_one_sentence_with_exit_code_2(
        tmp_path, data_home, monkeypatch, capsys):
    track = write(tmp_path / "tone.wav", tone(3.0, 22050), 22050)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    code = cli.main(["cover", str(track), "--size", "256", "--no-history",
                     "--out", str(tmp_path / "c.png")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.splitlines()[0] == ("albumstudio: error: Could not save 'c.png': the disk is full; "
                                   "free some space or choose another drive.")
    assert not (tmp_path / "c.png").exists()


def test_without_a_log_file_an_unexpected_error_never_prints_a_traceback(
        tmp_path, monkeypatch, capsys):
    read_only_below(monkeypatch, tmp_path)
    try:
        assert start_log(tmp_path / "logs") is None
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            assert log_unexpected("testing", exc) == ""
    finally:
        stop_log()
    assert capsys.readouterr().err == ""


def test_the_window_shows_storage_warnings_from_any_thread_once(qtbot):
    import threading

    from albumstudio.ui.notifier import StorageWatch

    shown: list[str] = []
    storage.note_unwritable("/nowhere/cache", OSError(errno.ENOSPC, "full"), "the cache folder",
                            "results are used but not kept for next time")
    watch = StorageWatch(shown.append)
    try:
        qtbot.waitUntil(lambda: len(shown) == 1)  # noted before the window: flushed at start
        worker = threading.Thread(target=storage.note_unwritable, args=(
            "/nowhere/data/history", OSError(errno.EROFS, "ro"), "the history folder",
            "covers you make now are not kept after you quit"))
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: len(shown) == 2)
        storage.note_unwritable("/nowhere/cache/peaks", OSError(errno.ENOSPC, "full"),
                                "the cache folder", "results are used but not kept")
        qtbot.wait(50)
        assert len(shown) == 2
        assert "the disk is full" in shown[0] and "read-only" in shown[1]
    finally:
        watch.stop()
