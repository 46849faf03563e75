"""Reading a track: one decode for analysis and tags, the same tags as a separate decode."""

from __future__ import annotations

import numpy as np

from albumstudio.audio.tagger import tag_file
from albumstudio.core.model_cache import ModelCache
from albumstudio.services.tracks import TrackService
from albumstudio.store.paths import DataPaths
from tests.support.decodes import count_decodes
from tests.support.synth import music, write


def _service(tmp_path) -> TrackService:
    return TrackService(DataPaths(tmp_path / "data", tmp_path / "cache").ensure(), ModelCache())


def test_read_decodes_the_track_once_and_tags_as_a_separate_decode_does(tmp_path, monkeypatch):
    track = write(tmp_path / "song.flac", music(14.0, sr=44100, bpm=100.0), 44100)
    decodes = count_decodes(monkeypatch)
    reading = _service(tmp_path).read(str(track))
    assert len(decodes) == 1
    separate = tag_file(str(track))  # decodes again, with decode_all's own resampler
    assert len(decodes) == 2
    np.testing.assert_allclose(np.array(reading.music_tags.taggram), np.array(separate.taggram),
                               atol=1e-3)
    assert reading.analysis.duration == 14.0


def test_the_kept_signal_is_for_one_track_only(tmp_path):
    service = _service(tmp_path)
    track = write(tmp_path / "a.wav", music(6.0, sr=22050), 22050)
    service.analyse(str(track), "aa" * 20)
    assert service._take_tagger_audio("bb" * 20) is None  # dropped, not handed over
    service.analyse(str(track), "cc" * 20)
    kept = service._take_tagger_audio("cc" * 20)
    assert kept is not None and abs(kept.size - 6.0 * 16000) < 64
    assert service._take_tagger_audio("cc" * 20) is None


def _streamed(samples: np.ndarray, chunk_sizes: list[int]):
    import threading

    from albumstudio.audio.tagger import TagStream

    stream = TagStream()
    out: dict = {}
    thread = threading.Thread(target=lambda: out.setdefault("tags", stream.run()))
    thread.start()
    start = 0
    for index, size in enumerate(chunk_sizes):
        if index == len(chunk_sizes) // 2:
            stream.spare_core.set()  # as when the analysis ends: later batches on the workers
        stream.feed(samples[start:start + size])
        start += size
    stream.feed(samples[start:])
    stream.feed(None)
    thread.join(30)
    return out["tags"]


def test_tags_made_while_the_audio_arrives_equal_tags_of_the_whole_signal():
    from albumstudio.audio.tagger import tag_samples

    rng = np.random.default_rng(3)
    # under one patch (repeat-padded), exactly on frame and patch edges, several batches
    for n in (0, 300, 512, 16000 * 3 + 255, 47872, 16000 * 31 + 7):
        samples = (0.2 * rng.standard_normal(n)).astype(np.float32)
        sizes = [int(s) for s in rng.integers(1, 30000, size=8)]
        whole, streamed = tag_samples(samples), _streamed(samples, sizes)
        assert np.array(streamed.taggram).shape == np.array(whole.taggram).shape, n
        # the same frames and batches; the last bit may differ: OpenBLAS's kernels for the
        # mel filter product sum a chunk's last columns in another order on some processors
        # (AVX2), and the stream's chunks are not the whole signal's. A frame or a patch out of
        # place moves the probabilities by far more (tests/audio/test_musicnn.py)
        np.testing.assert_allclose(np.array(streamed.taggram), np.array(whole.taggram),
                                   rtol=0, atol=1e-6)


def test_an_aborted_stream_gives_nothing_and_a_cancelled_one_says_so():
    import threading

    import pytest

    from albumstudio.audio.tagger import TagStream
    from albumstudio.core.errors import CancelledError

    stream = TagStream()
    stream.feed(np.zeros(16000, np.float32))
    stream.abort()
    assert stream.run() is None
    cancel = threading.Event()
    cancel.set()
    cancelled = TagStream(cancel=cancel)
    cancelled.feed(np.zeros(16000, np.float32))
    with pytest.raises(CancelledError):
        cancelled.run()


def test_read_tags_during_the_analysis_and_keeps_the_tags(tmp_path, monkeypatch):
    from albumstudio.audio import tagger

    track = write(tmp_path / "song.flac", music(40.0, sr=44100, bpm=120.0), 44100)
    service = _service(tmp_path)
    runs = []
    run = tagger.TagStream.run

    def counted(self, *args, **kwargs):
        runs.append(self)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(tagger.TagStream, "run", counted)
    reading = service.read(str(track))
    assert len(runs) == 1  # the tags came from the stream, not from a second pass
    kept = service._take_tagger_audio(reading.info.content_hash)
    assert kept is None  # nothing held for a later tag step
    whole = tagger.tag_file(str(track))
    np.testing.assert_allclose(np.array(reading.music_tags.taggram), np.array(whole.taggram),
                               atol=1e-3)
    again = _service(tmp_path).read(str(track))  # both cached now: no stream is started
    assert len(runs) == 1 and again.music_tags.taggram == reading.music_tags.taggram


def test_a_track_whose_analysis_is_cached_is_still_tagged(tmp_path):
    track = write(tmp_path / "song.wav", music(8.0, sr=22050), 22050)
    service = _service(tmp_path)
    info = service.identify(str(track)).info
    service.analyse(str(track), info.content_hash)  # the analysis is cached, the tags are not
    reading = service.read(str(track))
    assert len(reading.music_tags.taggram) == 2


def test_a_stream_that_is_never_fed_still_sees_its_cancel():
    import threading

    import pytest

    from albumstudio.audio.tagger import TagStream
    from albumstudio.core.errors import CancelledError

    cancel = threading.Event()
    stream = TagStream()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(CancelledError):
        stream.run(cancel=cancel)  # the analysis job that would feed it never started


def test_a_failed_analysis_stops_the_tags_made_beside_it(tmp_path, monkeypatch):
    import threading

    import pytest

    from albumstudio.audio import analysis
    from albumstudio.core.errors import InputError

    track = write(tmp_path / "song.flac", music(60.0, sr=44100), 44100)
    calls = []
    add = analysis.LoudnessMeter.add

    def failing(self, block):
        calls.append(1)
        if len(calls) == 3:  # mid-stream, after the tagger has been fed
            raise InputError("'song.flac' could not be read past 20 s.")
        return add(self, block)

    monkeypatch.setattr(analysis.LoudnessMeter, "add", failing)
    with pytest.raises(InputError):
        _service(tmp_path).read(str(track))
    assert not [t for t in threading.enumerate() if t.name == "tagging"]
