"""The history gallery: every output as a virtualised grid of thumbnails, found by kind,
engine, favourites and words, sorted by date or track; the detail pane shows one large with
every setting; actions favourite, delete (undo), empty the trash, clean up, compare, use as
reference, use the settings, re-run, vary, drag out and copy. Dropping a PNG that carries
AlbumStudio settings offers to restore them.

Each thumbnail is one variant (output) of an entry: Favourite and Delete act on the chosen
variants, so one of a cover's two variants can be kept and the other thrown away."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.cover import CoverRequest
from albumstudio.core.errors import UserFacingError
from albumstudio.jobs.runner import JobRunner
from albumstudio.services import Services
from albumstudio.services.covers import save_cover
from albumstudio.services.history_thumbs import thumbnail
from albumstudio.store.history import GalleryRow, HistoryItem, HistoryQuery
from albumstudio.ui.gallery.clip_player import ClipPlayer, playable
from albumstudio.ui.gallery.compare_view import CompareDialog
from albumstudio.ui.gallery.detail_text import detail_lines
from albumstudio.ui.gallery.gallery_model import GalleryModel
from albumstudio.ui.gallery.history_watch import HistoryWatch
from albumstudio.ui.gallery.thumbnails import ThumbnailCache

DETAIL_SIDE = 512
KINDS = (("All kinds", None), ("Covers", "cover"), ("Posters", "poster"), ("Clips", "clip"))


def _ask(parent: QWidget, text: str) -> bool:
    answer = QMessageBox.question(parent, "AlbumStudio", text)
    return answer == QMessageBox.StandardButton.Yes


class GalleryPanel(QWidget):
    reuse_requested = Signal(object)  # HistoryItem: its settings into the Cover tab
    reference_requested = Signal(str)  # a file to use as the reference picture
    poster_art_requested = Signal(str, str)  # a cover's file and its label: onto a QR poster
    rerun_requested = Signal(object)  # HistoryItem
    vary_requested = Signal(object)  # HistoryItem
    settings_restore_requested = Signal(object)  # CoverRequest read from a dropped PNG
    changed = Signal()  # entries were trashed, restored or removed here
    notice = Signal(str)

    def __init__(self, runner: JobRunner, services: Services, drag_folder: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.services = services
        self.store = services.history
        self.drag_folder = drag_folder
        self.confirm: Callable[[str], bool] = lambda text: _ask(self, text)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.undo_stack: list[tuple[str, list[int]]] = []  # ("variants" | "entries", ids)
        self.compare_dialog: CompareDialog | None = None
        self.offered: CoverRequest | None = None  # what a dropped PNG carries, while offered
        self._disk_for: tuple[int, int] | None = None
        self._disk_text = ""
        self.setAcceptDrops(True)
        self._build()
        if self.store is None:
            self.status.setText("The history cannot be used, so the gallery is empty.")
            for widget in self.findChildren(QPushButton):
                widget.setEnabled(False)
            return
        self.thumbnails = ThumbnailCache(runner, self.store, parent=self)
        self.model = GalleryModel(self.store, self.thumbnails, self.export_copy, self)
        self.view.setModel(self.model)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.watch = HistoryWatch(self.store, self)  # another AlbumStudio's new entries
        self.watch.changed.connect(self._others_changed)
        self.refresh()
        if self.store.notice:
            self.status.setText(self.store.notice)

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = QLineEdit(placeholderText="Search prompt, title, artist, tags")
        self.search.setAccessibleName("Search the history")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox()
        for label, value in KINDS:
            self.kind.addItem(label, value)
        self.engine = QComboBox()
        self.engine.addItem("All engines", None)
        for kind in ("cover", "poster", "clip"):  # posters and clips are kept too
            for name in self.services.covers.registry.names(kind):
                self.engine.addItem(name, name)
        self.favourites = QCheckBox("Favourites")
        self.trash = QCheckBox("Trash")
        self.sort = QComboBox()
        self.sort.addItem("Newest first", "date")
        self.sort.addItem("By track", "track")
        for combo, name in ((self.kind, "Kind"), (self.engine, "Engine"), (self.sort, "Sort")):
            combo.setAccessibleName(name)
        for widget in (self.search, self.kind, self.engine, self.favourites, self.trash,
                       self.sort):
            bar.addWidget(widget)
        layout.addLayout(bar)
        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        for combo in (self.kind, self.engine, self.sort):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        for box in (self.favourites, self.trash):
            box.toggled.connect(lambda _on: self.refresh())

        self.offer = QFrame()
        offer_row = QHBoxLayout(self.offer)
        self.offer_label = QLabel()
        self.offer_label.setWordWrap(True)
        self.restore_offer = QPushButton("Restore Settings")
        dismiss = QPushButton("Dismiss")
        self.restore_offer.clicked.connect(self._restore_offered)
        dismiss.clicked.connect(self._dismiss_offer)
        offer_row.addWidget(self.offer_label, 1)
        offer_row.addWidget(self.restore_offer)
        offer_row.addWidget(dismiss)
        self.offer.hide()
        layout.addWidget(self.offer)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(300)
        self.view.setIconSize(QSize(128, 128))
        self.view.setGridSize(QSize(148, 170))
        self.view.setWordWrap(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setAccessibleName("History entries")
        split.addWidget(self.view)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        self.preview = QLabel("Choose an entry to see it here.")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(256, 256)
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setAccessibleName("Entry details")
        self.clip_player = ClipPlayer(self.runner)  # shown for a clip: it plays here
        detail_layout.addWidget(self.preview, 2)
        detail_layout.addWidget(self.clip_player)
        detail_layout.addWidget(self.details, 1)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)

        actions = QHBoxLayout()
        self.favourite_button = QPushButton("Favourite")
        self.delete_button = QPushButton("Delete")
        self.undo_button = QPushButton("Undo Delete")
        self.empty_button = QPushButton("Empty Trash…")
        self.compare_button = QPushButton("Compare")
        self.reference_button = QPushButton("Use as Reference")
        self.poster_button = QPushButton("Use on a Poster")
        self.poster_button.setToolTip("Put this cover on the QR tab's next poster.")
        self.reuse_button = QPushButton("Use These Settings")
        self.rerun_button = QPushButton("Re-run")
        self.vary_button = QPushButton("Vary")
        self.copy_button = QPushButton("Copy")
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the entry's file in the app your system plays or "
                                    "shows it with (a PDF poster, a clip in your player).")
        for button, slot in ((self.favourite_button, self.toggle_favourite),
                             (self.delete_button, self.delete_selected),
                             (self.undo_button, self.undo_delete),
                             (self.empty_button, self.empty_trash),
                             (self.compare_button, self.compare_selected),
                             (self.reference_button, self._use_as_reference),
                             (self.poster_button, self._use_on_poster),
                             (self.reuse_button, lambda: self._emit_item(self.reuse_requested)),
                             (self.rerun_button, lambda: self._emit_item(self.rerun_requested)),
                             (self.vary_button, lambda: self._emit_item(self.vary_requested)),
                             (self.copy_button, self.copy_selected),
                             (self.open_button, self.open_selected)):
            button.clicked.connect(slot)
            actions.addWidget(button)
        layout.addLayout(actions)
        housekeeping = QHBoxLayout()
        self.clean_days = QSpinBox(minimum=0, maximum=3650, value=90, suffix=" days")
        self.clean_days.setAccessibleName("Clean up entries older than")
        self.clean_button = QPushButton("Clean Up…")
        self.clean_button.clicked.connect(self.clean_up)
        self.status = QLabel()
        self.status.setWordWrap(True)
        housekeeping.addWidget(QLabel("Older than"))
        housekeeping.addWidget(self.clean_days)
        housekeeping.addWidget(self.clean_button)
        housekeeping.addWidget(self.status, 1)
        layout.addLayout(housekeeping)
        self.undo_button.setEnabled(False)

    # -- listing -----------------------------------------------------------------------------
    def query(self) -> HistoryQuery:
        return HistoryQuery(kind=self.kind.currentData(), engine=self.engine.currentData(),
                            favourites=self.favourites.isChecked(), search=self.search.text(),
                            sort=self.sort.currentData(), trash=self.trash.isChecked())

    def refresh(self) -> None:
        """List again what the filters ask for (when shown; otherwise when next shown)."""
        if self.store is None:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        chosen = {r.id for r in self.selected_rows()}
        self.model.reload(self.query())
        for n, row in enumerate(self.model.rows()):
            if row.id in chosen:
                self.view.selectionModel().select(
                    self.model.index(n),
                    self.view.selectionModel().SelectionFlag.Select)
        version = self.store.data_version(), self.store.count()
        if version != self._disk_for:  # disk use only when the entries changed, not per search
            self._disk_for = version
            use = self.store.disk_use()
            variants = f" + {use.trash_variants} variants" if use.trash_variants else ""
            self._disk_text = (f"{use.entries} entries, {use.bytes / 1e6:.1f} MB · trash "
                               f"{use.trash_entries}{variants} ({use.trash_bytes / 1e6:.1f} MB)")
        self.status.setText(f"{self.model.rowCount()} shown · {self._disk_text}")
        self._selection_changed()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self.refresh()

    def _others_changed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def selected_rows(self) -> list[GalleryRow]:
        if self.store is None or self.view.selectionModel() is None:
            return []
        return [self.model.row_at(i.row()) for i in
                sorted(self.view.selectionModel().selectedIndexes(), key=lambda i: i.row())]

    def current_item(self) -> HistoryItem | None:
        rows = self.selected_rows()
        return self.store.item(rows[0].id) if rows and self.store is not None else None

    def _selection_changed(self, *_args) -> None:
        rows = self.selected_rows()
        one = len(rows) == 1
        for button in (self.reuse_button, self.rerun_button, self.vary_button,
                       self.copy_button, self.open_button):
            button.setEnabled(one)
        picture = one and rows[0].file_ext.lower() in (".png", ".jpg", ".jpeg")
        self.reference_button.setEnabled(picture)
        self.compare_button.setEnabled(len(rows) == 2 and all(
            r.file_ext.lower() in (".png", ".jpg", ".jpeg") for r in rows))
        self.poster_button.setEnabled(one and rows[0].kind == "cover")
        self.favourite_button.setEnabled(bool(rows))
        self.delete_button.setEnabled(bool(rows))
        self.delete_button.setText("Restore" if self.trash.isChecked() else "Delete")
        self.favourite_button.setText(
            "Unfavourite" if rows and all(r.favourite for r in rows) else "Favourite")
        if one and playable(rows[0].file_ext) and self.store is not None:
            self.clip_player.load(str(self.store.file_path(rows[0].file_hash,
                                                           rows[0].file_ext)), 0.0)
        else:
            self.clip_player.clear()
        if one:
            self._show_detail(rows[0])
        else:
            self.details.setPlainText(f"{len(rows)} chosen." if rows else "")
            self.preview.setPixmap(QPixmap())
            self.preview.setText("Choose an entry to see it here." if not rows else "")

    def _show_detail(self, row: GalleryRow) -> None:
        assert self.store is not None
        record = self.store.get(row.job_id)
        if record is None:
            return
        self.details.setPlainText("\n".join(detail_lines(record, row.id)))
        store = self.store

        def load(ctx) -> QImage:
            return QImage.fromData(thumbnail(store, row.file_hash, row.file_ext, DETAIL_SIDE))

        handle = self.runner.submit("showing a history entry", load, key="gallery-detail")
        # the copy a drag or Copy hands out is made now, off the main thread (a saved cover is
        # compressed for keeping, about a second for 3000²), so dragging starts at once
        self.runner.submit("preparing a cover to drag out",
                           lambda ctx: self.export_copy(row), key="gallery-export")
        handle.finished.connect(lambda image: self.preview.setPixmap(QPixmap.fromImage(image)))
        handle.failed.connect(lambda _p: self.preview.setText("The file of this entry has gone."))

    # -- actions -----------------------------------------------------------------------------
    def toggle_favourite(self) -> None:
        """The chosen variants as favourites (or, when all are, no longer)."""
        rows = self.selected_rows()
        if rows and self.store is not None:
            self.store.set_variant_favourite([r.id for r in rows],
                                             not all(r.favourite for r in rows))
            self.refresh()

    def delete_selected(self) -> None:
        """The chosen variants to the trash (Undo brings them back); in the trash view,
        restore them."""
        rows = self.selected_rows()
        if self.store is None or not rows:
            return
        if self.trash.isChecked():
            self.store.restore_variants([r.id for r in rows])
        else:
            moved = self.store.trash_variants([r.id for r in rows])
            self.undo_stack.append(("variants", moved))
            self.undo_button.setEnabled(True)
            self.notice.emit(f"Moved {len(moved)} result{'' if len(moved) == 1 else 's'} to "
                             "the trash; Undo Delete brings them back.")
        self._disk_for = None  # the trash changed
        self.refresh()
        self.changed.emit()

    def undo_delete(self) -> None:
        if self.store is None or not self.undo_stack:
            return
        what, ids = self.undo_stack.pop()
        if what == "variants":
            self.store.restore_variants(ids)
        else:
            self.store.restore(ids)
        self.undo_button.setEnabled(bool(self.undo_stack))
        self._disk_for = None  # the trash changed
        self.refresh()
        self.changed.emit()

    def empty_trash(self) -> None:
        if self.store is None:
            return
        use = self.store.disk_use()
        if not use.trash_entries and not use.trash_variants:
            self.notice.emit("The trash is empty.")
            return
        variants = (f" and {use.trash_variants} variants of entries that keep others"
                    if use.trash_variants else "")
        if not self.confirm(f"Remove the {use.trash_entries} entries{variants} in the trash for "
                            f"good ({use.trash_bytes / 1e6:.1f} MB)? Files other entries use "
                            "stay."):
            return
        emptied = self.store.empty_trash()
        self.undo_stack.clear()
        self.undo_button.setEnabled(False)
        self.notice.emit(f"Removed {emptied.entries} entries, {emptied.variants} variants and "
                         f"{emptied.files} files ({emptied.bytes / 1e6:.1f} MB freed).")
        self._disk_for = None  # the trash changed
        self.refresh()
        self.changed.emit()

    def clean_up(self) -> None:
        if self.store is None:
            return
        days = self.clean_days.value()
        going = self.store.clean_up(days, dry_run=True)
        if not going:
            self.notice.emit(f"Nothing to clean: no entry older than {days} days that is not a "
                             "favourite.")
            return
        names = "\n".join(f"entry {r.id}: {r.request.get('title') or r.kind}, seed "
                          f"{r.request.get('seed')}" for r in going[:20])
        more = f"\n… and {len(going) - 20} more" if len(going) > 20 else ""
        if not self.confirm(f"Move these {len(going)} entries (older than {days} days, not "
                            f"favourites) to the trash?\n{names}{more}"):
            return
        moved = self.store.trash([r.id for r in going])
        self.undo_stack.append(("entries", moved))
        self.undo_button.setEnabled(True)
        self._disk_for = None  # the trash changed
        self.refresh()
        self.changed.emit()

    def compare_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 2 or self.store is None:
            return
        store = self.store

        def load(ctx) -> tuple[QImage, QImage]:
            a, b = (QImage.fromData(store.thumbnail_of(r.file_hash, r.file_ext, 1024))
                    for r in rows)
            return a, b

        handle = self.runner.submit("comparing two covers", load, key="gallery-compare")
        handle.finished.connect(lambda images: self._open_compare(rows, *images))

    def _open_compare(self, rows: list[GalleryRow], left: QImage, right: QImage) -> None:
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.compare_dialog = CompareDialog(left, right, f"entry {rows[0].job_id}",
                                            f"entry {rows[1].job_id}", self)
        self.compare_dialog.show()

    def _emit_item(self, signal) -> None:
        item = self.current_item()
        if item is not None:
            signal.emit(item)

    def _use_as_reference(self) -> None:
        item = self.current_item()
        if item is not None:
            self.reference_requested.emit(str(item.path))

    def open_selected(self) -> None:
        """Play a clip or open a poster in the system's own app."""
        item = self.current_item()
        if item is not None:
            self.open_url(QUrl.fromLocalFile(str(item.path)))

    def _use_on_poster(self) -> None:
        item = self.current_item()
        if item is not None and item.kind == "cover":
            seed = f", seed {item.seed}" if item.seed is not None else ""
            self.poster_art_requested.emit(str(item.path),
                                           f"Cover #{item.job_id} ({item.engine}{seed})")

    def export_copy(self, row: GalleryRow) -> Path:
        """A PNG of the row that carries its settings, named for people (made once)."""
        assert self.store is not None
        title = re.sub(r"[^\w\- ]+", "", row.title).strip()[:40] or row.kind
        path = self.drag_folder / f"{title} - entry {row.job_id} seed {row.seed}{row.file_ext}"
        if not path.exists():
            item = self.store.item(row.id)
            if item is None:
                raise OSError("the entry has gone")
            self.drag_folder.mkdir(parents=True, exist_ok=True)
            try:
                if row.file_ext.lower() == ".png":
                    save_cover(item.read_bytes(), str(path), overwrite=True,
                               settings=dict(item.request) or None)
                else:  # a PDF poster or a clip goes out as it is
                    from albumstudio.store.storage import write_users_file

                    write_users_file(path, item.read_bytes(), True)
            except UserFacingError as exc:
                raise OSError(exc.message) from exc
        return path

    def copy_selected(self) -> None:
        """The picture and its file (with settings) on the clipboard."""
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        mime = self.model.mimeData([self.model.index(self.model.rows().index(rows[0]))])
        urls = mime.urls()
        if urls:
            mime.setImageData(QImage(urls[0].toLocalFile()))
        QGuiApplication.clipboard().setMimeData(mime)
        self.notice.emit("Copied the cover.")

    # -- a dropped PNG -----------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and event.source() is None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        if paths:
            self.offer_settings(paths[0])

    def offer_settings(self, path: str, quiet: bool = False) -> bool:
        """Offer to restore the settings a PNG carries; False when it carries none (said
        unless ``quiet``)."""
        try:
            request = self.services.covers.request_from_png(path)
        except UserFacingError as exc:
            if not quiet:
                self.notice.emit(exc.message)
            return False
        if request is None:
            if not quiet:
                self.notice.emit("That picture carries no AlbumStudio settings.")
            return False
        self.offered = request
        self.offer_label.setText(
            f"This picture carries AlbumStudio settings ({request.engine} engine, seed "
            f"{request.seed}, {request.size} px). Restore them in the Cover tab?")
        self.offer.show()
        return True

    def _restore_offered(self) -> None:
        if self.offered is not None:
            self.settings_restore_requested.emit(self.offered)
        self._dismiss_offer()

    def _dismiss_offer(self) -> None:
        self.offered = None
        self.offer.hide()

    def shutdown(self) -> None:
        self.clip_player.clear()
        if self.store is not None:
            self.watch.stop()
        if self.compare_dialog is not None:
            self.compare_dialog.close()
