"""The history strip: everything generated, newest first; click one to look at it again."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from albumstudio.jobs.runner import JobRunner
from albumstudio.store.history import THUMB_SIDE, HistoryItem, HistoryStore

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1


class HistoryStrip(QFrame):
    item_chosen = Signal(object)  # HistoryItem
    reuse_requested = Signal(object)  # HistoryItem: put its settings back in the Cover tab
    save_requested = Signal(object)  # HistoryItem

    def __init__(self, runner: JobRunner, history: HistoryStore | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.history = history
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("History")
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setIconSize(QSize(64, 64))
        self.list.setGridSize(QSize(84, 86))
        # one whole row of thumbnails plus the horizontal scroll bar, never cut
        bar = self.list.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.list.setFixedHeight(86 + bar + 2 * self.list.frameWidth() + 4)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.itemClicked.connect(self._clicked)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        layout.addWidget(self.list)
        self.empty = QLabel("Nothing generated yet: your covers will appear here.")
        self.empty.setObjectName("placeholder")
        layout.addWidget(self.empty)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.empty.setFixedHeight(self.list.height())  # shown instead of the empty list
        self.empty.hide()
        self.setFixedHeight(self.list.height() + title.sizeHint().height()
                            + max(0, layout.spacing()))
        self._shown: set[int] = set()
        blank = QPixmap(64, 64)
        blank.fill(QColor(60, 62, 68))
        self._placeholder = QIcon(blank)  # until the thumbnail is made off the main thread

    def refresh(self) -> None:
        """Add entries the list does not show yet (newest first); thumbnails load off-thread."""
        if self.history is None:
            return
        items = self.history.items(kind="cover")
        current = {i.id for i in items}
        for row in reversed(range(self.list.count())):  # moved to the trash in the gallery
            shown = self.list.item(row).data(ITEM_ROLE)
            if isinstance(shown, HistoryItem) and shown.id not in current:
                self.list.takeItem(row)
                self._shown.discard(shown.id)
        new = [i for i in items if i.id not in self._shown]
        for item in reversed(new):
            entry = QListWidgetItem(self._placeholder, "")
            entry.setData(ITEM_ROLE, item)
            when = dt.datetime.fromtimestamp(item.created).strftime("%Y-%m-%d %H:%M")
            entry.setToolTip(f"{item.engine} cover, {item.width}×{item.height}, seed {item.seed}, "
                             f"{when}" + (f"\n{item.notes}" if item.notes else ""))
            self.list.insertItem(0, entry)
            self._shown.add(item.id)
            self._load_thumbnail(entry, item)
        self.empty.setVisible(self.list.count() == 0)
        self.list.setVisible(self.list.count() > 0)

    def _load_thumbnail(self, entry: QListWidgetItem, item: HistoryItem) -> None:
        history = self.history
        assert history is not None
        handle = self.runner.submit("making a thumbnail",
                                    lambda ctx: history.thumbnail(item, THUMB_SIDE))
        handle.finished.connect(lambda data, e=entry: self._set_icon(e, data))

    def _set_icon(self, entry: QListWidgetItem, data: bytes) -> None:
        image = QImage.fromData(data)
        if not image.isNull() and self.list.row(entry) >= 0:
            entry.setIcon(QIcon(QPixmap.fromImage(image)))

    def _clicked(self, entry: QListWidgetItem) -> None:
        item = entry.data(ITEM_ROLE)
        if isinstance(item, HistoryItem):
            self.item_chosen.emit(item)

    def _menu(self, pos) -> None:
        entry = self.list.itemAt(pos)
        item = entry.data(ITEM_ROLE) if entry is not None else None
        if not isinstance(item, HistoryItem):
            return
        menu = QMenu(self)
        menu.addAction("Show", lambda: self.item_chosen.emit(item))
        menu.addAction("Use These Settings", lambda: self.reuse_requested.emit(item))
        menu.addAction("Save As…", lambda: self.save_requested.emit(item))
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def select_newest(self) -> None:
        if self.list.count():
            self.list.setCurrentRow(0)
