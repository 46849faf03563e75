"""A clip reads its track's identity (content hash, header, tags) once, not once for the
proposal, once for the title and once for the record (#16, #17: the release kit's clip too)."""

from __future__ import annotations

import os

import pytest

from albumstudio.services import Services
from albumstudio.store import files
from albumstudio.store.paths import default_paths
from tests.support import synth


@pytest.fixture
def services():
    opened = Services.open(default_paths().ensure())
    yield opened
    opened.close()


def _calls(monkeypatch, module, name: str) -> list[str]:
    """The paths ``module.name(path, ...)`` is called with from now on, in order."""
    seen: list[str] = []
    original = getattr(module, name)

    def counting(path, *args, **kwargs):
        seen.append(str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return seen


@pytest.fixture
def hashed(monkeypatch):
    """The paths hashed whole, in order."""
    return _calls(monkeypatch, files, "hash_file")


def test_a_clip_hashes_its_track_once(services, hashed, tmp_path):
    track = str(synth.write(tmp_path / "song.wav", synth.music(12.0, seed=1), 22050))
    record, _written = services.clips.make(track, str(tmp_path / "clip.wav"), 5.0)
    assert record.track_hash == files.hash_file(track)
    assert hashed.count(track) == 2  # the clip's one, and the check's above


def test_a_track_changed_on_disk_is_read_again(services, hashed, tmp_path):
    track = tmp_path / "song.wav"
    synth.write(track, synth.music(12.0, seed=1), 22050)
    first, _ = services.clips.make(str(track), str(tmp_path / "a.wav"), 5.0, start=1.0)
    synth.write(track, synth.music(12.0, seed=2), 22050)
    stat = track.stat()
    os.utime(track, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second, _ = services.clips.make(str(track), str(tmp_path / "b.wav"), 5.0, start=1.0)
    assert first.track_hash != second.track_hash
    assert second.track_hash == files.hash_file(str(track))


def test_a_kit_decodes_its_track_once_for_the_cover_and_the_clip(services, tmp_path,
                                                                  monkeypatch):
    """The kit's analysis keeps its mono mix for the clip's highlight (#9: a kit decoded its
    track twice); the highlight is the one a process that decodes the track finds."""
    from albumstudio.audio import decode
    from albumstudio.services.kit import KitRequest, KitService

    track = str(synth.write(tmp_path / "song.wav",
                            synth.music(40.0, sr=44100, bpm=100, seed=5), 44100))
    whole = _calls(monkeypatch, decode, "decode_all")
    out = tmp_path / "out"
    out.mkdir()
    prepared = KitService(services).prepare(KitRequest(
        track=track, out=str(out), title="Night", artist="Luma",
        targets=("cover-jpeg", "clip"), record=False))
    assert prepared.clip is not None and prepared.clip.request["proposed"]
    assert whole == []  # the analysis's own decode only
    assert services.tracks.take_mix(track) is None  # handed over, not held twice

    fresh = Services.open(default_paths().ensure())
    try:
        found = fresh.clips.propose(track, 30.0)
    finally:
        fresh.close()
    assert whole == [track]
    assert prepared.clip.request["start_s"] == found.start_s
