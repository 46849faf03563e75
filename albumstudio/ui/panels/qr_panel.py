"""The QR tab: a poster from a link, the cover art and the artist's words, with a scan badge.

The poster is made by the same :class:`PosterService` the CLI uses. The engine list is the
registry's poster engines: the plain engine runs on the window's CPU runner, the art engine
(Stable Diffusion 1.5 + the QR ControlNet) queues on the model queue behind covers and music,
shows a preview at every step and can be cancelled. When a model the art engine needs is
missing, the tab names it and offers the Models dialog. Save is enabled only for a result whose
code scanned; the file is written the CLI's way (never over an existing file without asking).
The picture is the Picture tab's image or a cover picked from the history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.errors import ModelMissingError, Problem, UserFacingError
from albumstudio.core.jobs import JobRecord, Progress
from albumstudio.core.qr import POSTER_SIZES, QR_STYLES, ArtQrOptions, PlainQrOptions, QrRequest
from albumstudio.ui.panels.options_form import OptionsForm, guard_wheel

PREVIEW_SIDE = 280
RECENT_COVERS = 12
TAB_PICTURE = ""  # the picker's first entry: whatever the Picture tab shows


class _ModelLine:
    """A model id or folder for one of the art engine's roles ("" = the registry's default)."""

    def __init__(self, panel: QrPanel, label: str) -> None:
        self.line = QLineEdit()
        self.line.setPlaceholderText("the recommended model")
        self.line.setAccessibleName(label)
        self.line.editingFinished.connect(panel.check_models)
        self.widget: QWidget = self.line

    def value(self) -> str:
        return self.line.text().strip()

    def set_value(self, value: object) -> None:
        self.line.setText(str(value))


def _pixmap(rgb: np.ndarray, side: int = PREVIEW_SIDE) -> QPixmap:
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)


class QrPanel(QWidget):
    """Engine, payload, picture, size, format, the engine's settings, words and seed; Make,
    Cancel, a preview with its scan badge, Save."""

    made = Signal(object)  # the JobRecord of a poster that scans
    problem = Signal(object)  # Problem
    cancelled = Signal()
    models_checked = Signal(str)  # "" when the engine has what it needs, else the sentence

    def __init__(self, runner: Any, services: Any, image_path: Any = None,
                 parent: QWidget | None = None, *, model_queue: Any = None,
                 show_models: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.model_queue = model_queue
        self.services = services
        self.image_path = image_path or (lambda: "")
        self.show_models = show_models
        self.record: JobRecord | None = None
        self.handle: Any = None
        self.previews = 0  # step previews shown for the current poster
        registry = services.posters.registry
        form = QFormLayout()
        self.engine_box = guard_wheel(QComboBox())
        for spec in registry.specs("poster"):  # the engine list is the registry's
            self.engine_box.addItem(spec.label, spec.name)
            self.engine_box.setItemData(self.engine_box.count() - 1, spec.description,
                                        Qt.ItemDataRole.ToolTipRole)
        self.engine_box.setAccessibleName("QR engine")
        self.payload = QLineEdit()
        self.payload.setPlaceholderText("https://… your pre-save or Bandcamp link")
        self.payload.setAccessibleName("QR link or text")
        self.picture_box = guard_wheel(QComboBox())
        self.picture_box.setAccessibleName("Poster picture")
        self.picture_box.setToolTip("The cover art on the poster: the Picture tab's image, or a "
                                    "cover from the history.")
        self.picture_box.addItem("The Picture tab's image", TAB_PICTURE)
        self.size_box = guard_wheel(QComboBox())
        for name, size in POSTER_SIZES.items():
            self.size_box.addItem(size.label, name)
        self.size_box.setAccessibleName("Poster size")
        self.format_box = guard_wheel(QComboBox())
        self.format_box.addItem("PNG", "png")
        self.format_box.addItem("PDF (vector)", "pdf")
        self.format_box.setAccessibleName("Poster format")
        self.style_box = guard_wheel(QComboBox())
        for style in QR_STYLES:
            self.style_box.addItem(style.capitalize(), style)
        self.style_box.setAccessibleName("Module style")
        self.title = QLineEdit()
        self.title.setAccessibleName("Poster title")
        self.artist = QLineEdit()
        self.artist.setAccessibleName("Poster artist")
        self.cta = QLineEdit("Scan to listen")
        self.cta.setAccessibleName("Call to action")
        self.words = QLineEdit()
        self.words.setPlaceholderText("The look of the art: a mood, a place, a colour…")
        self.words.setAccessibleName("Art words")
        self.seed = guard_wheel(QSpinBox(minimum=0, maximum=2**31 - 1))
        self.seed.setAccessibleName("Seed")
        form.addRow("Engine", self.engine_box)
        form.addRow("Link", self.payload)
        form.addRow("Picture", self.picture_box)
        form.addRow("Size", self.size_box)
        form.addRow("Format", self.format_box)
        form.addRow("Modules", self.style_box)
        form.addRow("Title", self.title)
        form.addRow("Artist", self.artist)
        form.addRow("Call to action", self.cta)
        form.addRow("Art words", self.words)
        form.addRow("Seed", self.seed)
        self.form_layout = form
        self.art_form = OptionsForm("Art QR", ArtQrOptions, {
            "model": lambda f: _ModelLine(self, str(f.metadata.get("label", f.name)))})
        self.art_form.hide()
        self.art_base = ArtQrOptions()  # what the box does not show (pixels per module)
        self.model_status = QLabel("")
        self.model_status.setWordWrap(True)
        self.model_status.setAccessibleName("Model status")
        self.model_status.hide()
        self.models_button = QPushButton("Models…")
        self.models_button.setToolTip("Download or choose the models the art engine needs.")
        self.models_button.hide()
        self.models_button.clicked.connect(self._open_models)
        models_row = QHBoxLayout()
        models_row.addWidget(self.model_status, 1)
        models_row.addWidget(self.models_button)
        self.make_button = QPushButton("Make Poster")
        self.make_button.clicked.connect(self.make)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button = QPushButton("Save…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.choose_and_save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.make_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(120)
        self.preview.setAccessibleName("Poster preview")
        self.badge = QLabel("Make a poster: its code is checked by two decoders.")
        self.badge.setWordWrap(True)
        self.badge.setAccessibleName("Scan badge")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.art_form)
        layout.addLayout(models_row)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.badge)
        layout.addWidget(self.preview, 1)
        self.engine_box.currentIndexChanged.connect(self._engine_changed)
        self._engine_changed()
        self.refresh_pictures()

    # -- the engine ---------------------------------------------------------------------------
    @property
    def engine(self) -> str:
        return str(self.engine_box.currentData())

    def set_engine(self, name: str) -> None:
        self.engine_box.setCurrentIndex(max(0, self.engine_box.findData(name)))

    def _engine_changed(self, *_args: object) -> None:
        art = self.engine == "art"
        self.art_form.setVisible(art)
        for widget in (self.words, self.seed):
            self.form_layout.setRowVisible(widget, art)
        self.form_layout.setRowVisible(self.style_box, not art)
        self.check_models()

    def check_models(self) -> None:
        """Look (off the main thread) for the models the current engine needs; the tab says
        which one is missing and offers the Models dialog."""
        request = self.request()
        spec = self.services.posters.registry.get(request.engine)
        if not spec.model_roles:
            self._models_found("")
            return
        self.model_status.setText("Looking for the models…")
        self.model_status.show()
        posters = self.services.posters
        handle = self.runner.submit("looking for the poster's models",
                                    lambda ctx: _missing_model(posters, request),
                                    key="qr-models")
        handle.finished.connect(self._models_found)

    def _models_found(self, missing: object) -> None:
        text = str(missing or "")
        self.model_status.setText(text or "The models are installed: the art is painted on "
                                          "this computer.")
        self.model_status.setVisible(bool(text) or self.engine == "art")
        self.models_button.setVisible(bool(text) and self.show_models is not None)
        self.models_checked.emit(text)

    def _open_models(self) -> None:
        if self.show_models is not None:
            self.show_models(self.model_status.text())

    # -- the picture --------------------------------------------------------------------------
    def refresh_pictures(self) -> None:
        """The picker's covers: the most recent covers in the history (newest first)."""
        chosen = self.picture_box.currentData()
        self.picture_box.blockSignals(True)
        while self.picture_box.count() > 1:
            self.picture_box.removeItem(1)
        history = self.services.history
        for record in history.records("cover", RECENT_COVERS) if history is not None else ():
            for output in record.outputs:
                if output.media.startswith("image/") and output.path:
                    seed = f", seed {output.seed}" if output.seed is not None else ""
                    self.picture_box.addItem(f"Cover #{record.id} ({record.engine}{seed})",
                                             output.path)
        self.picture_box.setCurrentIndex(max(0, self.picture_box.findData(chosen)))
        self.picture_box.blockSignals(False)

    def use_picture(self, path: str, label: str) -> None:
        """Put ``path`` (a cover from the gallery) on the next poster."""
        index = self.picture_box.findData(path)
        if index < 0:
            self.picture_box.insertItem(1, label, path)
            index = 1
        self.picture_box.setCurrentIndex(index)

    def picture(self) -> str:
        chosen = str(self.picture_box.currentData() or "")
        return chosen or str(self.image_path() or "")

    # -- making -------------------------------------------------------------------------------
    def request(self) -> QrRequest:
        common: dict[str, Any] = dict(
            image_path=self.picture(), title=self.title.text(), artist=self.artist.text(),
            cta=self.cta.text(), size=str(self.size_box.currentData()),
            format=str(self.format_box.currentData()))
        if self.engine == "art":
            return QrRequest("art", self.payload.text(), self.art_form.options(self.art_base),
                             prompt=self.words.text().strip(), seed=self.seed.value(), **common)
        return QrRequest(self.engine, self.payload.text(),
                         PlainQrOptions(style=str(self.style_box.currentData())), **common)

    def apply_request(self, request: QrRequest) -> None:
        """Set every control from an earlier poster's request (to make it again or vary it)."""
        self.set_engine(request.engine)
        self.payload.setText(request.payload)
        if request.image_path:
            self.use_picture(request.image_path, "The earlier poster's picture")
        self.size_box.setCurrentIndex(max(0, self.size_box.findData(request.size)))
        self.format_box.setCurrentIndex(max(0, self.format_box.findData(request.format)))
        self.title.setText(request.title)
        self.artist.setText(request.artist)
        self.cta.setText(request.cta)
        self.words.setText(request.prompt)
        self.seed.setValue(request.seed)
        if isinstance(request.options, ArtQrOptions):
            self.art_base = request.options
            self.art_form.set_options(request.options)
        elif isinstance(request.options, PlainQrOptions):
            self.style_box.setCurrentIndex(max(0, self.style_box.findData(
                request.options.style)))
        self.check_models()

    def make(self) -> None:
        request = self.request()
        try:
            self.services.posters.check(request)
        except UserFacingError as exc:
            self._failed(Problem(exc.message, exc.action))
            return
        self.record = None
        self.previews = 0
        self.save_button.setEnabled(False)
        posters = self.services.posters
        art = bool(self.services.posters.registry.get(request.engine).model_roles)
        queue = self.model_queue if art and self.model_queue is not None else self.runner
        if art:
            def job(ctx: Any) -> JobRecord:
                posters.preflight(request)  # a missing model is one sentence, nothing loaded
                return posters.run(request, ctx.progress, ctx.cancel)
        else:
            def job(ctx: Any) -> JobRecord:
                return posters.run(request, ctx.progress, ctx.cancel)
        waiting = getattr(queue, "pending", lambda: 0)()
        self.badge.setText("Queued behind the model work already waiting…" if waiting else
                           "Making the poster and reading its code…")
        self.handle = queue.submit("making the QR poster", job, key="qr")
        self.handle.progress.connect(self._progress)
        self.handle.finished.connect(self._finished)
        self.handle.failed.connect(self._failed)
        self.handle.cancelled.connect(self._cancelled)
        self.handle.done.connect(self._done)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.show()

    def cancel(self) -> None:
        if self.handle is not None and not self.handle.is_done:
            self.handle.cancel()

    def _progress(self, report: Progress) -> None:
        self.progress.setValue(int(report.fraction * 1000))
        if report.text:
            self.badge.setText(report.text[:1].upper() + report.text[1:] + "…")
        if report.preview is not None:
            self.previews += 1
            self.preview.setPixmap(_pixmap(np.asarray(report.preview)))

    def _finished(self, record: JobRecord) -> None:
        self.record = record
        scan = next((n.text[6:] for n in record.notes if n.text.startswith("scan: ")), "")
        repair = next((n.text[8:] for n in record.notes if n.text.startswith("repair: ")), "")
        self.badge.setText(f"✔ The code {scan}." + (f" Repair: {repair}." if repair else ""))
        output = record.outputs[0]
        if output.media == "image/png":
            image = QImage.fromData(output.data or open(output.path, "rb").read())
            self.preview.setPixmap(QPixmap.fromImage(image).scaled(
                PREVIEW_SIDE, PREVIEW_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
        else:
            self.preview.setText(f"PDF poster, {output.width}×{output.height} px at print size")
        self.save_button.setEnabled(True)
        self.made.emit(record)

    def _failed(self, problem: Problem) -> None:
        self.badge.setText(f"✘ {problem.message}")
        self.save_button.setEnabled(False)
        if problem.action == ModelMissingError.action:
            self._models_found(problem.message)
        self.problem.emit(problem)

    def _cancelled(self) -> None:
        self.badge.setText("Cancelled: nothing was made.")
        self.save_button.setEnabled(False)
        self.cancelled.emit()

    def _done(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.hide()

    # -- saving -------------------------------------------------------------------------------
    def save(self, path: str, overwrite: bool = False) -> str:
        """Write the poster that scanned to ``path`` (UserFacingError as the CLI gives it)."""
        from albumstudio.services.posters import output_bytes, save_poster

        if self.record is None:
            raise UserFacingError("Make a poster whose code scans before saving it.")
        fmt = "pdf" if self.record.outputs[0].media == "application/pdf" else "png"
        return save_poster(output_bytes(self.record.outputs[0]), path, fmt, overwrite)

    def choose_and_save(self) -> None:  # pragma: no cover - a native dialog
        if self.record is None:
            return
        fmt = "pdf" if self.record.outputs[0].media == "application/pdf" else "png"
        path, _ = QFileDialog.getSaveFileName(self, "Save poster", f"poster.{fmt}",
                                              f"{fmt.upper()} (*.{fmt})")
        if path:
            try:
                self.save(path, overwrite=True)  # the dialog has asked about replacing
            except UserFacingError as exc:
                self._failed(Problem(exc.message, exc.action))


def _missing_model(posters: Any, request: QrRequest) -> str:
    """The sentence naming the first model the request's engine lacks, or ""."""
    return str(posters.missing_model(request))
