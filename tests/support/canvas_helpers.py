"""Shared pieces for the canvas tests: photos made with PIL, drops, pixel reads, thread checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThread, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication


def make_photo(path: Path, size: tuple[int, int] = (300, 200), seed: int = 0) -> Path:
    """A small photo-like image: a gradient sky, shapes with hard and soft edges, some noise."""
    width, height = size
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None]
    x = np.linspace(0, 1, width)[None, :]
    pixels = np.zeros((height, width, 3), np.float32)
    pixels[..., 0] = 40 + 160 * y + 0 * x
    pixels[..., 1] = 90 + 80 * x
    pixels[..., 2] = 200 - 120 * y
    pixels += rng.normal(0, 6, pixels.shape)
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    draw.ellipse((width * 0.1, height * 0.2, width * 0.4, height * 0.7), fill=(230, 200, 40))
    draw.rectangle((width * 0.55, height * 0.35, width * 0.9, height * 0.95), fill=(30, 30, 50))
    for i in range(12):  # faint stripes: only low thresholds see them
        x0 = int(width * 0.55 + i * 4)
        draw.line((x0, height * 0.05, x0, height * 0.3), fill=(60 + 2 * i, 110, 160), width=1)
    img.save(path)
    return path


def image_array(image: QImage) -> np.ndarray:
    """An (H, W, 3) uint8 copy of a QImage's pixels."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.sizeInBytes())
    rows = data.reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def drop(widget, paths, pos: QPoint) -> QDragEnterEvent:
    """Drag enter + drop through the top-level window, as a file manager delivers it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    window = widget.window().windowHandle()
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(window, enter)
    QApplication.sendEvent(window, QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime,
                                              buttons, mods))
    return enter


class ThreadRecorder:
    """A slot that notes the thread it ran on; ``all_main`` checks every call ran on the GUI thread."""

    def __init__(self) -> None:
        self.main = QThread.currentThread()
        self.threads: list[QThread] = []

    def __call__(self, *_args) -> None:
        self.threads.append(QThread.currentThread())

    def all_main(self) -> bool:
        return bool(self.threads) and all(t == self.main for t in self.threads)
