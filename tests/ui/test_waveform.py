"""WaveformView and WaveformPanel driven as real widgets, offscreen."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from albumstudio.core.peaks import PeakBuilder
from albumstudio.ui.waveform.panel import WaveformPanel
from albumstudio.ui.waveform.view import ENERGY_COLOR, WAVE_COLOR, WaveformView
from tests.support.synth import tone

SR = 22050
SECONDS = 8.0
WIDTH, HEIGHT = 800, 260


def _builder(seconds: float = SECONDS, channels: int = 2) -> tuple[PeakBuilder, np.ndarray]:
    data = tone(seconds, sr=SR, amp=0.8, channels=channels)
    return PeakBuilder(SR, channels, expected_frames=len(data)), data


@pytest.fixture
def pyramid():
    builder, data = _builder()
    builder.add(data)
    return builder.pyramid(complete=True)


@pytest.fixture
def view(qtbot, pyramid):
    widget = WaveformView()
    qtbot.addWidget(widget)
    widget.resize(WIDTH, HEIGHT)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_peaks(pyramid)
    return widget


def _rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), np.uint8)
    arr = raw.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()]
    return arr[:, :, [2, 1, 0]].astype(np.int16)


def _mask(image: QImage, color, tolerance: int = 24) -> np.ndarray:
    target = np.array([color.red(), color.green(), color.blue()], np.int16)
    return np.all(np.abs(_rgb(image) - target) <= tolerance, axis=2)


def _row_band(rect) -> slice:
    return slice(int(rect.top()) + 1, int(rect.bottom()) - 1)


def _wheel(widget, x: float, dy: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    pos = QPointF(x, widget.height() / 2)
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(), QPoint(0, dy),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_paints_waveform_in_every_lane_and_not_in_the_ruler(view):
    image = view.grab().toImage()
    wave = _mask(image, WAVE_COLOR)
    lanes = view.lane_rects()
    assert len(lanes) == 2
    for lane in lanes:
        assert wave[_row_band(lane)].sum() > WIDTH
    assert not wave[: view.ruler_height()].any()
    left, right = (wave[_row_band(lane)].any(axis=1).sum() for lane in lanes)
    assert left > right  # the second channel is quieter, so its envelope is shorter


def test_fits_whole_track_on_first_peaks(view, pyramid):
    assert view.pyramid is pyramid
    assert view.view_start == 0.0
    assert view.seconds_per_pixel == pytest.approx(SECONDS / WIDTH)
    assert view.visible_seconds == pytest.approx(SECONDS)


def test_click_requests_seek_at_the_time_under_the_mouse(view, qtbot):
    view.zoom_by(4.0, 5.0)
    x = 321
    with qtbot.waitSignal(view.seek_requested) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(x, HEIGHT // 2))
    expected = view.view_start + x * view.seconds_per_pixel
    assert abs(blocker.args[0] - expected) <= view.seconds_per_pixel
    assert view.selection() is None


def test_drag_selects_an_ordered_region_and_a_click_clears_it(view, qtbot):
    spp = view.seconds_per_pixel
    y = HEIGHT // 2
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(600, y))
    qtbot.mouseMove(view, QPoint(450, y))
    with qtbot.waitSignal(view.selection_changed) as blocker:
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(300, y))
    start, end = blocker.args
    assert start < end
    assert abs(start - 300 * spp) <= spp and abs(end - 600 * spp) <= spp
    assert view.selection() == pytest.approx((start, end))

    events: list[tuple] = []
    view.selection_changed.connect(lambda a, b: events.append(("selection", a, b)))
    view.seek_requested.connect(lambda t: events.append(("seek", round(t / spp))))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(100, y))
    assert events == [("selection", -1.0, -1.0), ("seek", 100)]
    assert view.selection() is None


def test_programmatic_selection_is_ordered_and_quiet(view, qtbot):
    with qtbot.assertNotEmitted(view.selection_changed):
        view.set_selection(5.0, 2.0)
        assert view.selection() == (2.0, 5.0)
        view.clear_selection()
    assert view.selection() is None


def test_ctrl_wheel_zooms_around_the_cursor(view, qtbot):
    x = 250.0
    before_spp = view.seconds_per_pixel
    anchor = view.time_at(x)
    with qtbot.waitSignal(view.view_changed):
        _wheel(view, x, 240, Qt.KeyboardModifier.ControlModifier)
    assert view.seconds_per_pixel < before_spp
    assert abs(view.time_at(x) - anchor) <= view.seconds_per_pixel
    spp = view.seconds_per_pixel
    _wheel(view, x, -120, Qt.KeyboardModifier.ControlModifier)
    assert view.seconds_per_pixel > spp
    assert abs(view.time_at(x) - anchor) <= view.seconds_per_pixel


def test_wheel_scrolls_horizontally(view, qtbot):
    view.zoom_by(8.0, 0.0)
    assert view.view_start == 0.0
    with qtbot.waitSignal(view.view_changed) as blocker:
        _wheel(view, 100, -120)
    assert view.view_start > 0.0
    assert blocker.args[0] == pytest.approx(view.view_start)
    assert blocker.args[1] == pytest.approx(view.visible_seconds)
    later = view.view_start
    _wheel(view, 100, 120)
    assert view.view_start < later


def test_zoom_limits_hold(view):
    fit = view.seconds_per_pixel
    view.zoom_out()
    assert view.seconds_per_pixel == pytest.approx(fit)
    for _ in range(30):
        view.zoom_in()
    deepest = 256 / (4 * SR)
    assert view.seconds_per_pixel == pytest.approx(deepest)
    assert view.min_seconds_per_pixel() == pytest.approx(deepest)
    view.zoom_by(1e-6, 1.0)
    assert view.seconds_per_pixel == pytest.approx(fit)
    assert view.view_start == 0.0


def test_zoom_buttons_anchor_on_a_visible_playhead(view):
    view.set_playhead(6.0)
    x = view.x_for_time(6.0)
    view.zoom_in()
    assert abs(view.x_for_time(6.0) - x) <= 1.0
    view.scroll_to(0.0)
    centre = view.view_start + view.visible_seconds / 2
    view.zoom_in()
    assert view.view_start + view.visible_seconds / 2 == pytest.approx(centre, abs=1e-6)


def test_scroll_is_clamped_to_the_track(view):
    view.zoom_by(4.0, 0.0)
    view.scroll_to(1e6)
    assert view.view_start + view.visible_seconds == pytest.approx(SECONDS)
    view.scroll_to(-5.0)
    assert view.view_start == 0.0


def test_panel_scrollbar_and_view_stay_in_sync(qtbot, pyramid):
    panel = WaveformPanel()
    qtbot.addWidget(panel)
    panel.resize(WIDTH, HEIGHT)
    panel.show()
    qtbot.waitExposed(panel)
    view, bar = panel.view, panel.scrollbar
    view.set_peaks(pyramid)
    assert bar.maximum() == 0
    view.zoom_by(4.0, 0.0)
    spp = view.seconds_per_pixel
    assert bar.maximum() == pytest.approx(SECONDS / spp - view.width(), abs=1)
    assert bar.pageStep() == view.width()

    view.scroll_to(3.0)
    assert bar.value() == round(3.0 / spp)
    bar.setValue(100)
    assert view.view_start == pytest.approx(100 * spp)
    _wheel(view, 50, -120)
    assert bar.value() == round(view.view_start / spp)
    panel.fit_button.click()
    assert bar.maximum() == 0 and view.view_start == 0.0


def test_partial_pyramid_paints_only_the_decoded_part(qtbot):
    builder, data = _builder()
    half = len(data) // 2
    builder.add(data[:half])
    partial = builder.pyramid(complete=False)
    assert not partial.complete
    widget = WaveformView()
    qtbot.addWidget(widget)
    widget.resize(WIDTH, HEIGHT)
    widget.set_peaks(partial)
    assert widget.duration == pytest.approx(SECONDS)
    wave = _mask(widget.grab().toImage(), WAVE_COLOR)
    done_x = int(widget.x_for_time(half / SR))
    assert wave[:, : done_x - 2].any(axis=0).mean() > 0.95
    assert not wave[:, done_x + 2:].any()

    widget.zoom_by(2.0, 1.0)
    spp, start = widget.seconds_per_pixel, widget.view_start
    builder.add(data[half:])
    widget.set_peaks(builder.pyramid(complete=True))
    assert (widget.seconds_per_pixel, widget.view_start) == (spp, start)

    other, other_data = _builder(seconds=3.0)
    other.add(other_data[:1000])
    widget.set_peaks(other.pyramid())  # a new track starts over, fitted
    assert widget.seconds_per_pixel == pytest.approx(3.0 / WIDTH)


def test_empty_state_after_clearing_peaks(view, qtbot):
    with qtbot.waitSignal(view.view_changed) as blocker:
        view.set_peaks(None)
    assert blocker.args == [0.0, 0.0]
    image = view.grab().toImage()
    assert not _mask(image, WAVE_COLOR).any()
    rgb = _rgb(image)
    background = rgb[2, 2]
    centre = rgb[HEIGHT // 2 - 10: HEIGHT // 2 + 10, WIDTH // 4: 3 * WIDTH // 4]
    assert np.abs(centre - background).sum(axis=2).max() > 60  # the hint text is drawn
    with qtbot.assertNotEmitted(view.seek_requested):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))


def test_overlays_draw_and_hide(view):
    view.set_overlays(beat_times=np.arange(0, SECONDS, 0.5),
                      energy_curve=np.linspace(0.1, 1.0, 16), curve_hop_s=0.5,
                      section_times=[2.0, 6.0])
    assert _mask(view.render_to_image(WIDTH, HEIGHT), ENERGY_COLOR, 12).sum() > 100
    assert _mask(view.grab().toImage(), ENERGY_COLOR, 12).sum() > 100
    view.set_overlays_visible(False)
    assert not _mask(view.grab().toImage(), ENERGY_COLOR, 12).any()
    assert _mask(view.grab().toImage(), WAVE_COLOR).any()


def test_render_to_image_at_any_zoom_and_many_channels(qtbot):
    builder, data = _builder(seconds=4.0, channels=10)
    builder.add(data)
    widget = WaveformView()
    qtbot.addWidget(widget)
    widget.resize(640, 400)
    widget.set_peaks(builder.pyramid(complete=True))
    assert len(widget.lane_rects()) == 8
    for factor in (1.0, 16.0, 1e6):
        widget.zoom_by(factor, 2.0)
        image = widget.render_to_image(1600, 300)
        assert (image.width(), image.height()) == (1600, 300)
        assert _mask(image, WAVE_COLOR).any()


def test_the_ruler_leaves_out_a_label_the_right_edge_would_cut(qtbot, pyramid):
    """Wherever the view scrolls, the last label is whole or absent, never "0:0" at the edge."""
    from albumstudio.ui.waveform import raster

    widget = WaveformView()
    qtbot.addWidget(widget)
    widget.resize(WIDTH, HEIGHT)
    widget.show()
    widget.set_peaks(pyramid)
    fm = widget.fontMetrics()
    spp = 0.004  # 3.2 s in view: a labelled tick every half second or so
    cut_views = 0
    for step in range(60):
        widget._apply_view(step * 0.011, spp, force_emit=True)
        ticks = raster.ruler_ticks(widget.view_start, widget.seconds_per_pixel, WIDTH,
                                   widget.duration, fm.horizontalAdvance("0:00:00.00") + 12)
        major = [t for t in ticks if t.is_major and t.x + 3 < WIDTH]
        last = major[-1]
        if last.x + 3 + fm.horizontalAdvance(last.label) <= WIDTH:
            continue  # whole: drawn as usual
        cut_views += 1
        image = widget.grab().toImage()
        background = image.pixelColor(WIDTH - 1, 1)
        inked = [x for x in range(int(last.x) + 3, WIDTH)
                 for y in range(2, fm.ascent() + 2) if image.pixelColor(x, y) != background]
        assert inked == [], f"a cut label was drawn at start {widget.view_start:.3f}"
    assert cut_views  # some of these views do put a label at the edge
