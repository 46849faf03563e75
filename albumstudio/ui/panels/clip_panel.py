"""The Clip tab: a highlight of the open track, shown on the waveform as its selection.

Propose asks :class:`~albumstudio.services.clips.ClipService` (the CLI's service) for the most
representative 15, 30 or 60 s and selects it on the waveform; dragging on the waveform changes
the selection, and the clip follows it. Audition loops the selection in the app's player.
Export… writes an audio file (WAV, FLAC, MP3, Ogg Opus) or a video (square, vertical, loop) in
the background with progress and cancel; the clip is kept in the history.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.clip import CLIP_LENGTHS, DEFAULT_LOOP_S, MIN_CLIP_S
from albumstudio.core.errors import Problem, UserFacingError
from albumstudio.core.jobs import Progress
from albumstudio.core.text import display_name

AUDIO_CHOICES = (("WAV", "wav"), ("FLAC", "flac"), ("MP3", "mp3"), ("Ogg Opus", "ogg"))
VIDEO_CHOICES = (("Audio only", ""), ("Square video 1080×1080", "square"),
                 ("Vertical video 1080×1920", "vertical"),
                 ("Silent vertical loop (6 s)", "loop"))


class ClipPanel(QWidget):
    """Length, format, video; Propose, Audition, Export…; progress with Cancel."""

    proposed = Signal(float, float)  # the highlight's start and end
    exported = Signal(object, str)  # JobRecord, the path written
    cancelled = Signal()
    problem = Signal(object)  # Problem

    def __init__(self, runner: Any, services: Any, session: Any, view: Any,
                 player: Any = None, transport: Any = None, image_path: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.services, self.session = runner, services, session
        self.view, self.player, self.transport = view, player, transport
        self.image_path = image_path or (lambda: "")
        self.selection: tuple[float, float] | None = None
        self.handle: Any = None
        self.length_box = QComboBox()
        for seconds in CLIP_LENGTHS:
            self.length_box.addItem(f"{seconds} s", seconds)
        self.length_box.setCurrentIndex(1)
        self.length_box.setAccessibleName("Clip length")
        self.format_box = QComboBox()
        for label, value in AUDIO_CHOICES:
            self.format_box.addItem(label, value)
        self.format_box.setAccessibleName("Audio format")
        self.video_box = QComboBox()
        for label, value in VIDEO_CHOICES:
            self.video_box.addItem(label, value)
        self.video_box.setAccessibleName("Video")
        form = QFormLayout()
        form.addRow("Length", self.length_box)
        form.addRow("Audio format", self.format_box)
        form.addRow("Video", self.video_box)
        self.propose_button = QPushButton("Propose Highlight")
        self.audition_button = QPushButton("Audition")
        self.export_button = QPushButton("Export…")
        self.cancel_button = QPushButton("Cancel")
        buttons = QHBoxLayout()
        for button in (self.propose_button, self.audition_button, self.export_button,
                       self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.region = QLabel("Open a track, then propose a highlight or drag on the waveform.")
        self.region.setWordWrap(True)
        self.region.setAccessibleName("Clip selection")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Clip status")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.region)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.propose_button.clicked.connect(self.propose)
        self.audition_button.clicked.connect(self.audition)
        if player is not None and hasattr(player, "availability_changed"):
            player.availability_changed.connect(lambda _ok, _why: self._refresh())
        self.export_button.clicked.connect(self.choose_and_export)
        self.cancel_button.clicked.connect(self.cancel)
        self.video_box.currentIndexChanged.connect(self._refresh)
        view.selection_changed.connect(self._dragged)
        session.loading_started.connect(self._track_changed)
        self._refresh()

    # -- state ------------------------------------------------------------------------------
    def _track(self) -> str:
        return str(self.session.path or "")

    def _busy(self) -> bool:
        return self.handle is not None and not self.handle.is_done

    def _refresh(self) -> None:
        has_track = bool(self._track())
        busy = self._busy()
        loop = self.video_box.currentData() == "loop"
        self.propose_button.setEnabled(has_track and not busy)
        why = self._no_device()
        self.audition_button.setEnabled(self.selection is not None and self.player is not None
                                        and not why)
        self.audition_button.setToolTip(why or "Loop the selection in the player")
        self.export_button.setEnabled(has_track and not busy
                                      and (self.selection is not None or loop))
        self.cancel_button.setEnabled(busy)
        self.format_box.setEnabled(not self.video_box.currentData())

    def _no_device(self) -> str:
        """The player's sentence when the sound device cannot be used ("" when it can, or
        while it is still being looked for)."""
        if self.player is None or getattr(self.player, "device_ok", None) is not False:
            return ""
        return str(getattr(self.player, "device_reason", "") or "Playback is off.")

    def _track_changed(self, _path: str) -> None:
        if self._busy():
            self.handle.cancel()
        self.selection = None
        self.region.setText("Propose a highlight or drag on the waveform to choose the clip.")
        self._refresh()

    def _show_selection(self) -> None:
        if self.selection is None:
            self.region.setText("No selection: propose a highlight or drag on the waveform.")
        else:
            start, end = self.selection
            self.region.setText(f"Clip {start:.2f}–{end:.2f} s ({end - start:.1f} s)")
        self._refresh()

    def set_selection(self, start: float, end: float) -> None:
        """Select [start, end) as the clip: on the waveform and for the player's loop."""
        self.selection = (float(start), float(end))
        self.view.set_selection(start, end)
        if self.player is not None:
            self.player.set_selection(start, end)
        self._show_selection()

    def _dragged(self, start: float, end: float) -> None:
        self.selection = None if start < 0 or end - start <= 0 else (float(start), float(end))
        self._show_selection()

    # -- propose, audition ------------------------------------------------------------------
    def propose(self) -> None:
        track = self._track()
        if not track:
            return
        seconds = float(self.length_box.currentData())
        clips = self.services.clips
        self.status.setText(f"Finding the best {seconds:g} s…")
        self.handle = self.runner.submit(
            "finding the highlight",
            lambda ctx: clips.propose(track, seconds, ctx.progress, ctx.cancel), key="clip")
        self.handle.finished.connect(self._proposed)
        self._watch(self.handle)

    def _proposed(self, highlight: Any) -> None:
        self.set_selection(highlight.start_s, highlight.end_s)
        self.status.setText(highlight.reasons())
        self.proposed.emit(highlight.start_s, highlight.end_s)

    def audition(self) -> None:
        """Loop the selection in the player, from its start."""
        if self.selection is None or self.player is None:
            return
        self.player.set_selection(*self.selection)
        if self.transport is not None:
            self.transport.loop_button.setChecked(True)
        else:
            self.player.set_looping(True)
        self.player.seek(self.selection[0])
        if self.player.can_play and not (self.player.engine is not None
                                         and self.player.engine.playing):
            self.player.toggle()
        elif not self.player.can_play and self.player.reason:
            self.status.setText(f"Cannot audition: {self.player.reason}")

    # -- export -----------------------------------------------------------------------------
    def suggested_name(self) -> str:
        video = self.video_box.currentData()
        ext = "mp4" if video else self.format_box.currentData()
        stem = display_name(self._track()).rsplit(".", 1)[0] or "clip"
        return f"{stem} clip.{ext}"

    def export(self, path: str, overwrite: bool = True) -> None:
        """Make the clip and write it to ``path`` in the background (``exported`` when done)."""
        track = self._track()
        video = self.video_box.currentData() or None
        if video == "loop":
            start, seconds = None, DEFAULT_LOOP_S
        elif self.selection is not None:
            start, seconds = self.selection[0], self.selection[1] - self.selection[0]
        else:
            self._failed(Problem("Choose the clip first: propose a highlight or drag on the "
                                 "waveform."))
            return
        if video != "loop" and seconds < MIN_CLIP_S:
            self._failed(Problem(f"A clip must be at least 1 second long, not {seconds:.1f} s; "
                                 "drag a longer selection."))
            return
        tags = self.session.tags
        clips = self.services.clips
        image = str(self.image_path() or "")
        self.status.setText(f"Making {display_name(path)}…")
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.handle = self.runner.submit(
            "making the clip",
            lambda ctx: clips.make(track, path, seconds, start=start, video=video, image=image,
                                   title=tags.title or None, artist=tags.artist or None,
                                   overwrite=overwrite, progress=ctx.progress,
                                   cancel=ctx.cancel), key="clip")
        self.handle.finished.connect(self._exported)
        self._watch(self.handle)

    def _watch(self, handle: Any) -> None:
        handle.progress.connect(self._progress)
        handle.failed.connect(self._failed)
        handle.cancelled.connect(self._cancelled)
        handle.done.connect(self._refresh)
        self._refresh()

    def _progress(self, report: Progress) -> None:
        self.progress.setValue(int(report.fraction * 1000))
        if report.text:
            self.status.setText(report.text)

    def _exported(self, result: tuple[Any, str]) -> None:
        record, written = result
        self.progress.setVisible(False)
        output = record.outputs[0]
        size = f", {output.width}×{output.height}" if output.width else ""
        warnings = " ".join(record.warnings())
        self.status.setText(f"Saved {display_name(written)} ({output.duration_s:.1f} s{size})."
                            + (f" {warnings}" if warnings else ""))
        self.exported.emit(record, written)

    def cancel(self) -> None:
        if self._busy():
            self.handle.cancel()

    def _cancelled(self) -> None:
        self.progress.setVisible(False)
        self.status.setText("Cancelled; nothing was written.")
        self.cancelled.emit()

    def _failed(self, problem: Problem) -> None:
        self.progress.setVisible(False)
        self.status.setText(f"✘ {problem.message}")
        self.problem.emit(problem)
        self._refresh()

    def choose_and_export(self) -> None:  # pragma: no cover - a native dialog
        video = self.video_box.currentData()
        pattern = "MP4 video (*.mp4)" if video else "Audio (*.wav *.flac *.mp3 *.ogg *.opus)"
        path, _ = QFileDialog.getSaveFileName(self, "Export clip", self.suggested_name(),
                                              pattern)
        if path:
            try:
                self.export(path, overwrite=True)  # the dialog has asked about replacing
            except UserFacingError as exc:
                self._failed(Problem(exc.message, exc.action))
