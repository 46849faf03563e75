"""The main window: waveform and transport on top, canvas and controls in the middle, history below."""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from albumstudio import __version__
from albumstudio.core.errors import (
    ACTION_CHOOSE_FILE,
    ACTION_CHOOSE_PICTURE,
    Problem,
    UserFacingError,
    with_action,
)
from albumstudio.core.formats import AUDIO_EXTENSIONS, has_image_extension
from albumstudio.core.text import display_name, printable
from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.jobs.runner import JobRunner
from albumstudio.services import Services
from albumstudio.services.captions import CaptionService
from albumstudio.store.history import HistoryStore
from albumstudio.store.logs import log_path
from albumstudio.store.paths import DataPaths
from albumstudio.store.settings import Settings
from albumstudio.ui.canvas.condition_panel import ConditionPanel
from albumstudio.ui.canvas.image_canvas import ImageCanvas
from albumstudio.ui.canvas.reference_image import ReferenceImage
from albumstudio.ui.caption_session import CaptionSession, connect_to_window
from albumstudio.ui.cover_results import CoverResults
from albumstudio.ui.cover_session import CoverSession
from albumstudio.ui.drops import choose_track
from albumstudio.ui.gallery.gallery_dock import install_gallery, offer_dropped_settings
from albumstudio.ui.gallery.history_strip import HistoryStrip
from albumstudio.ui.notifier import Notifier, StorageWatch, action_handlers
from albumstudio.ui.panels.analysis_panel import AnalysisPanel
from albumstudio.ui.panels.cover_panel import CoverPanel
from albumstudio.ui.panels.release_panel import ReleasePanel
from albumstudio.ui.track_session import TrackSession
from albumstudio.ui.transport import PlayerController, TransportBar
from albumstudio.ui.waveform.caption_lane import CaptionLane
from albumstudio.ui.waveform.panel import WaveformPanel
from albumstudio.ui.waveform.taggram import TaggramStrip

AUDIO_FILTER = "Audio (" + " ".join("*" + e for e in sorted(AUDIO_EXTENSIONS)) + ");;All files (*)"


def _scrolling(panel: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    def __init__(self, paths: DataPaths, runner: JobRunner | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.runner = runner or JobRunner(max_threads=2, parent=self)
        self.settings = settings or Settings.load(paths.settings_file)
        self.qsettings = QSettings(str(paths.data / "window.ini"), QSettings.Format.IniFormat)
        self.services = Services(paths, history=self._open_history())
        self.history_store = self.services.history
        self.session = TrackSession(self.runner, self.services.tracks, self)
        self.player = PlayerController(self.session, self.settings, self)
        self.setWindowTitle("AlbumStudio")
        self.setAcceptDrops(True)
        self.resize(1280, 820)
        self.setMinimumSize(720, 480)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 6)
        self.banner = Notifier()  # every problem and notice shows here
        self._actions = action_handlers(self.open_dialog, lambda: self.canvas.choose_file(),
                                        self.show_models, self.show_log)
        self.banner.action_requested.connect(lambda action: self._actions[action]()
                                             if action in self._actions else None)
        self.storage_watch = StorageWatch(self.show_warning, self)
        layout.addWidget(self.banner)
        self.transport = TransportBar(self.player)
        layout.addWidget(self.transport)
        self.waveform = WaveformPanel()
        self.taggram = TaggramStrip()
        self.wave_area = QWidget()
        wave_layout = QVBoxLayout(self.wave_area)
        wave_layout.setContentsMargins(0, 0, 0, 0)
        wave_layout.setSpacing(2)
        wave_layout.addWidget(self.waveform, 1)
        wave_layout.addWidget(self.taggram)
        self.caption_lane = CaptionLane()
        wave_layout.addWidget(self.caption_lane)
        # the waveform keeps room for its lanes above the taggram and the caption lane, and the
        # middle keeps its room at 600 px high
        self.wave_area.setMinimumHeight(150 + self.caption_lane.height())

        self.reference = ReferenceImage(self.runner, self.services.models, self)
        self.canvas = ImageCanvas(self.reference)
        self.conditions = ConditionPanel(self.reference)
        self.model_queue = ModelQueue(self)
        self.cover = CoverSession(self.session, self.reference, self.model_queue,
                                  self.services, self)
        self.captions = CaptionSession(self.model_queue,
                                       CaptionService(paths, self.services.models), self)
        self.tabs = QTabWidget()
        self.cover_panel = CoverPanel(self.cover)
        self.release_panel = ReleasePanel(self.session)
        self.analysis_panel = AnalysisPanel(self.session)
        cover_tab = QWidget()
        cover_layout = QVBoxLayout(cover_tab)
        cover_layout.setContentsMargins(0, 0, 0, 0)
        cover_layout.addWidget(_scrolling(self.cover_panel), 1)
        cover_layout.addWidget(self.cover_panel.footer)
        self.tabs.addTab(cover_tab, "Cover")
        self.tabs.addTab(_scrolling(self.conditions), "Picture")
        self.tabs.addTab(_scrolling(self.analysis_panel), "Analysis")
        self.tabs.addTab(_scrolling(self.release_panel), "Release")
        from albumstudio.ui.panels.qr_panel import QrPanel  # the QR tab (#15)

        self.qr_panel = QrPanel(self.runner, self.services, lambda: self.reference.path,
                                model_queue=self.model_queue, show_models=self.show_models)
        self.qr_panel.problem.connect(self.banner.show_problem)
        self.tabs.addTab(_scrolling(self.qr_panel), "QR")
        from albumstudio.ui.panels.music_panel import MusicPanel  # the Music tab (#16)

        self.music_panel = MusicPanel(self.model_queue, self.runner, self.services,
                                      lambda: self.reference.path, lambda: self.session.path)
        self.music_panel.problem.connect(self.banner.show_problem)
        self.tabs.addTab(_scrolling(self.music_panel), "Music")
        from albumstudio.ui.panels.clip_panel import ClipPanel  # the Clip tab (#16)

        self.clip_panel = ClipPanel(self.runner, self.services, self.session, self.waveform.view,
                                    self.player, self.transport, lambda: self.reference.path)
        self.clip_panel.problem.connect(self.banner.show_problem)
        self.tabs.addTab(_scrolling(self.clip_panel), "Clip")
        self.middle = QSplitter(Qt.Orientation.Horizontal)
        self.middle.addWidget(self.canvas)
        self.middle.addWidget(self.tabs)
        self.middle.setStretchFactor(0, 3)
        self.middle.setStretchFactor(1, 2)
        # the tabs never get narrower than the Cover tab's controls (it scrolls only down)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.tabs.setMinimumWidth(self.cover_panel.minimumSizeHint().width() + scrollbar + 16)
        self.history = HistoryStrip(self.runner, self.history_store)
        self.history.refresh()
        self.covers = CoverResults(self, self.cover, self.canvas, self.history, self.runner)
        self.vertical = QSplitter(Qt.Orientation.Vertical)
        self.vertical.addWidget(self.wave_area)
        self.vertical.addWidget(self.middle)
        self.vertical.addWidget(self.history)
        self.vertical.setStretchFactor(0, 2)
        self.vertical.setStretchFactor(1, 3)
        self.vertical.setStretchFactor(2, 0)
        self.vertical.setSizes([250, 500, 120])
        layout.addWidget(self.vertical, 1)
        self.setCentralWidget(central)
        self.status_label = QLabel("Drop a track to begin.")
        self.statusBar().addWidget(self.status_label, 1)

        self._build_menus()
        self._bind()
        self.gallery = install_gallery(self)
        from albumstudio.ui.dialogs.models_dialog import install_models_offer

        self.models_offer = install_models_offer(self)
        self._restore_geometry()

    # -- construction -----------------------------------------------------------------------
    def _open_history(self) -> HistoryStore | None:
        try:
            store = HistoryStore(self.paths.history)
            if store.notice:  # a damaged database was kept aside; this one starts empty
                QTimer.singleShot(0, lambda: self.show_error(store.notice))
            return store
        except (UserFacingError, OSError) as exc:
            from albumstudio.store.storage import is_storage_fault, note_unwritable

            if isinstance(exc, OSError) and is_storage_fault(exc):  # shown by StorageWatch
                note_unwritable(self.paths.history, exc, "the history folder",
                                "covers you make now are not kept after you quit")
                return None
            message = exc.message if isinstance(exc, UserFacingError) else str(exc)
            QTimer.singleShot(0, lambda: self.show_error(
                f"{message} Covers you make now are not kept after you quit."))
            return None

    def _edit_focused(self, name: str) -> None:
        """Undo, redo, cut, copy, paste or select all in the text field that has the focus
        (the release fields, the description, your words, the prompt)."""
        from PySide6.QtWidgets import QApplication

        widget = QApplication.focusWidget()
        method = getattr(widget, name, None)
        if widget is not None and callable(method):
            method()

    def _playback_available(self, ok: bool, reason: str) -> None:
        """The Playback menu follows the transport's buttons, with the same reason."""
        for action in (self.play_action, self.stop_action, self.loop_action):
            action.setEnabled(ok)
            action.setToolTip("" if ok else reason)
            action.setStatusTip("" if ok else reason)

    def show_models(self, about: str = "") -> None:
        from albumstudio.ui.dialogs.models_dialog import ModelsDialog

        if not about:  # the model the banner names
            about = self.banner.text() if self.banner.isVisible() else ""
        ModelsDialog(self.runner, self, history=self.history_store, about=about).open()

    def export_kit(self) -> None:
        """File › Export Release Kit… (#17): the kit of the open track and picture."""
        from albumstudio.ui.dialogs.kit_dialog import KitDialog

        if not self.session.path:
            self.show_error("Open a track first: the release kit is made from it.")
            return
        tags = self.session.tags
        shown = self.covers.current  # the cover on the canvas: (png, seed, request)
        # on the model queue: the kit may run the super-resolution model, one model job at a time
        self.kit_dialog = KitDialog(self.model_queue, self.services, self.session.path,
                                    self.reference.path, tags.title, tags.artist, self,
                                    cover=(shown[0], shown[2]) if shown else None)
        self.kit_dialog.open()

    def show_log(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        path = log_path()
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))

    def _action(self, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open Track…", self.open_dialog, QKeySequence.StandardKey.Open)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(self._action("Open &Image…", self.canvas.choose_file, "Ctrl+I"))
        self.save_cover_action = self._action("&Save Cover As…", self.covers.save_dialog,
                                              QKeySequence.StandardKey.Save)
        self.save_cover_action.setEnabled(False)
        self.covers.can_save.connect(self.save_cover_action.setEnabled)
        file_menu.addAction(self.save_cover_action)
        file_menu.addSeparator()
        self.generate_action = self._action("&Generate Cover", self.cover_panel.generate,
                                            "Ctrl+Return")
        file_menu.addAction(self.generate_action)
        self.kit_action = self._action("&Export Release Kit…", self.export_kit)
        file_menu.addAction(self.kit_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = bar.addMenu("&Edit")  # acts on the text field that has the focus
        self.edit_actions = {}
        for name, text, key in (("undo", "&Undo", QKeySequence.StandardKey.Undo),
                                ("redo", "&Redo", QKeySequence.StandardKey.Redo),
                                (None, "", None),
                                ("cut", "Cu&t", QKeySequence.StandardKey.Cut),
                                ("copy", "&Copy", QKeySequence.StandardKey.Copy),
                                ("paste", "&Paste", QKeySequence.StandardKey.Paste),
                                ("selectAll", "Select &All", QKeySequence.StandardKey.SelectAll)):
            if name is None or key is None:
                edit_menu.addSeparator()
                continue
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            # the focused field handles its own keys first; the menu reaches it by mouse
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _=False, n=name: self._edit_focused(n))
            edit_menu.addAction(action)
            self.edit_actions[name] = action

        play_menu = bar.addMenu("&Playback")
        play_menu.setToolTipsVisible(True)
        self.play_action = self._action("Play / Pause", self.player.toggle, Qt.Key.Key_Space)
        play_menu.addAction(self.play_action)
        self.stop_action = self._action("Stop", self.player.stop, "S")
        play_menu.addAction(self.stop_action)
        play_menu.addAction(self._action("Go to Start", lambda: self.player.seek(0.0), Qt.Key.Key_Home))
        play_menu.addAction(self._action("Go to End", self.player.seek_end, Qt.Key.Key_End))
        self.loop_action = self._action("Loop Selection", self.transport.loop_button.setChecked,
                                        "L", checkable=True)
        self.transport.loop_button.toggled.connect(self.loop_action.setChecked)
        play_menu.addAction(self.loop_action)
        self.player.availability_changed.connect(self._playback_available)
        self._playback_available(self.player.engine is not None, self.player.reason)

        view_menu = bar.addMenu("&View")
        view = self.waveform.view
        view_menu.addAction(self._action("Zoom &In", view.zoom_in, QKeySequence.StandardKey.ZoomIn))
        view_menu.addAction(self._action("Zoom &Out", view.zoom_out, QKeySequence.StandardKey.ZoomOut))
        view_menu.addAction(self._action("Zoom to &Fit", view.zoom_to_fit, "Ctrl+0"))
        self.overlay_action = self._action("Show Analysis &Overlays", self._set_overlays, checkable=True)
        self.overlay_action.setChecked(self.settings.show_overlays)
        view_menu.addAction(self.overlay_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Models…", self.show_models))
        help_menu.addAction(self._action("&About AlbumStudio", self._about))

    def _bind(self) -> None:
        s, view = self.session, self.waveform.view
        s.peaks_changed.connect(view.set_peaks)
        s.analysis_changed.connect(self._show_overlays)
        s.status_changed.connect(lambda text: self.status_label.setText(text))
        s.error.connect(lambda problem: self.show_error(with_action(problem,
                                                                    ACTION_CHOOSE_FILE)))
        s.warning.connect(self.show_warning)
        s.loading_started.connect(self._on_loading)
        s.loaded.connect(self._on_loaded)
        view.seek_requested.connect(self.player.seek)
        view.selection_changed.connect(self.player.set_selection)
        self.player.position_changed.connect(view.set_playhead)
        self.player.position_changed.connect(self._follow_playhead)
        view.set_overlays_visible(self.settings.show_overlays)
        view.view_changed.connect(self.taggram.set_view)
        connect_to_window(self.captions, self.caption_lane, view, s, self.cover,
                          self.show_warning)
        s.music_tags_changed.connect(self._show_taggram)
        s.hidden_tags_changed.connect(self._show_taggram)
        s.tagging_status.connect(lambda t: self.taggram.set_message(t) if t else None)
        self.reference.error.connect(lambda problem: self.show_error(
            with_action(problem, ACTION_CHOOSE_PICTURE)))
        self.cover.failed.connect(self.show_error)
        self.cover.notice.connect(self.show_warning)
        self.cover.history_changed.connect(self.history.refresh)
        self.history.reuse_requested.connect(self._reuse_settings)

    # -- track -------------------------------------------------------------------------------
    def open_path(self, path: str) -> bool:
        self.banner.hide()
        return self.session.open(path)

    def open_dialog(self) -> None:
        start = os.path.dirname(self.settings.recent_tracks[0]) if self.settings.recent_tracks else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a track", start, AUDIO_FILTER)
        if path:
            self.open_path(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        if not self.settings.recent_tracks:
            self.recent_menu.addAction("No recent tracks").setEnabled(False)
            return
        for path in self.settings.recent_tracks:
            action = self.recent_menu.addAction(display_name(path))
            action.setToolTip(printable(path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))

    def _on_loading(self, path: str) -> None:
        self.setWindowTitle(f"{display_name(path)} — AlbumStudio")
        self.waveform.view.set_overlays()
        self.waveform.view.clear_selection()

    def _on_loaded(self, path: str) -> None:
        self.settings.add_recent(path)
        self._save_settings()

    def _follow_playhead(self, seconds: float) -> None:
        """While playing, page the view forward when the playhead runs off its right edge."""
        view = self.waveform.view
        if not (self.player.engine is not None and self.player.engine.playing):
            return
        if not view.view_start <= seconds < view.view_start + view.visible_seconds:
            view.scroll_to(max(0.0, seconds - 0.05 * view.visible_seconds))

    def _show_taggram(self, *_args) -> None:
        view = self.waveform.view
        self.taggram.set_view(view.view_start, view.visible_seconds)
        self.taggram.set_result(self.session.music_tags, self.session.hidden_tags)

    def _show_overlays(self, analysis) -> None:
        if analysis is None:
            self.waveform.view.set_overlays()
            return
        analysis = self.session.understood_analysis() or analysis  # the artist's tempo's grid
        self.waveform.view.set_overlays(
            beat_times=analysis.beat_times,
            energy_curve=analysis.energy_curve,
            curve_hop_s=analysis.curve_hop_s,
            section_times=analysis.section_times,
        )

    def _set_overlays(self, visible: bool) -> None:
        self.settings.show_overlays = bool(visible)
        self.waveform.view.set_overlays_visible(bool(visible))
        self._save_settings()

    def _reuse_settings(self, item) -> None:
        try:
            request = self.services.covers.request_of(item)
        except UserFacingError as exc:
            self.show_error(Problem.from_exception(exc, "restoring the settings"))
            return
        self.cover_panel.apply_request(request)
        changed = self.services.covers.changed_since(item)
        if changed is not None:
            self.show_warning(changed.text)
        self.tabs.setCurrentIndex(0)

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.show_warning(f"Settings could not be saved ({exc.strerror or exc}); they last until you quit.")

    # -- messages ----------------------------------------------------------------------------
    def show_error(self, problem: Problem | str) -> None:
        self.banner.show_problem(problem)
        self.status_label.setText(self.banner.text())

    def show_warning(self, message: str) -> None:
        self.banner.show_notice(message)
        self.status_label.setText(message)

    def _about(self) -> None:
        QMessageBox.about(
            self, "About AlbumStudio",
            f"AlbumStudio {__version__}\nTurn a track into a release kit on your own computer.\n"
            f"Your data: {self.paths.data}\nCache: {self.paths.cache}",
        )

    # -- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        event.acceptProposedAction()
        if len(paths) == 1 and has_image_extension(paths[0]):
            self.banner.hide()
            self.reference.open(paths[0])
            offer_dropped_settings(self, paths[0])  # a PNG with its settings: offer them
            return
        choice = choose_track(paths, remote_count=len(urls) - len(paths))
        if choice.error:
            self.show_error(choice.error)
            return
        if choice.path and self.open_path(choice.path) and choice.note:
            self.show_warning(choice.note)

    # -- geometry and shutdown ---------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.qsettings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.qsettings.value("splitter")
        if isinstance(state, QByteArray):
            self.vertical.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("splitter", self.vertical.saveState())
        self.qsettings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop playback, cancel and join every worker, free the models (safe to call twice)."""
        self.storage_watch.stop()
        self.player.close()
        self.music_panel.close_playback()
        self.gallery.shutdown()  # a clip playing in its detail pane, its file watch
        self.cover.close()
        self.runner.shutdown()
        self.services.models.unload_all()
        if self.history_store is not None:
            self.history.history = None
            self.history_store.close()
            self.history_store = None
            self.services.history = None
