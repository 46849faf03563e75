"""The Clip tab, driven offscreen: Propose selects the chorus on the waveform, dragging moves
the clip, Audition loops it, Export… writes in the background, Cancel leaves nothing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from albumstudio.export.audio_export import read_back
from tests.support import synth
from tests.support.clip_song import CHORUS_STARTS, song
from tests.ui.conftest import window  # noqa: F401  (the main window, offscreen)


@pytest.fixture
def opened(window, qtbot, tmp_path):  # noqa: F811
    track = synth.write(tmp_path / "song.flac", song(22050), 22050)
    with qtbot.waitSignal(window.session.analysed, timeout=60000):
        window.open_path(str(track))
    qtbot.waitUntil(lambda: window.waveform.view.duration > 80, timeout=10000)
    return window


def test_propose_selects_a_chorus_and_export_writes_it(opened, qtbot, tmp_path):
    panel, view = opened.clip_panel, opened.waveform.view
    tabs = opened.tabs
    assert tabs.tabText(tabs.indexOf(panel.parentWidget().parentWidget())) == "Clip"
    assert not panel.export_button.isEnabled()  # nothing selected yet
    panel.length_box.setCurrentIndex(0)  # 15 s
    with qtbot.waitSignal(panel.proposed, timeout=30000) as proposed:
        panel.propose_button.click()
    start, end = proposed.args
    assert end - start == pytest.approx(15.0)
    assert min(abs(start - c) for c in CHORUS_STARTS) < 0.15
    assert view.selection() == pytest.approx((start, end))
    assert opened.player.selection == pytest.approx((start, end))
    assert panel.export_button.isEnabled() and "15.0 s" in panel.region.text()

    qtbot.waitUntil(lambda: opened.player.device_ok is not None, timeout=10000)
    if opened.player.device_ok:
        panel.audition_button.click()  # loops the selection from its start
    else:  # no sound device (as on CI): Audition is off and says why
        assert not panel.audition_button.isEnabled()
        assert panel.audition_button.toolTip() == opened.player.device_reason
        assert opened.player.device_reason.startswith("Playback is off")
        panel.audition()  # the loop is still set up, and the panel says why nothing plays
        assert panel.status.text() == f"Cannot audition: {opened.player.reason}"
    assert opened.transport.loop_button.isChecked() and opened.player.looping
    assert opened.player.position == pytest.approx(start)

    panel.format_box.setCurrentIndex(2)  # MP3
    out = tmp_path / "hook.mp3"
    with qtbot.waitSignal(panel.exported, timeout=60000) as exported:
        panel.export(str(out))
    record, written = exported.args
    assert written == str(out) and panel.status.text().startswith("Saved hook.mp3 (15.0 s)")
    decoded, rate = read_back(out.read_bytes(), ".mp3")
    assert decoded.shape[0] == 15 * rate
    assert opened.services.history.get(record.id).kind == "clip"


def test_dragging_on_the_waveform_changes_the_clip(opened, qtbot, tmp_path):
    panel, view = opened.clip_panel, opened.waveform.view
    y = view.height() // 2
    x0, x1 = int(view.x_for_time(10.0)), int(view.x_for_time(20.0))
    with qtbot.waitSignal(view.selection_changed, timeout=5000):
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(x1, y))
    start, end = panel.selection
    assert start == pytest.approx(10.0, abs=1.0) and end == pytest.approx(20.0, abs=1.0)
    assert f"{start:.2f}–{end:.2f} s" in panel.region.text()
    out = tmp_path / "dragged.wav"
    with qtbot.waitSignal(panel.exported, timeout=60000):
        panel.export(str(out))
    decoded, rate = read_back(out.read_bytes(), ".wav")
    assert abs(decoded.shape[0] - round((end - start) * rate)) <= 1


def test_cancel_stops_a_video_and_writes_nothing(opened, qtbot, tmp_path):
    panel = opened.clip_panel
    panel.set_selection(30.0, 60.0)
    panel.video_box.setCurrentIndex(1)  # square video
    assert not panel.format_box.isEnabled()
    out = tmp_path / "post.mp4"
    panel.export(str(out))
    assert panel.cancel_button.isEnabled() and not panel.export_button.isEnabled()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=30000)
    with qtbot.waitSignal(panel.cancelled, timeout=30000):
        panel.cancel_button.click()
    assert panel.status.text() == "Cancelled; nothing was written."
    assert not out.exists() and panel.export_button.isEnabled()


def test_a_bad_output_is_one_sentence(opened, qtbot, tmp_path):
    panel = opened.clip_panel
    panel.set_selection(30.0, 45.0)
    with qtbot.waitSignal(panel.problem, timeout=30000) as failed:
        panel.export(str(tmp_path / "clip.aiff"))
    assert "not '.aiff'" in failed.args[0].message and panel.status.text().startswith("✘ ")
    assert not (tmp_path / "clip.aiff").exists()
