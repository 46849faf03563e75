"""The model manager against a tiny hub on 127.0.0.1: progress, cancel, resume, verify and
repair, offline within a second, and a cache laid out as huggingface_hub lays it out."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from albumstudio.core.errors import CancelledError, InputError, ModelMissingError
from albumstudio.core.model_registry import default_model, use_local_folders
from albumstudio.services.model_downloads import DownloadError, DownloadProgress, OfflineError
from albumstudio.services.model_manager import ModelManager
from tests.support.tiny_hub import LFS_SUFFIXES, SEG

# other test modules import these two from here
from tests.support.tiny_hub import seg_repo as seg_repo
from tests.support.tiny_hub import tiny_weights as tiny_weights


@pytest.fixture(autouse=True)
def no_local_folders_afterwards():
    """A folder chosen for a role changes default_model for the process: never past a test."""
    yield
    use_local_folders({})


def fetched(hub, name):
    """The GETs that served ``name``'s bytes (weights come from the "CDN" the hub redirects to)."""
    if name.endswith(LFS_SUFFIXES):
        return [r for r in hub.requests if r[0] == "GET" and r[1].startswith("/cdn/")
                and r[1].endswith(f"/{name}")]
    return [r for r in hub.requests if r[0] == "GET" and r[1].endswith(f"/resolve/"
            f"{hub.repos[SEG].commit}/{name}")]


def test_a_download_fetches_only_the_needed_files_with_progress(hub, manager):
    reports: list[DownloadProgress] = []
    status = manager.download("segmenter", reports.append)
    assert status.state == "present"
    total = sum(len(hub.repos[SEG].files[n]) for n in
                ("config.json", "preprocessor_config.json", "model.safetensors"))
    assert reports and reports[-1].bytes_done == reports[-1].bytes_total == total
    assert reports[-1].fraction == 1.0
    done = [r.bytes_done for r in reports]
    assert done == sorted(done)
    assert not fetched(hub, "pytorch_model.bin") and not fetched(hub, "README.md")
    # the hub library finds what the manager fetched: one cache, nothing stored twice
    from huggingface_hub import scan_cache_dir, try_to_load_from_cache

    found = try_to_load_from_cache(SEG, "model.safetensors", cache_dir=str(manager.cache))
    assert isinstance(found, str)
    with open(found, "rb") as handle:
        assert handle.read() == hub.repos[SEG].files["model.safetensors"]
    info = scan_cache_dir(manager.cache)
    repo = next(iter(info.repos))
    assert repo.repo_id == SEG and {r.commit_hash for r in repo.revisions} == {hub.repos[SEG].commit}
    assert manager.disk().used_bytes == total


def test_a_second_download_fetches_nothing(hub, manager):
    manager.download(SEG)
    count = len(hub.requests)
    assert manager.download(SEG).state == "present"
    assert [r for r in hub.requests[count:] if "/resolve/" in r[1]] == []


def test_cancel_stops_and_the_next_download_resumes_with_a_range(hub, manager):
    hub.delay_s, hub.chunk = 0.01, 16 * 1024
    cancel = threading.Event()

    reports: list[DownloadProgress] = []

    def report(p: DownloadProgress) -> None:
        reports.append(p)
        if p.bytes_done > 0.3 * p.bytes_total:
            cancel.set()

    started = time.monotonic()
    with pytest.raises(CancelledError):
        manager.download(SEG, report, cancel)
    assert time.monotonic() - started < 5
    assert reports[-1].speed_bps > 0 and reports[-1].eta_s is not None
    assert "MB/s" in reports[-1].text and reports[-1].bytes_done < reports[-1].bytes_total
    status = manager.status(manager.entry(SEG))
    assert status.state == "incomplete"
    hub.delay_s = 0.0
    assert manager.download(SEG).state == "present"
    ranges = [r[2] for r in fetched(hub, "model.safetensors")]
    assert ranges[0] == "" and ranges[-1].startswith("bytes=") and ranges[-1] != "bytes=0-"
    assert manager.verify(SEG).ok


def test_a_dropped_connection_resumes_where_it_stopped(hub, manager):
    hub.drop_once = {"model.safetensors"}
    size = len(hub.repos[SEG].files["model.safetensors"])
    manager.download(SEG)
    ranges = [r[2] for r in fetched(hub, "model.safetensors")]
    assert ranges == ["", f"bytes={size // 2}-"]
    report = manager.verify(SEG)
    assert report.ok and report.results["model.safetensors"] == "ok"


def test_verify_finds_a_corrupted_blob_and_repair_fetches_it_again(hub, manager):
    manager.download(SEG)
    on_disk = manager.status(manager.entry(SEG))
    blob = (manager.cache / f"models--{SEG.replace('/', '--')}" / "snapshots" /
            on_disk.commit / "model.safetensors").resolve()
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped: only the hash can tell
    blob.write_bytes(bytes(data))
    assert manager.status(manager.entry(SEG)).state == "present"  # not checked yet
    report = manager.verify(SEG)
    assert report.damaged == ["model.safetensors"] and not report.ok
    assert report.results["config.json"] == "ok"  # git blob sha1 of a small file
    assert "damaged" in report.sentence()
    assert manager.status(manager.entry(SEG)).state == "damaged"  # remembered
    before = len(fetched(hub, "model.safetensors"))
    repaired = manager.repair(SEG)
    assert repaired.results["model.safetensors"] == "repaired"
    assert len(fetched(hub, "model.safetensors")) == before + 1
    assert not fetched(hub, "config.json")[1:]  # the sound files were kept
    assert manager.verify(SEG).ok
    assert manager.status(manager.entry(SEG)).state == "present"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("endpoint", [f"http://127.0.0.1:{closed_port()}",
                                      "http://no-such-host.invalid"])
def test_offline_answers_within_a_second_and_what_is_here_still_works(hub, tmp_path,
                                                                       endpoint):
    cache = tmp_path / "hf" / "hub"
    ModelManager(cache=cache, endpoint=hub.endpoint).download(SEG)
    offline = ModelManager(cache=cache, endpoint=endpoint)
    started = time.monotonic()
    with pytest.raises(OfflineError, match="offline") as caught:
        offline.download("musicgen")
    assert time.monotonic() - started < 1.0
    assert caught.value.message.count(". ") == 0  # one sentence
    states = {s.entry.id: s.state for s in offline.statuses()}
    assert states[SEG] == "present" and states["facebook/musicgen-small"] == "missing"
    assert offline.verify(SEG).ok


def test_the_environment_chooses_the_cache_and_the_endpoint_even_when_the_app_is_offline(
        hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "shared-cache"))
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # what the app sets for the model libraries
    manager = ModelManager()
    assert manager.download("segmenter").state == "present"
    assert (tmp_path / "shared-cache" / f"models--{SEG.replace('/', '--')}" / "refs" /
            "main").read_text() == hub.repos[SEG].commit


def test_remove_frees_the_space(hub, manager):
    manager.download(SEG)
    assert manager.remove("segmenter") > 1_000_000
    assert manager.status(manager.entry(SEG)).state == "missing"
    with pytest.raises(ModelMissingError):
        manager.verify(SEG)


def test_bad_names_and_missing_weights_are_one_sentence(hub, manager):
    with pytest.raises(InputError, match="neither a model nor a role"):
        manager.download("no-such-role")
    with pytest.raises(InputError, match="ships with AlbumStudio"):
        manager.download("MTT_musicnn")
    del hub.repos[SEG].files["model.safetensors"]
    with pytest.raises(DownloadError, match="has no model.safetensors"):
        manager.download(SEG)


def test_downloads_queue_one_at_a_time_and_a_waiting_one_can_be_cancelled(hub, manager):
    hub.delay_s, hub.chunk = 0.01, 32 * 1024
    first_started = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            manager.download(SEG, lambda p: first_started.set())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    worker = threading.Thread(target=first)
    worker.start()
    assert first_started.wait(5)
    waiting = threading.Event()
    waiting.set()
    with pytest.raises(CancelledError):
        manager.download(SEG, None, waiting)
    worker.join(10)
    assert not errors and manager.status(manager.entry(SEG)).state == "present"


def test_a_local_folder_for_a_role_is_kept(tmp_path, manager):
    with pytest.raises(InputError, match="not a folder"):
        manager.set_local_folder("segmenter", str(tmp_path / "nowhere"))
    folder = tmp_path / "my-seg"
    folder.mkdir()
    with pytest.raises(InputError, match="holds no model"):
        manager.set_local_folder("segmenter", str(folder))
    (folder / "config.json").write_text("{}")
    manager.set_local_folder("segmenter", str(folder))
    status = ModelManager(cache=manager.cache).status(manager.entry("segmenter"))
    assert status.state == "local folder" and status.folder == str(folder.resolve())
    assert default_model("segmenter") == str(folder.resolve())  # what the engines now load
    use_local_folders({})
    from albumstudio.services import prepare_environment

    prepare_environment()  # as the app and the CLI start: the choice is read back
    assert default_model("segmenter") == str(folder.resolve())
    manager.set_local_folder("segmenter", None)
    assert manager.status(manager.entry("segmenter")).state == "missing"
    assert default_model("segmenter") == SEG
    with pytest.raises(InputError, match="ships with AlbumStudio"):
        manager.set_local_folder("tagger", str(folder))


def test_a_file_another_program_is_fetching_is_waited_for(hub, manager):
    """The lock huggingface_hub takes for a blob is honoured: while it is held (say by
    `hf download`) the manager waits, and a waiting download can be cancelled."""
    from filelock import FileLock

    repo = hub.repos[SEG]
    folder = f"models--{SEG.replace('/', '--')}"
    lock = FileLock(str(manager.cache / ".locks" / folder / f"{repo.etag('model.safetensors')}.lock"))
    (manager.cache / ".locks" / folder).mkdir(parents=True)
    cancel = threading.Event()
    with lock:
        timer = threading.Timer(0.3, cancel.set)
        timer.start()
        with pytest.raises(CancelledError):
            manager.download(SEG, None, cancel)
        timer.join()
        assert not fetched(hub, "model.safetensors")
    assert manager.download(SEG).state == "present"


def test_a_proxy_in_the_environment_is_what_the_offline_check_tries(hub, manager, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("no_proxy", "")
    with pytest.raises(OfflineError):
        manager.download(SEG)
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # the hub is reached directly again
    assert manager.download(SEG).state == "present"


def test_too_little_space_or_an_unwritable_cache_is_one_sentence(hub, manager, monkeypatch,
                                                                  tmp_path):
    import albumstudio.services.model_manager as module

    real = module.free_bytes
    monkeypatch.setattr(module, "free_bytes", lambda path: 1000)
    with pytest.raises(DownloadError, match="needs .* more but only .* is free"):
        manager.download(SEG)
    assert not fetched(hub, "model.safetensors")
    monkeypatch.setattr(module, "free_bytes", real)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")  # fails even for root
    with pytest.raises(DownloadError, match="cannot be written"):
        ModelManager(cache=blocked / "hub", endpoint=hub.endpoint).download(SEG)


def test_a_stray_unfinished_file_is_cleared_unless_someone_is_writing_it(hub, manager):
    from filelock import FileLock

    manager.download(SEG)
    folder = manager.cache / f"models--{SEG.replace('/', '--')}"
    stray = folder / "blobs" / f"{'ab' * 32}.1a2b3c4d.incomplete"  # as hf download names them
    stray.write_bytes(b"half of a pickle nobody needs")
    assert manager.status(manager.entry(SEG)).state == "incomplete"
    with FileLock(str(manager.cache / ".locks" / folder.name / f"{'ab' * 32}.lock")):
        manager.download(SEG)
        assert stray.exists()  # being written by someone: left alone
    assert manager.download(SEG).state == "present" and not stray.exists()
