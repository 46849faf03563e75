"""The models AlbumStudio knows (from the model registry): role, size, licence, and whether each
is on this computer. Downloading inside the app is not built yet; the dialog says so and gives
the one command that fetches a model into the Hugging Face cache."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.model_registry import models
from albumstudio.jobs.runner import JobContext, JobRunner
from albumstudio.services.pictures import model_installed


def _look_for(model: str) -> Callable[[JobContext], bool]:
    return lambda ctx: model_installed(model, ctx.cancel)


COLUMNS = ("Role", "Model", "Size", "Licence", "Commercial use", "On this computer")


class ModelsDialog(QDialog):
    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(1200, 460)
        layout = QVBoxLayout(self)
        note = QLabel("AlbumStudio cannot download models by itself yet. Every feature works "
                      "without them (the offline tier); to use a model, fetch it once with "
                      "<code>hf download MODEL</code> — it goes to your Hugging Face cache, and "
                      "AlbumStudio then reads it offline.")
        note.setWordWrap(True)
        layout.addWidget(note)
        entries = models()
        self.table = QTableWidget(len(entries), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, entry in enumerate(entries):
            size = f"{entry.size_mb / 1000:.1f} GB" if entry.size_mb >= 1000 else f"{entry.size_mb} MB"
            values = (entry.role, entry.id, size, entry.license,
                      "yes" if entry.commercial_use else "no (check the licence)",
                      "shipped with AlbumStudio" if entry.bundled else "checking…")
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{entry.purpose}\n{entry.url}")
                self.table.setItem(row, column, item)
            if not entry.bundled:
                handle = runner.submit(f"looking for {entry.id}", _look_for(entry.id))
                handle.finished.connect(lambda found, r=row: self._state(r, found))
                handle.failed.connect(lambda _p, r=row: self._state(r, False))
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _state(self, row: int, installed: object) -> None:
        model, state = self.table.item(row, 1), self.table.item(row, 5)
        if model is None or state is None:
            return
        state.setText("installed" if installed else f"missing: hf download {model.text()}")
