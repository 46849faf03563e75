"""The track's music tags as removable chips (the artist removes a wrong tag with one click)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from albumstudio.ui.track_session import TrackSession


class TagChips(QWidget):
    def __init__(self, session: TrackSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel("Tags appear after the analysis.")
        self.status.setObjectName("placeholder")
        self.restore = QPushButton("Restore removed tags")
        self.restore.setFlat(True)
        self.restore.clicked.connect(session.restore_tags)
        self.chips: list[QToolButton] = []
        session.music_tags_changed.connect(self.rebuild)
        session.hidden_tags_changed.connect(self.rebuild)
        session.tagging_status.connect(self._on_status)
        self.rebuild()

    def _on_status(self, text: str) -> None:
        if text:
            self.status.setText(text)
            self.status.show()

    def rebuild(self, *_args) -> None:
        while self.layout_.count():
            item = self.layout_.takeAt(0)
            assert item is not None  # count() > 0
            widget = item.widget()
            if widget is not None and widget in self.chips:
                widget.deleteLater()
        self.chips = []
        shown = self.session.shown_tags()
        for name, probability in shown:
            chip = QToolButton()
            chip.setText(f"{name} {probability:.2f}  ✕")
            chip.setToolTip(f"Remove '{name}' from this track's tags and description.")
            chip.setProperty("tag", name)
            chip.clicked.connect(lambda _=False, n=name: self.session.hide_tag(n))
            self.layout_.addWidget(chip)
            self.chips.append(chip)
        if self.session.music_tags is not None and not shown:
            self.status.setText("No tag is strong enough to name.")
        self.layout_.addWidget(self.status)
        self.status.setVisible(not shown)
        self.layout_.addWidget(self.restore)
        self.restore.setVisible(bool(self.session.hidden_tags))
        self.layout_.addStretch(1)
