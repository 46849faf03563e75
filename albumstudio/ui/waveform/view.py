"""WaveformView: a zoomable peak display with a time ruler, playhead, selection and overlays.

The view owns only view state (zoom, scroll, a drag in progress); the track, playhead,
selection and overlays are pushed in by whoever binds it, and user intent goes out by signal.
Everything but the playhead is painted into a cached layer, so playback redraws are cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
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
from albumstudio.core.text import format_time

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
# (major tick seconds, minor ticks per major)
_TICKS = ((0.01, 5), (0.02, 4), (0.05, 5), (0.1, 5), (0.2, 4), (0.5, 5), (1, 5), (2, 4),
          (5, 5), (10, 5), (15, 3), (30, 6), (60, 4), (120, 4), (300, 5), (600, 5),
          (900, 3), (1800, 6), (3600, 4), (7200, 4))


def _premultiplied(color: QColor) -> int:
    a = color.alpha()
    r, g, b = (c * a // 255 for c in (color.red(), color.green(), color.blue()))
    return (a << 24) | (r << 16) | (g << 8) | b


def _times(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, np.float64).ravel()
    return np.sort(arr[np.isfinite(arr)])


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
        self._beats = self._energy = self._sections = np.empty(0)
        self._hop = 0.5
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
        self._beats, self._sections = _times(beat_times), _times(section_times)
        self._energy = np.nan_to_num(np.asarray(energy_curve, np.float64).ravel())
        self._hop = float(curve_hop_s) if curve_hop_s > 0 else 0.5
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
        top = self.ruler_height()
        if n == 0 or h - top < 2 * n:
            return []
        lane_h = (h - top - LANE_GAP * (n - 1)) / n
        return [QRectF(0, top + i * (lane_h + LANE_GAP), w, lane_h) for i in range(n)]

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
        if end_x < w:
            p.fillRect(QRectF(end_x, area.top(), w, area.height()),
                       pal.color(QPalette.ColorRole.Window))
        for lane in lanes[1:]:
            p.fillRect(QRectF(0, lane.top() - LANE_GAP, w, LANE_GAP),
                       pal.color(QPalette.ColorRole.Window))
        done_x = max(0.0, (self._peaks.frames_done / self._peaks.sample_rate - start) / spp)
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
        energy = self._energy_points(area, start, spp) if self._overlays_visible else None
        buf = self._raster(lanes, area, start, spp, dpr, energy)
        raster = QImage(buf.data, buf.shape[1], buf.shape[0], buf.shape[1] * 4,
                        QImage.Format.Format_ARGB32_Premultiplied)
        p.drawImage(area, raster)
        if len(lanes) > 1:
            names = ["L", "R"] if len(lanes) == 2 else [str(i + 1) for i in range(len(lanes))]
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            for name, lane in zip(names, lanes, strict=False):
                p.drawText(QPointF(lane.left() + 5, lane.top() + p.fontMetrics().ascent() + 1), name)
        if energy is not None and energy[0].size > 1:
            xy = np.column_stack(energy).tolist()
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(QPen(ENERGY_COLOR, 2))
            p.drawLines([QLineF(*a, *b) for a, b in zip(xy, xy[1:], strict=False)])
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if sel is not None:
            p.setPen(QPen(PLAYHEAD_COLOR, 0))
            p.drawLines([QLineF(x, area.top(), x, area.bottom()) for x in (x0, x1)])
        self._paint_ruler(p, w, ruler_h, start, spp)
        marks = self._visible(self._sections, start, spp, w) if self._overlays_visible else []
        if len(marks):
            p.setPen(QPen(SECTION_COLOR, 2))
            p.drawLines([QLineF(x, area.top() - 5, x, area.bottom()) for x in marks.tolist()])
        p.end()
        return image

    def _visible(self, times: np.ndarray, start: float, spp: float, w: float) -> np.ndarray:
        lo, hi = np.searchsorted(times, [start - spp, start + (w + 1) * spp])
        return (times[lo:hi] - start) / spp

    def _raster(self, lanes: list[QRectF], area: QRectF, start: float, spp: float, dpr: float,
                energy: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        """Min/max envelope, RMS band, beat grid and energy fill as premultiplied ARGB pixels."""
        pk = self._peaks
        assert pk is not None
        pw, ph = max(1, round(area.width() * dpr)), max(1, round(area.height() * dpr))
        mins, maxs, rms = pk.columns(start * pk.sample_rate, spp * pk.sample_rate / dpr, pw)
        buf = np.zeros((ph, pw), np.uint32)
        wave, core = _premultiplied(WAVE_COLOR), _premultiplied(RMS_COLOR)
        for ch, lane in enumerate(lanes):
            top = round((lane.top() - area.top()) * dpr)
            bottom = min(ph, round((lane.bottom() - area.top()) * dpr))
            half, cy = (bottom - top) / 2 * 0.92, (top + bottom) / 2
            valid = ~np.isnan(maxs[ch])
            hi = np.clip(np.nan_to_num(maxs[ch]), -1, 1)
            lo = np.clip(np.nan_to_num(mins[ch]), -1, 1)
            r = np.clip(np.nan_to_num(rms[ch]), 0, 1)
            rows = np.arange(top, bottom, dtype=np.float64)[:, None]
            env = (rows >= np.floor(cy - hi * half)) & (rows <= np.ceil(cy - lo * half)) & valid
            band = env & (rows >= np.floor(cy - r * half)) & (rows <= np.ceil(cy + r * half))
            buf[top:bottom] = np.where(band, core, np.where(env, wave, 0))
        if self._overlays_visible and self._beats.size:
            xs = self._visible(self._beats, start, spp, area.width())
            spacing, step = float(np.median(np.diff(xs))) if xs.size > 1 else 1e9, 1
            while spacing * step < 6 and step < xs.size:
                step *= 2
            first = int(np.searchsorted(self._beats, start - spp))
            cols = np.round(xs[(np.arange(xs.size) + first) % step == 0] * dpr).astype(np.int64)
            cols = cols[(cols >= 0) & (cols < pw)]
            beat_px = buf[:, cols]
            beat_px[beat_px == 0] = _premultiplied(BEAT_COLOR)
            buf[:, cols] = beat_px
        if energy is not None:
            cols = (np.arange(pw) + 0.5) / dpr
            inside = (cols >= energy[0][0]) & (cols <= energy[0][-1])
            curve = (np.interp(cols, *energy) - area.top()) * dpr
            rows = np.arange(ph, dtype=np.float64)[:, None]
            buf[(rows >= curve) & inside & (buf == 0)] = _premultiplied(ENERGY_FILL)
        return buf

    def _energy_points(self, area: QRectF, start: float,
                       spp: float) -> tuple[np.ndarray, np.ndarray] | None:
        n = self._energy.size
        peak = float(np.max(np.abs(self._energy))) if n else 0.0
        i0 = max(0, math.floor(start / self._hop) - 1)
        i1 = min(n, math.ceil((start + area.width() * spp) / self._hop) + 2)
        if peak <= 0 or i1 - i0 < 2:
            return None
        xs = (np.arange(i0, i1) * self._hop - start) / spp
        values = np.clip(self._energy[i0:i1] / peak, 0, 1)
        if xs.size > area.width() / 3:
            _, first = np.unique(np.floor(xs / 3), return_index=True)
            xs, values = xs[first], np.maximum.reduceat(values, first)
        return xs, area.bottom() - 4 - values * (area.height() - 12)

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
        major, div = next(((m, d) for m, d in _TICKS if m / spp >= min_px), _TICKS[-1])
        minor = major / div
        end = min(self.duration, start + w * spp)
        first = math.ceil(start / minor - 1e-9)
        ticks = range(first, math.floor(end / minor + 1e-9) + 1)
        lines: dict[bool, list[QLineF]] = {True: [], False: []}
        p.setPen(text)
        for k in ticks:
            x = round((k * minor - start) / spp) + 0.5
            is_major = k % div == 0
            lines[is_major].append(QLineF(x, ruler_h - (8 if is_major else 4), x, ruler_h - 1))
            if is_major:
                p.drawText(QPointF(x + 3, fm.ascent() + 3), format_time(k * minor, major < 1))
        p.setPen(QPen(faint, 0))
        p.drawLines(lines[False])
        p.setPen(QPen(text, 0))
        p.drawLines(lines[True])

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
