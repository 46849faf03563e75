"""The main window, shown offscreen, for tests that drive it as a person would."""

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
