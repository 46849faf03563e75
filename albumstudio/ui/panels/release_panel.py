"""Release fields (title, artist, album, year, genre), prefilled from the track's tags."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from albumstudio.core.text import title_from_file
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
        self.edits["title"].setPlaceholderText(title_from_file(path))
        self.edits["title"].setToolTip("Empty: the cover uses the title made from the file "
                                       "name, shown in grey.")
        self.show_tags(ReleaseTags())

    def show_tags(self, tags: ReleaseTags) -> None:
        for key, edit in self.edits.items():
            value = getattr(tags, key)
            if edit.text() != value:
                edit.setText(value)

    def _commit(self) -> None:
        values = {key: edit.text().strip() for key, edit in self.edits.items()}
        self.session.set_tags(replace(self.session.tags, **values))
