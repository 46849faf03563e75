import os
import struct
import threading
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from albumstudio.audio.decode import AudioReader
from albumstudio.audio.peaks import compute_peaks
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.peaks import BASE_BIN, PeakPyramid
from albumstudio.store.cache import ContentCache
from albumstudio.store.files import hash_file
from tests.audio.test_decode import truncate_half, write_m4a, write_mp3
from tests.support.synth import music, tone, write


@pytest.fixture
def cache(tmp_path):
    return ContentCache(tmp_path / "cache", ".peaks")


def direct_peaks(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(channels, bins) min/max/rms of BASE_BIN-frame bins, straight from the samples."""
    bins = -(-len(samples) // BASE_BIN)
    padded = np.full((bins * BASE_BIN, samples.shape[1]), np.nan, np.float32)
    padded[: len(samples)] = samples
    chunks = padded.reshape(bins, BASE_BIN, -1)
    rms = np.sqrt(np.nanmean(chunks.astype(np.float64) ** 2, axis=1))
    return np.nanmin(chunks, axis=1).T, np.nanmax(chunks, axis=1).T, rms.T


def test_peaks_match_numpy_min_max(tmp_path):
    path = write(tmp_path / "song.wav", music(3.0, sr=22050, seed=3), 22050, subtype="FLOAT")
    info, pyramid = compute_peaks(str(path), block_frames=10000)
    samples, _ = sf.read(str(path), dtype="float32", always_2d=True)
    mins, maxs, rms = direct_peaks(samples)
    base = pyramid.levels[0]
    np.testing.assert_array_equal(base.mins, mins)
    np.testing.assert_array_equal(base.maxs, maxs)
    np.testing.assert_allclose(base.rms, rms, rtol=1e-4, atol=1e-6)
    assert pyramid.complete and pyramid.frames_done == len(samples) == info.frames
    assert info.content_hash == hash_file(path) and info.warnings == ()
    whole_min, whole_max, _ = pyramid.columns(0, len(samples), 1)
    np.testing.assert_array_equal(whole_min[:, 0], samples.min(axis=0))
    np.testing.assert_array_equal(whole_max[:, 0], samples.max(axis=0))


def test_partial_callbacks_arrive_and_grow(tmp_path):
    path = write(tmp_path / "song.wav", tone(2.0, 22050), 22050)
    partials: list[PeakPyramid] = []
    _, final = compute_peaks(str(path), on_partial=partials.append, block_frames=4096,
                             partial_interval_s=0.0)
    assert len(partials) >= 10
    assert partials[0].frames_done == 4096
    done = [p.frames_done for p in partials]
    assert done == sorted(done) and done[-1] > done[0]
    assert not any(p.complete for p in partials)
    assert all(p.total_frames == 44100 for p in partials)
    assert final.complete and final.frames_done == 44100


def test_partial_interval_limits_callbacks(tmp_path):
    path = write(tmp_path / "song.wav", tone(2.0, 22050), 22050)
    partials: list[PeakPyramid] = []
    compute_peaks(str(path), on_partial=partials.append, block_frames=4096,
                  partial_interval_s=3600.0)
    assert [p.frames_done for p in partials] == [4096]


def test_cache_hit_returns_equal_peaks_without_decoding(tmp_path, cache, monkeypatch):
    path = write(tmp_path / "song.flac", music(2.0, sr=22050), 22050)
    info, first = compute_peaks(str(path), cache=cache)
    assert cache.get_bytes(info.content_hash) is not None

    def no_decoding(self, block_frames=65536):
        raise AssertionError("decoded despite a cache hit")

    monkeypatch.setattr(AudioReader, "blocks", no_decoding)
    calls = []
    info2, second = compute_peaks(str(path), cache=cache, on_partial=calls.append)
    assert info2 == info and calls == []
    assert len(first.levels) == len(second.levels)
    for a, b in zip(first.levels, second.levels, strict=True):
        np.testing.assert_array_equal(a.mins, b.mins)
        np.testing.assert_array_equal(a.maxs, b.maxs)
        np.testing.assert_array_equal(a.rms, b.rms)


def test_unreadable_cache_entry_is_a_miss(tmp_path, cache):
    path = write(tmp_path / "song.wav", tone(1.0, 22050), 22050)
    cache.put_bytes(hash_file(path), b"not an npz file")
    _, pyramid = compute_peaks(str(path), cache=cache)
    assert pyramid.frames_done == 22050
    assert PeakPyramid.from_bytes(cache.get_bytes(hash_file(path))).frames_done == 22050


def test_cancel_before_and_during(tmp_path):
    path = write(tmp_path / "song.wav", tone(2.0, 22050), 22050)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        compute_peaks(str(path), cancel=cancel)
    cancel.clear()
    seen = []

    def on_partial(pyramid):
        seen.append(pyramid.frames_done)
        cancel.set()

    with pytest.raises(CancelledError):
        compute_peaks(str(path), cancel=cancel, on_partial=on_partial, block_frames=4096,
                      partial_interval_s=0.0)
    assert seen == [4096]


def test_truncated_mp3_warns_and_reports_decoded_length(tmp_path, cache):
    path = truncate_half(write_mp3(tmp_path / "cut.mp3", seconds=10.0))
    info, pyramid = compute_peaks(str(path), cache=cache)
    assert 3.5 * 44100 < info.frames < 6 * 44100
    assert info.frames == pyramid.frames_done == pyramid.total_frames
    assert len(info.warnings) == 1
    assert info.warnings[0].startswith("'cut.mp3' is shorter than its header claims: decoded 0:0")
    assert info.warnings[0].endswith(" of 0:10.")
    again, _ = compute_peaks(str(path), cache=cache)  # the cached pyramid keeps the warning
    assert again.warnings == info.warnings and again.frames == info.frames


def test_complete_mp3_has_no_warning(tmp_path):
    info, pyramid = compute_peaks(str(write_mp3(tmp_path / "whole.mp3", seconds=3.0)))
    assert info.warnings == () and info.frames == pyramid.frames_done == 3 * 44100


def test_eight_channels_96k_and_m4a(tmp_path):
    path = write(tmp_path / "surround.wav", tone(1.0, 96000, channels=8), 96000)
    info, pyramid = compute_peaks(str(path))
    assert pyramid.channels == 8 and pyramid.levels[0].mins.shape == (8, 375)
    assert info.sample_rate == 96000
    info, pyramid = compute_peaks(str(write_m4a(tmp_path / "song.m4a", tone(2.0))))
    assert info.backend == "pyav" and info.warnings == ()
    assert 0.45 < np.median(pyramid.levels[0].maxs[0]) < 0.55  # AAC overshoots at the onset


def test_zero_frames_is_an_input_error(tmp_path):
    path = write(tmp_path / "nothing.wav", np.zeros((0, 1), np.float32), 44100)
    with pytest.raises(InputError) as exc:
        compute_peaks(str(path))
    message = str(exc.value)
    assert message.startswith("'nothing.wav' contains no audio") and "\n" not in message


def test_bad_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        compute_peaks(str(tmp_path / "missing.flac"))


def test_file_truncated_while_computing(tmp_path):
    path = write(tmp_path / "shrinking.wav", tone(3.0, 44100), 44100)
    with pytest.raises(InputError) as exc:
        compute_peaks(str(path), block_frames=4096, partial_interval_s=0.0,
                      on_partial=lambda _p: os.truncate(path, 2000))
    assert str(exc.value) == (
        "'shrinking.wav' disappeared or became unreadable while loading; check that the file "
        "and its drive are still there and try again."
    )


def write_sparse_wav(path, frames: int, sr: int) -> None:
    """A 16-bit mono WAV whose data is a hole in the file (zeros that take no disk space)."""
    data_bytes = frames * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sr, sr * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    blip = (np.full(sr, 16000, np.int16)).tobytes()  # one second at 0.49 full scale
    with open(path, "wb") as handle:
        handle.write(header + blip)
        handle.seek(len(header) + data_bytes - len(blip))
        handle.write(blip)


def test_ten_hour_file_streams_with_bounded_memory(tmp_path):
    sr, hours = 8000, 10  # the lowest rate a real track uses (lower is refused as a lie)
    frames = hours * 3600 * sr
    path = tmp_path / "ten-hours.wav"
    write_sparse_wav(path, frames, sr)
    decoded_bytes = frames * 4  # what the float32 samples would take in memory: 1.15 GB
    tracemalloc.start()
    try:
        info, pyramid = compute_peaks(str(path), block_frames=65536)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < decoded_bytes / 10, f"peak traced memory {peak / 1e6:.1f} MB"
    assert info.frames == pyramid.frames_done == frames and info.duration == hours * 3600
    maxs = pyramid.levels[0].maxs[0]
    assert maxs[0] == pytest.approx(16000 / 32768) and maxs[-1] == pytest.approx(16000 / 32768)
    assert maxs[len(maxs) // 2] == 0


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated"])
def test_a_damaged_cached_pyramid_is_made_again(tmp_path, damage):
    """A 0-byte or mangled peaks file used to make the track fail to open forever (#11)."""
    from albumstudio.store.cache import ContentCache
    from albumstudio.store.files import hash_file

    track = write(tmp_path / "t.wav", tone(2.0, sr=8000, channels=1), 8000)
    cache = ContentCache(tmp_path / "peaks", ".npz")
    good_info, good = compute_peaks(str(track), cache)
    path = cache.path_for(hash_file(str(track)))
    data = path.read_bytes()
    path.write_bytes({"empty": b"", "garbage": b"PK\x03\x04 not an npz",
                      "truncated": data[: len(data) // 2]}[damage])
    info, again = compute_peaks(str(track), cache)
    assert again.frames_done == good.frames_done and info.frames == good_info.frames
    assert path.read_bytes() == data or len(path.read_bytes()) > 0  # healed on disk
