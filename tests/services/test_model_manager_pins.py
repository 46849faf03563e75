"""Pinned revisions, the registry's hashes and trust on first download, against the tiny hub on
127.0.0.1: a pinned commit is what is asked for and what the cache gets; a file whose content
differs from the registry's hash (even one the cache names by its own hash) is found damaged
and repaired; a model the registry pins nothing for records its commit and every file's
sha256 and size at its first verified download, and later checks, repairs and downloads hold
to that record. Every check says which basis it used."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace

import pytest

from albumstudio.core import model_registry
from albumstudio.core.model_registry import FileHash
from albumstudio.services.model_downloads import DownloadError
from albumstudio.services.model_manager import CONTENT, PINNED, RECORDED
from albumstudio.store.model_files import CachedFile, check_blob
from tests.support.tiny_hub import SEG, git_sha1, tiny_weights

PINNED_COMMIT = "51" * 20
FOLDER = f"models--{SEG.replace('/', '--')}"


def registry_with(monkeypatch, **changes):
    """The registry as the app reads it, with the segmenter's entry changed."""
    entries = tuple(replace(e, **changes) if e.id == SEG else e for e in model_registry.models())
    monkeypatch.setattr(model_registry, "models", lambda: entries)


@pytest.fixture
def pinned(hub, monkeypatch):
    """The segmenter pinned at the hub's commit, with the hashes of two of its three files."""
    repo = hub.repos[SEG]
    repo.commit = PINNED_COMMIT
    config, weights = repo.files["config.json"], repo.files["model.safetensors"]
    registry_with(monkeypatch, revision=PINNED_COMMIT, pin_source="this test", hashes=(
        FileHash("config.json", "git_sha1", git_sha1(config), len(config)),
        FileHash("model.safetensors", "sha256", hashlib.sha256(weights).hexdigest(),
                 len(weights))))
    return repo


def swap_in_cache(manager, commit, name, data):
    """Replace ``name``'s bytes as a tool would store them: a blob named by its own hash, the
    snapshot linked to it and the old blob gone (so the cache itself looks sound)."""
    folder = manager.cache / FOLDER
    blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
    blob.write_bytes(data)
    link = folder / "snapshots" / commit / name
    link.resolve().unlink()
    link.unlink()
    os.symlink(os.path.relpath(blob, link.parent), link)
    return CachedFile(name, link, blob, len(data))


def test_a_pinned_revision_is_what_is_asked_for_and_what_the_cache_gets(hub, manager, pinned):
    status = manager.download(SEG)
    assert status.state == "present" and status.commit == PINNED_COMMIT
    paths = [r[1] for r in hub.requests if r[0] == "GET"]
    assert f"/api/models/{SEG}/revision/{PINNED_COMMIT}" in paths
    assert not [p for p in paths if p.endswith("/revision/main")]
    assert f"/{SEG}/resolve/{PINNED_COMMIT}/config.json" in paths
    assert f"/{SEG}/resolve/{PINNED_COMMIT}/model.safetensors" in paths  # then the CDN
    # the model libraries load refs/main offline: it names the pinned snapshot
    assert (manager.cache / FOLDER / "refs" / "main").read_text() == PINNED_COMMIT
    report = manager.verify(SEG)
    assert report.ok and report.basis == {"config.json": PINNED, "model.safetensors": PINNED,
                                          "preprocessor_config.json": RECORDED}
    assert "(2 pinned in the app, 1 recorded at first download)" in report.sentence()
    assert report.to_dict()["basis"]["model.safetensors"] == PINNED


def test_a_hub_that_answers_another_commit_or_hash_than_the_pin_is_refused(hub, manager,
                                                                           pinned):
    pinned.commit = "52" * 20  # the hub moved the revision the app asked for elsewhere
    with pytest.raises(DownloadError, match=r"instead of 5151515151\S*, the one pinned in the "
                       r"app: nothing was downloaded\.$"):
        manager.download(SEG)
    pinned.commit = PINNED_COMMIT
    pinned.files["model.safetensors"] = tiny_weights(seed=7)  # same size, other weights
    with pytest.raises(DownloadError, match="model.safetensors of .* with another hash than "
                       "the one pinned in the app"):
        manager.download(SEG)
    assert not (manager.cache / FOLDER / "snapshots").exists()


def test_a_file_that_differs_from_the_registrys_hash_is_damaged_and_repaired(hub, manager,
                                                                            pinned):
    manager.download(SEG)
    other = tiny_weights(seed=3)
    swapped = swap_in_cache(manager, PINNED_COMMIT, "model.safetensors", other)
    assert check_blob(swapped) == "ok"  # its own name agrees: only the pin can tell
    report = manager.verify(SEG)
    assert report.damaged == ["model.safetensors"] and report.basis["model.safetensors"] == \
        PINNED
    assert "checked against the hashes pinned in the app" in report.sentence()
    assert manager.status(manager.entry(SEG)).state == "damaged"
    before = len([r for r in hub.requests if r[1].startswith("/cdn/")])
    repaired = manager.repair(SEG)
    assert repaired.results["model.safetensors"] == "repaired"
    assert len([r for r in hub.requests if r[1].startswith("/cdn/")]) == before + 1
    assert manager.verify(SEG).ok
    snapshot = manager.cache / FOLDER / "snapshots" / PINNED_COMMIT
    assert (snapshot / "model.safetensors").read_bytes() == pinned.files["model.safetensors"]


def test_the_first_download_is_recorded_and_later_checks_hold_to_it(hub, manager):
    repo = hub.repos[SEG]
    first = repo.commit
    manager.download(SEG)
    record = manager.settings.first_download(SEG)
    needed = ("config.json", "model.safetensors", "preprocessor_config.json")
    assert record["commit"] == first
    assert record["files"] == {n: {"sha256": hashlib.sha256(repo.files[n]).hexdigest(),
                                   "size": len(repo.files[n])} for n in needed}
    report = manager.verify(SEG)
    assert report.ok and set(report.basis.values()) == {RECORDED}
    assert "(3 recorded at first download)" in report.sentence()
    # a config replaced behind the cache's back, the blob named by its new hash
    swap_in_cache(manager, first, "config.json", b'{"model_type": "segformer", "x": 1}')
    report = manager.verify(SEG)
    assert report.damaged == ["config.json"] and report.basis["config.json"] == RECORDED
    assert "recorded at first download" in report.sentence()
    count = len(hub.requests)
    manager.repair(SEG)
    assert manager.verify(SEG).ok
    asked = [r[1] for r in hub.requests[count:]]
    assert f"/api/models/{SEG}/revision/{first}" in asked  # the recorded commit, not main
    assert manager.settings.first_download(SEG) == record  # written once, kept
    # the hub's main moves on: the app keeps to what it trusted and says why
    repo.commit = "53" * 20
    with pytest.raises(DownloadError, match="the one recorded at first download"):
        manager.download(SEG)
    # removing the model forgets the record: the next download trusts the newest again
    manager.remove(SEG)
    assert manager.settings.first_download(SEG) == {}
    assert manager.download(SEG).commit == "53" * 20
    assert manager.settings.first_download(SEG)["commit"] == "53" * 20


def test_without_a_pin_or_a_record_the_check_says_content_addressed_only(hub, manager):
    manager.download(SEG)
    manager.settings.record_first_download(SEG, None)  # made before records were kept
    report = manager.verify(SEG)
    assert report.ok and set(report.basis.values()) == {CONTENT}
    assert "(3 content-addressed only)" in report.sentence()


def test_a_first_download_over_a_damaged_cached_file_records_nothing(hub, manager):
    """Files another tool left in the cache are checked before anything is trusted."""
    manager.download(SEG)
    manager.settings.record_first_download(SEG, None)
    blob = (manager.cache / FOLDER / "snapshots" / hub.repos[SEG].commit /
            "model.safetensors").resolve()
    data = bytearray(blob.read_bytes())
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))
    manager.download(SEG)
    assert manager.settings.first_download(SEG) == {}
    assert manager.status(manager.entry(SEG)).state == "damaged"


def test_the_registrys_pins_are_well_formed_and_cited():
    for entry in model_registry.models():
        if entry.hashes or (entry.revision and not entry.bundled):
            assert len(entry.revision or "") == 40 and entry.pin_source, entry.id
        names = [h.name for h in entry.hashes]
        assert len(names) == len(set(names))
    sd15 = model_registry.find_model("sd15")
    assert sd15 is not None and sd15.pinned_hash("vae/diffusion_pytorch_model.safetensors")
    with pytest.raises(ValueError, match="without a revision"):
        model_registry._hashes({"id": "x/y", "revision": None,
                                "hashes": {"a.json": {"git_sha1": "0" * 40, "size": 1}}})
    with pytest.raises(ValueError, match="not one sha256 or git_sha1"):
        model_registry._hashes({"id": "x/y", "revision": "0" * 40,
                                "hashes": {"a.json": {"sha256": "0" * 40, "size": 1}}})
