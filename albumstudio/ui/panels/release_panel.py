"""Release fields (title, artist, album, year, genre), prefilled from the track's tags."""

from __future__ import annotations

import os
from dataclasses import replace

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from albumstudio.core.text import printable
from albumstudio.core.track import ReleaseTags
from albumstudio.ui.track_session import TrackSession

FIELDS = (("title", "Title"), ("artist", "Artist"), ("album", "Album"), ("year", "Year"),
          ("genre", "Genre"))


class ReleasePanel(QWidget):
    def __init__(self, session: TrackSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        hint = QLabel("Read from the track's tags; edit them for this release.")
        hint.setObjectName("placeholder")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        for key, label in FIELDS:
            edit = QLineEdit()
            edit.setMaxLength(200)
            edit.editingFinished.connect(self._commit)
            self.edits[key] = edit
            form.addRow(label + ":", edit)
        layout.addLayout(form)
        layout.addStretch(1)
        session.tags_changed.connect(self.show_tags)
        session.loading_started.connect(self._on_loading)

    def _on_loading(self, path: str) -> None:
        stem = printable(os.path.splitext(os.path.basename(path))[0])
        self.edits["title"].setPlaceholderText(stem[:200])
        self.show_tags(ReleaseTags())

    def show_tags(self, tags: ReleaseTags) -> None:
        for key, edit in self.edits.items():
            value = getattr(tags, key)
            if edit.text() != value:
                edit.setText(value)

    def _commit(self) -> None:
        values = {key: edit.text().strip() for key, edit in self.edits.items()}
        self.session.set_tags(replace(self.session.tags, **values))
