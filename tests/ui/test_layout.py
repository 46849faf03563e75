"""Every size the window allows shows every control whole: text fits (or is elided with the
whole text in a tooltip), and widgets laid out side by side never overlap."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from albumstudio.store.paths import default_paths
from albumstudio.ui.main_window import MainWindow
from tests.support.layout_probe import (
    NO_DEVICE,
    outside_scroll_areas,
    overlaps,
    text_problems,
)


@pytest.mark.parametrize("size", [(1024, 600), (1280, 720), (1920, 1080), (3840, 2160)])
def test_every_control_is_whole_at_every_size(qtbot, size):
    window = MainWindow(default_paths().ensure())
    qtbot.addWidget(window)
    try:
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        window.player.availability_changed.emit(False, NO_DEVICE)  # the longest message
        for engine in ("design", "diffusion"):
            panel = window.cover_panel
            panel.engine.setCurrentIndex(panel.engine.findData(engine))
            qtbot.wait(50)
            assert text_problems(window) == [], (size, engine)
            assert overlaps(window) == [], (size, engine)
            assert outside_scroll_areas(window) == [], (size, engine)
        message = window.transport.message
        assert message.full_text() == NO_DEVICE and message.toolTip() == NO_DEVICE
    finally:
        window.shutdown()


def test_the_cover_tab_does_not_jump_when_a_job_starts(window, qtbot):
    panel = window.cover_panel
    before = panel.footer.sizeHint().height()
    panel.progress.show()
    assert panel.footer.sizeHint().height() == before
    panel.progress.hide()


def test_every_control_is_whole_at_200_percent():
    """Qt's scale factor is read when the application starts: a process of its own."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "tests.support.layout_probe", "1280x800"],
                            env=env, capture_output=True, text=True, timeout=120, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_control_is_reachable_with_tab_and_has_a_name(qtbot):
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSlider,
        QAbstractSpinBox,
        QApplication,
        QPlainTextEdit,
        QScrollBar,
        QTextEdit,
    )

    interactive = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QTextEdit,
                   QPlainTextEdit, QAbstractSlider)
    window = MainWindow(default_paths().ensure())
    qtbot.addWidget(window)
    try:
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        panel = window.cover_panel
        for engine in ("design", "diffusion"):
            panel.engine.setCurrentIndex(panel.engine.findData(engine))
            start = panel.style_edit
            start.setFocus()
            qtbot.waitUntil(lambda s=start: QApplication.focusWidget() is s, timeout=2000)
            reached: list[QWidget] = []
            for _ in range(200):  # Tab until the focus comes back round
                focused = QApplication.focusWidget()
                if focused is None or (reached and focused is reached[0]):
                    break
                reached.append(focused)
                QTest.keyClick(focused, Qt.Key.Key_Tab)
            assert reached and QApplication.focusWidget() is reached[0], "Tab never came round"
            labelled = {label.buddy() for label in window.findChildren(QLabel)}
            for widget in window.findChildren(QWidget):
                if (not isinstance(widget, interactive) or isinstance(widget, QScrollBar)
                        or not widget.isVisible() or not widget.isEnabled()
                        or isinstance(widget.parentWidget(), (QComboBox, QAbstractSpinBox))):
                    continue
                group = getattr(widget, "group", lambda: None)()
                members = group.buttons() if group is not None and group.exclusive() else []
                # an exclusive group is one Tab stop (arrows move inside it), as radio buttons
                assert widget in reached or any(m in reached for m in members), \
                    (engine, type(widget).__name__, widget.accessibleName())
                text = widget.text() if isinstance(widget, QAbstractButton) else ""
                assert widget.accessibleName() or text or widget in labelled, \
                    (engine, type(widget).__name__)
    finally:
        window.shutdown()
