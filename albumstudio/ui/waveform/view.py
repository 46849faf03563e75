"""WaveformView: a zoomable peak display with a time ruler, playhead, selection and overlays.

The view owns only view state (zoom, scroll, a drag in progress); the track, playhead,
selection and overlays are pushed in by whoever binds it, and user intent goes out by signal.
Everything but the playhead is painted into a cached layer, so playback redraws are cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from albumstudio.core.peaks import PeakPyramid
from albumstudio.ui.waveform import raster

EMPTY_TEXT = "Drop a track here or press Ctrl+O"
WAVE_COLOR = QColor("#4FC3F7")
RMS_COLOR = QColor("#B3E5FC")
PLAYHEAD_COLOR = QColor("#FFB74D")
SELECTION_COLOR = QColor(255, 183, 77, 56)
BEAT_COLOR = QColor(255, 255, 255, 34)
ENERGY_COLOR = QColor("#81C784")
ENERGY_FILL = QColor(129, 199, 132, 26)
SECTION_COLOR = QColor("#CE93D8")
MAX_LANES = 8
MIN_PX_PER_BASE_BIN = 4
DRAG_THRESHOLD_PX = 3
LANE_GAP = 2
_PIXEL_COLORS = raster.WaveColors(*(raster.premultiplied(c.red(), c.green(), c.blue(), c.alpha())
                                     for c in (WAVE_COLOR, RMS_COLOR, BEAT_COLOR, ENERGY_FILL)))


class WaveformView(QWidget):
    """Peaks of one track, one lane per channel under a time ruler."""

    seek_requested = Signal(float)
    selection_changed = Signal(float, float)
    view_changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._peaks: PeakPyramid | None = None
        self._start = self._spp = self._playhead = 0.0
        self._fit = True
        self._selection: tuple[float, float] | None = None
        self._overlays = raster.overlays()
        self._overlays_visible = True
        self._press_x: float | None = None
        self._dragging = False
        self._generation = 0
        self._layer_key: tuple | None = None
        self._layer = QImage()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.IBeamCursor)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(800, 220)

    def _changed(self) -> None:
        self._generation += 1
        self.update()

    # -- state in -------------------------------------------------------------------------

    def set_peaks(self, pyramid: PeakPyramid | None) -> None:
        """Show a (possibly partial) pyramid; a growing one of the same track keeps the zoom."""
        old = self._peaks
        new_track = (old is None or pyramid is None or (old.complete and pyramid is not old)
                     or pyramid.frames_done < old.frames_done
                     or (old.sample_rate, old.channels) != (pyramid.sample_rate, pyramid.channels))
        self._peaks = pyramid
        self._changed()
        if pyramid is None:
            self._start, self._spp, self._fit = 0.0, 0.0, True
            self.view_changed.emit(0.0, 0.0)
        elif new_track or self._fit:
            self._fit = True
            self._apply_view(0.0, self._max_spp(), force_emit=new_track)
        else:
            self._apply_view(self._start, self._spp)

    def set_playhead(self, seconds: float) -> None:
        """Move the playhead (the view does not scroll to follow it)."""
        seconds = max(0.0, float(seconds))
        if seconds != self._playhead:
            for t in (self._playhead, seconds):
                self.update(int(self.x_for_time(t)) - 8, 0, 17, self.height())
            self._playhead = seconds

    def set_selection(self, start_s: float, end_s: float) -> None:
        """Show a selected region; emits nothing."""
        a, b = sorted((max(0.0, float(start_s)), max(0.0, float(end_s))))
        self._selection = (a, b) if b > a else None
        self._changed()

    def clear_selection(self) -> None:
        """Remove the selected region; emits nothing."""
        self._selection = None
        self._changed()

    def selection(self) -> tuple[float, float] | None:
        """The selected (start, end) in seconds, or None."""
        return self._selection

    def set_overlays(self, beat_times: Sequence[float] = (), energy_curve: Sequence[float] = (),
                     curve_hop_s: float = 0.5, section_times: Sequence[float] = ()) -> None:
        """Beat grid, energy curve (value i at ``i * curve_hop_s``) and section boundaries."""
        self._overlays = raster.overlays(beat_times, energy_curve, curve_hop_s, section_times)
        self._changed()

    def set_overlays_visible(self, visible: bool) -> None:
        """Show or hide the beat grid, energy curve and section boundaries."""
        self._overlays_visible = bool(visible)
        self._changed()

    # -- zoom and scroll ------------------------------------------------------------------

    @property
    def pyramid(self) -> PeakPyramid | None:
        return self._peaks

    @property
    def duration(self) -> float:
        return self._peaks.duration if self._peaks is not None else 0.0

    @property
    def view_start(self) -> float:
        return self._start

    @property
    def seconds_per_pixel(self) -> float:
        return self._spp

    @property
    def visible_seconds(self) -> float:
        return self._spp * self.width()

    def min_seconds_per_pixel(self) -> float:
        """The deepest zoom: one base-level peak bin per MIN_PX_PER_BASE_BIN pixels."""
        if self._peaks is None:
            return 0.0
        base = self._peaks.levels[0].samples_per_bin
        return min(self._max_spp(), base / (MIN_PX_PER_BASE_BIN * self._peaks.sample_rate))

    def _max_spp(self) -> float:
        return self.duration / max(1, self.width())

    def time_at(self, x: float) -> float:
        """Seconds under widget x (not clamped to the track)."""
        return self._start + x * self._spp

    def x_for_time(self, seconds: float) -> float:
        """Widget x of a time in seconds."""
        return (seconds - self._start) / self._spp if self._spp > 0 else 0.0

    def _apply_view(self, start: float, spp: float, force_emit: bool = False) -> None:
        if self._peaks is None:
            return
        spp = min(max(spp, self.min_seconds_per_pixel()), self._max_spp())
        start = min(max(0.0, start), max(0.0, self.duration - spp * self.width()))
        if force_emit or (start, spp) != (self._start, self._spp):
            self._start, self._spp = start, spp
            self.update()
            self.view_changed.emit(self._start, self.visible_seconds)

    def zoom_by(self, factor: float, anchor_seconds: float) -> None:
        """Magnify by ``factor`` (>1 zooms in), keeping ``anchor_seconds`` at the same x."""
        if self._peaks is None or factor <= 0 or self._spp <= 0:
            return
        x = self.x_for_time(anchor_seconds)
        spp = min(max(self._spp / factor, self.min_seconds_per_pixel()), self._max_spp())
        self._fit = spp >= self._max_spp() * (1 - 1e-9)
        self._apply_view(anchor_seconds - x * spp, spp)

    def _zoom_anchor(self) -> float:
        if self._start <= self._playhead <= self._start + self.visible_seconds:
            return self._playhead
        return self._start + self.visible_seconds / 2

    def zoom_in(self) -> None:
        """Zoom in 2x around the playhead when it is visible, else around the view centre."""
        self.zoom_by(2.0, self._zoom_anchor())

    def zoom_out(self) -> None:
        """Zoom out 2x around the playhead when it is visible, else around the view centre."""
        self.zoom_by(0.5, self._zoom_anchor())

    def zoom_to_fit(self) -> None:
        """Show the whole track."""
        self._fit = True
        self._apply_view(0.0, self._max_spp())

    def scroll_to(self, start_seconds: float) -> None:
        """Scroll so the view starts at ``start_seconds`` (clamped to the track)."""
        self._apply_view(float(start_seconds), self._spp)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        fit = self._fit
        self._apply_view(0.0 if fit else self._start, self._max_spp() if fit else self._spp,
                         force_emit=True)

    # -- mouse ----------------------------------------------------------------------------

    def _clamped_time(self, x: float) -> float:
        return min(max(0.0, self.time_at(x)), self.duration)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._peaks is None:
            return super().mousePressEvent(event)
        self._press_x, self._dragging = event.position().x(), False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press_x is None:
            return super().mouseMoveEvent(event)
        x = event.position().x()
        self._dragging = self._dragging or abs(x - self._press_x) >= DRAG_THRESHOLD_PX
        if self._dragging:
            a, b = sorted((self._clamped_time(self._press_x), self._clamped_time(x)))
            self._selection = (a, b) if b > a else None
            self._changed()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press_x is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        self.mouseMoveEvent(event)
        dragged, self._dragging, self._press_x = self._dragging, False, None
        if dragged and self._selection is not None:
            self.selection_changed.emit(*self._selection)
            return
        if self._selection is not None:
            self.clear_selection()
            self.selection_changed.emit(-1.0, -1.0)
        self.seek_requested.emit(self._clamped_time(event.position().x()))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self._peaks is None:
            return super().wheelEvent(event)
        angle, pixel = event.angleDelta(), event.pixelDelta()
        notches = (angle.y() or angle.x()) / 120.0
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(2.0 ** (notches / 2), self.time_at(event.position().x()))
        elif not pixel.isNull():
            self.scroll_to(self._start - (pixel.y() or pixel.x()) * self._spp)
        else:
            self.scroll_to(self._start - notches * self.visible_seconds / 8)
        event.accept()

    # -- painting -------------------------------------------------------------------------

    def ruler_height(self) -> int:
        """Height in pixels of the time ruler strip on top."""
        return self.fontMetrics().height() + 8

    def lane_rects(self, width: int | None = None, height: int | None = None) -> list[QRectF]:
        """One rectangle per shown channel lane, top to bottom (widget size by default)."""
        w = self.width() if width is None else width
        h = self.height() if height is None else height
        n = min(MAX_LANES, self._peaks.channels) if self._peaks is not None else 0
        spans = raster.lane_spans(n, self.ruler_height(), h, LANE_GAP)
        return [QRectF(0, top, w, lane_h) for top, lane_h in spans]

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._changed()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        w, h, dpr = self.width(), self.height(), self.devicePixelRatioF()
        key = (self._generation, self._start, self._spp, w, h, dpr)
        if key != self._layer_key:
            self._layer = self._render(w, h, self._start, self._spp, dpr)
            self._layer_key = key
        painter = QPainter(self)
        painter.drawImage(0, 0, self._layer)
        self._paint_playhead(painter, w, h, self._start, self._spp)
        painter.end()

    def render_to_image(self, width: int, height: int) -> QImage:
        """Paint the current visible time range, uncached, into a ``width`` x ``height`` image."""
        width, height = max(1, width), max(1, height)
        spp = self.visible_seconds / width
        image = self._render(width, height, self._start, spp, 1.0)
        painter = QPainter(image)
        self._paint_playhead(painter, width, height, self._start, spp)
        painter.end()
        return image

    def _render(self, w: int, h: int, start: float, spp: float, dpr: float) -> QImage:
        image = QImage(max(1, round(w * dpr)), max(1, round(h * dpr)),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        p = QPainter(image)
        p.fillRect(QRectF(0, 0, w, h), pal.color(QPalette.ColorRole.Base))
        lanes = self.lane_rects(w, h)
        if self._peaks is None or spp <= 0 or not lanes:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter,
                       EMPTY_TEXT if self._peaks is None else "")
            p.end()
            return image
        ruler_h = self.ruler_height()
        area = QRectF(0, ruler_h, w, h - ruler_h)
        end_x = min(float(w), (self.duration - start) / spp)
        done_x = max(0.0, (self._peaks.frames_done / self._peaks.sample_rate - start) / spp)
        window = pal.color(QPalette.ColorRole.Window)
        if end_x < w:
            p.fillRect(QRectF(end_x, area.top(), w, area.height()), window)
        for lane in lanes[1:]:
            p.fillRect(QRectF(0, lane.top() - LANE_GAP, w, LANE_GAP), window)
        if not self._peaks.complete and done_x < end_x:
            hatch = QColor(text)
            hatch.setAlpha(28)
            p.fillRect(QRectF(done_x, area.top(), end_x - done_x, area.height()),
                       QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        sel = self._selection
        if sel is not None:
            x0, x1 = (sel[0] - start) / spp, (sel[1] - start) / spp
            p.fillRect(QRectF(x0, area.top(), x1 - x0, area.height()), SELECTION_COLOR)
        axis, axis_end = QColor(text), end_x if self._peaks.complete else min(end_x, done_x)
        axis.setAlpha(40)
        p.setPen(QPen(axis, 0))
        p.drawLines([QLineF(0, r.center().y(), axis_end, r.center().y()) for r in lanes])
        box, shown = (area.top(), area.width(), area.height()), self._overlays_visible
        ov = self._overlays
        energy = raster.energy_points(ov.energy, ov.hop, start, spp, box) if shown else None
        buf = raster.wave_pixels(self._peaks, [(r.top(), r.bottom()) for r in lanes], box, start,
                                 spp, dpr, _PIXEL_COLORS, ov.beats if shown else None, energy)
        pixels = QImage(buf.data, buf.shape[1], buf.shape[0], buf.shape[1] * 4,
                        QImage.Format.Format_ARGB32_Premultiplied)
        p.drawImage(area, pixels)
        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        for name, lane in zip(raster.lane_labels(len(lanes)), lanes, strict=False):
            p.drawText(QPointF(lane.left() + 5, lane.top() + p.fontMetrics().ascent() + 1), name)
        if energy is not None and energy[0].size > 1:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(QPen(ENERGY_COLOR, 2))
            p.drawLines([QLineF(*segment) for segment in raster.segments(energy)])
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if sel is not None:
            p.setPen(QPen(PLAYHEAD_COLOR, 0))
            p.drawLines([QLineF(x, area.top(), x, area.bottom()) for x in (x0, x1)])
        self._paint_ruler(p, w, ruler_h, start, spp)
        marks: list[float] = raster.visible_x(ov.sections, start, spp, w).tolist() if shown else []
        if marks:
            p.setPen(QPen(SECTION_COLOR, 2))
            p.drawLines([QLineF(x, area.top() - 5, x, area.bottom()) for x in marks])
        p.end()
        return image

    def _paint_ruler(self, p: QPainter, w: int, ruler_h: int, start: float, spp: float) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        faint = QColor(text)
        faint.setAlpha(110)
        p.fillRect(QRectF(0, 0, w, ruler_h), pal.color(QPalette.ColorRole.Window))
        p.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 0))
        p.drawLine(QLineF(0, ruler_h - 0.5, w, ruler_h - 0.5))
        fm = p.fontMetrics()
        min_px = fm.horizontalAdvance("0:00:00.00") + 12
        ticks = raster.ruler_ticks(start, spp, w, self.duration, min_px)
        p.setPen(text)
        for tick in (t for t in ticks if t.is_major):
            if tick.x + 3 + fm.horizontalAdvance(tick.label) > w:
                continue  # a label the edge would cut ("3:3") is left out, its tick stays
            p.drawText(QPointF(tick.x + 3, fm.ascent() + 3), tick.label)
        for major, color in ((False, faint), (True, text)):
            p.setPen(QPen(color, 0))
            p.drawLines([QLineF(t.x, ruler_h - (8 if major else 4), t.x, ruler_h - 1)
                         for t in ticks if t.is_major == major])

    def _paint_playhead(self, p: QPainter, w: int, h: int, start: float, spp: float) -> None:
        if self._peaks is None or spp <= 0:
            return
        x, ruler_h = (self._playhead - start) / spp, self.ruler_height()
        if not -6 <= x <= w + 6:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(PLAYHEAD_COLOR, 1.5))
        p.drawLine(QLineF(x, ruler_h - 6, x, h))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(PLAYHEAD_COLOR)
        p.drawPolygon(QPolygonF([QPointF(x - 5, ruler_h - 8), QPointF(x + 5, ruler_h - 8),
                                 QPointF(x, ruler_h - 1)]))
