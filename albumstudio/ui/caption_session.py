"""The window's music captions: one request on the model queue, its progress with time left,
the captions for the caption lane and the summary for the prompt (an observable model, no
widgets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from albumstudio.core.jobs import Progress
from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.jobs.runner import JobContext, JobHandle
from albumstudio.services.captions import CaptionService, TrackCaptions
from albumstudio.ui.waveform.caption_lane import CaptionLane, LaneCaption

JOB_KEY = "music-captions"
KEPT_KEY = "music-captions-kept"


def progress_line(report: Progress) -> str:
    """"captioning segment 3 of 24 — about 40 s left"."""
    if report.eta_s is None or report.eta_s <= 0:
        return report.text
    left = report.eta_s
    words = f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"
    return f"{report.text} — {words}"


class CaptionSession(QObject):
    captions_changed = Signal(object)  # TrackCaptions | None
    status_changed = Signal(str)
    progress = Signal(object)  # Progress
    failed = Signal(object)  # a Problem or a sentence
    estimated = Signal(str)  # the CPU estimate, said as a run starts on the CPU

    def __init__(self, queue: ModelQueue, service: CaptionService,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.service = service
        self.captions: TrackCaptions | None = None
        self.handle: JobHandle | None = None
        self._kept_for: str | None = None  # the track whose kept captions are being looked up
        self._captioning_for: str | None = None  # the track a run was started for

    def missing(self) -> str | None:
        return self.service.missing()

    def estimate(self, duration_s: float) -> str:
        """What to say before a run: the CPU estimate, or "" on a GPU. Finding the device
        imports torch (and starts CUDA): ``start`` calls this on the model queue."""
        device = self.service.device_for("auto")
        return "" if device != "cpu" else self.service.estimate(duration_s, device)

    def start(self, track: str, description: str = "", seed: int = 0,
              duration_s: float | None = None) -> JobHandle | None:
        """Queue the captions of ``track``; None (and ``failed``) when a model is missing.
        Given ``duration_s``, a run on the CPU first says its estimate (``estimated``): the
        device is found on the model queue, since finding it imports torch (and starts CUDA)."""
        problem = self.service.missing()
        if problem:
            self.failed.emit(problem)
            return None
        service = self.service

        def run(ctx: JobContext) -> TrackCaptions:
            estimate = self.estimate(duration_s) if duration_s is not None else ""
            if estimate:
                ctx.partial(estimate)
            return service.caption(track, seed=seed, description=description,
                                   progress=ctx.progress, cancel=ctx.cancel)

        handle = self.queue.submit("captioning the music", run, key=JOB_KEY)
        handle.partial.connect(lambda text: self.estimated.emit(str(text)))
        handle.progress.connect(self._on_progress)
        self._captioning_for = track
        handle.finished.connect(lambda result: self._on_captioned(track, result))
        handle.failed.connect(self.failed.emit)
        handle.cancelled.connect(lambda: self.status_changed.emit("Captioning cancelled."))
        self.handle = handle
        self.status_changed.emit("Captioning the music…")
        return handle

    def show_kept(self, track: str, description: str = "", seed: int = 0,
                  content_hash: str = "") -> JobHandle:
        """Show the captions an earlier run kept for ``track`` (no model is loaded; nothing
        happens when there are none); ``content_hash``: the track's, when known."""
        service = self.service

        def look(ctx: JobContext) -> TrackCaptions | None:
            return service.kept(track, seed=seed, description=description, cancel=ctx.cancel,
                                content_hash=content_hash)

        self._kept_for = track
        handle = self.queue.submit("looking for kept captions", look, key=KEPT_KEY)
        handle.finished.connect(lambda found: self._on_kept(track, found))
        return handle

    def _on_captioned(self, track: str, result: TrackCaptions) -> None:
        """A run's captions, unless another track was opened since it started (a result that
        was already on its way when ``clear`` cancelled the run)."""
        if self._captioning_for == track:
            self._on_finished(result)

    def _on_kept(self, track: str, found: TrackCaptions | None) -> None:
        if found is not None and self._kept_for == track and self.captions is None:
            self._on_finished(found)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    def clear(self) -> None:
        """Forget the captions (another track was opened)."""
        self.cancel()
        self._kept_for = self._captioning_for = None
        self.captions = None
        self.captions_changed.emit(None)

    def lane_captions(self) -> list[LaneCaption]:
        if self.captions is None:
            return []
        return [LaneCaption(s.start_s, s.end_s, s.text) for s in self.captions.segments]

    @property
    def summary(self) -> str:
        """The summary for the prompt: BART's paragraph ("" when it is the description)."""
        if self.captions is None or self.captions.summary_source != "bart-large-cnn":
            return ""
        return self.captions.summary

    def _on_progress(self, report: Progress) -> None:
        self.progress.emit(report)
        self.status_changed.emit(progress_line(report))

    def _on_finished(self, result: TrackCaptions) -> None:
        self.captions = result
        self.captions_changed.emit(result)
        self.status_changed.emit("")


def connect_to_window(captions: CaptionSession, lane: CaptionLane, view: Any, track: Any,
                      cover: Any, show_warning: Callable[[str], None]) -> None:
    """Wire the caption session to the window: the lane follows the waveform view, a
    double-click on it captions the open track (after the CPU estimate), a new track clears
    the captions and shows those kept from an earlier run, and the summary joins the cover
    prompt."""

    def request() -> None:
        if track.path is None:
            show_warning("Open a track first: its music is what gets captioned.")
            return
        problem = captions.missing()
        if problem:
            show_warning(problem)
            return
        duration = float(track.info.duration) if track.info is not None else 0.0
        captions.start(track.path, track.description, duration_s=duration)

    def shown(result: TrackCaptions | None) -> None:
        lane.set_captions(captions.lane_captions())
        cover.set_music_summary(captions.summary)

    view.view_changed.connect(lane.set_view)
    lane.caption_requested.connect(request)
    captions.captions_changed.connect(shown)
    captions.estimated.connect(lambda estimate: show_warning(f"Captioning on the CPU: {estimate}"))
    captions.status_changed.connect(lambda text: lane.set_message(text) if text else None)
    captions.failed.connect(lambda problem: show_warning(str(getattr(problem, "message",
                                                                     problem))))
    track.loading_started.connect(lambda _path: captions.clear())
    # a track captioned before shows its kept captions as it opens, without a model
    track.loaded.connect(lambda path: captions.show_kept(
        path, track.description,
        content_hash=str(getattr(track.info, "content_hash", "") or ""))
        if captions.missing() is None else None)
