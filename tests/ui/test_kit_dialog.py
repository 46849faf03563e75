"""The Export Release Kit dialog: real signals, the checklist, a folder written in the
background, "Open folder"; a failing check shows its reason and writes nothing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from albumstudio.jobs.runner import JobRunner
from albumstudio.services import Services
from albumstudio.store.paths import default_paths
from albumstudio.ui.dialogs.kit_dialog import KitDialog
from tests.support import synth


@pytest.fixture
def dialog_parts(qtbot, tmp_path):
    track = synth.write(tmp_path / "song.wav", synth.music(5.0, sr=22050), 22050)
    services = Services.open(default_paths().ensure())
    runner = JobRunner(max_threads=1)
    out = tmp_path / "out"
    out.mkdir()
    yield services, runner, track, out
    runner.shutdown()
    services.close()


def test_export_writes_the_kit_and_offers_the_folder(qtbot, dialog_parts, monkeypatch):
    services, runner, track, out = dialog_parts
    dialog = KitDialog(runner, services, str(track), title="Night Drive", artist="Luma")
    qtbot.addWidget(dialog)
    dialog.out.setText(str(out))
    dialog.profile.setCurrentIndex(dialog.profile.findData("distrokid"))
    assert dialog.profile.itemData(dialog.profile.currentIndex(),
                                   Qt.ItemDataRole.ToolTipRole).startswith("DistroKid help")
    with qtbot.waitSignals([dialog.checked, dialog.written], timeout=90_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    marks = [dialog.checklist.item(i).data(Qt.ItemDataRole.UserRole)
             for i in range(dialog.checklist.count())]
    assert dialog.checklist.count() == 10 and "FAIL" not in marks
    assert "square: 3000×3000" in dialog.checklist.item(0).text()
    assert dialog.folder == out / "Luma - Night Drive" and dialog.folder.is_dir()
    assert (dialog.folder / "release.json").is_file()
    assert not dialog.open_button.isHidden()
    opened = []
    monkeypatch.setattr("albumstudio.ui.dialogs.kit_dialog.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toLocalFile()))
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened == [str(dialog.folder)]
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled())


def test_a_failing_check_is_shown_with_its_reason_and_nothing_is_written(qtbot, dialog_parts):
    services, runner, track, out = dialog_parts
    dialog = KitDialog(runner, services, str(track), title="Out on Spotify", artist="Luma")
    qtbot.addWidget(dialog)
    dialog.out.setText(str(out))
    with qtbot.waitSignals([dialog.checked, dialog.problem], timeout=90_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    failed = [dialog.checklist.item(i).text() for i in range(dialog.checklist.count())
              if dialog.checklist.item(i).data(Qt.ItemDataRole.UserRole) == "FAIL"]
    assert len(failed) == 1 and "Spotify" in failed[0]
    assert "Nothing was written" in dialog.status.text()
    assert dialog.open_button.isHidden()
    assert list(out.iterdir()) == []
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled())


def test_the_file_menu_opens_the_dialog_for_the_open_track(qtbot, window, tmp_path):
    file_menu = window.menuBar().actions()[0].menu()
    assert window.kit_action in file_menu.actions()
    window.kit_action.trigger()  # no track yet: a sentence, no dialog
    qtbot.waitUntil(window.banner.isVisible, timeout=2000)
    assert "Open a track first" in window.banner.text()
    track = synth.write(tmp_path / "song.wav", synth.music(3.0, sr=22050), 22050)
    with qtbot.waitSignal(window.session.loaded, timeout=20_000):
        window.open_path(str(track))
    window.kit_action.trigger()
    dialog = window.kit_dialog
    qtbot.waitExposed(dialog)
    assert dialog.track == str(track) and dialog.out.text() == str(tmp_path)
    assert dialog.profile.count() >= 7
    dialog.reject()


def test_the_rules_of_the_chosen_profile_are_shown(qtbot, dialog_parts):
    services, runner, track, out = dialog_parts
    dialog = KitDialog(runner, services, str(track))
    qtbot.addWidget(dialog)
    dialog.profile.setCurrentIndex(dialog.profile.findData("distrokid"))
    assert "At least 1000 px square, JPG, RGB, at most 3 MB." in dialog.rules.text()
    assert "the generic profile's file size limit where the source states none" in \
        dialog.rules.text()
    dialog.profile.setCurrentIndex(dialog.profile.findData("generic"))
    assert "at most 3 MB" in dialog.rules.text() and "QR codes" in dialog.rules.text()


def test_the_cover_on_the_canvas_is_the_one_exported(qtbot, dialog_parts):
    import io
    import json

    import numpy as np
    from PIL import Image

    services, runner, track, out = dialog_parts
    from tests.support.canvas_helpers import make_photo

    with Image.open(make_photo(out.parent / "chosen.png", (3000, 3000), seed=3)) as chosen:
        pixels = np.asarray(chosen.convert("RGB"))
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    made_by = {"engine": "design", "seed": 7, "title": "Night Drive", "artist": "Luma",
               "prompt": "city lights", "version": 3}
    dialog = KitDialog(runner, services, str(track), title="Night Drive", artist="Luma",
                       cover=(buffer.getvalue(), made_by))
    qtbot.addWidget(dialog)
    assert dialog.use_cover.isChecked()
    dialog.out.setText(str(out))
    dialog.profile.setCurrentIndex(dialog.profile.findData("music-gateway"))  # 10 MB cap
    with qtbot.waitSignal(dialog.written, timeout=90_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    with Image.open(dialog.folder / "cover.png") as master:
        assert np.array_equal(np.asarray(master), pixels)
    manifest = json.loads((dialog.folder / "release.json").read_text("utf-8"))
    cover = manifest["provenance"]["cover"]
    assert cover["seed"] == 7 and cover["prompt"] == "city lights"
    assert cover["engine"] == "design"
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled())


def test_the_dialog_offers_every_registered_target(qtbot, dialog_parts):
    from albumstudio.services.kit_targets import kit_targets

    services, runner, track, out = dialog_parts
    dialog = KitDialog(runner, services, str(track), title="Night Drive", artist="Luma")
    qtbot.addWidget(dialog)
    assert list(dialog.targets) == list(kit_targets().names())
    assert not dialog.targets["cover-jpeg"].isEnabled()
    assert dialog.targets["cover-jpeg"].isChecked()
    assert "cover.png" in dialog.targets["cover-png"].text()
    # no link: the ticked QR poster is left out instead of refused
    assert "poster-qr" not in dialog.request().targets
    dialog.qr.setText("https://example.com/nd")
    dialog.targets["clip"].setChecked(False)
    assert dialog.request().targets == ("cover-jpeg", "cover-png", "poster-qr", "track")
