"""One decode for the waveform's peaks and the analysis (the window's drop): the analysis of
the shared blocks equals the analysis of the file, and every way the two jobs can part is safe."""

import threading

import numpy as np
import pytest

from albumstudio.audio.analysis import analyze_file
from albumstudio.audio.peaks import compute_peaks
from albumstudio.audio.shared_decode import SharedDecode
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.track import AudioInfo
from albumstudio.store.cache import ContentCache
from tests.support.decodes import count_decodes
from tests.support.synth import music, write

KEY = "5e" * 32  # a content hash


@pytest.fixture
def track(tmp_path):
    # stereo MP3 of 20 s: more than one analysis batch, decoded by libsndfile's mpg123
    return write(tmp_path / "shared.mp3", music(20.0, sr=44100, bpm=118), 44100)


def _both(track, shared, tmp_path, analysis_cache=None):
    """compute_peaks and analyze_file on two threads, as the window runs them."""
    out = {}

    def peaks():
        out["peaks"] = compute_peaks(str(track), ContentCache(tmp_path / "peaks", ".npz"),
                                     shared=shared)

    producer = threading.Thread(target=peaks)
    producer.start()
    audio: list[np.ndarray] = []
    out["analysis"] = analyze_file(str(track), cache=analysis_cache, content_hash=KEY,
                                   shared=shared, tagger_audio=audio)
    out["tagger_audio"] = audio
    producer.join()
    return out


def test_the_shared_blocks_give_the_files_own_analysis_in_one_decode(track, tmp_path,
                                                                     monkeypatch):
    alone: list[np.ndarray] = []
    expected = analyze_file(str(track), tagger_audio=alone)
    decodes = count_decodes(monkeypatch)
    shared = SharedDecode()
    out = _both(track, shared, tmp_path)
    assert out["analysis"].to_dict() == expected.to_dict()  # the same blocks: the same bytes
    np.testing.assert_array_equal(out["tagger_audio"][0], alone[0])
    assert len(decodes) == 1  # the waveform's decode only
    assert out["peaks"][1].complete and shared.held_bytes() == 0


def test_peaks_from_the_cache_leave_the_analysis_its_own_decode(track, tmp_path, monkeypatch):
    expected = analyze_file(str(track))
    _both(track, SharedDecode(), tmp_path)  # fills the peaks cache
    decodes = count_decodes(monkeypatch)
    out = _both(track, SharedDecode(), tmp_path)
    assert out["analysis"].to_dict() == expected.to_dict()
    assert len(decodes) == 1  # the analysis's: the peaks came from the cache


def test_a_track_over_the_budget_is_decoded_twice_and_nothing_is_held(track, tmp_path,
                                                                      monkeypatch):
    expected = analyze_file(str(track))
    decodes = count_decodes(monkeypatch)
    shared = SharedDecode(budget_bytes=1024)  # as an hour-long track against 256 MB
    out = _both(track, shared, tmp_path)
    assert out["analysis"].to_dict() == expected.to_dict()
    assert len(decodes) == 2 and shared.held_bytes() == 0


def test_a_cached_analysis_declines_and_the_decode_stops_handing_over(track, tmp_path):
    cache = ContentCache(tmp_path / "analysis", ".json")
    analyze_file(str(track), cache=cache, content_hash=KEY)
    shared = SharedDecode()
    out = _both(track, shared, tmp_path, analysis_cache=cache)
    assert out["peaks"][1].complete  # the waveform is unaffected
    assert shared.held_bytes() == 0
    assert shared.info() is None  # declined: nobody reads it any more


def test_a_decode_that_fails_midway_fails_the_analysis_with_the_same_sentence():
    shared = SharedDecode()
    shared.start(AudioInfo(path="x.mp3", sample_rate=44100, channels=2, frames=441000,
                           format="MP3", backend="soundfile"))
    shared.put(np.zeros((65536, 2), np.float32))
    shared.fail(InputError("'x.mp3' could not be read: the file is damaged."))
    blocks = shared.blocks()
    with pytest.raises(InputError, match="damaged"):
        list(blocks)  # the block handed over before the failure is dropped with the rest


def test_a_waveform_decode_cancelled_midway_cancels_the_analysis_reading_it(track):
    shared = SharedDecode()
    cancel = threading.Event()
    with pytest.raises(CancelledError):  # the next track was dropped after the first block
        compute_peaks(str(track), shared=shared, cancel=cancel,
                      on_partial=lambda _pyramid: cancel.set())
    with pytest.raises(CancelledError):
        analyze_file(str(track), shared=shared)
    assert shared.held_bytes() == 0


def test_the_analysis_waiting_for_a_decode_sees_its_own_cancel():
    shared = SharedDecode()  # no producer ever starts
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    with pytest.raises(CancelledError):
        analyze_file("never-opened.mp3", shared=shared, cancel=cancel)
    assert shared.info() is None  # it declined on the way out


def test_a_file_no_decoder_reads_is_one_sentence_for_both(tmp_path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3" + b"\x00" * 64 + b"not audio at all" * 100)
    shared = SharedDecode()
    errors = {}

    def peaks():
        try:
            compute_peaks(str(bad), shared=shared)
        except InputError as exc:
            errors["peaks"] = str(exc)

    producer = threading.Thread(target=peaks)
    producer.start()
    with pytest.raises(InputError) as analysis_error:
        analyze_file(str(bad), shared=shared)
    producer.join()
    assert errors["peaks"] == str(analysis_error.value)
    assert "\n" not in errors["peaks"] and errors["peaks"].endswith(".")
