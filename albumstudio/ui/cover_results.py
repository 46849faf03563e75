"""Where finished covers go: the canvas shows them, the history lists them, the artist saves them."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from albumstudio.core.errors import UserFacingError
from albumstudio.core.jobs import JobRecord, Progress
from albumstudio.core.text import display_name
from albumstudio.jobs.runner import JobHandle, JobRunner
from albumstudio.services.covers import output_request, screen_pixels
from albumstudio.ui.canvas.image_canvas import ImageCanvas
from albumstudio.ui.cover_session import CoverSession
from albumstudio.ui.gallery.history_strip import HistoryStrip

if TYPE_CHECKING:
    from albumstudio.ui.main_window import MainWindow


class CoverResults(QObject):
    can_save = Signal(bool)
    saved = Signal(str)  # the path of a cover saved by Save Cover As

    def __init__(self, window: MainWindow, cover: CoverSession, canvas: ImageCanvas,
                 history: HistoryStrip, runner: JobRunner) -> None:
        super().__init__(window)
        self.window = window
        self.cover = cover
        self.canvas = canvas
        self.history = history
        self.runner = runner
        # PNG bytes, seed and request (what the saved PNG carries) of the shown cover
        self.current: tuple[bytes, int, dict | None] | None = None
        cover.preview.connect(self._show_preview)
        cover.result.connect(self._show_result)
        cover.failed.connect(lambda _m: canvas.clear_preview())
        cover.cancelled.connect(canvas.clear_preview)
        history.item_chosen.connect(self.show_history_item)
        history.save_requested.connect(self._save_history_item)

    def _show_preview(self, report: Progress) -> None:
        if report.preview is not None:
            self.canvas.show_preview(report.preview, f"step {report.step} of {report.total}")

    def _show_result(self, record: JobRecord) -> None:
        if not record.outputs:
            return
        output = record.outputs[0]
        data = output.data
        if data is None:
            with open(output.path, "rb") as handle:
                data = handle.read()
        self.current = (data, output.seed or 0, output_request(record, output))
        shown = output.display if output.display is not None else data
        self.canvas.show_cover(shown, f"seed {output.seed}")
        self.can_save.emit(True)
        self.history.select_newest()
        for warning in record.warnings():
            self.window.show_warning(warning)

    def show_history_item(self, item) -> None:
        """Decode the cover off the main thread (a 3000² PNG takes a few hundred ms), then show it."""
        def load(ctx):
            return item.read_bytes(), screen_pixels(str(item.path))

        handle = self.runner.submit("opening a cover from the history", load, key="history-view")
        handle.finished.connect(lambda loaded: self._show_loaded(item, *loaded))
        handle.failed.connect(lambda _problem: self.window.show_error(
            "That cover's file is missing from the history folder."))

    def _show_loaded(self, item, data: bytes, pixels) -> None:
        self.current = (data, item.seed, dict(item.request) or None)
        self.canvas.show_cover(pixels, f"seed {item.seed}")
        self.can_save.emit(True)

    def _save_history_item(self, item) -> None:
        try:
            self.current = (item.read_bytes(), item.seed, dict(item.request) or None)
        except OSError:
            self.window.show_error("That cover's file is missing from the history folder.")
            return
        self.save_dialog()

    def save_dialog(self) -> None:
        if self.current is None:
            return
        title = self.cover.track.tags.title or "cover"
        start = os.path.join(os.path.expanduser("~"), f"{title} - cover.png")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save cover", start,
                                              "PNG (*.png);;JPEG (*.jpg *.jpeg)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> JobHandle:
        """Save the shown cover in the background (a 3000² PNG takes most of a second to
        compress): ``saved`` (the path) or a sentence in the window when it ends."""
        from albumstudio.services.covers import save_cover

        assert self.current is not None
        data, _seed, settings = self.current

        def save(_ctx: object) -> str:
            try:  # the file dialog already asked before replacing
                return save_cover(data, path, overwrite=True, settings=settings)
            except OSError as exc:
                raise UserFacingError(f"The cover could not be saved ({exc.strerror or exc}); "
                                      "choose another folder.") from exc

        handle = self.runner.submit(f"saving '{display_name(path)}'", save)
        handle.finished.connect(lambda written: self._saved(str(written)))
        handle.failed.connect(lambda problem: self.window.show_error(problem.message))
        return handle

    def _saved(self, path: str) -> None:
        self.window.show_warning(f"Saved {display_name(path)}.")
        self.saved.emit(path)
