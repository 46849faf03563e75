"""The gallery as a dock of the main window (hidden until View → Gallery), wired to the
window's sessions: its settings into the Cover tab, a file as the reference picture, re-run
and vary on the model queue, and the history strip kept in step."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMenu

from albumstudio.ui.gallery.gallery_panel import GalleryPanel

if TYPE_CHECKING:
    from albumstudio.ui.main_window import MainWindow


def install_gallery(window: MainWindow) -> GalleryPanel:
    panel = GalleryPanel(window.runner, window.services, window.paths.cache / "gallery-drag")
    dock = QDockWidget("Gallery", window)
    dock.setObjectName("galleryDock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    panel.dock = dock  # type: ignore[attr-defined]
    action = dock.toggleViewAction()
    action.setText("&Gallery")
    action.setShortcut("Ctrl+Shift+G")
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title() == "&View":
            menu.addAction(action)

    def restore(request) -> None:
        window.cover_panel.apply_request(request)
        window.tabs.setCurrentIndex(0)

    panel.reuse_requested.connect(window._reuse_settings)
    panel.reference_requested.connect(window.reference.open)
    panel.rerun_requested.connect(window.cover.rerun)
    panel.vary_requested.connect(
        lambda item: window.cover.vary(item, random.randrange(2**31 - 1)))
    panel.settings_restore_requested.connect(restore)
    panel.changed.connect(window.history.refresh)
    panel.notice.connect(window.show_warning)
    window.cover.history_changed.connect(panel.refresh)
    return panel


def offer_dropped_settings(window: MainWindow, path: str) -> None:
    """A PNG dropped on the window that carries AlbumStudio settings: the gallery offers them."""
    gallery = getattr(window, "gallery", None)
    if gallery is not None and path.lower().endswith(".png") and gallery.offer_settings(
            path, quiet=True):
        gallery.dock.show()
