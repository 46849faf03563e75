"""Cover generation as an observable model: what goes into the prompt, the queue, the results.

It reads the open track (``TrackSession``) and the reference picture (``ReferenceImage``),
composes the explainable prompt, turns the artist's settings into a ``CoverRequest`` and
queues it on the serial model queue. Widgets bind to its signals and own no cover state.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal

from albumstudio.core.cover import CoverRequest, MusicMood
from albumstudio.core.cover_plan import default_size, for_track, plan_cover
from albumstudio.core.prompt import ComposedPrompt
from albumstudio.engines.captioning import DEFAULT_CAPTIONER
from albumstudio.engines.models import is_installed
from albumstudio.jobs.cover_jobs import CoverOutcome, CoverPreview, CoverWorker
from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.jobs.runner import JobHandle
from albumstudio.store.history import HistoryStore
from albumstudio.ui.canvas.reference_image import ReferenceImage
from albumstudio.ui.track_session import TrackSession

COMPOSE_DEBOUNCE_MS = 120


class CoverSession(QObject):
    composed_changed = Signal(object)  # ComposedPrompt
    caption_changed = Signal(str)
    generation_started = Signal(object)  # CoverRequest
    progress = Signal(float, str)
    preview = Signal(object)  # CoverPreview
    result = Signal(object)  # CoverOutcome
    failed = Signal(str)
    notice = Signal(str)  # something the artist should know that is not a failure
    cancelled = Signal()
    queue_changed = Signal(int)
    history_changed = Signal()

    def __init__(self, track: TrackSession, reference: ReferenceImage, queue: ModelQueue,
                 history: HistoryStore | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.track = track
        self.reference = reference
        self.queue = queue
        self.history = history
        self.worker = CoverWorker(history)
        self.settings = CoverRequest(size=default_size("design"))
        self.style = ""
        self.preset: str | None = None
        self.caption = ""
        self.caption_source = ""  # "" | "look" (offline) | "blip"
        self.captioner_model = DEFAULT_CAPTIONER
        self._caption_generation = 0
        self.composed: ComposedPrompt | None = None
        self._compose_timer = QTimer(self, singleShot=True, interval=COMPOSE_DEBOUNCE_MS)
        self._compose_timer.timeout.connect(self.compose)
        for signal in (track.description_changed, track.music_tags_changed,
                       track.hidden_tags_changed, track.tags_changed, track.analysis_changed):
            signal.connect(self._schedule_compose)
        reference.look_changed.connect(self._on_look)
        reference.image_changed.connect(self._schedule_compose)
        queue.queue_changed.connect(self.queue_changed)

    # -- prompt ------------------------------------------------------------------------------
    def _on_look(self, look) -> None:
        self._caption_generation += 1
        self.caption = look.describe() if look is not None and self.reference.image else ""
        self.caption_source = "look" if self.caption else ""
        self.caption_changed.emit(self.caption)
        self._schedule_compose()
        if self.caption and self.reference.path:
            generation = self._caption_generation
            self.check_installed(self.captioner_model,
                                 lambda installed: self._caption_with_blip(generation, installed))

    def check_installed(self, model: str, then) -> None:
        """Ask the model cache off the main thread (its first use imports huggingface_hub)."""
        handle = self.reference.runner.submit(f"looking for {model}",
                                              lambda ctx: is_installed(model))
        handle.finished.connect(then)

    def _caption_with_blip(self, generation: int, installed: bool) -> None:
        """Replace the offline description with BLIP's caption once the model queue gets to it."""
        if not installed or generation != self._caption_generation:
            return
        path, crop, model, worker = (self.reference.path, self.reference.crop,
                                     self.captioner_model, self.worker)
        handle = self.queue.submit("describing the picture",
                                   lambda ctx: worker.caption(path, crop, model, ctx))
        handle.finished.connect(lambda text, g=generation: self._on_blip(g, text))
        handle.failed.connect(lambda message: self.notice.emit(
            f"The picture could not be captioned, so its colours describe it instead: {message}"))

    def _on_blip(self, generation: int, text: object) -> None:
        if generation != self._caption_generation or not isinstance(text, str) or not text:
            return
        self.caption, self.caption_source = text, "blip"
        self.caption_changed.emit(text)
        self._schedule_compose()

    def _schedule_compose(self, *_args) -> None:
        self._compose_timer.start()

    def flush_compose(self) -> None:
        """Compose now if a change is still waiting out the debounce (Generate uses fresh words)."""
        if self._compose_timer.isActive():
            self._compose_timer.stop()
            self.compose()

    def set_style(self, text: str) -> None:
        self.style = text
        self._schedule_compose()

    def set_preset(self, key: str) -> None:
        self.preset = key or None
        self._schedule_compose()

    def music_tags(self) -> list[str]:
        return [name for name, _ in self.track.shown_tags()] if self.track.music_tags else []

    def mood(self) -> MusicMood:
        return MusicMood.from_analysis(self.track.analysis, tuple(self.music_tags()))

    def compose(self) -> ComposedPrompt:
        plan = plan_cover(mood=self.mood(), release=self.track.tags,
                          music_description=self.track.description,
                          music_tags=self.music_tags(),
                          image_caption=self.caption if self.reference.image else "",
                          style=self.style, preset=self.preset, base=self.settings)
        self.composed = plan.prompt
        self.composed_changed.emit(plan.prompt)
        return plan.prompt

    # -- settings and requests ---------------------------------------------------------------
    def update_settings(self, **changes: object) -> None:
        self.settings = replace(self.settings, **changes)

    def build_request(self, prompt: str, negative: str) -> CoverRequest:
        """The request the artist sees: their settings, this track, this picture and crop."""
        has_image = self.reference.image is not None
        request = replace(
            self.settings,
            prompt=prompt,
            negative_prompt=negative,
            image_path=self.reference.path if has_image else None,
            crop=self.reference.crop if has_image else None,
            conditions=(self.reference.conditions_for_request()
                        if self.settings.engine == "diffusion" and has_image else ()),
        )
        if request.engine == "diffusion" and not has_image:
            request = replace(request, mode="txt2img")
        return for_track(request, self.mood(), self.track.tags)

    def generate(self, prompt: str, negative: str) -> JobHandle:
        request = self.build_request(prompt, negative)
        track_hash = self.track.info.content_hash if self.track.info is not None else ""
        worker = self.worker
        handle = self.queue.submit(
            "making the cover", lambda ctx: worker.run(request, ctx, track_hash))
        handle.progress.connect(self.progress)
        handle.partial.connect(self._on_partial)
        handle.finished.connect(self._on_finished)
        handle.failed.connect(self.failed)
        handle.cancelled.connect(self.cancelled)
        self.generation_started.emit(request)
        return handle

    def _on_partial(self, value: object) -> None:
        if isinstance(value, CoverPreview):
            self.preview.emit(value)

    def _on_finished(self, outcome: object) -> None:
        if isinstance(outcome, CoverOutcome):
            self.result.emit(outcome)
            if outcome.items:
                self.history_changed.emit()

    def cancel(self) -> None:
        self.queue.cancel_all()

    def close(self) -> None:
        """Cancel and join the model queue, then free the loaded models."""
        self.queue.shutdown()
        self.worker.unload()
