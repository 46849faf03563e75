"""The QR tab: a poster from a link, the cover art and the artist's words, with a scan badge.

The poster is made by the same :class:`PosterService` the CLI uses, as a job on the window's
runner (key "qr": a new Make replaces the one still running). Save is enabled only for a
result whose code scanned; the file is written the CLI's way (never over an existing file
without asking).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.errors import Problem, UserFacingError
from albumstudio.core.jobs import JobRecord
from albumstudio.core.qr import POSTER_SIZES, QR_STYLES, PlainQrOptions, QrRequest

PREVIEW_SIDE = 280


class QrPanel(QWidget):
    """Payload, size, format, module style, words; Make, a preview with its scan badge, Save."""

    made = Signal(object)  # the JobRecord of a poster that scans
    problem = Signal(object)  # Problem

    def __init__(self, runner: Any, services: Any, image_path: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.services = services
        self.image_path = image_path or (lambda: "")
        self.record: JobRecord | None = None
        self.handle: Any = None
        form = QFormLayout()
        self.payload = QLineEdit()
        self.payload.setPlaceholderText("https://… your pre-save or Bandcamp link")
        self.payload.setAccessibleName("QR link or text")
        self.size_box = QComboBox()
        for name, size in POSTER_SIZES.items():
            self.size_box.addItem(size.label, name)
        self.size_box.setAccessibleName("Poster size")
        self.format_box = QComboBox()
        self.format_box.addItem("PNG", "png")
        self.format_box.addItem("PDF (vector)", "pdf")
        self.format_box.setAccessibleName("Poster format")
        self.style_box = QComboBox()
        for style in QR_STYLES:
            self.style_box.addItem(style.capitalize(), style)
        self.style_box.setAccessibleName("Module style")
        self.title = QLineEdit()
        self.title.setAccessibleName("Poster title")
        self.artist = QLineEdit()
        self.artist.setAccessibleName("Poster artist")
        self.cta = QLineEdit("Scan to listen")
        self.cta.setAccessibleName("Call to action")
        form.addRow("Link", self.payload)
        form.addRow("Size", self.size_box)
        form.addRow("Format", self.format_box)
        form.addRow("Modules", self.style_box)
        form.addRow("Title", self.title)
        form.addRow("Artist", self.artist)
        form.addRow("Call to action", self.cta)
        self.make_button = QPushButton("Make Poster")
        self.make_button.clicked.connect(self.make)
        self.save_button = QPushButton("Save…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.choose_and_save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.make_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(120)
        self.badge = QLabel("Make a poster: its code is checked by two decoders.")
        self.badge.setWordWrap(True)
        self.badge.setAccessibleName("Scan badge")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.badge)
        layout.addWidget(self.preview, 1)

    def request(self) -> QrRequest:
        return QrRequest("plain", self.payload.text(),
                         PlainQrOptions(style=str(self.style_box.currentData())),
                         image_path=str(self.image_path() or ""), title=self.title.text(),
                         artist=self.artist.text(), cta=self.cta.text(),
                         size=str(self.size_box.currentData()),
                         format=str(self.format_box.currentData()))

    def make(self) -> None:
        request = self.request()
        try:
            self.services.posters.check(request)
        except UserFacingError as exc:
            self._failed(Problem(exc.message, exc.action))
            return
        self.record = None
        self.save_button.setEnabled(False)
        self.badge.setText("Making the poster and reading its code…")
        posters = self.services.posters
        self.handle = self.runner.submit(
            "making the QR poster", lambda ctx: posters.run(request, ctx.progress, ctx.cancel),
            key="qr")
        self.handle.finished.connect(self._finished)
        self.handle.failed.connect(self._failed)

    def _finished(self, record: JobRecord) -> None:
        self.record = record
        scan = next((n.text[6:] for n in record.notes if n.text.startswith("scan: ")), "")
        self.badge.setText(f"✔ The code {scan}.")
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
        self.problem.emit(problem)

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
