"""Layout checks shared by the offscreen layout tests and the real-window (Xvfb) test; run as
``python -m tests.support.layout_probe [--out DIR] WIDTHxHEIGHT …`` it opens the window at each
size, prints the problems found (and saves a screenshot per size to DIR), exit 1 if any."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QToolButton,
    QWidget,
)

from albumstudio.ui.elided_label import ElidedLabel

NO_DEVICE = ("Playback is off: no audio output device was found (plug in speakers or "
             "headphones, or check the system's sound settings).")


def text_problems(window: QWidget) -> list[str]:
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


def outside_scroll_areas(window: QWidget) -> list[str]:
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


def overlaps(window: QWidget) -> list[str]:
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


def problems(window: QWidget) -> list[str]:
    return text_problems(window) + overlaps(window) + outside_scroll_areas(window)


def main(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow
    from albumstudio.ui.theme import apply_dark_theme

    apply_dark_theme(app)
    out = None
    if argv and argv[0] == "--out":
        out, argv = argv[1], argv[2:]
    found = []
    for size in argv:
        width, height = (int(v) for v in size.split("x"))
        window = MainWindow(default_paths().ensure())
        window.resize(width, height)
        window.show()
        for _ in range(30):
            app.processEvents()
        window.player.availability_changed.emit(False, NO_DEVICE)  # the longest message
        app.processEvents()
        found += problems(window)
        if out:
            window.grab().save(f"{out}/window-{width}x{height}.png")
        window.shutdown()
    print(found)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
