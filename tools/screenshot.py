"""Render the main window with a synthesized track, analysed, to docs/screenshot.png (offscreen)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def main(out: str = str(ROOT / "docs" / "screenshot.png")) -> int:
    import soundfile as sf
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, str(ROOT))
    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow
    from albumstudio.ui.theme import apply_dark_theme
    from tests import synth

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ALBUMSTUDIO_HOME"] = str(Path(tmp) / "home")
        track = Path(tmp) / "Night Drive.flac"
        data = synth.music(48.0, sr=44100, bpm=124, key_root_hz=220.0, minor=True, seed=3)
        data[:, 1] *= 0.8
        sf.write(str(track), data, 44100)
        from mutagen.flac import FLAC

        tags = FLAC(str(track))
        tags.update({"title": "Night Drive", "artist": "The Lanterns", "album": "Afterglow",
                     "date": "2026", "genre": "Synthwave"})
        tags.save()
        app = QApplication.instance() or QApplication([])
        apply_dark_theme(app)
        window = MainWindow(default_paths().ensure())
        window.resize(1400, 860)
        window.show()
        window.session.music_tags_changed.connect(
            lambda r: r is not None and QTimer.singleShot(300, app.quit))
        window.session.error.connect(lambda m: (print(m), app.quit()))
        window.open_path(str(track))
        QTimer.singleShot(120000, app.quit)
        app.exec()
        window.waveform.view.set_selection(16.0, 24.0)
        window.player.seek(12.5)
        app.processEvents()
        window.grab().save(out)
        window.shutdown()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
