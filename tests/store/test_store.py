import json
import os

import pytest

from albumstudio.store.cache import ContentCache
from albumstudio.store.files import atomic_write_bytes, hash_file
from albumstudio.store.paths import default_paths
from albumstudio.store.settings import MAX_RECENT, Settings


def test_paths_follow_the_override(data_home):
    paths = default_paths().ensure()
    assert paths.data == data_home / "data"
    assert paths.peaks.is_dir() and paths.analysis.is_dir()


def test_atomic_write_replaces_whole_and_leaves_no_temp(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["x.bin"]


def test_hash_depends_on_content_only(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    c.write_bytes(b"diff")
    assert hash_file(a) == hash_file(b) != hash_file(c)


def test_cache_round_trip_and_damage(tmp_path):
    cache = ContentCache(tmp_path, ".json")
    key = "ab" * 20
    assert cache.get_json(key) is None
    cache.put_json(key, {"tempo": 120.0})
    assert cache.get_json(key) == {"tempo": 120.0}
    cache.path_for(key).write_bytes(b"{not json")
    assert cache.get_json(key) is None
    with pytest.raises(ValueError):
        cache.path_for("../../etc/passwd")


def test_settings_round_trip_with_undecodable_path(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings.load(path)
    odd = os.fsdecode(b"/music/caf\xe9.wav")
    settings.add_recent(odd)
    for i in range(MAX_RECENT + 3):
        settings.add_recent(f"/music/{i}.wav")
    settings.add_recent(odd)
    settings.volume = 0.25
    settings.save()
    loaded = Settings.load(path)
    assert loaded.recent_tracks[0] == odd
    assert len(loaded.recent_tracks) == MAX_RECENT
    assert loaded.volume == 0.25


def test_damaged_settings_are_kept_aside_not_lost(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{ broken")
    settings = Settings.load(path)
    assert settings.recent_tracks == []
    assert (tmp_path / "settings.damaged.json").read_text() == "{ broken"
    settings.save()
    assert json.loads(path.read_text())["recent_tracks"] == []


def test_absurdly_nested_json_is_a_damaged_file_everywhere_we_read_json(tmp_path):
    """200,000 nested brackets once stopped the window from starting (#11 item 8)."""
    from albumstudio.store.track_edits import TrackEdits, TrackEditsStore

    nested = "[" * 200_000 + "]" * 200_000
    path = tmp_path / "settings.json"
    path.write_text(nested)
    assert Settings.load(path).recent_tracks == []
    assert (tmp_path / "settings.damaged.json").read_text() == nested
    cache = ContentCache(tmp_path / "cache", ".json")
    cache.put_bytes("ab" * 32, nested.encode())
    assert cache.get_json("ab" * 32) is None
    edits = TrackEditsStore(tmp_path / "edits")
    edits.folder.mkdir(parents=True, exist_ok=True)
    (edits.folder / ("ab" * 32 + ".json")).write_text(nested)
    assert edits.load("ab" * 32) == TrackEdits()


def test_track_edits_round_trip_and_forget(tmp_path):
    from albumstudio.core.track import ReleaseTags
    from albumstudio.store.track_edits import TrackEdits, TrackEditsStore

    store = TrackEditsStore(tmp_path)
    key = "cd" * 20
    assert store.load(key).is_empty()
    edits = TrackEdits(ReleaseTags(title="Night Drive", artist="Lanterns"), ["piano"], "mine")
    store.save(key, edits)
    assert store.load(key) == edits
    store.save(key, TrackEdits())
    assert not (tmp_path / f"{key}.json").exists()
    (tmp_path / f"{key}.json").write_text("[1, 2")
    assert store.load(key).is_empty()
    with pytest.raises(ValueError):
        store.load("../x")


def test_written_files_get_the_umask_mode_or_keep_the_replaced_files_mode(tmp_path):
    import stat

    from albumstudio.store.files import UMASK, atomic_write_bytes

    new = tmp_path / "cover.png"
    atomic_write_bytes(new, b"png")
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~UMASK  # 0644 under the usual 022
    new.chmod(0o640)
    atomic_write_bytes(new, b"png again")
    assert stat.S_IMODE(new.stat().st_mode) == 0o640 and new.read_bytes() == b"png again"
    assert [p.name for p in tmp_path.iterdir()] == ["cover.png"]


def test_a_write_that_must_not_replace_refuses_a_file_made_meanwhile(tmp_path):
    import pytest

    from albumstudio.store.files import atomic_write_bytes

    target = tmp_path / "cover.png"
    atomic_write_bytes(target, b"first", replace=False)
    with pytest.raises(FileExistsError):
        atomic_write_bytes(target, b"second", replace=False)  # as a racing second writer
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["cover.png"]  # no temporary file left


def test_a_255_byte_file_name_can_be_written(tmp_path):
    from albumstudio.store.files import atomic_write_bytes

    name = "x" * 251 + ".png"
    atomic_write_bytes(tmp_path / name, b"png")
    assert (tmp_path / name).read_bytes() == b"png"


def test_two_covers_racing_to_one_new_path_never_both_succeed(tmp_path):
    import threading

    from albumstudio.core.errors import InputError
    from albumstudio.export.cover_file import write_cover

    for trial in range(25):
        target = tmp_path / f"race-{trial}.png"
        start, results = threading.Barrier(2), []

        def write(data: bytes, start=start, target=target, results=results) -> None:
            start.wait()
            try:
                write_cover(data, target)
                results.append(data)
            except InputError:
                results.append(None)

        threads = [threading.Thread(target=write, args=(d,)) for d in (b"one", b"two")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        made = [r for r in results if r is not None]
        assert len(made) == 1 and target.read_bytes() == made[0]


def test_stale_temporaries_of_killed_writes_are_swept_and_young_ones_kept(tmp_path):
    import time

    from albumstudio.store.files import TEMP_PREFIX, sweep_temporaries

    deep = tmp_path / "cache" / "tags" / "msd" / "ab"
    deep.mkdir(parents=True)
    old = [tmp_path / f"{TEMP_PREFIX}a1.tmp", deep / f"{TEMP_PREFIX}b2.tmp"]
    young = deep / f"{TEMP_PREFIX}c3.tmp"  # a write under way in another process
    kept = [deep / "ab12.json", tmp_path / f"{TEMP_PREFIX}not-ours.txt", young]
    for path in old + kept:
        path.write_bytes(b"x")
    hour_ago = time.time() - 3600
    for path in old + kept[:2]:
        os.utime(path, (hour_ago, hour_ago))
    assert sweep_temporaries(tmp_path) == 2
    assert not any(p.exists() for p in old) and all(p.exists() for p in kept)
    assert sweep_temporaries(tmp_path, grace_s=0) == 1 and not young.exists()


def test_the_artists_tempo_and_range_are_kept_with_the_track(tmp_path):
    from albumstudio.store.track_edits import TrackEdits, TrackEditsStore

    store = TrackEditsStore(tmp_path)
    store.save("ab" * 20, TrackEdits(tempo_bpm=68.0, bpm_range=(70.0, 140.0)))
    back = store.load("ab" * 20)
    assert back.tempo_bpm == 68.0 and back.bpm_range == (70.0, 140.0)
    (tmp_path / f"{'cd' * 20}.json").write_text(
        '{"tempo_bpm": "fast", "bpm_range": [140, 70], "hidden_tags": []}')
    odd = store.load("cd" * 20)
    assert odd.tempo_bpm is None and odd.bpm_range is None
    store.save("ab" * 20, TrackEdits())
    assert not (tmp_path / f"{'ab' * 20}.json").exists()
