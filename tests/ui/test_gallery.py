"""The history gallery through real signals (offscreen): filter, search, favourite, delete,
undo, empty the trash (shared files kept), compare with the split slider, drag out (file URLs of
PNGs with their settings), a dropped PNG's settings offered back, and the window's re-run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from albumstudio.core.png_settings import settings_of
from albumstudio.services import Services
from albumstudio.store.paths import default_paths
from tests.support.gallery import history_made_by, select
from tests.support.requests import cover_request


def _make(services):
    covers = services.covers
    harbour = covers.run(cover_request(
        "design", prompt="neon rain over a harbour", title="Harbour Lights", artist="Nadia Sol",
        size=256, seed=3, variants=2, layout="centered"))
    fox = cover_request("design", prompt="ink fox", title="Fox Song", artist="The Echoes",
                        size=256, seed=9, layout="stacked", treatment="halftone")
    return harbour, covers.run(fox), covers.run(fox)


@pytest.fixture
def gallery(open_gallery):
    return open_gallery(_make)


def shown_jobs(panel):
    return [row.job_id for row in panel.model.rows()]


def test_search_filter_and_favourites(gallery, qtbot):
    panel, (harbour, fox_1, fox_2) = gallery
    assert shown_jobs(panel) == [fox_2.id, fox_1.id, harbour.id, harbour.id]
    panel.search.setText("harb")
    qtbot.waitUntil(lambda: shown_jobs(panel) == [harbour.id, harbour.id], timeout=3000)
    panel.search.setText("")
    qtbot.waitUntil(lambda: len(shown_jobs(panel)) == 4, timeout=3000)
    panel.sort.setCurrentIndex(panel.sort.findData("track"))
    assert shown_jobs(panel)[:2] == [fox_2.id, fox_1.id]  # Fox Song before Harbour Lights
    panel.kind.setCurrentIndex(panel.kind.findData("poster"))
    assert shown_jobs(panel) == []
    panel.kind.setCurrentIndex(0)
    select(panel, fox_1.id)
    panel.favourite_button.click()
    assert panel.favourite_button.text() == "Unfavourite"
    panel.favourites.setChecked(True)
    assert shown_jobs(panel) == [fox_1.id]
    assert "seed: 9" in panel.details.toPlainText()  # the detail pane: every setting
    assert "treatment: halftone" in panel.details.toPlainText()


def test_delete_undo_and_empty_trash_keeping_a_shared_file(gallery, qtbot):
    panel, (harbour, fox_1, fox_2) = gallery
    shared = fox_1.outputs[0].path
    select(panel, fox_1.id)
    with qtbot.waitSignal(panel.changed):
        panel.delete_button.click()
    assert fox_1.id not in shown_jobs(panel)
    assert "2 entries" in panel.status.text() and "trash 1 (" in panel.status.text()  # disk use
    assert panel.undo_button.isEnabled()
    panel.undo_button.click()
    assert fox_1.id in shown_jobs(panel)
    select(panel, fox_1.id, harbour.id, first_output_only=False)
    panel.delete_button.click()
    assert shown_jobs(panel) == [fox_2.id]
    panel.trash.setChecked(True)
    assert sorted(set(shown_jobs(panel))) == sorted([fox_1.id, harbour.id])
    asked = []
    panel.confirm = lambda text: asked.append(text) or True
    panel.empty_button.click()
    assert asked and "2 entries" in asked[0]
    assert shown_jobs(panel) == []
    assert open(shared, "rb").read()  # fox_2 still uses the file
    import os

    assert not os.path.exists(harbour.outputs[0].path)


def test_one_variant_is_kept_as_a_favourite_and_the_other_thrown_away(gallery, qtbot):
    panel, (harbour, fox_1, fox_2) = gallery
    first, second = harbour.outputs
    select(panel, harbour.id)  # the first variant's thumbnail only
    assert [r.id for r in panel.selected_rows()] == [first.id]
    panel.favourite_button.click()
    assert "variant 1 (shown): seed 3 · favourite" in panel.details.toPlainText()
    assert "variant 2: seed 4\n" in panel.details.toPlainText()
    panel.favourites.setChecked(True)
    assert [r.id for r in panel.model.rows()] == [first.id]
    panel.favourites.setChecked(False)
    n = next(i for i, r in enumerate(panel.model.rows()) if r.id == second.id)
    panel.view.selectionModel().clearSelection()
    panel.view.selectionModel().select(panel.model.index(n),
                                       panel.view.selectionModel().SelectionFlag.Select)
    with qtbot.waitSignal(panel.changed):
        panel.delete_button.click()
    assert [r.id for r in panel.model.rows() if r.job_id == harbour.id] == [first.id]
    assert panel.store.get(harbour.id).trashed is None  # the entry keeps its favourite
    assert "trash 0 + 1 variants (" in panel.status.text()
    panel.undo_button.click()
    assert [r.id for r in panel.model.rows() if r.job_id == harbour.id] == [first.id, second.id]
    panel.view.selectionModel().select(panel.model.index(n),
                                       panel.view.selectionModel().SelectionFlag.Select)
    panel.delete_button.click()
    panel.trash.setChecked(True)
    assert [r.id for r in panel.model.rows()] == [second.id]
    asked = []
    panel.confirm = lambda text: asked.append(text) or True
    with qtbot.waitSignal(panel.notice) as said:
        panel.empty_button.click()
    assert "1 variants of entries that keep others" in asked[0]
    assert "1 variants and 1 files" in said.args[0]
    import os

    assert not os.path.exists(second.path) and os.path.exists(first.path)
    panel.trash.setChecked(False)
    assert [r.id for r in panel.model.rows() if r.job_id == harbour.id] == [first.id]
    assert [o.id for o in panel.store.get(harbour.id).outputs] == [first.id]
    assert fox_1.id in shown_jobs(panel) and fox_2.id in shown_jobs(panel)


def test_thumbnails_are_made_off_the_main_thread_and_bounded(gallery, qtbot):
    panel, _ = gallery
    cache = panel.thumbnails
    cache.capacity = 2
    for n in range(panel.model.rowCount()):
        panel.model.data(panel.model.index(n), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(cache.idle, timeout=10000)
    assert 1 <= len(cache) <= 2
    rows = panel.model.rows()
    assert any((panel.store.thumbs / r.file_hash[:2] / f"{r.file_hash}-128.png").exists()
               for r in rows)  # kept on disk for the next time


def test_compare_two_with_the_split_slider(gallery, qtbot):
    panel, (harbour, fox_1, _) = gallery
    select(panel, fox_1.id, harbour.id)
    assert panel.compare_button.isEnabled()
    panel.compare_button.click()
    qtbot.waitUntil(lambda: panel.compare_dialog is not None, timeout=10000)
    dialog = panel.compare_dialog
    view = dialog.view

    def on_screen(fraction):
        box = view.square()
        return view.grab().toImage().pixelColor(int(box.left() + box.width() * fraction),
                                                int(box.center().y()))

    def in_image(image, fraction):
        return image.pixelColor(int(image.width() * fraction), image.height() // 2)

    def close(a, b):
        return all(abs(x - y) <= 24 for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))

    assert not close(in_image(view.left, 0.9), in_image(view.right, 0.9))  # they differ there
    dialog.slider.setValue(250)
    assert view.split == 0.25
    assert close(on_screen(0.1), in_image(view.left, 0.1))
    assert close(on_screen(0.9), in_image(view.right, 0.9))
    dialog.slider.setValue(1000)  # all the first cover
    assert close(on_screen(0.9), in_image(view.left, 0.9))


def test_drag_out_gives_file_urls_of_pngs_that_carry_their_settings(gallery):
    panel, (harbour, _, _) = gallery
    rows = panel.model.rows()
    n = next(i for i, r in enumerate(rows) if r.job_id == harbour.id and r.seed == 4)
    mime = panel.model.mimeData([panel.model.index(n)])
    urls = mime.urls()
    assert len(urls) == 1 and urls[0].isLocalFile()
    data = open(urls[0].toLocalFile(), "rb").read()
    carried = settings_of(data)
    assert carried["seed"] == 4 and carried["title"] == "Harbour Lights"
    assert "Harbour Lights - entry" in urls[0].toLocalFile()
    assert bool(panel.model.flags(panel.model.index(n)) & Qt.ItemFlag.ItemIsDragEnabled)
    panel.view.selectionModel().select(panel.model.index(n),
                                       panel.view.selectionModel().SelectionFlag.Select)
    panel.copy_button.click()  # the picture and its file on the clipboard
    copied = QApplication.clipboard().mimeData()
    assert copied.urls() == urls and copied.hasImage()


def test_a_dropped_png_offers_its_settings_back(gallery, qtbot, tmp_path):
    panel, (harbour, _, _) = gallery
    select(panel, harbour.id)
    mime = panel.model.mimeData(panel.view.selectionModel().selectedIndexes())
    saved = mime.urls()[0].toLocalFile()
    drop_mime = QMimeData()
    drop_mime.setUrls([QUrl.fromLocalFile(saved)])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, drop_mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    assert QApplication.sendEvent(panel, enter) and enter.isAccepted()
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, drop_mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel, event)
    assert panel.offer.isVisible() and "seed 3" in panel.offer_label.text()
    with qtbot.waitSignal(panel.settings_restore_requested) as restored:
        panel.restore_offer.click()
    request = restored.args[0]
    assert request.seed == 3 and request.title == "Harbour Lights" and request.variants == 1
    assert not panel.offer.isVisible()
    plain = tmp_path / "plain.png"
    from PIL import Image

    Image.new("RGB", (4, 4)).save(plain)
    with qtbot.waitSignal(panel.notice) as said:
        assert not panel.offer_settings(str(plain))
    assert "no AlbumStudio settings" in said.args[0]


def test_the_window_reruns_an_entry_to_identical_bytes_and_restores_dropped_settings(qtbot):
    from albumstudio.ui.main_window import MainWindow

    paths, (harbour, _, _) = history_made_by(_make)
    window = MainWindow(paths)
    qtbot.addWidget(window)
    try:
        window.show()
        panel = window.gallery
        assert not panel.dock.isVisible()
        panel.dock.show()  # View → Gallery
        qtbot.waitUntil(lambda: len(panel.model.rows()) == 4, timeout=5000)
        select(panel, harbour.id)
        with qtbot.waitSignal(window.cover.result, timeout=60000) as done:
            panel.rerun_button.click()
        again = done.args[0]
        assert again.outputs[0].data == open(harbour.outputs[0].path, "rb").read()
        qtbot.waitUntil(lambda: len(panel.model.rows()) == 5, timeout=5000)
        assert panel.model.rows()[0].job_id == again.id  # the gallery follows the history
        with qtbot.waitSignal(window.cover.result, timeout=60000) as varied:
            panel.vary_button.click()  # the selection follows the entry it was on
        other = varied.args[0]
        assert other.outputs[0].seed != 3 and other.outputs[0].data != again.outputs[0].data
        assert {k: v for k, v in other.request.items() if k != "seed"} == \
            {k: v for k, v in again.request.items() if k != "seed"}
        qtbot.waitUntil(lambda: len(panel.model.rows()) == 6, timeout=5000)
        oldest = panel.model.rows()[-1]  # harbour's second variant
        assert oldest.job_id == harbour.id and oldest.seed == 4
        assert panel.offer_settings(panel.export_copy(oldest).as_posix())
        panel.restore_offer.click()
        assert window.cover_panel.seed.value() == 4
        assert window.tabs.currentIndex() == 0
        # a PNG with settings dropped on the window: it becomes the reference picture, and the
        # gallery offers its settings
        panel.dock.hide()
        saved = panel.export_copy(panel.model.rows()[0])
        drop_mime = QMimeData()
        drop_mime.setUrls([QUrl.fromLocalFile(str(saved))])
        enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, drop_mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, enter)
        QApplication.sendEvent(window, QDropEvent(
            QPointF(20, 20), Qt.DropAction.CopyAction, drop_mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier))
        assert panel.dock.isVisible() and panel.offer.isVisible()
        qtbot.waitUntil(lambda: window.reference.path == str(saved), timeout=10000)
        # deleting in the gallery takes the cover out of the strip too
        strip_before = window.history.list.count()
        select(panel, panel.model.rows()[0].job_id)
        panel.delete_button.click()
        assert window.history.list.count() == strip_before - 1
    finally:
        window.shutdown()


def test_entries_another_albumstudio_adds_appear(gallery, qtbot):
    from albumstudio.store.history import HistoryStore

    panel, _ = gallery
    assert panel.watch.poll.interval() >= 10000  # the file watcher, not the fallback poll
    other = HistoryStore(panel.store.folder)  # another window or process on the same folder
    try:
        before = len(panel.model.rows())
        data = panel.store.item(panel.model.rows()[0].id).read_bytes()
        added = other.add("cover", data, ".png", request={"title": "From elsewhere"})
        qtbot.waitUntil(lambda: len(panel.model.rows()) == before + 1, timeout=5000)
        assert panel.model.rows()[0].job_id == added.job_id
    finally:
        other.close()


def test_use_as_reference_use_settings_and_clean_up_with_a_preview(gallery, qtbot):
    import sqlite3
    import time

    panel, (harbour, fox_1, fox_2) = gallery
    select(panel, fox_1.id)
    with qtbot.waitSignal(panel.reference_requested) as chosen:
        panel.reference_button.click()
    assert chosen.args[0] == fox_1.outputs[0].path
    with qtbot.waitSignal(panel.reuse_requested) as reused:
        panel.reuse_button.click()
    assert reused.args[0].job_id == fox_1.id and reused.args[0].request["seed"] == 9
    db = sqlite3.connect(panel.store.db_path)
    db.execute("UPDATE jobs SET created = ? WHERE id IN (?, ?)",
               (time.time() - 100 * 86400, harbour.id, fox_1.id))
    db.commit()
    db.close()
    panel.store.set_favourite([fox_1.id])
    panel.clean_days.setValue(30)
    asked = []
    panel.confirm = lambda text: asked.append(text) or False  # the preview, then "no"
    panel.clean_button.click()
    assert asked and f"entry {harbour.id}" in asked[0] and f"entry {fox_1.id}" not in asked[0]
    assert harbour.id in shown_jobs(panel)
    panel.confirm = lambda text: True
    panel.clean_button.click()
    assert sorted(set(shown_jobs(panel))) == sorted([fox_1.id, fox_2.id])
    panel.undo_button.click()  # clean-up goes to the trash, so it can be undone too
    assert harbour.id in shown_jobs(panel)


def test_a_window_sees_covers_another_albumstudio_adds_to_its_strip(qtbot):
    from albumstudio.store.history import HistoryStore
    from albumstudio.ui.main_window import MainWindow

    paths = default_paths().ensure()
    window = MainWindow(paths)
    qtbot.addWidget(window)
    try:
        assert window.history_watch.poll.interval() >= 10000  # seen by watching the files
        assert window.history.list.count() == 0
        other = HistoryStore(paths.history)  # the second window's (or process's) store
        try:
            services = Services.open(paths)
            try:
                record = services.covers.run(cover_request("design", size=256, seed=1),
                                             record=False)
            finally:
                services.close()
            other.add("cover", record.outputs[0].data, ".png", width=256, height=256)
        finally:
            other.close()
        qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
    finally:
        window.shutdown()
