"""WaveformPanel: the waveform view with a horizontal scroll bar and zoom buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QToolButton, QVBoxLayout, QWidget

from albumstudio.ui.waveform.view import WaveformView


class WaveformPanel(QWidget):
    """A WaveformView (``.view``) over a scroll bar that follows its zoom and scroll both ways.

    The scroll bar counts pixels at the current zoom, so one step is one screen column.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = WaveformView(self)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal, self)
        self.zoom_out_button = self._button("−", "Zoom out", self.view.zoom_out)
        self.zoom_in_button = self._button("+", "Zoom in", self.view.zoom_in)
        self.fit_button = self._button("Fit", "Show the whole track", self.view.zoom_to_fit)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        bar.addWidget(self.scrollbar, 1)
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.view, 1)
        layout.addLayout(bar)

        self.view.view_changed.connect(self._sync_scrollbar)
        self.scrollbar.valueChanged.connect(self._scrolled)
        self._sync_scrollbar()

    def _button(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def _sync_scrollbar(self, *_: float) -> None:
        view = self.view
        spp = view.seconds_per_pixel
        page = max(1, view.width())
        total = round(view.duration / spp) if spp > 0 else 0
        maximum = max(0, total - page)
        bar = self.scrollbar
        blocked = bar.blockSignals(True)
        bar.setRange(0, maximum)
        bar.setPageStep(page)
        bar.setSingleStep(max(1, page // 10))
        bar.setValue(round(view.view_start / spp) if spp > 0 else 0)
        bar.blockSignals(blocked)
        bar.setEnabled(maximum > 0)
        has_track = spp > 0
        self.zoom_in_button.setEnabled(has_track and spp > view.min_seconds_per_pixel() * 1.0001)
        self.zoom_out_button.setEnabled(maximum > 0)
        self.fit_button.setEnabled(maximum > 0)

    def _scrolled(self, value: int) -> None:
        self.view.scroll_to(value * self.view.seconds_per_pixel)
