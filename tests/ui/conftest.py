"""The main window, shown offscreen, for tests that drive it as a person would; and the history
gallery on its own."""

import pytest

from albumstudio.store.paths import default_paths
from albumstudio.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow(default_paths().ensure())
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


@pytest.fixture
def open_gallery(qtbot):
    """``open_gallery(make)``: this test's history, filled by ``make(services)``, in a gallery
    panel shown at 1000×700; returns ``(panel, what make returned)``. Everything is shut down
    after the test."""
    from albumstudio.jobs.runner import JobRunner
    from albumstudio.services import Services
    from albumstudio.ui.gallery.gallery_panel import GalleryPanel

    opened = []

    def open_(make):
        paths = default_paths().ensure()
        services = Services.open(paths)
        opened.append(services.close)
        made = make(services)
        runner = JobRunner()
        opened.append(runner.shutdown)
        panel = GalleryPanel(runner, services, paths.cache / "drag")
        opened.append(panel.shutdown)
        qtbot.addWidget(panel)
        panel.resize(1000, 700)
        panel.show()
        return panel, made

    yield open_
    for close in reversed(opened):  # the panel, then its runner, then the services
        close()
