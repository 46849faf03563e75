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


def map_message(painter: QPainter, area: QRect, model, kind: str,
                image: QImage | None) -> QRectF | None:
    """Paint why a conditioning map is not there yet, or return where the map goes."""
    what = "edges" if kind == "canny" else "layout"
    if kind == "seg" and model.seg_available is None:
        message(painter, area, "Looking for the segmentation model…")
    elif kind == "seg" and not model.seg_available:
        from albumstudio.ui.canvas.reference_image import segmenter_missing_text

        message(painter, area, segmenter_missing_text(model.segmenter))
    elif model.image is None:
        message(painter, area, f"Open a photo to see its {what} here.")
    elif image is None:
        message(painter, area, model.map_error(kind) or f"Finding the photo's {what}…")
    else:
        return fit(area, image.width(), image.height())
    return None


def map_caption(model, kind: str) -> str:
    """The line under a conditioning map: what it is, and whether it is used or updating."""
    if kind == "canny":
        cond = model.condition("canny")
        text = f"Canny edges, thresholds {cond.low}–{cond.high}"
    else:
        text = "Segmentation (ADE20K colours)"
    if not model.enabled.get(kind):
        text += " · not used"
    if model.map_busy(kind):
        text += " · updating…"
    elif model.map_error(kind):
        text = model.map_error(kind)
    return text


def cover_message(painter: QPainter, area: QRect, image: QImage | None) -> QRectF | None:
    """Paint why there is no cover to show, or return where the cover goes."""
    if image is None:
        message(painter, area, "No cover yet: generate one and it appears here.")
    elif image.isNull():
        message(painter, area, "This cover could not be shown: its image data is damaged.")
    else:
        return fit(area, image.width(), image.height())
    return None
