"""Guards against a Qt binding that corrupts the interpreter (PySide6 6.12.0 under-counts None)."""

import sys

from PySide6.QtGui import QColor


def test_void_qt_calls_keep_none_alive():
    color = QColor(1, 2, 3)
    before = sys.getrefcount(None)
    for _ in range(200):
        color.setAlpha(3)
    assert sys.getrefcount(None) - before > -50, "this PySide6 build loses references to None"
