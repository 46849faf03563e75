"""The cover prompt in an editable box, each part tinted by where it came from.

Hovering a part shows why it is there. The artist's typing is never overwritten: a new
composition that arrives while the box is edited waits behind a "Recompose" note, and
Recompose itself is an undoable edit.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.genre_presets import GENRE_PRESETS
from albumstudio.core.prompt import (
    NO_PRESET,
    ComposedPrompt,
    PromptPart,
    locate_edited,
    parse_edited,
)
from albumstudio.ui.theme import ACCENT, WARM

SOURCE_STYLES: dict[str, tuple[str, str, str]] = {  # source → (colour, legend, legend tooltip)
    "style": (ACCENT, "your words", "What you typed: always kept, never shortened away."),
    "image": ("#81C784", "image", "The caption of your reference image."),
    "genre": ("#CE93D8", "genre preset", "The style of the genre preset."),
    "music": (WARM, "music", "Pictures for the music description's words and figures."),
    "captions": ("#4FC3F7", "music captions",
                 "The summary of the music captions (LP-MusicCaps every 10 s, summarised by "
                 "BART large CNN)."),
    "release": ("#4DB6AC", "title & genre", "Motifs from the title, or the genre's name."),
    "tags": ("#F06292", "tags", "The music tags, as imagery."),
    "quality": ("#9E9E9E", "quality", "Words that make the model draw more detail."),
}
TINT_ALPHA = 70
AUTOMATIC_LABEL = "Automatic"
LEGEND_COLUMNS = 4
STALE_NOTE = "Music changed — Recompose to update (your edits stay until then)."


def _utf16_offsets(text: str) -> list[int]:
    """Qt position of each Python index in ``text`` (characters beyond U+FFFF count twice)."""
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


class PromptTextEdit(QPlainTextEdit):
    """A plain text box that explains the part under the mouse in a tooltip."""

    def __init__(self, because_at: Callable[[int], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._because_at = because_at
        self.setTabChangesFocus(True)  # Tab moves on (a prompt never needs a tab character)
        self.setAccessibleName("Cover prompt")

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            because = self._because_at(self.cursorForPosition(event.pos()).position())
            if because:
                QToolTip.showText(event.globalPos(), because, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)


class PromptEditor(QWidget):
    """The prompt, its negative and the genre preset; the owner composes, this widget edits."""

    prompt_changed = Signal(str)
    negative_changed = Signal(str)
    preset_changed = Signal(str)  # "" automatic, "none", or a GENRE_PRESETS key
    recompose_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._composed = ComposedPrompt((), "")  # what the box was last filled from
        self._latest: ComposedPrompt | None = None  # the newest composition given
        self._shown_text = ""
        self._shown_negative = ""
        self._setting = False
        self._located: list[tuple[int, int, PromptPart]] = []  # Qt positions
        self._effective = self._composed
        self._emitted: str | None = None

        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel("Cover prompt")
        title.setObjectName("sectionTitle")
        header.addWidget(title)
        header.addStretch(1)
        preset_row = QHBoxLayout()  # a line of its own, so a narrow panel never pushes it out
        preset_row.addWidget(QLabel("Style preset:"))
        self.preset_box = QComboBox()
        self.preset_box.setAccessibleName("Style preset")
        self.preset_box.addItem(AUTOMATIC_LABEL, "")
        for name, preset in GENRE_PRESETS.items():
            self.preset_box.addItem(preset.display_name, name)
            self.preset_box.setItemData(self.preset_box.count() - 1,
                                        f"{preset.style} (palette {preset.palette_hint})",
                                        Qt.ItemDataRole.ToolTipRole)
        self.preset_box.addItem("No preset", NO_PRESET)
        self.preset_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_box.setMinimumContentsLength(10)
        self.preset_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.preset_box.setToolTip("The genre sets the style; Automatic reads the release's genre "
                                   "and, failing that, the music tags.")
        preset_row.addWidget(self.preset_box, 1)
        self.recompose_button = QPushButton("Recompose")
        self.recompose_button.setToolTip("Rebuild the prompt from the music, image and release "
                                         "(undo with Ctrl+Z).")
        header.addWidget(self.recompose_button)
        layout.addLayout(header)
        layout.addLayout(preset_row)

        legend = QGridLayout()
        legend.setContentsMargins(0, 0, 0, 0)
        legend.setHorizontalSpacing(6)
        legend.setVerticalSpacing(3)
        self.legend_chips: dict[str, QLabel] = {}
        for index, (source, (colour, label, tip)) in enumerate(SOURCE_STYLES.items()):
            chip = QLabel(label)
            tint = QColor(colour)
            chip.setStyleSheet(f"background: rgba({tint.red()}, {tint.green()}, {tint.blue()}, "
                               f"{TINT_ALPHA + 40}); border-radius: 8px; padding: 1px 8px;")
            chip.setToolTip(tip)
            chip.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            legend.addWidget(chip, index // LEGEND_COLUMNS, index % LEGEND_COLUMNS)
            self.legend_chips[source] = chip
        legend.setColumnStretch(LEGEND_COLUMNS, 1)
        layout.addLayout(legend)

        self.text = PromptTextEdit(self.because_at)
        self.text.setPlaceholderText("The prompt appears once there is a track, an image or your "
                                     "own words; edit it freely.")
        self.text.setMaximumHeight(120)
        layout.addWidget(self.text)
        self.stale_note = QLabel(STALE_NOTE)
        self.stale_note.setStyleSheet(f"color: {ACCENT};")
        self.stale_note.setWordWrap(True)
        self.stale_note.hide()
        layout.addWidget(self.stale_note)
        self.warning_note = QLabel("")
        self.warning_note.setStyleSheet(f"color: {WARM};")
        self.warning_note.setWordWrap(True)
        self.warning_note.hide()
        layout.addWidget(self.warning_note)
        negative_row = QHBoxLayout()
        negative_row.addWidget(QLabel("Avoid:"))
        self.negative_field = QLineEdit()
        self.negative_field.setAccessibleName("Avoid in the picture")
        self.negative_field.setPlaceholderText("What the picture must not show")
        self.negative_field.setToolTip("The negative prompt. Text is always avoided: the title "
                                       "and artist are set by the design engine, not drawn.")
        negative_row.addWidget(self.negative_field, 1)
        layout.addLayout(negative_row)

        self.text.textChanged.connect(self._on_text_changed)
        self.negative_field.textChanged.connect(self.negative_changed)
        self.preset_box.currentIndexChanged.connect(self._on_preset_index)
        self.recompose_button.clicked.connect(self.recompose)

    # ------------------------------------------------------------------ public API

    def set_composed(self, composed: ComposedPrompt) -> None:
        """Show a new composition, unless the artist has edited the box (then a note says so)."""
        self._latest = composed
        self._show_automatic(composed)
        if not self.negative_edited():
            self._set_negative(composed.negative)
        if self.is_edited():
            self._refresh()
        else:
            self._apply(composed)

    def recompose(self) -> None:
        """Replace the box with the newest composition (one undoable edit) and ask for a fresh one."""
        if self._latest is not None:
            self._apply(self._latest)
        self.recompose_requested.emit()

    def restore(self, prompt: str, negative: str) -> None:
        """Put back the words of an earlier cover, as the artist's own edit (undoable)."""
        cursor = QTextCursor(self.text.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(prompt)
        cursor.endEditBlock()
        self.negative_field.setText(negative)
        self.negative_field.setCursorPosition(0)

    def prompt(self) -> str:
        """The prompt the engine gets: the box's text without what stores reject."""
        return self._effective.text

    def negative(self) -> str:
        return self.negative_field.text().strip()

    def composed(self) -> ComposedPrompt:
        """The box as parts (the artist's edits included), with the negative field's text."""
        return ComposedPrompt(self._effective.parts, self.negative(), self._effective.warnings,
                              self._effective.dropped, self._effective.preset)

    def is_edited(self) -> bool:
        return self.text.toPlainText() != self._shown_text

    def negative_edited(self) -> bool:
        return self.negative_field.text() != self._shown_negative

    def preset(self) -> str:
        return str(self.preset_box.currentData())

    def set_preset(self, key: str) -> None:
        """Select a preset without emitting ``preset_changed`` (restoring saved state)."""
        index = self.preset_box.findData(key)
        self._setting = True
        self.preset_box.setCurrentIndex(max(0, index))
        self._setting = False

    def spans(self) -> list[tuple[int, int, str]]:
        """(start, end, source) of each highlighted part, in the box's (Qt) positions."""
        return [(start, end, part.source) for start, end, part in self._located]

    def because_at(self, position: int) -> str:
        """Why the part at a Qt text position is there ("" outside any part)."""
        for start, end, part in self._located:
            if start <= position < end or (position == end and end > start):
                return part.because
        return ""

    # ------------------------------------------------------------------ internals

    def _apply(self, composed: ComposedPrompt) -> None:
        self._composed = composed
        self._shown_text = composed.text
        self._setting = True
        cursor = QTextCursor(self.text.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(composed.text)
        cursor.endEditBlock()
        self._setting = False
        self._refresh()

    def _set_negative(self, text: str) -> None:
        self._shown_negative = text
        if self.negative_field.text() != text:
            self.negative_field.setText(text)
            self.negative_field.setCursorPosition(0)

    def _show_automatic(self, composed: ComposedPrompt) -> None:
        preset = GENRE_PRESETS.get(composed.preset or "")
        label = f"Auto: {preset.display_name}" if preset else AUTOMATIC_LABEL
        self.preset_box.setItemText(0, label)

    def _on_preset_index(self, _index: int) -> None:
        if not self._setting:
            self.preset_changed.emit(self.preset())

    def _on_text_changed(self) -> None:
        if not self._setting:
            self._refresh()

    def _refresh(self) -> None:
        text = self.text.toPlainText()
        if text == self._shown_text:
            shown = [p for p in self._composed.parts if p.text.strip()]
            located = [(s, e, p) for (s, e, _), p in zip(self._composed.spans(), shown,
                                                         strict=True)]
            self._effective = self._composed
        else:
            located = locate_edited(text, self._composed)
            self._effective = parse_edited(text, self._composed)
        offsets = _utf16_offsets(text)
        self._located = [(offsets[s], offsets[e], p) for s, e, p in located]
        self._highlight()
        self._show_notes()
        if self._effective.text != self._emitted:
            self._emitted = self._effective.text
            self.prompt_changed.emit(self._emitted)

    def _highlight(self) -> None:
        selections = []
        document = self.text.document()
        for start, end, part in self._located:
            colour = QColor(SOURCE_STYLES.get(part.source, SOURCE_STYLES["style"])[0])
            colour.setAlpha(TINT_ALPHA)
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(document)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setBackground(colour)
            selection.format = fmt
            selections.append(selection)
        self.text.setExtraSelections(selections)

    def _show_notes(self) -> None:
        stale = self._latest is not None and self._latest != self._composed and self.is_edited()
        self.stale_note.setVisible(stale)
        warnings = self._effective.warnings
        self.warning_note.setText(" ".join(warnings))
        self.warning_note.setVisible(bool(warnings))
        dropped = self._effective.dropped
        self.warning_note.setToolTip("\n".join(f"Left out “{p.text}”: {p.because}"
                                               for p in dropped))
