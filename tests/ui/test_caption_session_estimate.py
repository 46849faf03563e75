"""A double-click on the caption lane finds the device (torch, and CUDA when there is a GPU) on
the model queue, not on the GUI thread; the CPU estimate still comes before the captions (#18)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from albumstudio.engines.lp_musiccaps import SegmentCaption
from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.services.captions import CaptionService, TrackCaptions
from albumstudio.store.paths import default_paths
from albumstudio.ui.caption_session import CaptionSession, connect_to_window
from albumstudio.ui.waveform.caption_lane import CaptionLane


class View(QObject):
    view_changed = Signal(float, float)


class Info:
    duration = 240.0


class Track(QObject):
    loading_started = Signal(str)
    loaded = Signal(str)
    path = "song.wav"
    info = Info()
    description = "A slow piece."


class Cover:
    def set_music_summary(self, text):
        self.summary = text


class Service(CaptionService):
    """Installed models and a caption made at once; records the threads it is asked on."""

    def __init__(self, paths) -> None:
        super().__init__(paths)
        self.device_threads: list[threading.Thread] = []

    def missing(self):
        return None

    def device_for(self, device="auto"):
        self.device_threads.append(threading.current_thread())
        return "cpu"

    def caption(self, track, **kw):
        self.device_for()
        return TrackCaptions((SegmentCaption(0.0, 10.0, "a calm piano"),), kw["description"],
                             "measured description", (), (), "cpu", 0)


def test_the_device_is_found_on_the_model_queue_and_the_estimate_still_shows(qtbot):
    queue = ModelQueue()
    service = Service(default_paths().ensure())
    session = CaptionSession(queue, service)
    lane, said = CaptionLane(), []
    qtbot.addWidget(lane)
    connect_to_window(session, lane, View(), Track(), Cover(), said.append)
    with qtbot.waitSignal(session.captions_changed, timeout=30_000):
        lane.caption_requested.emit()
    assert service.device_threads
    assert threading.main_thread() not in service.device_threads
    qtbot.waitUntil(lambda: any(s.startswith("Captioning on the CPU: 24 segments of 10 s")
                                for s in said), timeout=5_000)
    assert [c.text for c in session.lane_captions()] == ["a calm piano"]
    assert queue.shutdown()


def test_a_track_opened_looks_up_its_kept_captions_by_the_hash_the_window_has(qtbot):
    """The track was just hashed as it opened: the lookup does not read the whole file again."""
    asked: list[str] = []

    class Kept(Service):
        def kept(self, track, **kw):
            asked.append(kw.get("content_hash", ""))
            return None

    class Hashed:
        duration = 240.0
        content_hash = "ab" * 32

    queue = ModelQueue()
    session = CaptionSession(queue, Kept(default_paths().ensure()))
    track, lane = Track(), CaptionLane()
    track.info = Hashed()
    qtbot.addWidget(lane)
    connect_to_window(session, lane, View(), track, Cover(), [].append)
    handles = []
    session.show_kept = (lambda show: lambda *a, **kw: handles.append(show(*a, **kw)))(
        session.show_kept)
    track.loaded.emit("song.wav")
    assert handles
    with qtbot.waitSignal(handles[0].done, timeout=30_000):
        pass
    assert asked == ["ab" * 32]
    assert queue.shutdown()
