"""PIL images, numpy arrays and PNG bytes as QImages (always deep copies that own their pixels)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QByteArray
from PySide6.QtGui import QImage


def pil_to_qimage(img: Image.Image) -> QImage:
    """An RGB888 copy of ``img`` (any mode; alpha is dropped)."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    width, height = img.size
    data = img.tobytes("raw", "RGB")
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def rgb_array_to_qimage(arr: np.ndarray) -> QImage:
    """An RGB888 copy of an (H, W, 3) array; (H, W) grey, (H, W, 4) and float 0..1 arrays work too."""
    pixels = np.asarray(arr)
    if pixels.dtype != np.uint8:
        scale = 255.0 if np.issubdtype(pixels.dtype, np.floating) and pixels.max(initial=0) <= 1 else 1
        pixels = np.clip(pixels * scale, 0, 255).astype(np.uint8)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.ndim != 3 or pixels.shape[2] < 3 or pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"expected an (H, W, 3) image array, got shape {pixels.shape}")
    pixels = np.ascontiguousarray(pixels[:, :, :3])
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, int(pixels.strides[0]),
                  QImage.Format.Format_RGB888).copy()


def png_to_qimage(data: bytes) -> QImage:
    """The decoded image, or a null QImage when ``data`` is not a readable PNG."""
    image = QImage()
    image.loadFromData(QByteArray(bytes(data)), "PNG")
    return image
