"""macOS "Open With" (#21): Finder hands a file to the app as an Apple event, which Qt turns into
a ``QFileOpenEvent`` posted to the application; the window opens that track as ``--open`` does.
Posted here to the application instance offscreen, as Qt's Cocoa plugin posts it."""

from __future__ import annotations

import textwrap

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from albumstudio.app import file_open_handler
from tests.support import synth
from tests.support.fresh_window import run_window_script


def test_a_file_open_event_opens_the_track(window, qtbot, tmp_path):
    track = synth.write(tmp_path / "Open With.wav", synth.tone(1.0, sr=8000, channels=1), 8000)
    app = QApplication.instance()
    handler = file_open_handler(window.open_path)
    app.installEventFilter(handler)
    try:
        with qtbot.waitSignal(window.session.loaded, timeout=30000):
            QCoreApplication.postEvent(app, QFileOpenEvent(str(track)))
        assert window.session.path == str(track)
        assert window.windowTitle().startswith("Open With.wav")
    finally:
        app.removeEventFilter(handler)


def test_a_remote_url_is_left_alone(window, qtbot):
    app = QApplication.instance()
    opened: list[str] = []
    handler = file_open_handler(opened.append)
    app.installEventFilter(handler)
    try:
        QCoreApplication.postEvent(app, QFileOpenEvent(QUrl("https://example.org/song.mp3")))
        qtbot.wait(100)
        assert opened == []
        assert window.session.path is None
    finally:
        app.removeEventFilter(handler)


def test_the_window_started_by_run_gui_opens_a_file_open_event(tmp_path):
    """The whole start-up path (``albumstudio`` with no arguments): the event reaches the
    filter ``run_gui`` installs, in a fresh process."""
    track = synth.write(tmp_path / "Finder.wav", synth.tone(1.0, sr=8000, channels=1), 8000)
    script = textwrap.dedent("""
        import json, sys
        from PySide6.QtCore import QCoreApplication, QTimer
        from PySide6.QtGui import QFileOpenEvent
        from PySide6.QtWidgets import QApplication
        from albumstudio.app import run_gui
        from albumstudio.ui.main_window import MainWindow

        track = sys.argv[1]
        app = QApplication(sys.argv[:1])
        QTimer.singleShot(0, lambda: QCoreApplication.postEvent(app, QFileOpenEvent(track)))
        seen = {}

        def check():
            windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
            if windows and windows[0].session.path == track:
                seen["title"] = windows[0].windowTitle()
                app.quit()

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(50)
        QTimer.singleShot(60000, app.quit)
        run_gui()
        print(json.dumps(seen))
    """)
    seen = run_window_script(script, track, tmp_path / "home")
    assert seen.get("title", "").startswith("Finder.wav")
