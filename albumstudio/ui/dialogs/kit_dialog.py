"""File › Export Release Kit…: choose a distributor profile, see the checks, write the folder.

The dialog holds no domain state of its own: it builds a :class:`KitRequest` from its fields
and runs the same :class:`KitService` the ``albumstudio kit`` command runs, on the window's model
queue (the kit may run the super-resolution model: one model job at a time). The checklist
(pass/fail with the reason for each) appears as soon as the cover is checked; the folder is
written only when no check fails, with progress, and the dialog ends with "Open folder".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.distributors import profiles
from albumstudio.core.errors import InputError, Problem
from albumstudio.core.jobs import Progress
from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.jobs.runner import JobContext, JobHandle, JobRunner

MARKS = {"pass": "✓", "FAIL": "✗", "warn": "!"}
COLOURS = {"FAIL": "#c62828", "warn": "#b26a00"}
FIELD_WORDS = {"min_px": "minimum size", "recommended_px": "size", "max_px": "maximum size",
               "formats": "formats", "colour_modes": "colour mode",
               "max_file_mb": "file size limit"}


class KitDialog(QDialog):
    """Export a release kit for ``track`` (with the reference picture ``image``, if any)."""

    checked = Signal(object)  # the list of checks, as soon as they are known
    written = Signal(object)  # the KitResult
    problem = Signal(object)  # Problem

    def __init__(self, runner: JobRunner | ModelQueue, services: Any, track: str,
                 image: str | None = None,
                 title: str = "", artist: str = "", parent: QWidget | None = None,
                 cover: tuple[bytes, dict[str, Any] | None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Release Kit")
        self.runner = runner
        self.services = services
        self.track = track
        self.image = image
        self.handle: JobHandle | None = None
        self.folder: Path | None = None
        self.cover = cover

        form = QFormLayout()
        self.profile = QComboBox()
        for entry in profiles():
            self.profile.addItem(entry.label, entry.name)
            self.profile.setItemData(self.profile.count() - 1,
                                     f"{entry.source} (read {entry.checked})",
                                     Qt.ItemDataRole.ToolTipRole)
        form.addRow("Distributor:", self.profile)
        self.rules = QLabel()
        self.rules.setWordWrap(True)
        form.addRow("", self.rules)
        self.profile.currentIndexChanged.connect(self._show_rules)
        self.title = QLineEdit(title)
        form.addRow("Title:", self.title)
        self.artist = QLineEdit(artist)
        form.addRow("Artist:", self.artist)
        self.qr = QLineEdit()
        self.qr.setPlaceholderText("https://… (optional: adds a QR poster)")
        form.addRow("Link for the poster:", self.qr)
        self.out = QLineEdit(str(Path(track).parent) if track else "")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(choose)
        form.addRow("Save in:", row)
        self.use_cover = QCheckBox("Use the cover on the canvas (otherwise a new design cover "
                                   "is made)")
        self.use_cover.setChecked(cover is not None)
        self.use_cover.setEnabled(cover is not None)
        form.addRow("", self.use_cover)
        self.parts = self._part_boxes()
        form.addRow("Parts:", self.parts)

        self.checklist = QListWidget()
        self.checklist.setWordWrap(True)
        self.checklist.setMinimumHeight(180)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status = QLabel("The cover is checked against the distributor's rules before "
                             "anything is written.")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Check and Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button = self.buttons.addButton("Open folder",
                                                  QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setVisible(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start)
        self.open_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Checks:"))
        layout.addWidget(self.checklist, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 560)
        self._show_rules()

    def _show_rules(self, *_args: object) -> None:
        """The chosen profile's limits and what must not be on the art (checked or not)."""
        entry = next(p for p in profiles() if p.name == self.profile.currentData())
        cap = f", at most {entry.max_file_bytes / 1e6:g} MB" if entry.max_file_bytes else ""
        self.rules.setText(
            f"At least {entry.min_px} px square, {'/'.join(f.upper() for f in entry.formats)}, "
            f"{'/'.join(entry.colour_modes)}{cap}. Not on the art: "
            f"{'; '.join(entry.forbidden)}. (Rules read {entry.checked}"
            + (f"; the generic profile's {', '.join(FIELD_WORDS[f] for f in entry.inherited)}"
               " where the source states none" if entry.inherited else "") + ".)")

    def _part_boxes(self) -> QWidget:
        """A box per export target in the registry (the ones a kit always has are ticked and
        fixed); ``self.targets`` maps each name to its box."""
        from albumstudio.services.kit_targets import kit_targets

        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.targets: dict[str, QCheckBox] = {}
        for target in kit_targets().targets():
            tick = QCheckBox(f"{target.label} ({target.writes})")
            tick.setChecked(target.default or target.required)
            tick.setEnabled(not target.required)
            if target.needs:
                tick.setToolTip(f"Needs {target.needs_words or target.needs}.")
            column.addWidget(tick)
            self.targets[target.name] = tick
        return box

    def chosen_targets(self, request: Any) -> tuple[str, ...]:
        """The ticked targets whose needs the request meets (a QR poster without a link is
        left out rather than refused)."""
        from albumstudio.services.kit_targets import kit_targets

        names = []
        for name, tick in self.targets.items():
            target = kit_targets().find(name)
            if tick.isChecked() and target is not None and (
                    not target.needs or getattr(request, target.needs, None) is not None):
                names.append(name)
        return tuple(names)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save the kit in", self.out.text())
        if folder:
            self.out.setText(folder)

    def request(self) -> Any:
        from albumstudio.services.kit import KitRequest

        png, made_by = self.cover if self.cover is not None and self.use_cover.isChecked() \
            else (None, None)
        request = KitRequest(track=self.track, out=self.out.text().strip(), image=self.image,
                          title=self.title.text().strip() or None,
                          artist=self.artist.text().strip() or None,
                          qr_url=self.qr.text().strip() or None,
                          profile=str(self.profile.currentData()),
                          cover_png=png, cover_request=made_by)
        return replace(request, targets=self.chosen_targets(request))

    def start(self) -> None:
        """Check, then write in the background (the checklist fills in as soon as it can)."""
        from albumstudio.services.kit import KitCheckError, KitService

        if self.handle is not None and not self.handle.is_done:
            return
        request = self.request()
        kits = KitService(self.services)

        def job(context: JobContext) -> object:
            prepared = kits.prepare(request, context.progress, context.cancel)
            context.partial(prepared.checks)
            if not prepared.ok:
                failed = [c for c in prepared.checks if not c.ok and c.severity == "error"]
                raise KitCheckError("The cover would be rejected: "
                                    + "; ".join(f"{c.name} ({c.reason})" for c in failed)
                                    + ". Nothing was written.", prepared.checks)
            context.check_cancel()
            return kits.write(prepared, context.progress)

        self.checklist.clear()
        self.open_button.setVisible(False)
        self.export_button.setEnabled(False)
        self.status.setText("Working…")
        self.handle = self.runner.submit("making the release kit", job, key="release-kit")
        self.handle.progress.connect(self._on_progress)
        self.handle.partial.connect(self._on_checks)
        self.handle.finished.connect(self._on_written)
        self.handle.failed.connect(self._on_failed)
        self.handle.done.connect(lambda: self.export_button.setEnabled(True))

    def _on_progress(self, report: Progress) -> None:
        self.progress.setValue(int(report.fraction * 1000))
        self.progress.setFormat(report.text[:80])

    def _on_checks(self, checks: list[Any]) -> None:
        self.checklist.clear()
        for check in checks:
            item = QListWidgetItem(f"{MARKS.get(check.mark, '?')} {check.name}: {check.reason}")
            item.setData(Qt.ItemDataRole.UserRole, check.mark)  # pass, FAIL or warn
            if check.mark in COLOURS:
                item.setForeground(QColor(COLOURS[check.mark]))
            self.checklist.addItem(item)
        self.checked.emit(checks)

    def _on_written(self, result: Any) -> None:
        self.folder = Path(result.folder)
        self.progress.setValue(1000)
        self.progress.setFormat("done")
        self.status.setText(f"Written to {self.folder}.")
        self.open_button.setVisible(True)
        self.written.emit(result)

    def _on_failed(self, problem: Problem) -> None:
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status.setText(problem.message)
        self.problem.emit(problem)

    def open_folder(self) -> None:
        if self.folder is None:
            raise InputError("There is no kit folder yet; export first.")
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def reject(self) -> None:
        if self.handle is not None and not self.handle.is_done:
            self.handle.cancel()
        super().reject()
