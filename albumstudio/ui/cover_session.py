"""Cover generation as an observable model: what goes into the prompt, the queue, the results.

It reads the open track (``TrackSession``) and the reference picture (``ReferenceImage``),
composes the explainable prompt and plans the request with the cover service — the same
``plan`` the CLI calls — then queues ``CoverService.run`` on the serial model queue. Widgets
bind to its signals and own no cover state.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from albumstudio.core.cover import CoverRequest
from albumstudio.core.jobs import JobRecord, Progress
from albumstudio.core.model_registry import default_model
from albumstudio.core.prompt import ComposedPrompt
from albumstudio.engines.registry import EngineSpec
from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.jobs.runner import JobHandle
from albumstudio.services import Services
from albumstudio.services.covers import compose, plan
from albumstudio.services.pictures import caption, model_installed
from albumstudio.ui.canvas.reference_image import ReferenceImage
from albumstudio.ui.track_session import TrackSession

COMPOSE_DEBOUNCE_MS = 120


class CoverSession(QObject):
    composed_changed = Signal(object)  # ComposedPrompt
    caption_changed = Signal(str)
    generation_started = Signal(object)  # CoverRequest
    progress = Signal(object)  # Progress
    preview = Signal(object)  # Progress that carries a preview image
    result = Signal(object)  # JobRecord
    failed = Signal(object)  # Problem
    notice = Signal(str)  # something the artist should know that is not a failure
    cancelled = Signal()
    queue_changed = Signal(int)
    history_changed = Signal()
    engine_changed = Signal(object)  # EngineSpec

    def __init__(self, track: TrackSession, reference: ReferenceImage, queue: ModelQueue,
                 services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.track = track
        self.reference = reference
        self.queue = queue
        self.services = services
        self.covers = services.covers
        self.registry = services.covers.registry
        first = self.registry.specs("cover")[0]
        self.settings: CoverRequest = self.registry.new_request(first.name)
        self.style = ""
        self.preset: str | None = None
        self.caption = ""
        self.caption_source = ""  # "" | "look" (offline) | "blip"
        self.music_summary = ""  # the music captions' summary (BART large CNN), when made
        self.captioner_model = default_model("captioner")
        self.composed: ComposedPrompt | None = None
        self._compose_timer = QTimer(self, singleShot=True, interval=COMPOSE_DEBOUNCE_MS)
        self._compose_timer.timeout.connect(self.compose)
        for signal in (track.description_changed, track.music_tags_changed,
                       track.hidden_tags_changed, track.tags_changed, track.analysis_changed):
            signal.connect(self._schedule_compose)
        reference.look_changed.connect(self._on_look)
        reference.image_changed.connect(self._schedule_compose)
        queue.queue_changed.connect(self.queue_changed)

    @property
    def spec(self) -> EngineSpec:
        return self.registry.get(self.settings.engine)

    # -- prompt ------------------------------------------------------------------------------
    def _on_look(self, look) -> None:
        self.queue.runner.supersede_key("caption")
        self.caption = look.describe() if look is not None and self.reference.image else ""
        self.caption_source = "look" if self.caption else ""
        self.caption_changed.emit(self.caption)
        self._schedule_compose()
        if self.caption and self.reference.path:
            self.check_installed(self.captioner_model, self._caption_with_blip)

    def estimate(self, steps: int, variants: int, then, lcm: bool = False) -> None:
        """``then(sentence)``: how long a cover of ``steps`` steps takes here, from this
        computer's past jobs on the backend a cover would use now ("About 4 minutes on this CPU
        with OpenVINO (from 3 past jobs here)."), advising LCM mode on a CPU when it is off.
        Asked off the main thread: finding the device imports torch."""
        from albumstudio.services.device_info import cover_device_name, time_estimate

        history, engine = self.services.history, self.settings.engine

        def ask(_ctx: object) -> str:
            device = cover_device_name()
            return time_estimate(history, steps, variants, device, engine,
                                 advise_lcm=not lcm and engine == "diffusion").sentence

        handle = self.reference.runner.submit("estimating the time", ask, key="estimate")
        handle.finished.connect(then)

    def check_installed(self, model: str, then) -> None:
        """Ask the model cache off the main thread (its first use imports huggingface_hub)."""
        handle = self.reference.runner.submit(f"looking for {model}",
                                              lambda ctx: model_installed(model, ctx.cancel))
        handle.finished.connect(then)

    def _caption_with_blip(self, installed: bool) -> None:
        """Replace the offline description with BLIP's caption once the model queue gets to it;
        a newer picture supersedes the request, so a late caption never lands on it."""
        if not installed or not self.reference.path:
            return
        path, crop, model = self.reference.path, self.reference.crop, self.captioner_model
        models = self.services.models
        handle = self.queue.submit(
            "describing the picture", lambda ctx: caption(path, crop, models, model, ctx.cancel),
            key="caption")
        handle.finished.connect(self._on_blip)
        handle.failed.connect(lambda problem: self.notice.emit(
            f"The picture could not be captioned, so its colours describe it instead: {problem}"))

    def _on_blip(self, words: object) -> None:
        text = getattr(words, "text", "")
        if not text:
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

    def set_music_summary(self, text: str) -> None:
        self.music_summary = text
        self._schedule_compose()

    def music_tags(self) -> list[str]:
        return list(self.track.facts().tags)

    def picture_words(self) -> str:
        return self.caption if self.reference.image else ""

    def compose(self) -> ComposedPrompt:
        composed = compose(self.track.facts(), self.picture_words(), self.style, self.preset,
                           self.music_summary)
        self.composed = composed
        self.composed_changed.emit(composed)
        return composed

    # -- settings and requests ---------------------------------------------------------------
    def set_engine(self, name: str) -> EngineSpec:
        """Switch engines: the new engine's options, and its default size when the size was the
        old engine's default or is outside the new engine's limits."""
        if name == self.settings.engine:
            return self.spec
        old, new = self.spec, self.registry.get(name)
        size = self.settings.size
        low, high = new.limit("size", (1, 100_000))
        if size == old.default("size") or not low <= size <= high:
            size = int(new.default("size", size))
        self.settings = replace(self.settings, engine=name, size=size,
                                options=new.options_type())
        self.engine_changed.emit(new)
        return new

    def update_settings(self, **changes: Any) -> None:
        """Change common fields (size, seed, variants) and the engine's options by name."""
        if "engine" in changes:
            self.set_engine(str(changes.pop("engine")))
        self.settings = self.settings.with_changes(**changes)

    def build_request(self, prompt: str | None = None,
                      negative: str | None = None) -> CoverRequest:
        """The request the artist sees: their settings, this track, this picture and crop."""
        has_image = self.reference.image is not None
        settings = replace(self.settings,
                           image_path=self.reference.path if has_image else None,
                           crop=self.reference.crop if has_image else None)
        if has_image and any(f.name == "conditions" for f in fields(settings.options)):
            settings = replace(settings, options=replace(
                settings.options, conditions=self.reference.conditions_for_request()))
        return plan(self.track.facts(), settings, picture_words=self.picture_words(),
                    style=self.style, preset=self.preset, prompt=prompt,
                    negative=negative, music_summary=self.music_summary).request

    def generate(self, prompt: str | None = None, negative: str | None = None) -> JobHandle:
        request = self.build_request(prompt, negative)
        track_hash = self.track.info.content_hash if self.track.info is not None else ""
        return self.submit(request, track_hash)

    def rerun(self, item: Any) -> JobHandle | None:
        """A history entry made again from its own request (the gallery's Re-run): identical
        bytes, or the engine-changed note on the result."""
        return self._from_history(item, None)

    def vary(self, item: Any, seed: int) -> JobHandle | None:
        """A history entry's settings with another seed (the gallery's Vary)."""
        return self._from_history(item, seed)

    def _from_history(self, item: Any, seed: int | None) -> JobHandle | None:
        from albumstudio.core.errors import Problem, UserFacingError

        try:
            request = self.covers.request_of(item)
        except UserFacingError as exc:
            self.failed.emit(Problem.from_exception(exc, "re-running the cover"))
            return None
        note = self.covers.changed_since(item) if seed is None else None
        if seed is not None:
            request = replace(request, seed=int(seed), variants=1)
        return self.submit(request, item.track_hash, (note,) if note is not None else ())

    def submit(self, request: CoverRequest, track_hash: str = "",
               notes: tuple[Any, ...] = ()) -> JobHandle:
        """Queue one request on the model queue; its result, progress and failure come out of
        this session's signals."""
        covers = self.covers
        handle = self.queue.submit(
            "making the cover",
            lambda ctx: covers.run(request, ctx.progress, ctx.cancel, track_hash=track_hash,
                                   notes=notes))
        handle.progress.connect(self._on_progress)
        handle.finished.connect(self._on_finished)
        handle.failed.connect(self.failed)
        handle.cancelled.connect(self.cancelled)
        self.generation_started.emit(request)
        return handle

    def _on_progress(self, report: Progress) -> None:
        self.progress.emit(report)
        if report.preview is not None:
            self.preview.emit(report)

    def _on_finished(self, record: object) -> None:
        if isinstance(record, JobRecord):
            self.result.emit(record)
            if record.id:
                self.history_changed.emit()

    def cancel(self) -> None:
        self.queue.cancel_all()

    def close(self) -> None:
        """Cancel and join the model queue, then free the loaded models."""
        self.queue.shutdown()
        self.covers.unload()
