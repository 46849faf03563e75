"""How long after a Canny threshold moves the new edge map is on screen (the window, offscreen):
``python -m benchmarks.canny_preview`` prints JSON (median of several moves; the 150 ms
debounce is included, as the artist waits for it too)."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def measure(moves: int = 7) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ALBUMSTUDIO_HOME"] = tempfile.mkdtemp(prefix="albumstudio-bench-")
    import numpy as np
    from PIL import Image
    from PySide6.QtWidgets import QApplication

    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    photo = Path(os.environ["ALBUMSTUDIO_HOME"]) / "photo.jpg"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (1200, 1600, 3), dtype=np.uint8)).save(photo)
    window = MainWindow(default_paths().ensure())
    window.resize(1400, 860)
    window.show()
    reference = window.reference
    reference.set_map_wanted("canny", True)
    reference.open(str(photo))
    deadline = time.monotonic() + 30
    while reference.map_image("canny") is None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)
    seconds = []
    for i in range(moves):
        low = 60 + 10 * i
        started = time.perf_counter()
        reference.set_canny_thresholds(low, low + 100)
        app.processEvents()
        while reference.map_busy("canny") or reference.map_image("canny") is None:
            app.processEvents()
            time.sleep(0.001)
        seconds.append(time.perf_counter() - started)
    window.shutdown()
    return {"canny_preview_after_threshold_move_s_median": round(statistics.median(seconds), 3),
            "canny_preview_runs_s": [round(s, 3) for s in seconds], "debounce_ms": 150}


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 7)))
