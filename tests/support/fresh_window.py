"""A script that starts the window with ``run_gui`` in a fresh process, offscreen, with its own
data folder; it prints one JSON object last, which is returned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_window_script(script: str, track: Path, home: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ALBUMSTUDIO_HOME=str(home))
    result = subprocess.run([sys.executable, "-c", script, str(track)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
