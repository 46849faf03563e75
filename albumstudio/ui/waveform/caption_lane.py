"""The caption lane under the waveform: LP-MusicCaps' caption of each 10 s segment, placed on
the waveform's time axis so it follows zoom and scroll like the taggram."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

LANE_PADDING = 8  # one line of text (the message, or each box's caption) and a margin
BOX = QColor("#4FC3F7")


@dataclass(frozen=True)
class LaneCaption:
    start_s: float
    end_s: float
    text: str


class CaptionLane(QWidget):
    """One box per segment with its caption (elided to fit, the whole caption as tooltip);
    a double-click asks for captions (``caption_requested``)."""

    caption_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.captions: tuple[LaneCaption, ...] = ()
        self.view_start = 0.0
        self.visible_seconds = 0.0
        self.message = ("Double-click here to caption the music every 10 s (LP-MusicCaps, "
                        "from the Models dialog).")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + LANE_PADDING)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, self.fontMetrics().height() + LANE_PADDING)

    def set_captions(self, captions: Sequence[LaneCaption]) -> None:
        self.captions = tuple(captions)
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def set_view(self, start_s: float, visible_s: float) -> None:
        self.view_start, self.visible_seconds = float(start_s), float(visible_s)
        self.update()

    def boxes(self) -> list[tuple[QRectF, LaneCaption]]:
        """The on-screen box of each caption that is at least partly visible."""
        if self.visible_seconds <= 0 or self.width() <= 0:
            return []
        scale = self.width() / self.visible_seconds
        shown = []
        for caption in self.captions:
            left = (caption.start_s - self.view_start) * scale
            right = (caption.end_s - self.view_start) * scale
            if right <= 0 or left >= self.width():
                continue
            shown.append((QRectF(left, 2, right - left, self.height() - 4), caption))
        return shown

    def caption_at(self, x: float) -> LaneCaption | None:
        return next((c for box, c in self.boxes() if box.left() <= x < box.right()), None)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.caption_requested.emit()
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        caption = self.caption_at(event.position().x())
        self.setToolTip(f"{caption.start_s:.0f}–{caption.end_s:.0f} s: {caption.text}"
                        if caption is not None else "")
        super().mouseMoveEvent(event)

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        boxes = self.boxes()
        if not boxes:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect().adjusted(8, 0, 0, 0),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.message)
            return
        fill = QColor(BOX)
        fill.setAlpha(60)
        font = p.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        p.setFont(font)
        metrics = p.fontMetrics()
        for box, caption in boxes:
            p.fillRect(box.adjusted(1, 0, -1, 0), fill)
            p.setPen(BOX)
            p.drawLine(box.topLeft(), box.bottomLeft())
            text_box = box.adjusted(4, 0, -3, 0)
            if text_box.width() < metrics.averageCharWidth() * 3:
                continue
            p.setPen(pal.color(QPalette.ColorRole.Text))
            text = metrics.elidedText(caption.text, Qt.TextElideMode.ElideRight,
                                      int(text_box.width()))
            p.drawText(text_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
