"""The dark Fusion look shared by every window."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#4FC3F7"
WARM = "#FFB74D"
ERROR = "#EF5350"


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(40, 42, 46), QColor(224, 224, 224)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(48, 50, 55))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor(52, 54, 60))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor(52, 54, 60))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(ERROR))
    p.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    p.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT).darker(140))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(140, 140, 140))
    disabled = QColor(120, 120, 120)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    app.setPalette(p)
    app.setStyleSheet(
        "QToolTip { border: 1px solid #555; padding: 4px; }"
        "QLabel#errorBanner { background: #5c2b2b; color: #ffdede; padding: 6px 10px;"
        " border-radius: 4px; }"
        "QLabel#infoBanner { background: #2b4a5c; color: #e0f4ff; padding: 6px 10px;"
        " border-radius: 4px; }"
        "QLabel#sectionTitle { font-weight: 600; color: #bbbbbb; }"
        "QLabel#placeholder { color: #8a8a8a; }"
    )
