"""Render the main window with a synthesized track, analysed, and a cover, to docs/screenshot.png.

Offscreen by default; for a real X11 window run it under Xvfb with the xcb platform:
``QT_QPA_PLATFORM=xcb xvfb-run -a python tools/screenshot.py OUT.png 1024 600``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def city_photo(path: Path) -> Path:
    """A night skyline (drawn, so the screenshot needs no stock photo)."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(7)
    w, h = 1600, 1200
    sky = np.linspace(0, 1, h)[:, None, None]
    arr = (np.array([18, 16, 60]) * (1 - sky) + np.array([230, 96, 120]) * sky)
    img = Image.fromarray(np.repeat(arr, w, axis=1).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(120):
        x, y = rng.integers(0, w), rng.integers(0, h // 2)
        draw.point((int(x), int(y)), fill=(255, 255, 230))
    draw.ellipse((1150, 180, 1330, 360), fill=(255, 214, 170))
    x = 0
    while x < w:
        bw, bh = int(rng.integers(70, 180)), int(rng.integers(250, 700))
        draw.rectangle((x, h - bh, x + bw, h), fill=(14, 12, 28))
        for wy in range(h - bh + 20, h - 20, 34):
            for wx in range(x + 12, x + bw - 16, 26):
                if rng.random() < 0.35:
                    draw.rectangle((wx, wy, wx + 10, wy + 16), fill=(255, 200, 110))
        x += bw + int(rng.integers(4, 20))
    img.save(path, quality=92)
    return path


def main(out: str = str(ROOT / "docs" / "screenshot.png"), width: str = "1400",
         height: str = "860") -> int:
    import soundfile as sf
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, str(ROOT))
    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow
    from albumstudio.ui.theme import apply_dark_theme
    from tests.support import synth

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
        window.resize(int(width), int(height))
        window.show()
        photo = city_photo(Path(tmp) / "skyline.jpg")
        window.session.music_tags_changed.connect(
            lambda r: r is not None and QTimer.singleShot(300, lambda: window.reference.open(
                str(photo))))
        window.reference.image_changed.connect(
            lambda: QTimer.singleShot(400, window.cover_panel.generate_button.click))
        window.cover.result.connect(lambda _r: QTimer.singleShot(1500, app.quit))
        window.cover.failed.connect(lambda m: (print(m), app.quit()))
        window.cover_panel.style_edit.setText("neon night city, rain on the glass")
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
