"""The condition panel and the map previews: thresholds, weights, and the segmentation model."""

from __future__ import annotations

import numpy as np
import pytest

from albumstudio.core.cover import Condition
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.jobs.runner import JobRunner
from albumstudio.ui.canvas.condition_panel import NO_IMAGE_TEXT, ConditionPanel
from albumstudio.ui.canvas.image_canvas import ImageCanvas
from albumstudio.ui.canvas.reference_image import ReferenceImage
from tests.support.canvas_helpers import ThreadRecorder, image_array, make_photo


@pytest.fixture
def runner():
    jobs = JobRunner(parent=None)
    yield jobs
    jobs.shutdown()


def bound_panel(qtbot, model: ReferenceImage) -> ConditionPanel:
    panel = ConditionPanel(model)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: model.seg_available is not None, timeout=10000)
    return panel


@pytest.fixture
def model(runner, tmp_path):
    return ReferenceImage(runner, ModelCache(), segmenter=str(tmp_path / "no-segmenter-here"))


@pytest.fixture
def panel(model, qtbot):
    return bound_panel(qtbot, model)


def open_photo(model, qtbot, path) -> None:
    with qtbot.waitSignal(model.image_changed, timeout=10000):
        model.open(str(path))


def wait_map(model, qtbot, kind: str = "canny"):
    with qtbot.waitSignal(model.maps_changed, timeout=10000,
                          check_params_cb=lambda k: k == kind and model.map_image(k) is not None):
        pass
    return image_array(model.map_image(kind))


def edge_count(rgb: np.ndarray) -> int:
    return int((rgb.max(axis=2) > 127).sum())


def test_canny_preview_follows_the_thresholds_and_low_stays_below_high(model, panel, qtbot,
                                                                       tmp_path):
    seen = ThreadRecorder()
    model.maps_changed.connect(seen)
    model.conditions_changed.connect(seen)
    open_photo(model, qtbot, make_photo(tmp_path / "photo.png", (300, 200)))
    first = wait_map(model, qtbot)
    assert first.shape == (200, 200, 3)  # the square crop, at most 512 px
    assert edge_count(first) > 0
    assert (panel.low_slider.value(), panel.high_slider.value()) == (100, 200)

    emitted = []
    model.maps_changed.connect(emitted.append)
    with qtbot.waitSignal(model.maps_changed, timeout=10000):
        for value in (80, 60, 40, 20, 10):  # a slider dragged quickly: one recompute at rest
            panel.low_slider.setValue(value)
        panel.high_slider.setValue(30)
    second = image_array(model.map_image("canny"))
    assert edge_count(second) > edge_count(first)
    assert not np.array_equal(first, second)
    assert model.condition("canny").low == 10 and model.condition("canny").high == 30
    qtbot.wait(300)
    assert emitted == ["canny"]
    assert seen.all_main()

    panel.low_slider.setValue(300)
    assert model.condition("canny").low == 300 and model.condition("canny").high == 301
    assert panel.high_slider.value() == 301 and panel.high_label.text() == "301"
    panel.high_slider.setValue(50)
    assert (model.condition("canny").low, model.condition("canny").high) == (49, 50)
    assert panel.low_slider.value() == 49
    panel.high_slider.setValue(0)
    assert model.condition("canny").low < model.condition("canny").high
    model.set_canny_thresholds(500, 500)
    assert (panel.low_slider.value(), panel.high_slider.value()) == (499, 500)


def test_conditions_for_request_follow_checkboxes_and_weights(model, panel, qtbot, tmp_path):
    assert model.conditions_for_request() == ()  # nothing to condition on without a photo
    open_photo(model, qtbot, make_photo(tmp_path / "photo.png"))
    assert model.conditions_for_request() == (Condition("canny", 1.0, 100, 200),)
    panel.canny_weight.setValue(0.65)
    panel.low_slider.setValue(50)
    assert model.conditions_for_request() == (Condition("canny", 0.65, 50, 200),)
    panel.canny_check.setChecked(False)
    assert model.conditions_for_request() == ()
    assert not panel.low_slider.isEnabled() and not panel.canny_weight.isEnabled()
    panel.canny_check.setChecked(True)
    assert model.conditions_for_request() == (Condition("canny", 0.65, 50, 200),)
    panel.canny_weight.setValue(5.0)
    assert model.condition("canny").weight == 2.0
    model.set_enabled("seg", True)  # not installed: never sent to the engine
    assert [c.kind for c in model.conditions_for_request()] == ["canny"]
    model.clear()
    assert model.conditions_for_request() == ()


def test_segmentation_is_disabled_with_an_honest_note_when_missing(runner, qtbot, monkeypatch):
    from albumstudio.engines import models

    monkeypatch.setattr(models, "is_installed", lambda _id: False)
    model = ReferenceImage(runner, ModelCache())
    assert model.segmenter == default_model("segmenter")
    seen = ThreadRecorder()
    model.seg_availability_changed.connect(seen)
    panel = bound_panel(qtbot, model)
    assert seen.all_main()
    assert model.seg_available is False
    assert not panel.seg_check.isEnabled() and not panel.seg_weight.isEnabled()
    expected = ("Needs the SegFormer ADE20K model (nvidia/segformer-b0-finetuned-ade-512-512); "
                "download it once in Help › Models… or with "
                "`albumstudio models download nvidia/segformer-b0-finetuned-ade-512-512`.")
    assert panel.seg_note.text() == expected
    assert panel.seg_check.toolTip() == expected

    canvas = ImageCanvas(model)
    qtbot.addWidget(canvas)
    canvas.resize(400, 400)
    canvas.set_tab("seg")
    assert canvas.mode == "seg" and not canvas.grab().isNull()


@pytest.fixture(scope="module")
def tiny_segformer(tmp_path_factory):
    from tests.support.tiny_vision_models import build_tiny_segformer

    return build_tiny_segformer(tmp_path_factory.mktemp("tiny-segformer") / "ade")


def test_segmentation_preview_with_an_installed_model(runner, qtbot, tmp_path, tiny_segformer):
    model = ReferenceImage(runner, ModelCache(), segmenter=str(tiny_segformer))
    panel = bound_panel(qtbot, model)
    assert model.seg_available is True and panel.seg_check.isEnabled()
    open_photo(model, qtbot, make_photo(tmp_path / "photo.png", (160, 120)))
    asked: list[str] = []
    panel.confirm_licence = lambda sentence: asked.append(sentence) or False
    panel.seg_check.setChecked(True)  # SegFormer's licence declined: not used
    assert not panel.seg_check.isChecked() and model.conditions_for_request()[-1].kind != "seg"
    assert len(asked) == 1 and "commercial" in asked[0]
    panel.confirm_licence = lambda sentence: asked.append(sentence) or True
    panel.seg_check.setChecked(True)
    panel.seg_check.setChecked(False)
    panel.seg_check.setChecked(True)  # acknowledged once: not asked again
    assert len(asked) == 2
    panel.seg_weight.setValue(0.5)
    assert [c.kind for c in model.conditions_for_request()] == ["canny", "seg"]
    assert model.conditions_for_request()[1].weight == 0.5
    seg = wait_map(model, qtbot, "seg")
    assert seg.shape == (120, 120, 3)


def test_the_photo_is_described_with_its_palette(model, panel, qtbot, tmp_path):
    assert panel.description.text() == NO_IMAGE_TEXT and panel.swatches.isHidden()
    open_photo(model, qtbot, make_photo(tmp_path / "photo.png"))
    described = model.look.describe()
    assert described and panel.description.text().lower() == described.lower()
    assert panel.swatches.colours == [(h, float(s)) for h, s in model.look.palette]
    assert panel.swatches.colours and not panel.swatches.isHidden()
    swatch = image_array(panel.swatches.grab().toImage())
    assert len({tuple(p) for p in swatch[swatch.shape[0] // 2]}) >= 2
    model.clear()
    assert panel.description.text() == NO_IMAGE_TEXT


def test_canny_tab_paints_the_map(model, qtbot, tmp_path):
    canvas = ImageCanvas(model)
    qtbot.addWidget(canvas)
    canvas.resize(420, 440)
    canvas.show()
    qtbot.waitExposed(canvas)
    model.set_enabled("canny", False)
    open_photo(model, qtbot, make_photo(tmp_path / "photo.png"))
    canvas.set_tab("canny")  # shown even while unused
    wait_map(model, qtbot)
    shot = image_array(canvas.grab().toImage())
    area = canvas.content_rect()
    region = shot[area.top():area.bottom(), area.left():area.right()]
    assert edge_count(region) > 20 and (region.max(axis=2) < 30).sum() > 1000
