"""Regions whose features arrive with later work; they say so plainly instead of pretending."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QVBoxLayout, QWidget


class CanvasPlaceholder(QFrame):
    """Where the reference image and cover preview will live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        title = QLabel("Cover canvas")
        title.setObjectName("sectionTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        note = QLabel(
            "Reference images and cover generation are not built yet.\n"
            "For now AlbumStudio reads, plays and describes your track."
        )
        note.setObjectName("placeholder")
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        note.setWordWrap(True)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addStretch(1)


class HistoryStrip(QFrame):
    """Generated covers, posters and clips, newest first (empty until generation exists)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("History")
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMaximumHeight(84)
        layout.addWidget(self.list)
        self.empty = QLabel("Nothing generated yet: covers, QR posters and clips will appear here.")
        self.empty.setObjectName("placeholder")
        layout.addWidget(self.empty)
        self.setMinimumHeight(60)
        self.setMaximumHeight(130)
