"""WaveformView: a zoomable peak display with a time ruler, playhead, selection and overlays.

The view owns only view state (zoom, scroll, the drag in progress); the track, playhead,
selection and overlays are pushed in by whoever binds it, and user intent goes out by signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, Signal
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
from albumstudio.core.text import format_time

EMPTY_TEXT = "Drop a track here or press Ctrl+O"
WAVE_COLOR = QColor("#4FC3F7")
RMS_COLOR = QColor("#B3E5FC")
PLAYHEAD_COLOR = QColor("#FFB74D")
SELECTION_COLOR = QColor(255, 183, 77, 56)
BEAT_COLOR = QColor(255, 255, 255, 38)
ENERGY_COLOR = QColor("#81C784")
SECTION_COLOR = QColor("#CE93D8")
MAX_LANES = 8
MIN_PX_PER_BASE_BIN = 4
DRAG_THRESHOLD_PX = 3
LANE_GAP = 2
# (major tick seconds, minor ticks per major)
_TICKS = ((0.01, 5), (0.02, 4), (0.05, 5), (0.1, 5), (0.2, 4), (0.5, 5), (1, 5), (2, 4),
          (5, 5), (10, 5), (15, 3), (30, 6), (60, 4), (120, 4), (300, 5), (600, 5),
          (900, 3), (1800, 6), (3600, 4), (7200, 4))


def _argb(color: QColor) -> int:
    return int(color.rgba()) & 0xFFFFFFFF


def _floats(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, np.float64).ravel()
    return arr[np.isfinite(arr)] if arr.size else np.empty(0)


class WaveformView(QWidget):
    """Peaks of one track, stacked one lane per channel under a time ruler."""

    seek_requested = Signal(float)
    selection_changed = Signal(float, float)
    view_changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._peaks: PeakPyramid | None = None
        self._start = 0.0
        self._spp = 0.0
        self._fit = True
        self._playhead = 0.0
        self._selection: tuple[float, float] | None = None
        self._beats = np.empty(0)
        self._energy = np.empty(0)
        self._hop = 0.5
        self._sections = np.empty(0)
        self._overlays_visible = True
        self._press_x: float | None = None
        self._dragging = False
        self._raster_key: tuple | None = None
        self._raster: tuple[QImage, np.ndarray] | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(False)
        self.setCursor(Qt.CursorShape.IBeamCursor)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(800, 220)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, 80)

    # -- state in -------------------------------------------------------------------------

    def set_peaks(self, pyramid: PeakPyramid | None) -> None:
        """Show a (possibly partial) pyramid; a growing one for the same track keeps the zoom."""
        old = self._peaks
        new_track = (
            old is None or pyramid is None or old.complete and pyramid is not old
            or (old.sample_rate, old.channels) != (pyramid.sample_rate, pyramid.channels)
        )
        self._peaks = pyramid
        self._raster_key = None
        if pyramid is None:
            self._start, self._spp, self._fit = 0.0, 0.0, True
            self.view_changed.emit(0.0, 0.0)
        elif new_track or self._fit:
            self._fit = True
            self._apply_view(0.0, self._max_spp(), force_emit=new_track)
        else:
            self._apply_view(self._start, self._spp)
        self.update()

    def set_playhead(self, seconds: float) -> None:
        """Move the playhead (does not scroll the view)."""
        seconds = max(0.0, float(seconds))
        if seconds != self._playhead:
            self._playhead = seconds
            self.update()

    def set_selection(self, start_s: float, end_s: float) -> None:
        """Show a selected region; emits nothing."""
        a, b = sorted((max(0.0, float(start_s)), max(0.0, float(end_s))))
        self._selection = (a, b) if b > a else None
        self.update()

    def clear_selection(self) -> None:
        """Remove the selected region; emits nothing."""
        self._selection = None
        self.update()

    def selection(self) -> tuple[float, float] | None:
        """The selected (start, end) in seconds, or None."""
        return self._selection

    def set_overlays(self, beat_times: Sequence[float] = (), energy_curve: Sequence[float] = (),
                     curve_hop_s: float = 0.5, section_times: Sequence[float] = ()) -> None:
        """Beat grid, energy curve (one value per ``curve_hop_s``) and section boundaries."""
        self._beats = np.sort(_floats(beat_times))
        self._energy = np.nan_to_num(np.asarray(energy_curve, np.float64).ravel())
        self._hop = float(curve_hop_s) if curve_hop_s > 0 else 0.5
        self._sections = np.sort(_floats(section_times))
        self.update()

    def set_overlays_visible(self, visible: bool) -> None:
        """Show or hide the beat grid, energy curve and section boundaries."""
        self._overlays_visible = bool(visible)
        self.update()

    # -- view state -----------------------------------------------------------------------

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
        """The deepest zoom: one base-level peak bin per few pixels."""
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
        """Magnify by ``factor`` (>1 zooms in) keeping ``anchor_seconds`` at the same x."""
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
        """Zoom in 2x around the playhead when it is visible, else the view centre."""
        self.zoom_by(2.0, self._zoom_anchor())

    def zoom_out(self) -> None:
        """Zoom out 2x around the playhead when it is visible, else the view centre."""
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
        if self._peaks is not None:
            self._apply_view(0.0 if self._fit else self._start,
                             self._max_spp() if self._fit else self._spp, force_emit=True)

    # -- mouse ----------------------------------------------------------------------------

    def _clamped_time(self, x: float) -> float:
        return min(max(0.0, self.time_at(x)), self.duration)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._peaks is not None:
            self._press_x = event.position().x()
            self._dragging = False
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press_x is None:
            return super().mouseMoveEvent(event)
        x = event.position().x()
        if not self._dragging and abs(x - self._press_x) >= DRAG_THRESHOLD_PX:
            self._dragging = True
        if self._dragging:
            a, b = sorted((self._clamped_time(self._press_x), self._clamped_time(x)))
            self._selection = (a, b) if b > a else None
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press_x is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        self.mouseMoveEvent(event)
        dragged, self._dragging, self._press_x = self._dragging, False, None
        if dragged and self._selection is not None:
            self.selection_changed.emit(*self._selection)
            return
        if self._selection is not None:
            self._selection = None
            self.update()
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
        """One rectangle per shown channel lane, top to bottom."""
        w = self.width() if width is None else width
        h = self.height() if height is None else height
        n = min(MAX_LANES, self._peaks.channels) if self._peaks is not None else 0
        top = self.ruler_height()
        if n == 0 or h <= top:
            return []
        lane_h = (h - top - LANE_GAP * (n - 1)) / n
        return [QRectF(0, top + i * (lane_h + LANE_GAP), w, lane_h) for i in range(n)]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        self._paint(painter, self.width(), self.height(), self._start, self._spp,
                    self.devicePixelRatioF())
        painter.end()

    def render_to_image(self, width: int, height: int) -> QImage:
        """Paint the current visible time range into a ``width`` x ``height`` image."""
        image = QImage(max(1, width), max(1, height), QImage.Format.Format_ARGB32_Premultiplied)
        spp = self.visible_seconds / max(1, width)
        painter = QPainter(image)
        self._paint(painter, image.width(), image.height(), self._start, spp, 1.0)
        painter.end()
        return image

    def _paint(self, p: QPainter, w: int, h: int, start: float, spp: float, dpr: float) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        p.fillRect(0, 0, w, h, pal.color(QPalette.ColorRole.Base))
        lanes = self.lane_rects(w, h)
        if self._peaks is None or spp <= 0 or not lanes:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter,
                       EMPTY_TEXT if self._peaks is None else "")
            return
        ruler_h = self.ruler_height()
        area = QRectF(0, ruler_h, w, h - ruler_h)

        def to_x(t: float) -> float:
            return (t - start) / spp

        end_x = to_x(self.duration)
        if end_x < w:
            p.fillRect(QRectF(max(0.0, end_x), area.top(), w, area.height()),
                       pal.color(QPalette.ColorRole.Window))
        done_x = max(0.0, to_x(self._peaks.frames_done / self._peaks.sample_rate))
        if not self._peaks.complete and done_x < min(w, end_x):
            hatch = QColor(text)
            hatch.setAlpha(30)
            p.fillRect(QRectF(done_x, area.top(), min(w, end_x) - done_x, area.height()),
                       QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        if self._selection is not None:
            x0, x1 = to_x(self._selection[0]), to_x(self._selection[1])
            p.fillRect(QRectF(x0, area.top(), x1 - x0, area.height()), SELECTION_COLOR)
        mid = QColor(text)
        mid.setAlpha(40)
        p.setPen(QPen(mid, 1))
        p.drawLines([QLineF(0, r.center().y(), min(w, end_x), r.center().y()) for r in lanes])
        if self._overlays_visible:
            self._paint_beats(p, area, start, spp)
        self._paint_raster(p, lanes, area, start, spp, dpr)
        self._paint_lane_labels(p, lanes, text)
        if self._overlays_visible:
            self._paint_energy(p, area, start, spp)
            self._paint_sections(p, area, start, spp)
        if self._selection is not None:
            p.setPen(QPen(PLAYHEAD_COLOR, 1))
            for t in self._selection:
                p.drawLine(QLineF(to_x(t), area.top(), to_x(t), area.bottom()))
        self._paint_ruler(p, w, ruler_h, start, spp)
        px = to_x(self._playhead)
        if -2 <= px <= w + 2:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(QPen(PLAYHEAD_COLOR, 1.5))
            p.drawLine(QLineF(px, 0, px, h))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(PLAYHEAD_COLOR)
            p.drawPolygon(QPolygonF([QPointF(px - 5, ruler_h - 7), QPointF(px + 5, ruler_h - 7),
                                     QPointF(px, ruler_h)]))
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_raster(self, p: QPainter, lanes: list[QRectF], area: QRectF, start: float,
                      spp: float, dpr: float) -> None:
        pk = self._peaks
        assert pk is not None
        pw, ph = max(1, round(area.width() * dpr)), max(1, round(area.height() * dpr))
        key = (id(pk), pk.frames_done, start, spp, pw, ph, len(lanes))
        if self._raster_key != key or self._raster is None:
            mins, maxs, rms = pk.columns(start * pk.sample_rate, spp * pk.sample_rate / dpr, pw)
            buf = np.zeros((ph, pw), np.uint32)
            wave, core = _argb(WAVE_COLOR), _argb(RMS_COLOR)
            for ch, lane in enumerate(lanes):
                top = round((lane.top() - area.top()) * dpr)
                bottom = min(ph, round((lane.bottom() - area.top()) * dpr))
                if bottom - top < 2:
                    continue
                half = (bottom - top) / 2 * 0.92
                cy = (top + bottom) / 2
                valid = ~np.isnan(maxs[ch])
                hi = np.clip(np.nan_to_num(maxs[ch]), -1, 1)
                lo = np.clip(np.nan_to_num(mins[ch]), -1, 1)
                r = np.clip(np.nan_to_num(rms[ch]), 0, 1)
                y0, y1 = np.floor(cy - hi * half), np.ceil(cy - lo * half)
                rows = np.arange(top, bottom, dtype=np.float64)[:, None]
                env = (rows >= y0) & (rows <= y1) & valid
                band = env & (rows >= np.floor(cy - r * half)) & (rows <= np.ceil(cy + r * half))
                buf[top:bottom] = np.where(band, core, np.where(env, wave, 0))
            image = QImage(buf.data, pw, ph, pw * 4, QImage.Format.Format_ARGB32_Premultiplied)
            self._raster_key, self._raster = key, (image, buf)
        p.drawImage(area, self._raster[0])

    def _paint_lane_labels(self, p: QPainter, lanes: list[QRectF], text: QColor) -> None:
        count = len(lanes)
        if count < 2:
            return
        names = ["L", "R"] if count == 2 else [str(i + 1) for i in range(count)]
        color = QColor(text)
        color.setAlpha(130)
        p.setPen(color)
        for name, lane in zip(names, lanes):
            p.drawText(QPointF(lane.left() + 5, lane.top() + p.fontMetrics().ascent() + 2), name)

    def _visible(self, times: np.ndarray, start: float, spp: float, w: float) -> np.ndarray:
        lo, hi = np.searchsorted(times, [start - spp, start + (w + 1) * spp])
        return np.arange(lo, hi)

    def _paint_beats(self, p: QPainter, area: QRectF, start: float, spp: float) -> None:
        idx = self._visible(self._beats, start, spp, area.width())
        if idx.size == 0:
            return
        step = 1
        if idx.size > 1:
            spacing = float(np.median(np.diff(self._beats[idx]))) / spp
            while spacing * step < 6 and step < 1 << 20:
                step *= 2
        xs = np.round((self._beats[idx[idx % step == 0]] - start) / spp).tolist()
        p.setPen(QPen(BEAT_COLOR, 1))
        p.drawLines([QLineF(x, area.top(), x, area.bottom()) for x in xs])

    def _paint_sections(self, p: QPainter, area: QRectF, start: float, spp: float) -> None:
        idx = self._visible(self._sections, start, spp, area.width())
        if idx.size == 0:
            return
        xs = ((self._sections[idx] - start) / spp).tolist()
        p.setPen(QPen(SECTION_COLOR, 2))
        p.drawLines([QLineF(x, area.top() - 6, x, area.bottom()) for x in xs])

    def _paint_energy(self, p: QPainter, area: QRectF, start: float, spp: float) -> None:
        n = self._energy.size
        peak = float(np.max(np.abs(self._energy))) if n else 0.0
        if n < 2 or peak <= 0:
            return
        i0 = max(0, math.floor(start / self._hop) - 1)
        i1 = min(n, math.ceil((start + area.width() * spp) / self._hop) + 2)
        idx = np.arange(i0, i1)
        if idx.size > 2 * area.width():
            idx = idx[:: math.ceil(idx.size / (2 * area.width()))]
        if idx.size < 2:
            return
        xs = (idx * self._hop - start) / spp
        ys = area.bottom() - 4 - np.clip(self._energy[idx] / peak, 0, 1) * (area.height() - 12)
        points = [QPointF(x, y) for x, y in zip(xs.tolist(), ys.tolist())]
        fill = QColor(ENERGY_COLOR)
        fill.setAlpha(28)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawPolygon(QPolygonF([QPointF(xs[0], area.bottom()), *points,
                                 QPointF(xs[-1], area.bottom())]))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(ENERGY_COLOR, 2))
        p.drawPolyline(QPolygonF(points))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_ruler(self, p: QPainter, w: int, ruler_h: int, start: float, spp: float) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        p.fillRect(QRectF(0, 0, w, ruler_h), pal.color(QPalette.ColorRole.Window))
        p.setPen(pal.color(QPalette.ColorRole.Mid))
        p.drawLine(0, ruler_h - 1, w, ruler_h - 1)
        fm = p.fontMetrics()
        min_px = fm.horizontalAdvance("0:00:00.00") + 12
        major, div = next(((m, d) for m, d in _TICKS if m / spp >= min_px), _TICKS[-1])
        minor = major / div
        end = min(self.duration, start + w * spp)
        ticks = np.arange(math.ceil(start / minor - 1e-9), math.floor(end / minor + 1e-9) + 1)
        faint = QColor(text)
        faint.setAlpha(90)
        lines = {True: [], False: []}
        for k in ticks.tolist():
            x = round((k * minor - start) / spp)
            is_major = k % div == 0
            lines[is_major].append(QLineF(x, ruler_h - (9 if is_major else 4), x, ruler_h - 1))
            if is_major:
                p.setPen(text)
                p.drawText(QPointF(x + 3, fm.ascent() + 2),
                           format_time(k * minor, precise=major < 1))
        p.setPen(faint)
        p.drawLines(lines[False])
        p.setPen(text)
        p.drawLines(lines[True])
