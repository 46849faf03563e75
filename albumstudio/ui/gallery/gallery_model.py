"""The gallery's list model: one row per output the history holds, as light rows (no request
read), thumbnails from the bounded :class:`ThumbnailCache`. Dragging rows out gives file URLs
of PNGs that carry their settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)
from PySide6.QtGui import QColor, QPixmap

from albumstudio.store.history import GalleryRow, HistoryQuery, HistoryStore
from albumstudio.ui.gallery.thumbnails import ThumbnailCache

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
JOB_ROLE = Qt.ItemDataRole.UserRole + 2
FAVOURITE_ROLE = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex


class GalleryModel(QAbstractListModel):
    def __init__(self, store: HistoryStore, thumbnails: ThumbnailCache,
                 export_copy, parent=None) -> None:
        """``export_copy(row) -> Path`` writes a PNG of the row that carries its settings (for
        dragging out)."""
        super().__init__(parent)
        self.store = store
        self.thumbnails = thumbnails
        self.export_copy = export_copy
        self.query = HistoryQuery()
        self._rows: list[GalleryRow] = []
        self._by_hash: dict[str, list[int]] = {}
        self._placeholder = QPixmap(thumbnails.side, thumbnails.side)
        self._placeholder.fill(QColor(60, 62, 68))
        thumbnails.ready.connect(self._thumbnail_ready)

    def reload(self, query: HistoryQuery | None = None) -> None:
        if query is not None:
            self.query = query
        self.beginResetModel()
        self._rows = self.store.rows(self.query)
        self._by_hash = {}
        for n, row in enumerate(self._rows):
            self._by_hash.setdefault(row.file_hash, []).append(n)
        self.endResetModel()

    def row_at(self, n: int) -> GalleryRow:
        return self._rows[n]

    def rows(self) -> list[GalleryRow]:
        return list(self._rows)

    def index_of_job(self, job_id: int) -> QModelIndex:
        for n, row in enumerate(self._rows):
            if row.job_id == job_id:
                return self.index(n)
        return QModelIndex()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            star = "★ " if row.favourite else ""
            return f"{star}{row.title or row.kind} · {row.seed if row.seed is not None else ''}"
        if role == Qt.ItemDataRole.DecorationRole:
            found = self.thumbnails.pixmap(row.file_hash, row.file_ext)
            return found if found is not None else self._placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            when = dt.datetime.fromtimestamp(row.created).strftime("%Y-%m-%d %H:%M")
            return (f"entry {row.job_id}: {row.engine} {row.kind}, {row.width}×{row.height}, "
                    f"seed {row.seed}, {when}")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.kind} {row.title}, seed {row.seed}"
        if role == ROW_ROLE:
            return row
        if role == JOB_ROLE:
            return row.job_id
        if role == FAVOURITE_ROLE:
            return row.favourite
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list"]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        """File URLs of PNG copies that carry their settings (the history's own files keep
        their hash names and no settings)."""
        mime = QMimeData()
        paths: list[Path] = []
        for index in indexes:
            if index.isValid():
                try:
                    paths.append(self.export_copy(self._rows[index.row()]))
                except OSError:
                    continue
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        if len(paths) == 1:
            mime.setText(str(paths[0]))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    def _thumbnail_ready(self, file_hash: str) -> None:
        for n in self._by_hash.get(file_hash, ()):
            index = self.index(n)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
