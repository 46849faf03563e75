"""The analysis figures of the open track and its editable music description."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.tap_tempo import MIN_TAPS, TapTempo
from albumstudio.core.text import format_time
from albumstudio.core.track import AudioInfo
from albumstudio.ui.panels.tag_chips import TagChips
from albumstudio.ui.track_session import TrackSession

FIGURES = (
    ("duration", "Duration"),
    ("format", "Format"),
    ("tempo", "Tempo"),
    ("key", "Key"),
    ("loudness", "Loudness"),
    ("true_peak", "True peak"),
    ("energy", "Energy"),
    ("brightness", "Brightness"),
    ("onsets", "Onset density"),
    ("sections", "Sections"),
)


BPM_RANGES = ((0, 0), (60, 120), (70, 140), (80, 160), (90, 180), (100, 200))


def _db(value: float, unit: str) -> str:
    return "silent" if not math.isfinite(value) else f"{value:.1f} {unit}"


def _tempo(a: AnalysisResult) -> str:
    """"68.0 BPM, or 136 double-time (204 beats)", as ``albumstudio analyze`` prints it."""
    from albumstudio.core.understanding import octave_name

    if not a.tempo_bpm:
        return "no steady tempo"
    other = (f", or {a.tempo_alternative_bpm:.0f} "
             f"{octave_name(a.tempo_bpm, a.tempo_alternative_bpm)}"
             if a.tempo_alternative_bpm else "")
    return f"{a.tempo_bpm:.1f} BPM{other} ({len(a.beat_times)} beats)"


def analysis_figures(a: AnalysisResult) -> dict[str, str]:
    """The analysis as short display strings, keyed like ``FIGURES``."""
    return {
        "tempo": _tempo(a),
        "key": f"{a.key} {a.mode} (confidence {a.key_confidence:.2f})",
        "loudness": _db(a.loudness_lufs, "LUFS integrated"),
        "true_peak": _db(a.true_peak_dbtp, "dBTP"),
        "energy": f"{a.energy:.2f} of 1",
        "brightness": f"{a.brightness_hz:,.0f} Hz spectral centroid",
        "onsets": f"{a.onset_density:.2f} per second",
        "sections": ", ".join(format_time(t) for t in a.section_times) or "one section",
    }


class AnalysisPanel(QWidget):
    """Bound to a TrackSession: shows figures, and edits the description through the session."""

    def __init__(self, session: TrackSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        self.status = QLabel("Open a track to see its tempo, key, loudness and character.")
        self.status.setObjectName("placeholder")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.values: dict[str, QLabel] = {}
        for key, label in FIGURES:
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.values[key] = value
            form.addRow(label + ":", value)
        layout.addLayout(form)
        layout.addLayout(self._tempo_row())
        tags_title = QLabel("Music tags (musicnn, MagnaTagATune)")
        tags_title.setObjectName("sectionTitle")
        layout.addWidget(tags_title)
        self.tag_chips = TagChips(session)
        layout.addWidget(self.tag_chips)
        title = QLabel("Music description")
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("The description appears after the analysis; edit it freely.")
        self.description.setMaximumHeight(110)
        layout.addWidget(self.description)
        row = QHBoxLayout()
        self.why = QLabel("")
        self.why.setObjectName("placeholder")
        self.why.setWordWrap(True)
        row.addWidget(self.why, 1)
        self.reset_button = QPushButton("Reset to analysis")
        self.reset_button.setToolTip("Replace your edits with the description built from the figures.")
        self.reset_button.setEnabled(False)
        row.addWidget(self.reset_button)
        layout.addLayout(row)
        layout.addStretch(1)

        self._edit_timer = QTimer(self, singleShot=True, interval=400)
        self._edit_timer.timeout.connect(self._commit_edit)
        self.description.textChanged.connect(self._edit_timer.start)
        self.reset_button.clicked.connect(session.reset_description)
        session.loading_started.connect(self._on_loading)
        session.info_changed.connect(self.show_info)
        session.analysis_changed.connect(self.show_analysis)
        session.description_changed.connect(self.show_description)
        session.status_changed.connect(self._on_status)
        session.music_tags_changed.connect(lambda _r: self._tags_changed())
        session.hidden_tags_changed.connect(lambda _h: self._tags_changed())

    def _tempo_row(self) -> QHBoxLayout:
        """÷2, ×2, Tap, the preferred range and Reset: the artist's say on the tempo."""
        row = QHBoxLayout()
        self.halve_button = QPushButton("÷2")
        self.halve_button.setToolTip("Half the tempo (the beats are twice as long).")
        self.double_button = QPushButton("×2")
        self.double_button.setToolTip("Double the tempo (a beat between each two).")
        self.tap_button = QPushButton("Tap")
        self.tap_button.setToolTip("Tap along with the music (or press T here): from the "
                                   "fourth tap, the tempo is yours.")
        self.tap_button.setShortcut("T")
        self.range_box = QComboBox()
        self.range_box.setToolTip("Fold found tempos into this range, as DJ software does.")
        for low, high in BPM_RANGES:
            self.range_box.addItem("Any tempo" if not low else f"{low}–{high} BPM",
                                   (float(low), float(high)) if low else None)
        self.tempo_reset = QPushButton("Use the found tempo")
        self.tempo_reset.setToolTip("Forget the tempo you set.")
        for widget in (self.halve_button, self.double_button, self.tap_button):
            widget.setEnabled(False)
            row.addWidget(widget)
        row.addWidget(self.range_box)
        row.addWidget(self.tempo_reset)
        row.addStretch(1)
        self.tempo_reset.setEnabled(False)
        self._taps = TapTempo()
        self.clock = time.monotonic  # when a tap happened (tests give their own clock)
        self.halve_button.clicked.connect(lambda: self.session.scale_tempo(0.5))
        self.double_button.clicked.connect(lambda: self.session.scale_tempo(2.0))
        self.tap_button.clicked.connect(self._on_tap)
        self.tempo_reset.clicked.connect(lambda: self.session.set_tempo(None))
        self.range_box.activated.connect(
            lambda index: self.session.set_bpm_range(self.range_box.itemData(index)))
        return row

    def _on_tap(self) -> None:
        bpm = self._taps.tap(self.clock())
        if bpm is None:
            left = MIN_TAPS - self._taps.count
            self.tap_button.setText(f"Tap ({left} more)")
            return
        self.tap_button.setText(f"Tap: {bpm:.1f}")
        self.session.set_tempo(bpm)

    def _show_tempo_controls(self) -> None:
        has_analysis = self.session.analysis is not None
        for widget in (self.halve_button, self.double_button, self.tap_button):
            widget.setEnabled(has_analysis)
        self.tempo_reset.setEnabled(self.session.tempo_edit is not None)
        index = self.range_box.findData(self.session.bpm_range)
        self.range_box.setCurrentIndex(max(0, index))
        if self._taps.count == 0 or self.session.tempo_edit is None:
            self.tap_button.setText("Tap")

    def _on_loading(self, _path: str) -> None:
        for value in self.values.values():
            value.setText("–")
        self.why.setText("")
        self._taps = TapTempo()
        self._show_tempo_controls()

    def _on_status(self, text: str) -> None:
        if text:
            self.status.setText(text)

    def show_info(self, info: AudioInfo | None) -> None:
        if info is None:
            return
        self.values["duration"].setText(format_time(info.duration, precise=True))
        self.values["format"].setText(
            f"{info.format}, {info.sample_rate:,} Hz, {info.channels} channel"
            + ("s" if info.channels != 1 else "")
        )

    def show_analysis(self, analysis: AnalysisResult | None) -> None:
        if analysis is None:
            return
        shown = self.session.understood_analysis() or analysis  # the tempo the words use
        for key, text in analysis_figures(shown).items():
            self.values[key].setText(text)
        self._show_reasons()
        self._show_tempo_controls()

    def _tags_changed(self) -> None:
        """The tags can move the tempo to the other octave: the figure follows them."""
        shown = self.session.understood_analysis()
        if shown is not None:
            self.values["tempo"].setText(analysis_figures(shown)["tempo"])
        self._show_reasons()

    def _show_reasons(self) -> None:
        reasons = self.session.description_reasons()
        self.why.setText("Why: " + "; ".join(f"{p} ← {r}" for p, r in reasons) if reasons else "")

    def show_description(self, text: str) -> None:
        if self.description.toPlainText() != text:
            self.description.blockSignals(True)
            self.description.setPlainText(text)
            self.description.blockSignals(False)
        self.reset_button.setEnabled(self.session.description_edited)

    def _commit_edit(self) -> None:
        self.session.set_description(self.description.toPlainText())
