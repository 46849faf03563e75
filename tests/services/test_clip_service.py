"""ClipService: the highlight proposal, checked requests, job records in the history."""

import pytest

from albumstudio.core.errors import InputError
from albumstudio.engines.registry import engines
from albumstudio.export.audio_export import read_back
from albumstudio.services import Services
from albumstudio.services.clips import save_clip
from albumstudio.store.paths import default_paths
from tests.support import synth
from tests.support.clip_song import CHORUS_STARTS, song


@pytest.fixture
def services():
    opened = Services.open(default_paths().ensure())
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    return str(synth.write(tmp_path_factory.mktemp("clip") / "song.flac", song(22050), 22050))


def test_clip_engines_are_registered_as_kind_clip():
    assert engines().names("clip")[:2] == ("highlight", "social-video")
    assert all(engines().get(n).offline for n in ("highlight", "social-video"))


def test_a_proposed_clip_is_recorded_with_its_audio_and_duration(services, track, tmp_path):
    request = services.clips.new_request(track, 15.0, fmt="mp3")
    assert request.proposed
    assert min(abs(request.start_s - c) for c in CHORUS_STARTS) < 0.15
    record = services.clips.run(request)
    assert record.id and record.kind == "clip" and record.engine == "highlight"
    assert record.status == "finished" and record.track_hash
    kept = services.history.get(record.id)
    output = kept.outputs[0]
    assert output.media == "audio/mpeg" and output.duration_s == pytest.approx(15.0, abs=1e-4)
    assert any(n.startswith("loudness:") for n in record.explanations())
    written = save_clip(record, str(tmp_path / "chorus.mp3"))
    decoded, rate = read_back(open(written, "rb").read(), ".mp3")
    assert decoded.shape[0] == 15 * rate


def test_make_writes_the_file_and_titles_come_from_the_file_name(services, track, tmp_path):
    record, written = services.clips.make(track, str(tmp_path / "c.wav"), 20.0, start=5.0)
    assert written.endswith("c.wav") and not record.request["proposed"]
    assert record.request["start_s"] == 5.0 and record.request["title"] == "song"


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"seconds": 0.5, "start": 1.0}, "at least 1 second"),
    ({"seconds": 5.0, "start": 200.0}, "outside the"),
    ({"seconds": 15.0, "start": 80.0}, "runs past the end"),
    ({"seconds": 120.0}, "shorter than a 120 s clip"),
    ({"seconds": 15.0, "fmt": "aiff"}, "not 'aiff'"),
    ({"seconds": 15.0, "video": "story"}, "no 'story' video"),
    ({"seconds": 12.0, "video": "loop"}, "A loop is 3–8 s long"),
])
def test_bad_requests_are_one_sentence(services, track, kwargs, words):
    seconds = kwargs.pop("seconds")
    with pytest.raises(InputError, match=words):
        services.clips.new_request(track, seconds, **kwargs)
    assert services.history.records() == []


def test_cancel_stops_before_a_record(services, track):
    import threading

    from albumstudio.core.errors import CancelledError

    request = services.clips.new_request(track, 15.0, start=10.0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        services.clips.run(request, cancel=cancel)
    assert services.history.records() == []


def test_a_square_video_is_recorded_with_its_size_and_duration(services, track, tmp_path):
    import av

    record, written = services.clips.make(track, str(tmp_path / "post.mp4"), 2.0, start=33.0,
                                          video="square", title="Chorus")
    output = services.history.get(record.id).outputs[0]
    assert output.media == "video/mp4" and (output.width, output.height) == (1080, 1080)
    assert output.duration_s == pytest.approx(2.0) and output.path.endswith(".mp4")
    assert record.request["title"] == "Chorus" and record.request["options"]["layout"] == "square"
    with av.open(written) as container:
        assert container.streams.video[0].width == 1080 and container.streams.audio


def test_a_fallback_video_is_saved_as_webm_and_the_record_warns(services, track, tmp_path,
                                                                monkeypatch):
    from albumstudio.engines import clip_video

    monkeypatch.setattr(clip_video, "has_encoder", lambda name: name not in {"libx264"})
    record, written = services.clips.make(track, str(tmp_path / "post.mp4"), 3.0,
                                          video="loop")
    assert written.endswith("post.webm") and (tmp_path / "post.webm").exists()
    assert not (tmp_path / "post.mp4").exists()
    assert any("fallback:" in w for w in record.warnings())
    assert services.history.get(record.id).outputs[0].path.endswith(".webm")
