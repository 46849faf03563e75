"""Bundle figures: ``python -m benchmarks.bundle [dist/AlbumStudio]`` prints JSON (figures
only; no test asserts on them).

- first paint: the bundled executable and the pip install (``python -m albumstudio``), each
  started under its own Xvfb with the xcb platform and ``--exit-after-paint``, in a fresh data
  folder; the app's own figure (seconds from process start to the first paint) and the wall
  time from launch to exit, median of ``--runs``; the bundle runs with no Python on ``PATH``;
- size: the bundle unpacked, in bytes and MB.

Targets: the bundle's first paint ≤ the pip install's + 0.3 s; ≤ 1.2 GB unpacked (CPU build).
The helpers (``xvfb``, ``bare_env``) are shared with tests/test_bundle.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "AlbumStudio"


@contextlib.contextmanager
def xvfb(width: int = 1400, height: int = 900) -> Iterator[str]:
    """A private X server; yields its DISPLAY (``:N``)."""
    xvfb_bin = shutil.which("Xvfb")
    if xvfb_bin is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [xvfb_bin, "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def bare_env(home: Path, display: str | None, empty_bin: Path) -> dict[str, str]:
    """A desktop session's environment with no Python anywhere: PATH holds one empty folder,
    no PYTHON* variables, no virtual environment."""
    env = {"PATH": str(empty_bin), "HOME": str(home), "LANG": "C.UTF-8",
           "ALBUMSTUDIO_HOME": str(home / "albumstudio"),
           "XDG_RUNTIME_DIR": str(home / "runtime")}
    (home / "runtime").mkdir(mode=0o700, parents=True, exist_ok=True)
    if display:
        env["DISPLAY"] = display
        env["QT_QPA_PLATFORM"] = "xcb"
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def first_paint(command: list[str], env_for: Path, bare: bool) -> dict[str, float]:
    """One cold start to the first paint under a fresh Xvfb: the app's figure and the wall time."""
    with tempfile.TemporaryDirectory() as tmp, xvfb() as display:
        home = Path(tmp)
        if bare:
            empty = home / "bin"
            empty.mkdir()
            env = bare_env(home, display, empty)
        else:
            env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
                       ALBUMSTUDIO_HOME=str(home / "albumstudio"))
        started = time.perf_counter()
        result = subprocess.run([*command, "--exit-after-paint"], env=env, capture_output=True,
                                text=True, timeout=300, cwd=env_for)
        wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return {"app_s": float(report["seconds_to_first_paint"]), "wall_s": wall}


STAMP = "albumstudio-build-stamp.txt"


def source_stamp() -> str:
    """A hash of what goes into the bundle from this checkout (the app, its resources, the
    packaging files): a bundle whose stamp matches was built from these very files."""
    import hashlib

    digest = hashlib.sha256()
    for top in ("albumstudio", "resources", "packaging"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def du_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundle", nargs="?", default=str(BUNDLE))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    bundle = Path(args.bundle).resolve()
    exe = bundle / ("albumstudio.exe" if sys.platform == "win32" else "albumstudio")
    runs: dict[str, list[dict[str, float]]] = {"bundle": [], "pip": []}
    first_paint([str(exe)], bundle, bare=True)  # warm the disk cache for both alike
    first_paint([sys.executable, "-m", "albumstudio"], ROOT, bare=False)
    for _ in range(args.runs):
        runs["bundle"].append(first_paint([str(exe)], bundle, bare=True))
        runs["pip"].append(first_paint([sys.executable, "-m", "albumstudio"], ROOT, bare=False))
    figures: dict[str, object] = {}
    for name, values in runs.items():
        figures[f"{name}_first_paint_s"] = round(statistics.median(v["app_s"] for v in values), 3)
        figures[f"{name}_launch_to_exit_s"] = round(statistics.median(v["wall_s"] for v in values), 3)
    figures["bundle_minus_pip_first_paint_s"] = round(
        float(figures["bundle_first_paint_s"]) - float(figures["pip_first_paint_s"]), 3)  # type: ignore[arg-type]
    figures["first_paint_target"] = "bundle <= pip + 0.3 s"
    size = du_bytes(bundle)
    figures["bundle_bytes"] = size
    figures["bundle_mb"] = round(size / 1e6, 1)
    figures["size_target"] = "<= 1200 MB unpacked"
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
