"""A real X11 window under Xvfb: catches missing xcb libraries that offscreen tests hide."""

import json
import os
import shutil
import subprocess
import sys

import pytest


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_window_paints_under_xvfb(data_home):
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", ALBUMSTUDIO_HOME=str(data_home))
    result = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-m", "albumstudio", "--exit-after-paint"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["heavy_modules_loaded"] == []
