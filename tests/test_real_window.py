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


SIZES = ((1024, 600), (1280, 720), (1920, 1080))


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_every_size_under_xvfb_shows_every_control_and_writes_a_screenshot(data_home, tmp_path):
    """The real xcb window at each size: the layout checks of tests/ui/test_layout.py, and a
    screenshot per size (kept in $ALBUMSTUDIO_SCREENSHOTS when set, to look at)."""
    out = os.environ.get("ALBUMSTUDIO_SCREENSHOTS") or str(tmp_path / "shots")
    os.makedirs(out, exist_ok=True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", ALBUMSTUDIO_HOME=str(data_home),
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 2000x1200x24", sys.executable, "-m",
         "tests.support.layout_probe", "--out", out, *(f"{w}x{h}" for w, h in SIZES)],
        env=env, capture_output=True, text=True, timeout=180, cwd=root)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    from PIL import Image

    for width, height in SIZES:
        with Image.open(os.path.join(out, f"window-{width}x{height}.png")) as shot:
            assert shot.size == (width, height)
            assert len(set(shot.convert("L").getdata())) > 20  # painted, not blank
