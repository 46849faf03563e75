"""Starting the window: theme, data folders, first paint, and a clean shutdown."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from albumstudio.ui.main_window import MainWindow

HEAVY_MODULES = ("torch", "diffusers", "transformers", "librosa")


def heavy_modules_loaded() -> list[str]:
    return [name for name in HEAVY_MODULES if name in sys.modules]


HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "wayland", "cocoa",
                      "windows")
# the libraries Qt's xcb plugin loads, by soname, with the Debian/Ubuntu package of each
XCB_LIBRARIES = {"libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
                 "libxcb-keysyms.so.1": "libxcb-keysyms1",
                 "libxkbcommon-x11.so.0": "libxkbcommon-x11-0"}


def _loadable(soname: str) -> bool:
    import ctypes

    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why the window cannot open here, in one sentence, before Qt gets a chance to abort the
    process (it does when there is no display or an X library is missing); None when it can."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    if not platform.startswith("linux"):
        return None
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if chosen and chosen != "xcb":
        return None  # offscreen, wayland …: Qt reports its own problems there
    headless = ("the headless commands still work: albumstudio analyze, albumstudio cover "
                "and albumstudio history")
    if not env.get("DISPLAY") and not (env.get("WAYLAND_DISPLAY") and not chosen):
        return ("There is no display to open the window on (DISPLAY is not set): start "
                f"AlbumStudio from a desktop session; {headless}.")
    if getattr(sys, "frozen", False):
        return None  # a bundle carries its own libraries beside Qt
    missing = [package for soname, package in XCB_LIBRARIES.items() if not _loadable(soname)]
    if missing:
        return (f"The window needs X libraries that are not installed: install "
                f"{' '.join(missing)} (Debian or Ubuntu package names); {headless}.")
    return None


def prepare_while_idle(window: MainWindow) -> None:
    """What a shown window does while idle, on its job runner: tidy the data folder, import
    the analysis (one run on a short clip) unless a track is open, then, if none has been
    opened by then, load the music tagger (after 1 s), and import the cover libraries (after
    4 s). A track dropped later finds these done; the window benchmark's "ready" figures start
    from here too (benchmarks/run.py, gui_4min). With a track asked for at start-up, this
    runs once that track's jobs are done (``after_current_jobs``)."""
    from PySide6.QtCore import QTimer

    from albumstudio.services.covers import preload_diffusion_libraries
    from albumstudio.services.tracks import warm_up_analysis

    tracks = window.services.tracks
    services = window.services
    window.runner.submit("tidying up", lambda ctx: services.tidy(), key="tidy")
    if window.session.path is None:  # a track opened at start-up has imported it already
        # the analysis is plain numpy (nothing compiled, #9 and #11): warming it up only
        # imports its modules (and loads scipy's FFT extension) while the window is idle
        window.runner.submit("preparing the analyser",
                             lambda ctx: warm_up_analysis(ctx.cancel), key="warm-up")
    QTimer.singleShot(1000, lambda: window.session.path is None and window.runner.submit(
        "preparing the music tagger", lambda ctx: tracks.preload_tagger(), key="preload"))
    QTimer.singleShot(4000, lambda: window.runner.submit(
        "preparing the cover models", lambda ctx: preload_diffusion_libraries(ctx.cancel),
        key="preload-diffusion"))


def after_current_jobs(window: MainWindow, then: Callable[[], object]) -> None:
    """Call ``then`` once the window's job runner has nothing left (checked twice a second):
    with a track opened at start-up, the idle preparations (the data folder's tidying, the
    cover libraries' import) come after its waveform, analysis and tags instead of beside
    them, and are no longer skipped for that session."""
    from PySide6.QtCore import QTimer

    timer = QTimer(window)
    timer.setInterval(500)

    def check() -> None:
        if window.runner.active_count() == 0:
            timer.stop()
            timer.deleteLater()
            then()

    timer.timeout.connect(check)
    timer.start()


def run_gui(argv: list[str] | None = None, exit_after_paint: bool = False,
            track: str | None = None) -> int:
    """Open the main window (optionally a track); with ``exit_after_paint`` print timing JSON and quit."""
    from albumstudio.core.errors import UserFacingError
    from albumstudio.core.process import prepare_process

    prepare_process()  # the command line did already, unless run_gui is called alone
    problem = display_problem()
    if problem:
        raise UserFacingError(problem)
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from albumstudio.core.uptime import process_uptime
    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow
    from albumstudio.ui.theme import apply_dark_theme

    # instance() is typed as the QCoreApplication, but only a QApplication is ever made here
    app = cast("QApplication | None", QApplication.instance()) or QApplication(argv or sys.argv[:1])
    app.setApplicationName("AlbumStudio")
    app.setOrganizationName("AlbumStudio")
    app.setDesktopFileName("albumstudio")
    apply_dark_theme(app)
    icon = app_icon_path()
    if icon:
        app.setWindowIcon(QIcon(icon))
    paths = default_paths().ensure()
    from albumstudio.store.logs import start_log

    start_log(paths.logs)
    window = MainWindow(paths)

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: float | None = None

        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint and self.seconds is None:
                self.seconds = process_uptime()
                app.removeEventFilter(self)
                QTimer.singleShot(0, after_first_paint)
            return False

    def after_first_paint() -> None:
        if exit_after_paint:
            report = {"seconds_to_first_paint": round(probe.seconds or 0.0, 3),
                      "heavy_modules_loaded": heavy_modules_loaded()}
            print(json.dumps(report), flush=True)
            window.close()
            app.quit()
            return
        window.player.check_device()
        if track:
            window.open_path(track)
            after_current_jobs(window, lambda: prepare_while_idle(window))
            return
        prepare_while_idle(window)

    probe = FirstPaint()
    app.installEventFilter(probe)
    opener = file_open_handler(window.open_path)
    app.installEventFilter(opener)
    window.show()
    code = app.exec()
    window.shutdown()
    return int(code)


def file_open_handler(open_path: Callable[[str], object]) -> QObject:
    """An application event filter that opens the track of a ``QFileOpenEvent`` with
    ``open_path``, as ``--open`` does: macOS's Finder ("Open With", a track dropped on the Dock
    icon) hands files to a running app as Apple events, which Qt turns into that event, and
    the bundle leaves PyInstaller's argv emulation off."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtGui import QFileOpenEvent

    class FileOpen(QObject):
        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
                return False
            path = event.file() or event.url().toLocalFile()
            if not path:
                return False  # a remote URL: nothing on this computer to open
            open_path(path)
            return True

    return FileOpen()


def app_icon_path() -> str | None:
    from importlib import resources

    try:
        icon = resources.files("albumstudio.resources").joinpath("icons/albumstudio.svg")
        return str(icon) if icon.is_file() else None
    except (ModuleNotFoundError, OSError):
        return None
