"""Two covers over each other, split by a slider: the left of the split shows the first, the
right the second."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QDialog, QLabel, QSlider, QVBoxLayout, QWidget


class CompareView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.left = QImage()
        self.right = QImage()
        self.split = 0.5
        self.setMinimumSize(240, 240)
        self.setAccessibleName("Comparison of two covers")

    def set_images(self, left: QImage, right: QImage) -> None:
        self.left, self.right = left, right
        self.update()

    def set_split(self, fraction: float) -> None:
        self.split = min(1.0, max(0.0, fraction))
        self.update()

    def square(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def split_x(self) -> float:
        box = self.square()
        return box.left() + box.width() * self.split

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 31, 35))
        box = self.square()
        x = self.split_x()
        for image, clip in ((self.left, QRectF(box.left(), box.top(), x - box.left(),
                                               box.height())),
                            (self.right, QRectF(x, box.top(), box.right() - x, box.height()))):
            if not image.isNull() and clip.width() > 0:
                painter.save()
                painter.setClipRect(clip)
                painter.drawImage(box, image)
                painter.restore()
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        painter.drawLine(int(x), int(box.top()), int(x), int(box.bottom()))
        painter.end()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        box = self.square()
        if box.width() > 0:
            self.set_split((event.position().x() - box.left()) / box.width())


class CompareDialog(QDialog):
    """The comparison with its slider and the two entries named."""

    def __init__(self, left: QImage, right: QImage, left_name: str, right_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare {left_name} and {right_name}")
        layout = QVBoxLayout(self)
        self.view = CompareView()
        self.view.set_images(left, right)
        layout.addWidget(self.view, 1)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.slider.setAccessibleName("Split between the two covers")
        self.slider.valueChanged.connect(lambda v: self.view.set_split(v / 1000))
        layout.addWidget(self.slider)
        layout.addWidget(QLabel(f"left: {left_name} · right: {right_name}"))
        self.resize(560, 600)
