"""Captions that were on their way when another track was opened are not shown on it: the run
had ended on the model queue, its result not yet handed to the window, when the track changed."""

import threading
import time

from PySide6.QtWidgets import QApplication

from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.ui.caption_session import CaptionSession


class _Quick:
    """A caption service whose run says it has started and returns when released."""

    def __init__(self) -> None:
        self.ran = threading.Event()
        self.release = threading.Event()

    def missing(self):
        return None

    def caption(self, track, **kwargs):
        self.ran.set()
        self.release.wait(10)
        return f"captions of {track}"


def test_a_finished_run_is_not_shown_after_a_new_track_opens(qtbot):
    queue = ModelQueue()
    service = _Quick()
    session = CaptionSession(queue, service)
    shown = []
    session.captions_changed.connect(shown.append)
    session.start("first.wav")
    deadline = time.monotonic() + 10
    while not service.ran.is_set() and time.monotonic() < deadline:
        QApplication.processEvents()  # the queue starts the run
    assert service.ran.is_set()
    service.release.set()
    time.sleep(0.2)  # the run has returned; its result waits for the event loop
    session.clear()  # the next track opens first
    qtbot.wait(300)
    assert session.captions is None
    assert shown == [None]  # only the clearing
    assert queue.shutdown()
