"""ImageCanvas: the reference photo with its square crop, its condition maps, and the cover.

The canvas owns only view state (the tab shown, a drag in progress, the cover on show);
the photo, crop and maps live in :class:`ReferenceImage`, and edits go back to it.
Scaled pixmaps are cached per image and size, so a repaint never rescales a photo.
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.cover import CropBox
from albumstudio.core.formats import IMAGE_EXTENSIONS, has_image_extension
from albumstudio.ui.canvas import crop_geometry as geo
from albumstudio.ui.canvas import painting as paint
from albumstudio.ui.canvas.qimage import png_to_qimage, rgb_array_to_qimage
from albumstudio.ui.canvas.reference_image import ReferenceImage

EMPTY_TEXT = "Drop a photo here or click to choose one"
IMAGE_FILTER = ("Images (" + " ".join("*" + e for e in sorted(IMAGE_EXTENSIONS))
                + ");;All files (*)")
TABS = (("reference", "Reference"), ("canny", "Canny"), ("seg", "Segmentation"),
        ("cover", "Cover"))
HANDLE_PX = 9
ZOOM_STEP = 0.88  # crop side × this per wheel notch (towards the user = zoom in)


class ImageCanvas(QWidget):
    tab_changed = Signal(str)

    def __init__(self, model: ReferenceImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._tab = "reference"
        self._cover: tuple[QImage, str] | None = None
        self._preview: tuple[QImage, str] | None = None
        self._cover_mode: str | None = None  # "cover" | "preview" | None
        self._drag: tuple[str, QPointF, CropBox] | None = None
        self._press_on_empty = False
        self._pixmaps = paint.PixmapCache()
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(240, 220)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.bar = QWidget()
        bar_layout = QHBoxLayout(self.bar)
        bar_layout.setContentsMargins(0, 0, 0, 0)
        bar_layout.setSpacing(0)
        self.tab_group = QButtonGroup(self)
        self.tab_buttons: dict[str, QToolButton] = {}
        for key, text in TABS:
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.clicked.connect(lambda _=False, k=key: self.set_tab(k))
            self.tab_group.addButton(button)
            self.tab_buttons[key] = button
            bar_layout.addWidget(button)
        self.tab_buttons["reference"].setChecked(True)
        bar_layout.addStretch(1)
        self.open_button = QToolButton()
        self.open_button.setText("Open image…")
        self.open_button.setToolTip("Choose a reference photo (or drop one on the canvas)")
        self.open_button.clicked.connect(self.choose_file)
        bar_layout.addWidget(self.open_button)
        layout.addWidget(self.bar)
        layout.addStretch(1)

        model.image_changed.connect(self._on_image_changed)
        for signal in (model.crop_changed, model.maps_changed, model.loading_changed,
                       model.seg_availability_changed, model.conditions_changed):
            signal.connect(self.update)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(520, 520)

    # -- public ------------------------------------------------------------------------------
    @property
    def tab(self) -> str:
        return self._tab

    @property
    def mode(self) -> str:
        """What the canvas shows: "reference", "canny", "seg", "cover", "preview" or "empty-cover"."""
        if self._tab != "cover":
            return self._tab
        return self._cover_mode or "empty-cover"

    def set_tab(self, key: str) -> None:
        if key not in self.tab_buttons:
            raise ValueError(f"unknown canvas tab {key!r}")
        self.tab_buttons[key].setChecked(True)
        for kind in ("canny", "seg"):
            self.model.set_map_wanted(kind, key == kind)
        if key == "seg":
            self.model.check_segmenter()
        if key != self._tab:
            self._tab = key
            self._drag = None
            self._update_cursor(None)
            self.tab_changed.emit(key)
        self.update()

    def show_reference(self) -> None:
        self.set_tab("reference")

    def show_cover(self, png: bytes | np.ndarray, caption: str) -> None:
        """Show a finished cover (PNG bytes, or RGB pixels decoded off the main thread)."""
        image = rgb_array_to_qimage(png) if isinstance(png, np.ndarray) else png_to_qimage(png)
        self._cover = (image, caption)
        self._preview = None
        self._cover_mode = "cover"
        self.set_tab("cover")

    def show_preview(self, rgb: np.ndarray, caption: str) -> None:
        """Show a live diffusion preview (small RGB uint8 array), scaled up smoothly."""
        first = self._cover_mode != "preview"
        self._preview = (rgb_array_to_qimage(rgb), caption)
        self._cover_mode = "preview"
        if first:
            self.set_tab("cover")
        else:
            self.update()

    def clear_preview(self) -> None:
        """Generation ended without a cover: go back to the last cover (or nothing)."""
        self._preview = None
        self._cover_mode = "cover" if self._cover is not None else None
        self.update()

    def choose_file(self) -> None:
        start = os.path.dirname(self.model.path) if self.model.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Choose a reference photo", start, IMAGE_FILTER)
        if path:
            self.model.open(path)

    # -- geometry ----------------------------------------------------------------------------
    def content_rect(self) -> QRect:
        """The area below the tab bar where images are painted."""
        top = self.bar.geometry().bottom() + 4
        return QRect(0, top, self.width(), max(0, self.height() - top))

    def image_rect(self) -> QRectF:
        """Where the reference photo is drawn (empty without a photo)."""
        if self.model.size is None:
            return QRectF()
        return paint.fit(self.content_rect(), *self.model.size)

    def _scale(self) -> float:
        rect = self.image_rect()
        return rect.width() / self.model.size[0] if self.model.size and rect.width() else 0.0

    def image_to_widget(self, x: float, y: float) -> QPointF:
        rect, scale = self.image_rect(), self._scale()
        return QPointF(rect.left() + x * scale, rect.top() + y * scale)

    def widget_to_image(self, point: QPointF) -> tuple[float, float]:
        rect, scale = self.image_rect(), self._scale() or 1.0
        return (point.x() - rect.left()) / scale, (point.y() - rect.top()) / scale

    def crop_rect(self) -> QRectF:
        crop = self.model.crop
        if crop is None or self.model.size is None:
            return QRectF()
        corner, side = self.image_to_widget(crop.left, crop.top), crop.size * self._scale()
        return QRectF(corner.x(), corner.y(), side, side)

    def _corner_at(self, point: QPointF) -> str | None:
        rect = self.crop_rect()
        corners = {"top-left": rect.topLeft(), "top-right": rect.topRight(),
                   "bottom-left": rect.bottomLeft(), "bottom-right": rect.bottomRight()}
        for name, corner in corners.items():
            if abs(point.x() - corner.x()) <= HANDLE_PX and abs(point.y() - corner.y()) <= HANDLE_PX:
                return name
        return None

    def _editing(self) -> bool:
        return self._tab == "reference" and self.model.crop is not None

    def _edited(self) -> tuple[CropBox, int, int]:
        """The crop and the image's width and height, while :meth:`_editing`."""
        crop, size = self.model.crop, self.model.size
        assert crop is not None and size is not None  # the model sets both or neither
        return crop, *size

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = self.content_rect()
        if self._tab == "reference":
            self._paint_reference(painter, area)
        elif self._tab in ("canny", "seg"):
            self._paint_map(painter, area, self._tab)
        else:
            self._paint_cover(painter, area)
        painter.end()

    def _draw_image(self, painter: QPainter, layer: str, image: QImage, target: QRectF) -> None:
        pixmap = self._pixmaps.get(layer, image, target, self.devicePixelRatioF())
        painter.drawPixmap(target.topLeft(), pixmap)

    def _paint_reference(self, painter: QPainter, area: QRect) -> None:
        model = self.model
        if model.display is None or model.crop is None:
            text = "Opening the photo…" if model.loading else EMPTY_TEXT
            paint.message(painter, area, text, framed=not model.loading)
            return
        target = self.image_rect()
        self._draw_image(painter, "reference", model.display, target)
        paint.crop_overlay(painter, target, self.crop_rect(), HANDLE_PX)
        assert model.size is not None  # the model sets the size with the crop
        width, height = model.size
        text = f"{width}×{height} px · square crop {model.crop.size} px"
        if model.crop.size < 512:
            text += " (small: the cover may look soft)"
        if model.loading:
            text = "Opening the new photo…"
        paint.caption(painter, target, text)

    def _paint_map(self, painter: QPainter, area: QRect, kind: str) -> None:
        image = self.model.map_image(kind)
        target = paint.map_message(painter, area, self.model, kind, image)
        if target is not None and image is not None:
            self._draw_image(painter, kind, image, target)
            paint.caption(painter, target, paint.map_caption(self.model, kind))

    def _paint_cover(self, painter: QPainter, area: QRect) -> None:
        shown = self._preview if self._cover_mode == "preview" else self._cover
        target = paint.cover_message(painter, area, shown[0] if shown else None)
        if target is not None and shown is not None:
            self._draw_image(painter, self._cover_mode or "cover", shown[0], target)
            paint.caption(painter, target, shown[1])

    # -- mouse and keys ----------------------------------------------------------------------
    def _update_cursor(self, point: QPointF | None) -> None:
        shape = Qt.CursorShape.ArrowCursor
        if self._tab == "reference" and self.model.crop is None and not self.model.loading:
            shape = Qt.CursorShape.PointingHandCursor
        elif self._editing() and point is not None:
            corner = self._corner_at(point)
            if self._drag is not None and self._drag[0] == "move":
                shape = Qt.CursorShape.ClosedHandCursor
            elif corner in ("top-left", "bottom-right"):
                shape = Qt.CursorShape.SizeFDiagCursor
            elif corner is not None:
                shape = Qt.CursorShape.SizeBDiagCursor
            elif self.crop_rect().contains(point):
                shape = Qt.CursorShape.OpenHandCursor
            elif self.image_rect().contains(point):
                shape = Qt.CursorShape.CrossCursor
        self.setCursor(shape)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        point = event.position()
        self._press_on_empty = False
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        if self._tab == "reference" and self.model.crop is None:
            self._press_on_empty = self.content_rect().contains(point.toPoint())
            return
        if not self._editing():
            return
        crop, width, height = self._edited()
        corner = self._corner_at(point)
        if corner is not None:
            self._drag = (corner, point, crop)
        elif self.crop_rect().contains(point):
            self._drag = ("move", point, crop)
        elif self.image_rect().contains(point):
            self.model.set_crop(geo.centred_on(crop, *self.widget_to_image(point), width, height))
            self._drag = ("move", point, self._edited()[0])
        self._update_cursor(point)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        point = event.position()
        if self._drag is None or not self._editing():
            self._update_cursor(point)
            return
        kind, start, crop = self._drag
        width, height = self._edited()[1:]
        scale = self._scale() or 1.0
        if kind == "move":
            new = geo.moved(crop, (point.x() - start.x()) / scale, (point.y() - start.y()) / scale,
                            width, height)
        else:
            x, y = self.widget_to_image(point)
            new = geo.resized_from_corner(crop, kind, x, y, width, height,
                                          self.model.min_crop_side())
        self.model.set_crop(new)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = None
            if self._press_on_empty and self.content_rect().contains(event.position().toPoint()):
                self._press_on_empty = False
                self.choose_file()
        self._update_cursor(event.position())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._editing() and self.image_rect().contains(event.position()):
            self._drag = None
            self.model.reset_crop()
        else:
            super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if not self._editing() or steps == 0:
            event.ignore()
            return
        crop, width, height = self._edited()
        x, y = self.widget_to_image(event.position())
        self.model.set_crop(geo.zoomed(crop, ZOOM_STEP ** steps, x, y, width, height,
                                       self.model.min_crop_side()))
        event.accept()

    def event(self, event: QEvent) -> bool:
        """Trackpad pinch (macOS native zoom gesture) zooms the crop like the wheel."""
        if (isinstance(event, QNativeGestureEvent) and self._editing()
                and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture):
            crop, width, height = self._edited()
            x, y = self.widget_to_image(event.position())
            factor = max(0.5, min(2.0, 1.0 - event.value()))
            self.model.set_crop(geo.zoomed(crop, factor, x, y, width, height,
                                           self.model.min_crop_side()))
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._editing():
            return super().keyPressEvent(event)
        crop, width, height = self._edited()
        step = max(1, crop.size // 20)
        moves: dict[int, tuple[int, int]] = {  # Qt.Key is an IntEnum; key() gives an int
            Qt.Key.Key_Left: (-step, 0), Qt.Key.Key_Right: (step, 0),
            Qt.Key.Key_Up: (0, -step), Qt.Key.Key_Down: (0, step)}
        centre = (crop.left + crop.size / 2, crop.top + crop.size / 2)
        if event.key() in moves:
            self.model.set_crop(geo.moved(crop, *moves[event.key()], width, height))
        elif event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus):
            factor = ZOOM_STEP if event.key() != Qt.Key.Key_Minus else 1 / ZOOM_STEP
            self.model.set_crop(geo.zoomed(crop, factor, *centre, width, height,
                                           self.model.min_crop_side()))
        else:
            super().keyPressEvent(event)

    # -- drops -------------------------------------------------------------------------------
    @staticmethod
    def _dropped_image(event: QDragEnterEvent | QDropEvent) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) != 1 or not urls[0].isLocalFile():
            return None
        path = urls[0].toLocalFile()
        return path if has_image_extension(path) and not os.path.isdir(path) else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._dropped_image(event):
            event.acceptProposedAction()
        else:
            event.ignore()  # audio and the rest go on to the main window

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = self._dropped_image(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.model.open(path)

    # -- model -------------------------------------------------------------------------------
    def _on_image_changed(self) -> None:
        self._pixmaps.drop("reference")
        if self.model.image is not None and self._tab == "cover":
            self.set_tab("reference")
        self._update_cursor(None)
        self.update()
