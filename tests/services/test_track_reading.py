"""Reading a track: one decode for analysis and tags, the same tags as a separate decode."""

from __future__ import annotations

import numpy as np

from albumstudio.audio import decode
from albumstudio.audio.tagger import tag_file
from albumstudio.core.model_cache import ModelCache
from albumstudio.services.tracks import TrackService
from albumstudio.store.paths import DataPaths
from tests.support.synth import music, write


def _service(tmp_path) -> TrackService:
    return TrackService(DataPaths(tmp_path / "data", tmp_path / "cache").ensure(), ModelCache())


def test_read_decodes_the_track_once_and_tags_as_a_separate_decode_does(tmp_path, monkeypatch):
    track = write(tmp_path / "song.flac", music(14.0, sr=44100, bpm=100.0), 44100)
    decodes = []
    blocks = decode.AudioReader.blocks

    def counted(self, *args, **kwargs):
        decodes.append(self.info.path)
        return blocks(self, *args, **kwargs)

    monkeypatch.setattr(decode.AudioReader, "blocks", counted)
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
