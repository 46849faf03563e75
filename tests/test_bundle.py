"""The Linux bundle (#21): packaging/build-linux.sh builds dist/AlbumStudio, a .tar.gz and a
.deb; the bundle runs with no Python on PATH (first paint under Xvfb with xcb, a track from
``--open``, headless ``analyze`` and ``cover``, a diffusion cover from the user's Hugging Face
cache) and the .deb installs the desktop entry, icon and audio MIME types.

Slow: building takes about ten minutes on two cores. ``.ci/run`` builds the bundle once and
points ``ALBUMSTUDIO_BUNDLE`` at it; without that variable the test reuses dist/AlbumStudio when
its stamp says it was built from the checkout's current files, builds it when
``ALBUMSTUDIO_BUILD_BUNDLE=1`` asks for that, and otherwise skips saying how to run it, so the
README's test command stays quick on a developer's machine.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.bundle import STAMP, bare_env, source_stamp, xvfb
from tests.support import synth

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="only the Linux bundle is built here (packaging/README.md)")]

ROOT = Path(__file__).resolve().parents[1]
HAVE_XVFB = shutil.which("Xvfb") is not None
HAVE_XDOTOOL = shutil.which("xdotool") is not None

# Another X client that drags a file: a small window that starts a QDrag carrying the track's
# file URL when the button goes down on it (run by the test's own Python and PySide6, as a
# file manager would be); it prints the action the drop target accepted.
DRAG_SOURCE = """
import sys
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QApplication, QLabel

class Source(QLabel):
    def mousePressEvent(self, event):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(sys.argv[1])])
        drag = QDrag(self)
        drag.setMimeData(mime)
        action = drag.exec(Qt.DropAction.CopyAction | Qt.DropAction.LinkAction)
        print("dropped", action.name, flush=True)

app = QApplication(sys.argv[:1])
source = Source("a track")
source.setWindowTitle("drag source")
source.setGeometry(int(sys.argv[2]), int(sys.argv[3]), 120, 120)
source.show()
print("ready", flush=True)
sys.exit(app.exec())
"""


def _have_pyinstaller() -> bool:
    return importlib.util.find_spec("PyInstaller") is not None


@pytest.fixture(scope="module")
def dist() -> Path:
    """The folder holding AlbumStudio/, the .tar.gz and the .deb: the one .ci/run built, or a
    fresh build."""
    given = os.environ.get("ALBUMSTUDIO_BUNDLE")
    if given:
        bundle = Path(given)
        assert (bundle / "albumstudio").is_file(), f"ALBUMSTUDIO_BUNDLE={given} holds no bundle"
        return bundle.parent
    built = ROOT / "dist" / "AlbumStudio"
    stamp = built / STAMP
    if stamp.is_file() and stamp.read_text().strip() == source_stamp() \
            and sorted(built.parent.glob("albumstudio_*.deb")):
        return built.parent  # built from these very files: reused, not built again
    if os.environ.get("ALBUMSTUDIO_BUILD_BUNDLE") != "1":
        pytest.skip("no bundle built from these files: run packaging/build-linux.sh and set "
                    "ALBUMSTUDIO_BUNDLE=dist/AlbumStudio, or set ALBUMSTUDIO_BUILD_BUNDLE=1 "
                    "(about ten minutes); .ci/run builds it")
    if not _have_pyinstaller():
        pytest.skip("PyInstaller is not installed (python -m pip install pyinstaller), so the "
                    "bundle cannot be built here; .ci/run installs it")
    result = subprocess.run(["bash", str(ROOT / "packaging" / "build-linux.sh")],
                            env=dict(os.environ, ALBUMSTUDIO_SKIP_FIGURES="1",
                                     PYTHON=sys.executable),
                            capture_output=True, text=True, timeout=3600, cwd=ROOT)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return ROOT / "dist"


@pytest.fixture(scope="module")
def exe(dist: Path) -> Path:
    return dist / "AlbumStudio" / "albumstudio"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()  # PATH: one empty folder, so no Python can be found
    return tmp_path


@pytest.fixture(scope="module")
def track(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundle-track")
    return synth.write(folder / "Night Drive.flac", synth.music(8.0, sr=22050, bpm=124), 22050)


def run(exe: Path, home: Path, *args: object, display: str | None = None,
        timeout: float = 300, **extra: str) -> subprocess.CompletedProcess[str]:
    env = bare_env(home, display, home / "bin") | extra
    return subprocess.run([str(exe), *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=home)


def section_names(library: Path) -> set[str]:
    """The section names of a 64-bit little-endian ELF file (".symtab", ".debug_info" …)."""
    data = library.read_bytes()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def header(i: int) -> tuple[int, int, int]:  # name offset, file offset, size
        base = shoff + i * shentsize
        return (struct.unpack_from("<I", data, base)[0], *struct.unpack_from("<QQ", data, base + 24))
    _, strings_at, strings_size = header(shstrndx)
    strings = data[strings_at:strings_at + strings_size]
    return {strings[name:strings.index(b"\0", name)].decode() for name, _, _ in map(header, range(shnum))}


def test_the_bundle_carries_its_own_python_qt_codecs_and_nothing_needless(exe: Path):
    internal = exe.parent / "_internal"
    assert exe.read_bytes()[:4] == b"\x7fELF"
    assert list(internal.glob("libpython3*.so*")), "no Python of its own"
    names = {p.name for p in internal.rglob("*")}
    assert "libqxcb.so" in names, "Qt's xcb platform plugin is missing"
    assert any(n.startswith("libxcb-cursor.so") for n in names), "xcb plugin libraries missing"
    assert any(n.startswith("libportaudio.so") for n in names), "PortAudio is missing"
    assert any(n.startswith("libsndfile") for n in names), "soundfile's libsndfile is missing"
    assert any(n.startswith(("libavcodec", "libavformat")) for n in names), "PyAV's codecs"
    assert (internal / "albumstudio" / "resources" / "models.json").is_file()
    assert list((internal / "albumstudio" / "resources" / "fonts").iterdir())
    assert list((internal / "albumstudio" / "resources" / "musicnn").iterdir())
    # where audio/fft.py loads scipy's FFT extension from, without importing scipy.fft
    assert list((internal / "scipy" / "fft" / "_pocketfft").glob("pypocketfft*.so"))
    # the audio layer's compiled kernels (audio/_kernels.c), built by the install
    assert list((internal / "albumstudio" / "audio").glob("_kernels*.so"))
    cuda = [n for n in names if n.startswith(("libcudart", "libcublas", "libnccl", "libcudnn",
                                               "libtorch_cuda", "libc10_cuda"))]
    assert cuda == []
    qt_needless = [n for n in names if n.startswith(("libQt6WebEngine", "libQt63D", "libQt6Quick",
                                                      "libQt6Qml", "libQt6Pdf"))]
    assert qt_needless == []
    assert not (internal / "torch" / "include").exists()
    tests = [p for p in internal.rglob("tests") if p.is_dir()]
    assert tests == [], f"test suites bundled: {tests[:5]}"
    assert not (internal / "ray").exists()  # the cluster extra stays out
    # stripped by packaging/strip_bundle.py: no debug symbols, no static symbol table
    torch_cpu = section_names(internal / "torch" / "lib" / "libtorch_cpu.so")
    assert ".dynsym" in torch_cpu and ".symtab" not in torch_cpu
    assert not any(name.startswith(".debug") for name in torch_cpu)
    assert ".symtab" not in section_names(next(internal.glob("libpython3*.so*")))


@pytest.mark.skipif(not HAVE_XVFB, reason="Xvfb is not installed")
def test_first_paint_under_xvfb_with_no_python_on_path(exe: Path, home: Path):
    with xvfb() as display:
        result = run(exe, home, "--exit-after-paint", display=display, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["heavy_modules_loaded"] == []  # the window paints before torch loads
    assert report["seconds_to_first_paint"] > 0


@pytest.mark.skipif(not HAVE_XVFB, reason="Xvfb is not installed")
@pytest.mark.parametrize("how", ["--open", "bare path"])
def test_open_a_track_from_the_command_line(exe: Path, home: Path, track: Path, how: str):
    """``albumstudio --open %f`` (the desktop entry's Exec line), or the bare path a file
    manager or a drop on the executable gives, opens and analyses the track: its analysis
    lands in the data folder's cache."""
    analysis = home / "albumstudio" / "cache" / "analysis"
    args = ["--open", str(track)] if how == "--open" else [str(track)]
    with xvfb() as display:
        env = bare_env(home, display, home / "bin")
        window = subprocess.Popen([str(exe), *args], env=env, cwd=home,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and window.poll() is None:
                if analysis.is_dir() and any(analysis.rglob("*.json")):
                    break
                time.sleep(0.5)
            assert window.poll() is None, window.communicate()[1][-3000:]
            assert any(analysis.rglob("*.json")), "the track was not analysed"
        finally:
            window.terminate()
            window.communicate(timeout=30)


@pytest.mark.skipif(not (HAVE_XVFB and HAVE_XDOTOOL), reason="needs Xvfb and xdotool")
def test_a_track_dragged_from_another_app_onto_the_window_opens(exe: Path, home: Path,
                                                                 track: Path, tmp_path: Path):
    """A real drag and drop between two X clients (XDND): the drag source, a separate process,
    starts a QDrag with the track's file URL when xdotool presses the button on it; xdotool
    (XTEST: pointer events as the X server's own) carries the pointer onto the bundle's window
    and releases. The bundle accepts the drop, opens the track and analyses it."""
    analysis = home / "albumstudio" / "cache" / "analysis"
    with xvfb(1920, 1080) as display:
        env = bare_env(home, display, home / "bin")
        window = subprocess.Popen([str(exe)], env=env, cwd=home, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        source = None
        x_env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")

        def xdotool(*args: object) -> str:
            return subprocess.run(["xdotool", *map(str, args)], env=x_env, capture_output=True,
                                  text=True, timeout=120, check=True).stdout

        try:
            window_id = xdotool("search", "--sync", "--onlyvisible", "--name",
                                "AlbumStudio").split()[0]
            geometry = dict(line.split("=", 1) for line in
                            xdotool("getwindowgeometry", "--shell", window_id).split())
            left, top = int(geometry["X"]), int(geometry["Y"])
            width, height = int(geometry["WIDTH"]), int(geometry["HEIGHT"])
            assert left + width < 1750, "the window covers the drag source's place"
            script = tmp_path / "drag_source.py"
            script.write_text(DRAG_SOURCE)
            source = subprocess.Popen([sys.executable, str(script), str(track), "1780", "60"],
                                      env=x_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
            assert source.stdout is not None and source.stdout.readline().strip() == "ready"
            xdotool("search", "--sync", "--onlyvisible", "--name", "drag source")
            assert "—" not in xdotool("getwindowname", window_id)  # no track open yet
            xdotool("mousemove", 1840, 120)
            time.sleep(0.3)
            xdotool("mousedown", 1)
            time.sleep(0.5)
            drop_x, drop_y = left + width * 2 // 5, top + height // 2
            for step in range(1, 6):  # a few moves, so both sides exchange XdndPosition
                xdotool("mousemove", 1840 + (drop_x - 1840) * step // 5,
                        120 + (drop_y - 120) * step // 5)
                time.sleep(0.3)
            xdotool("mouseup", 1)
            assert source.stdout.readline().split() == ["dropped", "CopyAction"]
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and window.poll() is None:
                if analysis.is_dir() and any(analysis.rglob("*.json")):
                    break
                time.sleep(0.5)
            assert window.poll() is None, window.communicate()[1][-3000:]
            assert any(analysis.rglob("*.json")), "the dropped track was not analysed"
            assert xdotool("getwindowname", window_id).startswith(f"{track.name} — ")
        finally:
            if source is not None:
                source.terminate()
                source.communicate(timeout=30)
            window.terminate()
            window.communicate(timeout=30)


def test_headless_analyze_and_cover_in_the_user_data_folders(exe: Path, home: Path,
                                                             track: Path, tmp_path: Path):
    """No display, no Python: the analysis (numpy DSP, the musicnn tagger in numpy) and a
    design cover; the history lands where the pip install keeps it (platformdirs)."""
    result = run(exe, home, "analyze", track, "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert 100 <= report["tempo"]["bpm"] <= 150
    assert report["music_tags"]["top"] and report["description"]

    out = tmp_path / "cover.png"
    env_home = {k: v for k, v in bare_env(home, None, home / "bin").items()
                if k != "ALBUMSTUDIO_HOME"}
    cover = subprocess.run([str(exe), "cover", str(track), "--size", "800", "--title", "Night",
                            "--artist", "Luma", "--out", str(out)], env=env_home,
                           capture_output=True, text=True, timeout=300, cwd=home)
    assert cover.returncode == 0, cover.stderr[-3000:]
    with Image.open(out) as img:
        assert img.size == (800, 800)
        assert np.asarray(img.convert("L")).std() > 5  # a picture, not a blank square
    # the same folders as the pip install: ask this Python's albumstudio with the same HOME
    probe = subprocess.run(
        [sys.executable, "-c", "from albumstudio.store.paths import default_paths; "
         "print(default_paths().history)"],
        env=dict(os.environ, HOME=str(home)) | {"ALBUMSTUDIO_HOME": ""}, capture_output=True,
        text=True, timeout=60, check=True)
    history = Path(probe.stdout.strip())
    assert history.is_relative_to(home) and history.is_dir() and any(history.iterdir())

    bad = run(exe, home, "analyze", home / "missing.wav")
    assert bad.returncode == 2
    assert bad.stderr.startswith("albumstudio: error:") and "Traceback" not in bad.stderr


def test_diffusion_cover_from_the_users_hugging_face_cache(exe: Path, home: Path, track: Path,
                                                           tmp_path: Path):
    """The model tier: a (tiny, random-weight) pipeline in ~/.cache/huggingface/hub, found by
    its hub id as the pip install finds it, run by the bundle's diffusers and torch."""
    from tests.support.tiny_sd import build_tiny_sd

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = home / ".cache" / "huggingface" / "hub" / "models--albumstudio-test--tiny-sd"
    shutil.copytree(build_tiny_sd(tmp_path / "built"), repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    out = tmp_path / "sd.png"
    result = run(exe, home, "cover", track, "--engine", "diffusion", "--model",
                 "albumstudio-test/tiny-sd", "--steps", "2", "--size", "256", "--seed", "3", "--out", out,
                 timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    with Image.open(out) as img:
        assert img.size == (256, 256)


def test_the_deb_installs_the_app_its_menu_entry_and_audio_types(dist: Path, tmp_path: Path):
    debs = sorted(dist.glob("albumstudio_*.deb"))
    assert debs, "no .deb was made"
    control = subprocess.run(["dpkg-deb", "-f", str(debs[-1])], capture_output=True, text=True,
                             check=True).stdout
    assert "Package: albumstudio" in control and "Depends:" in control
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
    launcher = root / "usr" / "bin" / "albumstudio"
    assert launcher.is_symlink() and os.readlink(launcher) == "/opt/albumstudio/albumstudio"
    assert (root / "opt" / "albumstudio" / "albumstudio").is_file()
    assert (root / "usr/share/icons/hicolor/scalable/apps/albumstudio.svg").is_file()
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(root / "usr/share/applications/albumstudio.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"].split()[:3] == ["albumstudio", "--open", "%f"]
    assert desktop["Icon"] == "albumstudio" and desktop["Type"] == "Application"
    mime = set(filter(None, desktop["MimeType"].split(";")))
    assert {"audio/flac", "audio/mpeg", "audio/x-wav", "audio/ogg", "audio/mp4"} <= mime
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate",
                        str(root / "usr/share/applications/albumstudio.desktop")], check=True)
    # the installed copy runs too
    (tmp_path / "bin").mkdir()
    version = run(root / "opt" / "albumstudio" / "albumstudio", tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("AlbumStudio ")


def test_the_tarball_holds_the_bundle_and_its_menu_entry_installer(dist: Path):
    tarballs = sorted(dist.glob("AlbumStudio-*-linux-*.tar.gz"))
    assert tarballs, "no .tar.gz was made"
    with tarfile.open(tarballs[-1]) as tar:
        names = set(tar.getnames())
    assert {"AlbumStudio/albumstudio", "AlbumStudio/install-desktop-entry.sh",
            "AlbumStudio/albumstudio.desktop", "AlbumStudio/albumstudio.svg"} <= names
