"""The window's caption session on the model queue, with tiny caption models."""

import pytest

from albumstudio.core.jobs import Progress
from albumstudio.core.model_registry import use_local_folders
from albumstudio.engines.lp_musiccaps_weights import convert_checkpoint
from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.services.captions import CAPTIONER, SUMMARIZER, TOKENIZER, CaptionService
from albumstudio.services.model_licences import acknowledge
from albumstudio.store.paths import default_paths
from albumstudio.ui.caption_session import CaptionSession, progress_line
from tests.support import synth, tiny_captions


def test_progress_says_the_time_left():
    assert progress_line(Progress(0.5, "captioning segment 3 of 24", eta_s=40.2)) == \
        "captioning segment 3 of 24 — about 40 s left"
    assert progress_line(Progress(0.5, "captioning segment 3 of 24", eta_s=600)) == \
        "captioning segment 3 of 24 — about 10 min left"
    assert progress_line(Progress(1.0, "captions ready")) == "captions ready"


def test_a_missing_model_is_one_sentence(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    queue = ModelQueue()
    session = CaptionSession(queue, CaptionService(default_paths().ensure()))
    with qtbot.waitSignal(session.failed) as failed:
        assert session.start(str(tmp_path / "song.wav")) is None
    assert "albumstudio models download music-captioner" in failed.args[0]
    assert queue.shutdown()


def test_captions_arrive_for_the_lane_and_the_prompt(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    tiny_captions.authors_checkpoint(tmp_path / "pth" / "transfer.pth")
    convert_checkpoint(tmp_path / "pth" / "transfer.pth", tmp_path / "lpmc" / "w.safetensors",
                       tiny_captions.caption_overrides())
    tiny_captions.save_tokenizer(tmp_path / "tokenizer")
    tiny_captions.save_summarizer(tmp_path / "summary")
    use_local_folders({CAPTIONER: str(tmp_path / "lpmc"), TOKENIZER: str(tmp_path / "tokenizer"),
                       SUMMARIZER: str(tmp_path / "summary")})
    try:
        track = tmp_path / "song.wav"
        synth.write(track, synth.music(12.0, sr=22050), 22050)
        paths = default_paths().ensure()
        acknowledge(CAPTIONER, paths)
        queue = ModelQueue()
        session = CaptionSession(queue, CaptionService(paths))
        assert session.estimate(240.0).startswith("24 segments of 10 s on the CPU")
        lines = []
        session.status_changed.connect(lines.append)
        with qtbot.waitSignal(session.captions_changed, timeout=120_000):
            session.start(str(track), description="A slow piece.")
        assert [(c.start_s, c.end_s) for c in session.lane_captions()] == [(0.0, 10.0)]
        assert session.summary and session.captions.summary_source == "bart-large-cnn"
        assert any("captioning segment 1 of 1" in line for line in lines)
        # the track opened again (a new window): the kept captions show, no model is loaded
        again = CaptionSession(queue, CaptionService(paths))
        again.service._captioner = lambda *a: pytest.fail("a model was loaded")
        with qtbot.waitSignal(again.captions_changed, timeout=60_000):
            again.show_kept(str(track), description="A slow piece.")
        assert again.captions.kept and again.summary == session.summary
        assert again.lane_captions() == session.lane_captions()
        other = tmp_path / "other.wav"
        synth.write(other, synth.music(12.0, sr=22050, seed=5), 22050)
        nothing = CaptionSession(queue, CaptionService(paths))
        with qtbot.waitSignal(nothing.show_kept(str(other)).done, timeout=60_000):
            pass
        assert nothing.captions is None
        assert queue.shutdown()
    finally:
        use_local_folders({})


def test_the_window_wiring_follows_the_view_and_feeds_the_prompt(qtbot, monkeypatch, tmp_path):
    from PySide6.QtCore import QObject, Signal

    from albumstudio.engines.lp_musiccaps import SegmentCaption
    from albumstudio.services.captions import TrackCaptions
    from albumstudio.ui.caption_session import connect_to_window
    from albumstudio.ui.waveform.caption_lane import CaptionLane

    class View(QObject):
        view_changed = Signal(float, float)

    class Track(QObject):
        loading_started = Signal(str)
        loaded = Signal(str)
        path = None
        info = None
        description = ""

    class Cover:
        summary = None

        def set_music_summary(self, text):
            self.summary = text

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    queue = ModelQueue()
    session = CaptionSession(queue, CaptionService(default_paths().ensure()))
    lane, view, track, cover, said = CaptionLane(), View(), Track(), Cover(), []
    qtbot.addWidget(lane)
    lane.resize(200, lane.height())
    connect_to_window(session, lane, view, track, cover, said.append)
    view.view_changed.emit(0.0, 20.0)
    assert (lane.view_start, lane.visible_seconds) == (0.0, 20.0)
    lane.caption_requested.emit()
    assert said == ["Open a track first: its music is what gets captioned."]
    track.path = str(tmp_path / "song.wav")
    lane.caption_requested.emit()
    assert "albumstudio models download music-captioner" in said[-1]
    result = TrackCaptions((SegmentCaption(0.0, 10.0, "a calm piano"),), "A calm piano piece.",
                           "bart-large-cnn", (), (), "cpu", 0)
    session._on_finished(result)
    assert [c.text for _, c in lane.boxes()] == ["a calm piano"]
    assert cover.summary == "A calm piano piece."
    track.loading_started.emit("other.wav")
    assert lane.captions == () and cover.summary == ""
    assert queue.shutdown()
