"""Every size the window allows shows every control whole: text fits (or is elided with the
whole text in a tooltip), and widgets laid out side by side never overlap."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QWidget,
)

from albumstudio.store.paths import default_paths
from albumstudio.ui.elided_label import ElidedLabel
from albumstudio.ui.main_window import MainWindow

NO_DEVICE = ("Playback is off: no audio output device was found (plug in speakers or "
             "headphones, or check the system's sound settings).")


def _text_problems(window: QWidget) -> list[str]:
    problems = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.width() <= 0:
            continue
        if isinstance(widget, ElidedLabel):
            if widget.toolTip() != widget.full_text():
                problems.append(f"elided label without its whole text: {widget.full_text()!r}")
            continue
        if isinstance(widget, (QPushButton, QToolButton)):
            text, extra = widget.text(), 10
        elif isinstance(widget, QCheckBox):
            text, extra = widget.text(), 22
        elif isinstance(widget, QComboBox):
            text, extra = widget.currentText(), 24
        elif isinstance(widget, QLabel) and not widget.wordWrap() and widget.pixmap().isNull():
            text, extra = widget.text(), 0
        else:
            continue
        if not text or "<" in text:
            continue
        need = widget.fontMetrics().horizontalAdvance(text.replace("&", "")) + extra
        if need > widget.width() + 1:
            problems.append(f"{type(widget).__name__} {text[:40]!r}: needs {need}px, has "
                            f"{widget.width()}px")
    return problems


def _outside_scroll_areas(window: QWidget) -> list[str]:
    """Panels scroll only up and down: nothing in one may reach past its right edge."""
    problems = []
    for area in window.findChildren(QScrollArea):
        inner = area.widget()
        if not area.isVisible() or inner is None:
            continue
        viewport = area.viewport()
        for widget in [inner, *inner.findChildren(QWidget)]:
            if not widget.isVisible() or widget.width() <= 0:
                continue
            right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
            if right > viewport.width() + 1:
                text = getattr(widget, "text", None)
                name = text() if callable(text) and isinstance(widget, (QLabel, QPushButton)) \
                    else widget.objectName()
                problems.append(f"{type(widget).__name__} {str(name)[:30]!r} reaches "
                                f"{right - viewport.width()}px past its panel's edge")
    return problems


def _overlaps(window: QWidget) -> list[str]:
    problems = []
    for layout in window.findChildren(QLayout):
        widgets = [layout.itemAt(i).widget() for i in range(layout.count())]
        shown = [w for w in widgets if w is not None and w.isVisible()]
        rects = [(w, QRect(w.mapTo(window, QPoint(0, 0)), w.size())) for w in shown]
        for i, (a, ra) in enumerate(rects):
            for b, rb in rects[i + 1:]:
                both = ra.intersected(rb)
                if both.width() > 2 and both.height() > 2:
                    problems.append(f"{type(a).__name__} and {type(b).__name__} overlap by "
                                    f"{both.width()}×{both.height()}px")
    return problems


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
            assert _text_problems(window) == [], (size, engine)
            assert _overlaps(window) == [], (size, engine)
            assert _outside_scroll_areas(window) == [], (size, engine)
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


def test_every_control_is_whole_at_200_percent(tmp_path):
    """Qt's scale factor is read when the application starts: a process of its own."""
    import os
    import subprocess
    import sys

    script = tmp_path / "scaled.py"
    script.write_text(
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from albumstudio.store.paths import default_paths\n"
        "from albumstudio.ui.main_window import MainWindow\n"
        "from tests.ui import test_layout as t\n"
        "w = MainWindow(default_paths().ensure())\n"
        "w.resize(1280, 800)\n"
        "w.show()\n"
        "for _ in range(20): app.processEvents()\n"
        "w.player.availability_changed.emit(False, t.NO_DEVICE)\n"
        "app.processEvents()\n"
        "problems = t._text_problems(w) + t._overlaps(w) + t._outside_scroll_areas(w)\n"
        "print(app.devicePixelRatio() if hasattr(app, 'devicePixelRatio') else '', problems)\n"
        "w.shutdown()\n"
        "sys.exit(1 if problems else 0)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                            text=True, timeout=120, cwd=root)
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
