"""Thumbnails for the gallery: made off the main thread, kept on disk by the history, and a
bounded number kept in memory (least recently used go first).

Only what the grid asks for is made, newest request first, a few at a time, so scrolling fast
through ten thousand entries never queues ten thousand jobs: requests the grid has scrolled
past are dropped when more than ``MAX_WAITING`` wait.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from albumstudio.jobs.runner import JobRunner
from albumstudio.services.history_thumbs import thumbnail
from albumstudio.store.history import HistoryStore

GALLERY_THUMB = 128
MAX_IN_MEMORY = 600  # about 40 MB of 128² pixmaps
IN_FLIGHT = 3
MAX_WAITING = 120


class ThumbnailCache(QObject):
    ready = Signal(str)  # a file hash whose thumbnail can now be drawn

    def __init__(self, runner: JobRunner, store: HistoryStore, side: int = GALLERY_THUMB,
                 capacity: int = MAX_IN_MEMORY, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.store = store
        self.side = side
        self.capacity = capacity
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._waiting: OrderedDict[str, str] = OrderedDict()  # hash -> ext, newest last
        self._running: set[str] = set()
        self.failed: set[str] = set()  # files that have gone or cannot be read

    def __len__(self) -> int:
        return len(self._pixmaps)

    def pixmap(self, file_hash: str, ext: str) -> QPixmap | None:
        """The thumbnail when it is in memory; otherwise None, and it is asked for."""
        found = self._pixmaps.get(file_hash)
        if found is not None:
            self._pixmaps.move_to_end(file_hash)
            return found
        if file_hash not in self.failed and file_hash not in self._running:
            self._waiting.pop(file_hash, None)
            self._waiting[file_hash] = ext
            while len(self._waiting) > MAX_WAITING:
                self._waiting.popitem(last=False)
            self._pump()
        return None

    def _pump(self) -> None:
        while self._waiting and len(self._running) < IN_FLIGHT:
            file_hash, ext = self._waiting.popitem(last=True)
            self._running.add(file_hash)
            def make(ctx, file_hash=file_hash, ext=ext, store=self.store,
                     side=self.side) -> QImage:
                image = QImage.fromData(thumbnail(store, file_hash, ext, side))
                if image.isNull():
                    raise OSError("not a picture")
                return image

            handle = self.runner.submit("making a thumbnail", make)
            handle.finished.connect(lambda image, h=file_hash: self._made(h, image))
            handle.failed.connect(lambda _problem, h=file_hash: self._lost(h))
            handle.cancelled.connect(lambda h=file_hash: self._running.discard(h))

    def _made(self, file_hash: str, image: QImage) -> None:
        self._running.discard(file_hash)
        self._pixmaps[file_hash] = QPixmap.fromImage(image)
        while len(self._pixmaps) > self.capacity:
            self._pixmaps.popitem(last=False)
        self.ready.emit(file_hash)
        self._pump()

    def _lost(self, file_hash: str) -> None:
        self._running.discard(file_hash)
        self.failed.add(file_hash)
        self._pump()

    def idle(self) -> bool:
        return not self._running and not self._waiting
