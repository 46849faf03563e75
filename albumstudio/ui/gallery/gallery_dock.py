"""The gallery as a dock of the main window (hidden until View → Gallery), wired to the
window's sessions: its settings into the Cover tab, a file as the reference picture, re-run
and vary on the model queue, and the history strip kept in step."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMenu

from albumstudio.ui.gallery.gallery_panel import GalleryPanel
from albumstudio.ui.gallery.history_watch import HistoryWatch

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

    def poster_tab() -> None:
        for index in range(window.tabs.count()):  # the tab's page is the panel's scroll area
            page = window.tabs.widget(index)
            if page is not None and page.isAncestorOf(window.qr_panel):
                window.tabs.setCurrentIndex(index)

    def use_on_poster(path: str, label: str) -> None:
        window.qr_panel.use_picture(path, label)
        poster_tab()

    def reuse(item) -> None:  # a poster's settings go to the QR tab, a cover's to the Cover tab
        if item.kind != "poster":
            window._reuse_settings(item)
            return
        from albumstudio.core.qr import QrRequest

        window.qr_panel.apply_request(QrRequest.from_dict(dict(item.request)))
        poster_tab()

    def rerun(item) -> None:
        if item.kind != "poster":
            window.cover.rerun(item)
            return
        reuse(item)
        window.qr_panel.make()

    panel.reuse_requested.connect(reuse)
    panel.reference_requested.connect(window.reference.open)
    panel.poster_art_requested.connect(use_on_poster)
    panel.rerun_requested.connect(rerun)
    panel.vary_requested.connect(
        lambda item: window.cover.vary(item, random.randrange(2**31 - 1)))
    panel.settings_restore_requested.connect(restore)
    panel.changed.connect(window.history.refresh)
    panel.notice.connect(window.show_warning)
    window.cover.history_changed.connect(panel.refresh)
    window.cover.history_changed.connect(window.qr_panel.refresh_pictures)  # its cover picker
    window.qr_panel.made.connect(lambda _record: panel.refresh())
    _follow_other_windows(window)
    return panel


def _follow_other_windows(window: MainWindow) -> None:
    """Entries another AlbumStudio adds to the same folder reach the strip too (the gallery
    watches for them itself)."""
    store = window.services.history
    if store is None:
        return
    watch = HistoryWatch(store, window)
    watch.changed.connect(window.history.refresh)
    window.history_watch = watch  # type: ignore[attr-defined]


def offer_dropped_settings(window: MainWindow, path: str) -> None:
    """A PNG dropped on the window that carries AlbumStudio settings: the gallery offers them."""
    gallery = getattr(window, "gallery", None)
    if gallery is not None and path.lower().endswith(".png") and gallery.offer_settings(
            path, quiet=True):
        gallery.dock.show()
