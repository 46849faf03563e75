"""The app started with a track (``albumstudio TRACK``, a double-click in the file manager)
still does its idle work, after the track's own jobs: here the data folder's tidying."""

from __future__ import annotations

import textwrap

from tests.support import synth
from tests.support.fresh_window import run_window_script


def test_a_window_started_with_a_track_tidies_the_data_folder_after_the_track_is_read(tmp_path):
    track = synth.write(tmp_path / "Start.wav", synth.tone(2.0, sr=8000, channels=1), 8000)
    script = textwrap.dedent("""
        import json, os, sys, time
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from albumstudio.app import run_gui
        from albumstudio.store.files import TEMP_PREFIX
        from albumstudio.store.paths import default_paths
        from albumstudio.ui.main_window import MainWindow

        track = sys.argv[1]
        data = default_paths().ensure().data
        stale = data / (TEMP_PREFIX + "killed-mid-write.tmp")
        stale.write_bytes(b"half a file")
        week_ago = time.time() - 7 * 24 * 3600
        os.utime(stale, (week_ago, week_ago))
        app = QApplication(sys.argv[:1])
        seen = {}

        def check():
            windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
            if not windows:
                return
            window = windows[0]
            if window.session.path == track and window.session.analysis is not None:
                seen.setdefault("analysed_while_stale_was_there", stale.exists())
            if not stale.exists():
                seen["tidied"] = True
                seen["track_open"] = window.session.path == track
                app.quit()

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(20)
        QTimer.singleShot(60000, app.quit)
        run_gui(track=track)
        print(json.dumps(seen))
    """)
    seen = run_window_script(script, track, tmp_path / "home")
    assert seen.get("tidied") and seen.get("track_open"), seen
    # the tidying waited for the track's jobs: the analysis was shown before the sweep
    assert seen.get("analysed_while_stale_was_there") is True, seen
