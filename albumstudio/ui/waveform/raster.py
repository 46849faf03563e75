"""Pure numpy rasterising for WaveformView: envelope pixels, overlays and ruler ticks.

Nothing here knows Qt or widget state. Times are seconds, x and y are widget (logical)
pixels with ``start`` at x = 0 and ``spp`` seconds per pixel; the pixel buffers are
premultiplied ARGB32 ``uint32`` rows in device pixels (``dpr`` per logical pixel).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from albumstudio.core.peaks import PeakPyramid
from albumstudio.core.text import format_time

# (major tick seconds, minor ticks per major)
TICK_STEPS = ((0.01, 5), (0.02, 4), (0.05, 5), (0.1, 5), (0.2, 4), (0.5, 5), (1, 5), (2, 4),
              (5, 5), (10, 5), (15, 3), (30, 6), (60, 4), (120, 4), (300, 5), (600, 5),
              (900, 3), (1800, 6), (3600, 4), (7200, 4))

Curve = tuple[np.ndarray, np.ndarray]
Box = tuple[float, float, float]  # (top, width, height) of the wave area


class Tick(NamedTuple):
    """One ruler tick: its x, whether it is a major tick, and the label of a major one."""

    x: float
    is_major: bool
    label: str


class Overlays(NamedTuple):
    """Beat and section times (sorted, finite) and an energy curve, value i at ``i * hop`` s."""

    beats: np.ndarray
    energy: np.ndarray
    hop: float
    sections: np.ndarray


class WaveColors(NamedTuple):
    """Premultiplied ARGB32 values for the rasterised layers."""

    wave: int
    rms: int
    beat: int
    energy_fill: int


def premultiplied(red: int, green: int, blue: int, alpha: int = 255) -> int:
    """An 8-bit RGBA colour as one premultiplied ARGB32 value."""
    r, g, b = (c * alpha // 255 for c in (red, green, blue))
    return (alpha << 24) | (r << 16) | (g << 8) | b


def sorted_times(values: Sequence[float]) -> np.ndarray:
    """The finite values as a sorted float64 array."""
    arr = np.asarray(values, np.float64).ravel()
    return np.sort(arr[np.isfinite(arr)])


def overlays(beat_times: Sequence[float] = (), energy_curve: Sequence[float] = (),
             hop: float = 0.5, section_times: Sequence[float] = ()) -> Overlays:
    """Overlay data cleaned for drawing: NaN energy becomes 0, a hop that is not > 0 is 0.5."""
    return Overlays(sorted_times(beat_times),
                    np.nan_to_num(np.asarray(energy_curve, np.float64).ravel()),
                    float(hop) if hop > 0 else 0.5, sorted_times(section_times))


def visible_x(times: np.ndarray, start: float, spp: float, width: float) -> np.ndarray:
    """The x of each sorted time that falls within (or a pixel beyond) a view ``width`` wide."""
    lo, hi = np.searchsorted(times, [start - spp, start + (width + 1) * spp])
    return (times[lo:hi] - start) / spp


def lane_spans(n: int, top: float, bottom: float, gap: float) -> list[tuple[float, float]]:
    """(top, height) of ``n`` equal lanes ``gap`` apart filling ``top`` to ``bottom``; none
    when there are no lanes or less than 2 pixels for each."""
    if n == 0 or bottom - top < 2 * n:
        return []
    lane_h = (bottom - top - gap * (n - 1)) / n
    return [(top + i * (lane_h + gap), lane_h) for i in range(n)]


def lane_labels(n: int) -> list[str]:
    """Names drawn in ``n`` channel lanes: none for one lane, L and R for two, else numbers."""
    if n < 2:
        return []
    return ["L", "R"] if n == 2 else [str(i + 1) for i in range(n)]


def energy_points(energy: np.ndarray, hop: float, start: float, spp: float,
                  area: Box) -> Curve | None:
    """(xs, ys) of the peak-normalised energy curve over the visible range, thinned to about
    one point per 3 pixels; None when there is nothing to draw."""
    area_top, area_width, area_height = area
    n = energy.size
    peak = float(np.max(np.abs(energy))) if n else 0.0
    i0 = max(0, math.floor(start / hop) - 1)
    i1 = min(n, math.ceil((start + area_width * spp) / hop) + 2)
    if peak <= 0 or i1 - i0 < 2:
        return None
    xs = (np.arange(i0, i1) * hop - start) / spp
    values = np.clip(energy[i0:i1] / peak, 0, 1)
    if xs.size > area_width / 3:
        _, first = np.unique(np.floor(xs / 3), return_index=True)
        xs, values = xs[first], np.maximum.reduceat(values, first)
    return xs, (area_top + area_height) - 4 - values * (area_height - 12)


def segments(curve: Curve) -> list[tuple[float, float, float, float]]:
    """Consecutive points of a curve as (x0, y0, x1, y1) line segments."""
    xy = np.column_stack(curve).tolist()
    return [(*a, *b) for a, b in zip(xy, xy[1:], strict=False)]


def _draw_envelopes(buf: np.ndarray, columns: tuple[np.ndarray, np.ndarray, np.ndarray],
                    lane_rows: Sequence[tuple[int, int]], wave: int, core: int) -> None:
    mins, maxs, rms = columns
    for ch, (top, bottom) in enumerate(lane_rows):
        half, cy = (bottom - top) / 2 * 0.92, (top + bottom) / 2
        valid = ~np.isnan(maxs[ch])
        hi = np.clip(np.nan_to_num(maxs[ch]), -1, 1)
        lo = np.clip(np.nan_to_num(mins[ch]), -1, 1)
        r = np.clip(np.nan_to_num(rms[ch]), 0, 1)
        rows = np.arange(top, bottom, dtype=np.float64)[:, None]
        env = (rows >= np.floor(cy - hi * half)) & (rows <= np.ceil(cy - lo * half)) & valid
        band = env & (rows >= np.floor(cy - r * half)) & (rows <= np.ceil(cy + r * half))
        buf[top:bottom] = np.where(band, core, np.where(env, wave, 0))


def _draw_beat_grid(buf: np.ndarray, beats: np.ndarray, start: float, spp: float,
                    width: float, dpr: float, color: int) -> None:
    xs = visible_x(beats, start, spp, width)
    spacing, step = float(np.median(np.diff(xs))) if xs.size > 1 else 1e9, 1
    while spacing * step < 6 and step < xs.size:
        step *= 2
    first = int(np.searchsorted(beats, start - spp))
    cols = np.round(xs[(np.arange(xs.size) + first) % step == 0] * dpr).astype(np.int64)
    cols = cols[(cols >= 0) & (cols < buf.shape[1])]
    beat_px = buf[:, cols]
    beat_px[beat_px == 0] = color
    buf[:, cols] = beat_px


def _fill_under_curve(buf: np.ndarray, curve: Curve, area_top: float, dpr: float,
                      color: int) -> None:
    ph, pw = buf.shape
    cols = (np.arange(pw) + 0.5) / dpr
    inside = (cols >= curve[0][0]) & (cols <= curve[0][-1])
    ys = (np.interp(cols, *curve) - area_top) * dpr
    rows = np.arange(ph, dtype=np.float64)[:, None]
    buf[(rows >= ys) & inside & (buf == 0)] = color


def wave_pixels(pyramid: PeakPyramid, lanes: Sequence[tuple[float, float]],
                area: Box, start: float, spp: float, dpr: float,
                colors: WaveColors, beats: np.ndarray | None = None,
                energy: Curve | None = None) -> np.ndarray:
    """Min/max envelope, RMS band, beat grid and energy fill as premultiplied ARGB pixels.

    ``lanes`` are (top, bottom) of each channel lane and ``area`` is (top, width, height)
    of the wave area, all in widget pixels; the result is (height, width) * ``dpr`` pixels.
    """
    area_top, area_w, area_h = area
    pw, ph = max(1, round(area_w * dpr)), max(1, round(area_h * dpr))
    sr = pyramid.sample_rate
    columns = pyramid.columns(start * sr, spp * sr / dpr, pw)
    buf = np.zeros((ph, pw), np.uint32)
    lane_rows = [(round((top - area_top) * dpr), min(ph, round((bottom - area_top) * dpr)))
                 for top, bottom in lanes]
    _draw_envelopes(buf, columns, lane_rows, colors.wave, colors.rms)
    if beats is not None and beats.size:
        _draw_beat_grid(buf, beats, start, spp, area_w, dpr, colors.beat)
    if energy is not None:
        _fill_under_curve(buf, energy, area_top, dpr, colors.energy_fill)
    return buf


def ruler_ticks(start: float, spp: float, width: float, duration: float,
                min_label_px: float) -> list[Tick]:
    """Ticks from ``start`` to the end of the view or track, majors at least
    ``min_label_px`` apart and labelled (with hundredths when under a second apart)."""
    major, div = next(((m, d) for m, d in TICK_STEPS if m / spp >= min_label_px),
                      TICK_STEPS[-1])
    minor = major / div
    end = min(duration, start + width * spp)
    first = math.ceil(start / minor - 1e-9)
    ticks = []
    for k in range(first, math.floor(end / minor + 1e-9) + 1):
        is_major = k % div == 0
        label = format_time(k * minor, major < 1) if is_major else ""
        ticks.append(Tick(round((k * minor - start) / spp) + 0.5, is_major, label))
    return ticks
