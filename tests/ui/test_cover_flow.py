"""The cover workflow driven as a person would: drop a photo, crop it, generate, see the result."""

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QThread

from albumstudio.core.cover import CropBox
from albumstudio.engines.diffusion_cover import DiffusionCoverEngine
from albumstudio.store.paths import default_paths
from albumstudio.ui.main_window import MainWindow
from tests.support.tiny_sd import build_tiny_controlnet, build_tiny_sd
from tests.ui.test_main_window import drop


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    return str(build_tiny_sd(root / "sd")), str(build_tiny_controlnet(root / "canny", seed=3))


def photo(path, size=(320, 240)):
    arr = np.zeros((size[1], size[0], 3), np.uint8)
    arr[:, :, 0] = np.linspace(0, 255, size[0], dtype=np.uint8)[None, :]
    arr[60:180, 100:220] = (240, 240, 240)
    Image.fromarray(arr).save(path)
    return path


def load_photo(window, qtbot, path):
    with qtbot.waitSignal(window.reference.image_changed, timeout=20000):
        drop(window, [path], pos=(200, 500))
    assert window.reference.size == (320, 240)


def allow_tiny_sizes(window, monkeypatch):
    """The tiny test model is only fast at tiny sizes, below what the real engine allows."""
    registry = window.cover.registry
    spec = registry.get("diffusion")
    monkeypatch.setitem(registry._specs, "diffusion",
                        replace(spec, limits={**spec.limits, "size": (64, 1024)}))


def test_drop_crop_generate_with_previews_then_the_result(window, qtbot, tmp_path, tiny_models,
                                                          monkeypatch):
    sd, canny = tiny_models
    allow_tiny_sizes(window, monkeypatch)
    load_photo(window, qtbot, photo(tmp_path / "photo.png"))
    window.reference.set_crop(CropBox(80, 20, 200))
    assert window.reference.crop == CropBox(80, 20, 200)

    panel = window.cover_panel
    panel.engine.setCurrentIndex(panel.engine.findData("diffusion"))
    panel.model.setText(sd)
    panel.size_box.setMinimum(64)  # the tiny model is only fast at tiny sizes
    panel.size_box.setValue(64)
    panel.steps.setValue(3)
    panel.seed.setValue(7)
    panel.seed_lock.setChecked(True)
    window.cover.update_settings(controlnets=(("canny", canny),))
    window.cover.covers._engines["diffusion"] = DiffusionCoverEngine(
        models=window.services.models, min_side=64)

    main = QThread.currentThread()
    previews, threads = [], []

    def on_preview(p):
        previews.append(p)
        threads.append(QThread.currentThread() == main)

    window.cover.preview.connect(on_preview)
    window.cover.progress.connect(lambda *_: threads.append(QThread.currentThread() == main))
    with qtbot.waitSignal(window.cover.result, timeout=120000) as done:
        panel.generate_button.click()
    record = done.args[0]
    assert [p.step for p in previews] == [1, 2, 3] and previews[-1].preview.shape[2] == 3
    assert threads and all(threads)
    request = window.services.covers.registry.request_from_dict(record.request)
    assert request.crop == CropBox(80, 20, 200) and request.image_path.endswith("photo.png")
    assert [c.kind for c in request.options.conditions] == ["canny"]
    assert record.outputs[0].width == 64 and record.outputs[0].seed == 7
    assert record.status == "finished" and record.engine == "diffusion" and record.id
    assert ("sd15", sd) in [(m.role, m.id) for m in record.models]
    assert window.canvas.mode == "cover"
    qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
    assert window.save_cover_action.isEnabled()
    assert "Made 1 cover" in panel.status.text()


def test_design_cover_lands_in_history_and_survives_a_restart(window, qtbot, tmp_path):
    load_photo(window, qtbot, photo(tmp_path / "photo.png"))
    panel = window.cover_panel
    panel.size_box.setValue(512)
    panel.variants.setValue(2)
    panel.seed_lock.setChecked(True)  # seed 0
    with qtbot.waitSignal(window.cover.result, timeout=60000) as done:
        panel.generate_button.click()
    record = done.args[0]
    assert [o.seed for o in record.outputs] == [0, 1]
    qtbot.waitUntil(lambda: window.history.list.count() == 2, timeout=5000)
    assert window.save_cover_action.isEnabled()
    with qtbot.waitSignal(window.covers.save_to(str(tmp_path / "release" / "cover.jpg")).failed,
                          timeout=20000):  # no such folder: saved in the background, said plainly
        pass
    qtbot.waitUntil(lambda: window.banner.text().startswith(
        "The folder for 'cover.jpg' does not exist"), timeout=5000)
    with qtbot.waitSignal(window.covers.saved, timeout=20000) as done:
        window.covers.save_to(str(tmp_path / "cover.png"))
    assert done.args[0] == str(tmp_path / "cover.png")
    with Image.open(tmp_path / "cover.png") as saved:
        assert saved.format == "PNG" and saved.size == (512, 512)
    with qtbot.waitSignal(window.covers.saved, timeout=20000):
        window.covers.save_to(str(tmp_path / "cover.jpg"))
    with Image.open(tmp_path / "cover.jpg") as saved:
        assert saved.format == "JPEG" and saved.size == (512, 512)
    window.history.list.item(1).setSelected(True)
    window.history._clicked(window.history.list.item(1))  # the older one: seed 0
    qtbot.waitUntil(lambda: window.covers.current is not None
                    and window.covers.current[1] == 0, timeout=5000)
    window.shutdown()
    again = MainWindow(default_paths().ensure())
    qtbot.addWidget(again)
    try:
        assert again.history.list.count() == 2
    finally:
        again.shutdown()


def test_a_missing_model_says_so_in_one_sentence(window, qtbot, tmp_path):
    panel = window.cover_panel
    panel.engine.setCurrentIndex(panel.engine.findData("diffusion"))
    panel.model.setText(str(tmp_path / "no-such-model"))
    panel.size_box.setValue(256)
    with qtbot.waitSignal(window.cover.failed, timeout=60000) as failed:
        panel.generate_button.click()
    problem = failed.args[0]
    message = problem.message
    assert problem.action == "open-models" and window.banner.action.isVisibleTo(window)
    assert "\n" not in message and "Traceback" not in message
    assert window.banner.isVisible() and window.banner.text() == message
    assert window.history.list.count() == 0


def test_cancel_while_queued_and_closing_joins_the_queue(window, qtbot):
    panel = window.cover_panel
    panel.size_box.setValue(3000)
    cancelled = []
    window.cover.cancelled.connect(lambda: cancelled.append(True))
    panel.generate_button.click()
    panel.generate_button.click()
    assert window.model_queue.pending() == 2
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: window.model_queue.pending() == 0, timeout=30000)
    assert cancelled


@pytest.fixture(scope="module")
def tiny_blip(tmp_path_factory):
    from tests.support.tiny_vision_models import build_tiny_blip

    return str(build_tiny_blip(tmp_path_factory.mktemp("blip")))


def test_blip_caption_replaces_the_offline_description_when_installed(window, qtbot, tmp_path,
                                                                       tiny_blip):
    window.cover.captioner_model = tiny_blip
    sources = []
    window.cover.caption_changed.connect(lambda _t: sources.append(window.cover.caption_source))
    load_photo(window, qtbot, photo(tmp_path / "photo.png"))
    qtbot.waitUntil(lambda: "blip" in sources, timeout=60000)
    assert sources[0] == "look"  # the offline words come first, at once
    caption = window.cover.caption
    assert caption and "image" not in caption  # BLIP's words, not the offline description

    def image_part():
        composed = window.cover.composed
        return next((p.text for p in composed.parts if p.source == "image"), "") if composed else ""

    qtbot.waitUntil(lambda: image_part() and caption.split()[0] in image_part(), timeout=5000)
    assert "vivid image" not in image_part()


def test_use_these_settings_makes_the_same_cover_again(window, qtbot, tmp_path):
    load_photo(window, qtbot, photo(tmp_path / "photo.png"))
    panel = window.cover_panel
    panel.size_box.setValue(384)
    panel.seed.setValue(41)
    panel.seed_lock.setChecked(True)
    panel.treatment.setCurrentIndex(panel.treatment.findData("halftone"))
    panel.style_edit.setText("salt flats at dawn")
    with qtbot.waitSignal(window.cover.result, timeout=60000) as first:
        panel.generate_button.click()
    assert first.args[0].id
    original = window.history_store.items()[0]
    assert "salt flats at dawn" in original.request["prompt"]  # typed just before Generate
    assert original.request["words"] == "salt flats at dawn"  # the design engine reads them
    qtbot.waitUntil(lambda: panel.plan.text() != "", timeout=5000)
    plan = panel.plan.text().splitlines()  # the design plan, each decision with its reason
    assert panel.plan.isVisibleTo(window) and plan[0] == ("Words: “salt”, “flats”: read by the "
                                                          "diffusion engine only")
    assert any(line.startswith("Treatment: halftone (") for line in plan)
    assert panel.plan.toolTip().startswith("Palette: ")
    panel.style_edit.setText("something else")
    panel.seed.setValue(7)
    panel.seed_lock.setChecked(True)
    panel.treatment.setCurrentIndex(panel.treatment.findData("blur"))
    panel.size_box.setValue(512)
    window.history.reuse_requested.emit(original)
    assert (panel.seed.value(), panel.size_box.value()) == (41, 384)
    assert panel.treatment.currentData() == "halftone"
    assert panel.editor.prompt() == original.request["prompt"]
    assert panel.style_edit.text() == "salt flats at dawn"  # the words come back too
    with qtbot.waitSignal(window.cover.result, timeout=60000) as again:
        panel.generate_button.click()
    assert again.args[0].outputs[0].data == original.read_bytes()


def test_the_model_status_is_checked_off_the_main_thread_and_says_what_to_do(window, qtbot,
                                                                               tmp_path):
    panel = window.cover_panel
    panel.engine.setCurrentIndex(panel.engine.findData("diffusion"))
    qtbot.waitUntil(lambda: "hf download" in panel.model_status.text(), timeout=10000)
    panel.model.setText(str(tmp_path / "nowhere"))
    panel.model.editingFinished.emit()
    qtbot.waitUntil(lambda: panel.model_status.text().startswith("Not found"), timeout=10000)


def test_a_damaged_history_is_kept_aside_reported_and_a_new_one_keeps_covers(qtbot, tmp_path):
    paths = default_paths().ensure()
    paths.history.mkdir(parents=True, exist_ok=True)
    (paths.history / "history.sqlite3").write_bytes(b"not a database" * 64)
    window = MainWindow(paths)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(window.banner.isVisible, timeout=5000)
        message = window.banner.text()
        assert "history database was damaged" in message and "new, empty history" in message
        assert "\n" not in message and "Traceback" not in message
        window.cover_panel.size_box.setValue(256)
        with qtbot.waitSignal(window.cover.result, timeout=60000) as done:
            window.cover_panel.generate_button.click()
        assert done.args[0].id != 0
        qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=10000)
        aside = [p for p in paths.history.iterdir() if ".damaged-" in p.name
                 and p.name.startswith("history.sqlite3")]
        assert len(aside) == 1 and aside[0].read_bytes().startswith(b"not a database")
    finally:
        window.shutdown()


def test_settings_from_another_version_are_refused_in_one_sentence(window):
    from albumstudio.store.history import HistoryItem

    old = HistoryItem(1, "cover", 0.0, "ab", ".png", 8, 8, 0, "design", "",
                      {"version": 99, "seed": 3}, "", window.paths.history / "x.png")
    window.history.reuse_requested.emit(old)
    assert window.banner.text().startswith("That cover was made by another version")
    assert window.cover_panel.seed.value() == 0


def test_each_generate_makes_a_new_cover_unless_the_seed_is_locked(window, qtbot, tmp_path):
    from tests.support import synth

    track = synth.write(tmp_path / "03 - night_drive.wav", synth.music(6.0, sr=22050), 22050)
    with qtbot.waitSignal(window.session.music_tags_changed, timeout=90000,
                          check_params_cb=lambda result: result is not None):
        window.open_path(str(track))
    panel = window.cover_panel
    assert window.release_panel.edits["title"].placeholderText() == "night drive"
    panel.size_box.setValue(256)
    seeds = []
    for _ in range(2):
        with qtbot.waitSignal(window.cover.result, timeout=60000) as done:
            panel.generate_button.click()
        record = done.args[0]
        seeds.append(record.outputs[0].seed)
        assert panel.seed.value() == seeds[-1]  # the seed shown is the cover's
        assert record.request["title"] == "night drive"  # the placeholder is used, not ""
    assert seeds[0] != seeds[1]
    panel.seed_lock.setChecked(True)
    with qtbot.waitSignal(window.cover.result, timeout=60000) as done:
        panel.generate_button.click()
    assert done.args[0].outputs[0].seed == seeds[1]


def test_the_diffusion_engine_says_how_long_a_cover_takes_on_this_computer(window, qtbot):
    from albumstudio.core.jobs import JobRecord

    panel = window.cover_panel
    for seconds in (40.0, 60.0):  # 2 and 3 s a step on this CPU
        window.history_store.record(JobRecord(
            kind="cover", engine="diffusion", request={"variants": 1, "options": {"steps": 20}},
            request_version=1, status="finished", timings={"generate": seconds}, device="cpu"))
    panel.engine.setCurrentIndex(panel.engine.findData("diffusion"))
    panel.steps.setValue(20)
    qtbot.waitUntil(lambda: panel.estimate.text().startswith("About 50 seconds on this CPU"),
                    timeout=20000)
    assert "(from 2 past jobs here)" in panel.estimate.text()
    panel.variants.setValue(2)
    qtbot.waitUntil(lambda: panel.estimate.text().startswith("About 2 minutes"), timeout=20000)
    panel.lcm.setChecked(True)  # LCM fast mode: 4 steps
    qtbot.waitUntil(lambda: panel.estimate.text().startswith("About 20 seconds"), timeout=20000)
    panel.engine.setCurrentIndex(panel.engine.findData("design"))
    assert panel.estimate.isHidden()
