"""The main window driven as a person would: drop a track, see it, click it, read it."""

import os

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThread, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from albumstudio.store.paths import default_paths
from albumstudio.ui.main_window import MainWindow
from tests.support import synth


def drop(widget, paths, pos=(300, 400)):
    """Drag enter + drop through the window, as the platform delivers a file-manager drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    window = widget.windowHandle()
    enter = QDragEnterEvent(QPoint(*pos), Qt.DropAction.CopyAction, mime, buttons, mods)
    assert QApplication.sendEvent(window, enter)
    QApplication.sendEvent(window, QDropEvent(QPointF(*pos), Qt.DropAction.CopyAction, mime,
                                              buttons, mods))


def test_dropped_track_is_shown_clicked_and_described(window, qtbot, tmp_path):
    track = synth.write(tmp_path / "demo.wav", synth.music(12.0, sr=22050, bpm=120), 22050)
    main_thread = QThread.currentThread()
    seen_threads = []
    window.session.peaks_changed.connect(lambda _p: seen_threads.append(QThread.currentThread()))
    with qtbot.waitSignal(window.session.analysed, timeout=90000):
        drop(window, [track])
    assert all(t == main_thread for t in seen_threads)
    view = window.waveform.view
    assert view.pyramid is not None and view.pyramid.complete
    tempo = window.analysis_panel.values["tempo"].text()
    assert tempo.endswith("beats)")
    shown = window.session.understood_analysis()
    assert shown is not None and tempo.startswith(f"{shown.tempo_bpm:.1f} BPM")
    if shown.tempo_alternative_bpm:  # the other octave, as `albumstudio analyze` prints it
        assert f", or {shown.tempo_alternative_bpm:.0f} " in tempo
    assert f"{shown.tempo_bpm:.0f} BPM" in window.session.description  # the same tempo
    assert window.analysis_panel.description.toPlainText() == window.session.description
    assert window.windowTitle().startswith("demo.wav")
    qtbot.waitUntil(lambda: window.session.music_tags is not None, timeout=60000)
    assert window.session.music_tags.model == "MTT_musicnn"
    assert len(window.session.music_tags.taggram) == 4  # 12 s in 3-second patches
    assert window.taggram.shown_tags()

    image = view.grab().toImage()
    lane_y = int(view.lane_rects()[0].center().y())
    coloured = sum(1 for x in range(0, image.width(), 7)
                   if image.pixelColor(x, lane_y).blue() > 150)
    assert coloured > 10, "the waveform should be painted"

    x = view.width() // 2
    with qtbot.waitSignal(view.seek_requested, timeout=2000) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(x, lane_y))
    assert window.player.position == pytest.approx(blocker.args[0], abs=0.05)
    assert 0 < window.player.position < 12.0

    assert os.path.abspath(str(track)) in window.settings.recent_tracks


def test_description_edit_survives_and_resets(window, qtbot, tmp_path):
    track = synth.write(tmp_path / "t.wav", synth.music(6.0, sr=22050), 22050)
    with qtbot.waitSignal(window.session.analysed, timeout=90000):
        window.open_path(str(track))
    qtbot.waitUntil(lambda: window.session.music_tags is not None, timeout=60000)
    generated = window.session.description
    window.analysis_panel.description.setPlainText("my own words")
    qtbot.waitUntil(lambda: window.session.description == "my own words", timeout=3000)
    assert window.analysis_panel.reset_button.isEnabled()
    window.analysis_panel.reset_button.click()
    assert window.session.description == generated


def test_dropping_a_folder_says_so(window, tmp_path):
    folder = tmp_path / "album"
    folder.mkdir()
    drop(window, [folder])
    assert window.banner.isVisible()
    assert "is a folder" in window.banner.text()


def test_dropping_200_files_opens_the_first_track(window, qtbot, tmp_path):
    files = []
    for i in range(200):
        p = tmp_path / f"note{i:03d}.txt"
        p.write_text("x")
        files.append(p)
    track = synth.write(tmp_path / "z.wav", synth.tone(1.0, sr=8000, channels=1), 8000)
    files.insert(150, track)
    with qtbot.waitSignal(window.session.loaded, timeout=30000):
        drop(window, files)
    assert window.session.path == str(track)
    assert "201 items were dropped" in window.banner.text()


def test_empty_file_error_in_window(window, qtbot, tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with qtbot.waitSignal(window.session.error, timeout=10000) as blocker:
        drop(window, [empty])
    message = str(blocker.args[0])
    assert "empty" in message and "\n" not in message
    qtbot.waitUntil(window.banner.isVisible, timeout=2000)
    assert window.banner.text() == message


def test_transport_disabled_with_reason_without_device(window, qtbot, monkeypatch, tmp_path):
    from albumstudio.audio import player as player_mod

    monkeypatch.setattr(player_mod.AudioOutput, "check_available",
                        staticmethod(lambda: (False, "Playback is off: no audio output device was found.")))
    window.player.device_ok = None
    window.player.check_device()
    qtbot.waitUntil(lambda: window.player.device_ok is not None, timeout=5000)
    track = synth.write(tmp_path / "t.wav", synth.tone(1.0, sr=8000, channels=1), 8000)
    with qtbot.waitSignal(window.session.loaded, timeout=30000):
        window.open_path(str(track))
    assert not window.transport.play_button.isEnabled()
    assert "no audio output device" in window.transport.play_button.toolTip()
    for action in (window.play_action, window.stop_action, window.loop_action):
        assert not action.isEnabled()
        assert action.toolTip() == window.transport.play_button.toolTip()
    qtbot.waitUntil(lambda: window.transport.time_label.text().endswith("/ 0:01.00"),
                    timeout=5000)  # the track's length shows although nothing can play
    window.player.toggle()  # Space with no device: nothing happens, nothing crashes


def test_geometry_is_remembered(qtbot):
    paths = default_paths().ensure()
    first = MainWindow(paths)
    qtbot.addWidget(first)
    first.resize(760, 520)
    first.show()
    first.close()
    second = MainWindow(paths)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (760, 520)
    second.shutdown()


def test_shortcuts_drive_the_player_but_not_while_typing(window, qtbot, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(window.player, "toggle", lambda: calls.append("toggle"))
    # actions were bound at construction: re-bind the Space action to the patched method
    window.play_action.triggered.disconnect()
    window.play_action.triggered.connect(window.player.toggle)
    window.play_action.setEnabled(True)  # as when a track can play
    window.waveform.view.setFocus()
    qtbot.keyClick(window.waveform.view, Qt.Key.Key_Space)
    assert calls == ["toggle"]
    window.tabs.setCurrentIndex(0)
    editor = window.analysis_panel.description
    editor.setFocus()
    qtbot.keyClicks(editor, "a b")
    assert editor.toPlainText() == "a b" and calls == ["toggle"]

    track = synth.write(tmp_path / "t.wav", synth.tone(20.0, sr=8000, channels=1), 8000)
    with qtbot.waitSignal(window.session.loaded, timeout=30000):
        window.open_path(str(track))
    window.waveform.view.setFocus()
    qtbot.keyClick(window.waveform.view, Qt.Key.Key_End)
    assert window.player.position == pytest.approx(20.0)
    qtbot.keyClick(window.waveform.view, Qt.Key.Key_Home)
    assert window.player.position == 0.0
    before = window.waveform.view.seconds_per_pixel
    qtbot.keyClick(window.waveform.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.waveform.view.seconds_per_pixel < before


def test_transport_plays_through_a_fake_device(window, qtbot, monkeypatch, tmp_path):
    """The controller's wiring with a stand-in output: play, the callback renders, seek, loop."""
    import numpy as np

    from albumstudio.audio import player as player_mod

    class FakeOutput:
        def __init__(self, engine):
            self.engine, self.started, self.closed = engine, 0, False

        def start(self):
            self.started += 1

        def close(self):
            self.closed = True

    monkeypatch.setattr(player_mod, "AudioOutput", type("AO", (FakeOutput,), {
        "check_available": staticmethod(lambda: (True, "")),
        "device_rate": staticmethod(lambda: 48000)}))
    window.player.device_ok = None
    track = synth.write(tmp_path / "t.wav", synth.tone(4.0, sr=44100, channels=2), 44100)
    window.open_path(str(track))
    qtbot.waitUntil(lambda: window.player.engine is not None, timeout=30000)
    assert window.transport.play_button.isEnabled()
    window.player.seek(1.0)
    window.player.toggle()
    assert window.player.output.started == 1 and window.player.engine.playing
    out = np.zeros((4800, 2), np.float32)
    window.player.engine.fill(out)  # what PortAudio's callback would do
    assert np.abs(out).max() > 0.1
    assert window.player.engine.position_seconds == pytest.approx(1.1, abs=0.01)
    qtbot.waitUntil(lambda: window.player.position > 1.05, timeout=2000)  # the playhead polls
    window.waveform.view.set_selection(2.0, 2.5)
    window.player.set_selection(2.0, 2.5)
    window.transport.loop_button.setChecked(True)
    for _ in range(20):
        window.player.engine.fill(out)
    assert 2.0 <= window.player.engine.position_seconds < 2.5
    window.player.toggle()
    assert not window.player.engine.playing
    output = window.player.output
    window.shutdown()
    assert output.closed


def test_edits_come_back_when_the_track_is_reopened(qtbot, tmp_path):
    paths = default_paths().ensure()
    track = synth.write(tmp_path / "t.wav", synth.music(6.0, sr=22050), 22050)
    first = MainWindow(paths)
    qtbot.addWidget(first)
    with qtbot.waitSignal(first.session.analysed, timeout=90000):
        first.open_path(str(track))
    qtbot.waitUntil(lambda: first.session.music_tags is not None, timeout=60000)
    removed = first.session.shown_tags()[0][0]
    first.analysis_panel.tag_chips.chips[0].click()
    first.release_panel.edits["title"].setText("Night Drive")
    first.release_panel.edits["title"].editingFinished.emit()
    first.analysis_panel.description.setPlainText("my own words")
    qtbot.waitUntil(lambda: first.session.description == "my own words", timeout=3000)
    first.shutdown()

    second = MainWindow(paths)
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.session.loaded, timeout=30000):
        second.open_path(str(track))
    assert second.session.tags.title == "Night Drive"
    assert second.release_panel.edits["title"].text() == "Night Drive"
    assert removed in second.session.hidden_tags
    assert second.analysis_panel.description.toPlainText() == "my own words"
    second.analysis_panel.reset_button.click()
    assert second.session.edits.description is None
    second.shutdown()


def test_unsaveable_edits_and_failed_tagging_are_said_plainly(window, qtbot, monkeypatch, tmp_path):
    from albumstudio.audio import tagger
    from albumstudio.core.errors import InputError
    from albumstudio.store.track_edits import TrackEditsStore

    def no_tags(*_args, **_kwargs):
        raise InputError("The music tagger could not read 't.wav'.")

    monkeypatch.setattr(tagger, "tag_file", no_tags)
    monkeypatch.setattr(tagger.TagStream, "run", no_tags)  # the tags made during the analysis
    track = synth.write(tmp_path / "t.wav", synth.music(4.0, sr=22050), 22050)
    with qtbot.waitSignal(window.session.tagging_status, timeout=90000,
                          check_params_cb=lambda text: "unavailable" in text) as blocker:
        window.open_path(str(track))
    assert blocker.args[0] == "Music tags are unavailable: The music tagger could not read 't.wav'."
    assert window.taggram.message == blocker.args[0]

    def disk_full(self, key, edits):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(TrackEditsStore, "save", disk_full)
    with qtbot.waitSignal(window.session.warning, timeout=2000) as warned:
        window.session.set_description("mine")
    assert warned.args[0].startswith("Your edits could not be saved (No space left on device)")
    assert window.session.description == "mine"
    assert window.banner.text() == warned.args[0]


def test_a_bad_file_after_a_good_track_leaves_everything_as_it_was(window, qtbot, tmp_path):
    from albumstudio.core.track import ReleaseTags

    track = synth.write(tmp_path / "good.wav", synth.music(8.0, sr=22050, bpm=120), 22050)
    session = window.session
    with qtbot.waitSignal(session.music_tags_changed, timeout=90000,
                          check_params_cb=lambda result: result is not None):
        drop(window, [track])
    session.set_tags(ReleaseTags(title="Typed Title", artist="Typed Artist"))
    window.player.seek(3.0)
    before = (session.path, session.info, session.analysis, session.music_tags, session.tags,
              session.description, window.windowTitle(), window.player.position)
    fake = tmp_path / "fake.mp3"
    fake.write_text("this is a shopping list, not a song\n" * 20)
    with qtbot.waitSignal(session.error, timeout=10000) as failed:
        drop(window, [fake])
    qtbot.wait(200)  # nothing else arrives later
    assert "fake.mp3" in str(failed.args[0])
    assert window.banner.isVisible() and window.banner.action.text() == "Choose another track…"
    after = (session.path, session.info, session.analysis, session.music_tags, session.tags,
             session.description, window.windowTitle(), window.player.position)
    assert after == before
    assert window.release_panel.isEnabled()
    assert "Reading fake.mp3" not in window.status_label.text()
    assert window.taggram.shown_tags()


def test_the_edit_menu_undoes_and_redoes_in_the_focused_field(window, qtbot):
    field = window.cover_panel.style_edit
    field.setFocus()
    qtbot.keyClicks(field, "neon rain")
    assert field.text() == "neon rain"
    menu_texts = [a.text() for a in window.menuBar().actions()]
    assert "&Edit" in menu_texts
    window.edit_actions["undo"].trigger()  # as from the menu, with the field still focused
    assert field.text() == ""
    window.edit_actions["redo"].trigger()
    assert field.text() == "neon rain"
    window.edit_actions["selectAll"].trigger()
    window.edit_actions["cut"].trigger()
    assert field.text() == ""
    window.edit_actions["paste"].trigger()
    assert field.text() == "neon rain"
    qtbot.keyClick(field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the usual key
    assert field.text() != "neon rain"


def test_the_tempo_figure_names_the_other_octave_and_no_tempo_says_so():
    from dataclasses import replace

    from albumstudio.core.analysis import AnalysisResult
    from albumstudio.ui.panels.analysis_panel import analysis_figures

    base = AnalysisResult(duration=60.0, sample_rate=44100, channels=2, loudness_lufs=-14.0,
                          true_peak_dbtp=-1.0, energy=0.5, tempo_bpm=68.0,
                          tempo_alternative_bpm=136.0, beat_times=(0.5, 1.4, 2.3), key="A",
                          mode="minor", key_confidence=0.5, energy_curve=(), brightness_hz=2000.0,
                          onset_density=1.0, novelty_curve=(), section_times=())
    assert analysis_figures(base)["tempo"] == "68.0 BPM, or 136 double-time (3 beats)"
    fast = replace(base, tempo_bpm=136.0, tempo_alternative_bpm=68.0)
    assert analysis_figures(fast)["tempo"] == "136.0 BPM, or 68 half-time (3 beats)"
    assert analysis_figures(replace(base, tempo_bpm=0.0))["tempo"] == "no steady tempo"


def test_the_window_tags_the_track_while_it_analyses_it(window, qtbot, monkeypatch, tmp_path):
    from albumstudio.audio import tagger

    runs = []
    run = tagger.TagStream.run
    tag_file = tagger.tag_file

    def counted_run(self, *args, **kwargs):
        runs.append("stream")
        return run(self, *args, **kwargs)

    def counted_file(*args, **kwargs):
        runs.append("file")
        return tag_file(*args, **kwargs)

    monkeypatch.setattr(tagger.TagStream, "run", counted_run)
    monkeypatch.setattr(tagger, "tag_file", counted_file)
    track = synth.write(tmp_path / "both.wav", synth.music(9.0, sr=22050, bpm=120), 22050)
    with qtbot.waitSignal(window.session.music_tags_changed, timeout=90000,
                          check_params_cb=lambda result: result is not None):
        window.open_path(str(track))
    qtbot.waitUntil(lambda: window.session.analysis is not None, timeout=90000)
    assert runs == ["stream"]  # one decode fed both; no second pass for the tags
    assert len(window.session.music_tags.taggram) == 3


def test_the_artist_sets_the_tempo_with_halve_double_tap_and_a_range(window, qtbot, monkeypatch,
                                                                     tmp_path):
    from PySide6.QtCore import Qt

    track = synth.write(tmp_path / "beat.wav", synth.music(12.0, sr=22050, bpm=120), 22050)
    session, panel = window.session, window.analysis_panel
    with qtbot.waitSignal(session.music_tags_changed, timeout=90000,
                          check_params_cb=lambda result: result is not None):
        window.open_path(str(track))
    qtbot.waitUntil(lambda: session.analysis is not None, timeout=90000)
    found = session.understood_analysis().tempo_bpm
    beats = len(session.understood_analysis().beat_times)
    qtbot.mouseClick(panel.halve_button, Qt.MouseButton.LeftButton)
    halved = session.understood_analysis().tempo_bpm
    assert halved == round(found / 2, 1)
    assert f"{halved:.1f} BPM" in panel.values["tempo"].text()
    assert len(window.waveform.view._overlays.beats) < beats  # the grid on the waveform follows
    assert f"{halved:.0f} BPM" in session.description
    qtbot.mouseClick(panel.double_button, Qt.MouseButton.LeftButton)
    assert abs(session.understood_analysis().tempo_bpm - found) < 0.2

    clock = iter([100.0, 100.6, 101.2, 101.8])  # 100 BPM taps
    monkeypatch.setattr(panel, "clock", lambda: next(clock))
    for _ in range(4):
        qtbot.mouseClick(panel.tap_button, Qt.MouseButton.LeftButton)
    assert session.tempo_edit == 100.0 and "100.0 BPM" in panel.values["tempo"].text()
    assert window.session.tracks.edits(session.info.content_hash).tempo_bpm == 100.0  # kept
    qtbot.mouseClick(panel.tempo_reset, Qt.MouseButton.LeftButton)
    assert session.tempo_edit is None

    index = panel.range_box.findText("60–120 BPM")
    panel.range_box.setCurrentIndex(index)
    panel.range_box.activated.emit(index)
    shown = session.understood_analysis().tempo_bpm
    assert 60.0 <= shown <= 120.0
    assert session.tracks.edits(session.info.content_hash).bpm_range == (60.0, 120.0)
