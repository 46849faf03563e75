"""Problems people can act on: one sentence and a button that does the action."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDialog

from albumstudio.core.errors import ACTION_OPEN_MODELS, Problem
from albumstudio.core.model_registry import models


def test_a_missing_model_problem_offers_the_models_dialog(window, qtbot):
    window.show_error(Problem("The Stable Diffusion model is not installed.", ACTION_OPEN_MODELS))
    assert window.banner.isVisible() and window.banner.action.isVisible()
    assert window.banner.action.text() == "Models…"
    window.banner.action.click()
    dialog = next(d for d in window.findChildren(QDialog) if d.windowTitle() == "Models")
    table = dialog.table
    assert table.rowCount() == len(models())
    states = lambda: [table.item(r, 5).text() for r in range(table.rowCount())]  # noqa: E731
    qtbot.waitUntil(lambda: "checking…" not in states(), timeout=20000)
    by_model = {table.item(r, 1).text(): table.item(r, 5).text() for r in range(table.rowCount())}
    assert by_model["MTT_musicnn"] == "shipped with AlbumStudio"
    assert by_model["facebook/musicgen-small"] == "missing"
    commercial = {table.item(r, 1).text(): table.item(r, 4).text()
                  for r in range(table.rowCount())}
    assert commercial["facebook/musicgen-small"].startswith("no")
    dialog.close()


def test_a_notice_has_no_action_and_dismiss_hides_it(window):
    window.show_warning("Saved cover.png.")
    assert window.banner.isVisible() and not window.banner.action.isVisible()
    window.banner.close_button.click()
    assert not window.banner.isVisible()


def test_scrolling_over_the_cover_settings_changes_nothing(window, qtbot):
    """The wheel scrolls the panel; it reaches a spin or combo box only once it has focus."""
    panel = window.cover_panel
    before = (panel.size_box.value(), panel.engine.currentIndex(), panel.seed.value())
    for widget in (panel.size_box, panel.engine, panel.seed, panel.treatment):
        event = QWheelEvent(QPointF(5, 5), QPointF(widget.mapToGlobal(QPoint(5, 5))), QPoint(),
                            QPoint(0, -120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)
    assert (panel.size_box.value(), panel.engine.currentIndex(), panel.seed.value()) == before
    assert panel.treatment.currentData() == "auto"


def test_sizes_are_named_per_engine_and_small_ones_are_flagged(window):
    panel = window.cover_panel
    labels = [panel.size_choice.itemText(i) for i in range(panel.size_choice.count())]
    assert labels[0].startswith("3000 px") and labels[-1] == "Custom size"
    assert panel.size_choice.currentData() == 3000 and not panel.size_box.isVisibleTo(panel)
    assert panel.size_note.text() == ""
    panel.size_choice.setCurrentIndex(panel.size_choice.findData(1400))
    assert panel.size_box.value() == 1400
    assert "Below the 3000×3000 px that stores ask for" in panel.size_note.text()
    panel.size_box.setValue(2616)  # not a named size: Custom, with its box shown
    assert panel.size_choice.currentData() == 0 and panel.size_box.isVisibleTo(panel)
    # another engine brings its own sizes, range and default, never one it would refuse
    panel.engine.setCurrentIndex(panel.engine.findData("diffusion"))
    assert panel.size_box.value() == 512 and panel.size_box.maximum() == 1024
    assert panel.size_choice.currentData() == 512
    assert "need upscaling" in panel.size_note.text()
    panel.engine.setCurrentIndex(panel.engine.findData("design"))
    assert panel.size_box.value() == 3000 and panel.size_note.text() == ""
