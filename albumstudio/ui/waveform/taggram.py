"""The taggram strip under the waveform: a segment × tag heat map of the strongest tags."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from albumstudio.core.tagging import TagResult

ROW_HEIGHT = 13
LABEL_WIDTH = 92
HEAT = QColor("#CE93D8")


class TaggramStrip(QWidget):
    """Shows the ``rows`` strongest tags over time; call ``set_view`` to follow the waveform."""

    def __init__(self, rows: int = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self.result: TagResult | None = None
        self.hidden: frozenset[str] = frozenset()
        self.view_start = 0.0
        self.visible_seconds = 0.0
        self.message = "Music tags appear here after tagging."
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(rows * ROW_HEIGHT + 4)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, self.rows * ROW_HEIGHT + 4)

    def set_result(self, result: TagResult | None, hidden: frozenset[str] = frozenset()) -> None:
        self.result = result
        self.hidden = hidden
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def set_view(self, start_s: float, visible_s: float) -> None:
        self.view_start, self.visible_seconds = float(start_s), float(visible_s)
        self.update()

    def shown_tags(self) -> list[tuple[int, str]]:
        """(column, name) of the strongest tags not hidden by the artist, strongest first."""
        if self.result is None:
            return []
        order = [name for name, _ in self.result.top(len(self.result.tag_names))]
        index = {name: i for i, name in enumerate(self.result.tag_names)}
        return [(index[n], n) for n in order if n not in self.hidden][: self.rows]

    def heat_image(self, width: int) -> QImage | None:
        """One pixel column per screen column, one row per shown tag (alpha = probability)."""
        tags = self.shown_tags()
        if self.result is None or not tags or width <= 0 or self.visible_seconds <= 0:
            return None
        gram = np.asarray(self.result.taggram, np.float32)[:, [c for c, _ in tags]]
        times = self.view_start + (np.arange(width) + 0.5) * self.visible_seconds / width
        seg = np.floor(times / self.result.segment_s).astype(np.int64)
        inside = (seg >= 0) & (seg < gram.shape[0])
        alpha = np.zeros((len(tags), width), np.float32)
        alpha[:, inside] = gram[seg[inside]].T
        alpha = np.clip(alpha / max(float(gram.max()), 1e-6), 0, 1)
        a = (alpha * 255).astype(np.uint32)
        r, g, b = HEAT.red(), HEAT.green(), HEAT.blue()
        # premultiplied ARGB32
        pixels = (a << 24) | ((a * r // 255) << 16) | ((a * g // 255) << 8) | (a * b // 255)
        pixels = np.ascontiguousarray(pixels)
        image = QImage(pixels.data, width, len(tags), width * 4,
                       QImage.Format.Format_ARGB32_Premultiplied)
        return image.copy()

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        tags = self.shown_tags()
        if not tags:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect().adjusted(8, 0, 0, 0),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.message)
            return
        # the heat map spans the full width so its time axis lines up with the waveform above;
        # tag names sit on a translucent box over its left edge
        image = self.heat_image(max(1, self.width()))
        if image is not None:
            p.drawImage(QRectF(0, 2, self.width(), len(tags) * ROW_HEIGHT), image)
        backing = QColor(pal.color(QPalette.ColorRole.Base))
        backing.setAlpha(190)
        p.fillRect(QRectF(0, 0, LABEL_WIDTH, self.height()), backing)
        p.setPen(pal.color(QPalette.ColorRole.Text))
        font = p.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        p.setFont(font)
        for row, (_col, name) in enumerate(tags):
            p.drawText(QRectF(4, 2 + row * ROW_HEIGHT, LABEL_WIDTH - 8, ROW_HEIGHT),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
