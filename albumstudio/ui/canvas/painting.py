"""Drawing pieces of the image canvas: fitting, the crop overlay, captions, messages, pixmaps."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap

from albumstudio.ui.theme import ACCENT

MARGIN = 12
SHADE = QColor(0, 0, 0, 150)
THIRDS = QColor(255, 255, 255, 90)
CAPTION_BG = QColor(0, 0, 0, 170)
CAPTION_TEXT = QColor(235, 235, 235)
MUTED = QColor(150, 150, 150)


def fit(area: QRect, width: int, height: int, margin: int = MARGIN) -> QRectF:
    """The largest rect of ``width``:``height`` centred in ``area`` less ``margin`` (or empty)."""
    room = QRectF(area).adjusted(margin, margin, -margin, -margin)
    if width <= 0 or height <= 0 or room.width() <= 0 or room.height() <= 0:
        return QRectF()
    scale = min(room.width() / width, room.height() / height)
    w, h = width * scale, height * scale
    return QRectF(room.center().x() - w / 2, room.center().y() - h / 2, w, h)


class PixmapCache:
    """One scaled pixmap per layer, rebuilt only when its image or on-screen size changes."""

    def __init__(self) -> None:
        self._layers: dict[str, tuple[tuple[int, int, int], QPixmap]] = {}

    def get(self, layer: str, image: QImage, target: QRectF, ratio: float) -> QPixmap:
        size = QSize(max(1, round(target.width() * ratio)), max(1, round(target.height() * ratio)))
        key = (image.cacheKey(), size.width(), size.height())
        cached = self._layers.get(layer)
        if cached is None or cached[0] != key:
            scaled = image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            pixmap = QPixmap.fromImage(scaled)
            pixmap.setDevicePixelRatio(ratio)
            cached = (key, pixmap)
            self._layers[layer] = cached
        return cached[1]

    def drop(self, layer: str) -> None:
        self._layers.pop(layer, None)

    def builds(self) -> dict[str, tuple[int, int, int]]:
        """Each layer's cache key (image, width, height): tests check nothing is rebuilt."""
        return {layer: key for layer, (key, _) in self._layers.items()}


def message(painter: QPainter, area: QRect, text: str, framed: bool = False) -> None:
    box = QRectF(area).adjusted(MARGIN * 2, MARGIN * 2, -MARGIN * 2, -MARGIN * 2)
    if framed:
        painter.setPen(QPen(MUTED, 1.5, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(box, 10, 10)
    painter.setPen(MUTED)
    painter.drawText(box.adjusted(16, 16, -16, -16),
                     Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)


def caption(painter: QPainter, target: QRectF, text: str) -> None:
    """``text`` on a dark label in the bottom-right corner of ``target``."""
    if not text:
        return
    metrics = painter.fontMetrics()
    width = min(metrics.horizontalAdvance(text) + 16, max(40, int(target.width()) - 8))
    box = QRectF(target.right() - width - 6, target.bottom() - metrics.height() - 12,
                 width, metrics.height() + 6)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(CAPTION_BG)
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(CAPTION_TEXT)
    elided = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, int(width) - 12)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, elided)


def crop_overlay(painter: QPainter, image: QRectF, crop: QRectF, handle_px: int) -> None:
    """Shade the photo outside ``crop``, draw thirds lines, the crop's border and its handles."""
    shade = QPainterPath()
    shade.addRect(image)
    shade.addRect(crop)
    shade.setFillRule(Qt.FillRule.OddEvenFill)
    painter.fillPath(shade, SHADE)
    painter.setPen(QPen(THIRDS, 1))
    for i in (1, 2):
        x = crop.left() + crop.width() * i / 3
        y = crop.top() + crop.height() * i / 3
        painter.drawLine(QPointF(x, crop.top()), QPointF(x, crop.bottom()))
        painter.drawLine(QPointF(crop.left(), y), QPointF(crop.right(), y))
    painter.setPen(QPen(QColor(ACCENT), 2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(crop)
    painter.setBrush(QColor(ACCENT))
    painter.setPen(Qt.PenStyle.NoPen)
    half = handle_px / 2 + 1
    for corner in (crop.topLeft(), crop.topRight(), crop.bottomLeft(), crop.bottomRight()):
        painter.drawRect(QRectF(corner.x() - half, corner.y() - half, 2 * half, 2 * half))
