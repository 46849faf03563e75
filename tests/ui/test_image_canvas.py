"""The image canvas driven as a person would: open or drop a photo, drag and zoom its crop."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from albumstudio.core.cover import CropBox
from albumstudio.core.model_cache import ModelCache
from albumstudio.jobs.runner import JobRunner
from albumstudio.ui.canvas import image_canvas as canvas_module
from albumstudio.ui.canvas.image_canvas import EMPTY_TEXT, ImageCanvas
from albumstudio.ui.canvas.reference_image import ReferenceImage
from albumstudio.vision.crop import default_crop
from tests.support.canvas_helpers import ThreadRecorder, drop, image_array, make_photo


class DropTarget(QWidget):
    """The canvas's parent, standing in for the main window: notes the drags that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.entered: list[list[str]] = []
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        self.entered.append([u.toLocalFile() for u in event.mimeData().urls()])
        event.acceptProposedAction()


@pytest.fixture
def runner():
    jobs = JobRunner(parent=None)
    yield jobs
    jobs.shutdown()


@pytest.fixture
def model(runner, tmp_path):
    return ReferenceImage(runner, ModelCache(), segmenter=str(tmp_path / "no-segmenter-here"))


@pytest.fixture
def host(model, qtbot):
    parent = DropTarget()
    qtbot.addWidget(parent)
    layout = QVBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    parent.canvas = ImageCanvas(model)
    layout.addWidget(parent.canvas)
    parent.resize(520, 480)
    parent.show()
    qtbot.waitExposed(parent)
    return parent


@pytest.fixture
def canvas(host):
    return host.canvas


def open_photo(model, qtbot, path) -> None:
    with qtbot.waitSignal(model.image_changed, timeout=10000):
        assert model.open(str(path))
    assert not model.loading


def widget_point(canvas: ImageCanvas, x: float, y: float) -> QPoint:
    return canvas.image_to_widget(x, y).toPoint()


def wheel(canvas: ImageCanvas, pos: QPoint, notches: int) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(canvas.mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, event)


def assert_inside(crop: CropBox, width: int, height: int) -> None:
    assert crop.left >= 0 and crop.top >= 0
    assert crop.left + crop.size <= width and crop.top + crop.size <= height


def test_open_photo_shows_it_with_the_default_crop(model, canvas, qtbot, tmp_path):
    photo = make_photo(tmp_path / "street.png", (300, 200))
    seen = ThreadRecorder()
    for signal in (model.image_changed, model.crop_changed, model.look_changed,
                   model.loading_changed):
        signal.connect(seen)
    open_photo(model, qtbot, photo)
    assert seen.all_main()
    assert model.path == str(photo)
    assert model.size == (300, 200) and model.image.size == (300, 200)
    assert (model.display.width(), model.display.height()) == (300, 200)
    assert model.crop == default_crop(300, 200)
    assert model.crop.size == 200
    assert model.look is not None and model.look.describe()

    shot = image_array(canvas.grab().toImage())
    inside = canvas.crop_rect().center().toPoint()
    outside = canvas.image_to_widget(10, 100).toPoint()
    source = np.asarray(Image.open(photo).convert("RGB"))
    expected = source[100, int(canvas.widget_to_image(QPointF(inside))[0])].astype(int)
    painted = shot[inside.y(), inside.x()].astype(int)
    assert np.abs(painted - expected).max() < 40, "the crop shows the photo as it is"
    if model.crop.left > 10:  # the left margin is outside the crop: shaded darker
        assert shot[outside.y(), outside.x()].sum() < source[100, 10].astype(int).sum() - 60


def test_large_photo_gets_a_small_display_copy(model, qtbot, tmp_path):
    photo = tmp_path / "big.jpg"
    Image.new("RGB", (2400, 1200), (120, 60, 30)).save(photo, quality=80)
    open_photo(model, qtbot, photo)
    assert model.size == (2400, 1200)
    assert max(model.display.width(), model.display.height()) == 1024
    assert model.crop.size == 1200


def test_bad_file_keeps_the_previous_photo_and_says_one_sentence(model, qtbot, tmp_path):
    good = make_photo(tmp_path / "good.png")
    open_photo(model, qtbot, good)
    image, crop = model.image, model.crop
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 3)
    errors = ThreadRecorder()
    model.error.connect(errors)
    with qtbot.waitSignal(model.error, timeout=10000) as blocker:
        assert model.open(str(bad))
    message = str(blocker.args[0])
    assert message and "\n" not in message and "Traceback" not in message
    assert message.rstrip().endswith(".")
    assert message.count(". ") == 0, message
    assert errors.all_main()
    assert model.path == str(good) and model.image is image and model.crop == crop
    assert not model.loading

    with qtbot.waitSignal(model.error, timeout=1000) as blocker:
        assert not model.open(str(tmp_path / "gone.png"))
    assert "does not exist" in blocker.args[0]
    assert model.path == str(good)


def test_a_stale_load_is_ignored(model, qtbot, tmp_path):
    first = make_photo(tmp_path / "first.png", (320, 240))
    second = make_photo(tmp_path / "second.png", (200, 300), seed=1)
    model.open(str(first))
    model.open(str(second))
    qtbot.waitUntil(lambda: model.path == str(second) and not model.loading, timeout=10000)
    qtbot.wait(100)
    assert model.path == str(second) and model.size == (200, 300)


def test_dragging_moves_the_crop_and_it_stays_inside(model, canvas, qtbot, tmp_path):
    open_photo(model, qtbot, make_photo(tmp_path / "wide.png", (300, 200)))
    start_crop = model.crop
    scale = canvas.image_rect().width() / 300
    centre = canvas.crop_rect().center().toPoint()
    seen = ThreadRecorder()
    model.crop_changed.connect(seen)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(canvas, centre + QPoint(-30, 0))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=centre + QPoint(-30, 0))
    assert seen.all_main()
    assert model.crop.size == start_crop.size and model.crop.top == start_crop.top
    assert model.crop.left == pytest.approx(start_crop.left - 30 / scale, abs=1.5)

    centre = canvas.crop_rect().center().toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(canvas, centre + QPoint(400, 300))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=centre + QPoint(400, 300))
    assert model.crop == CropBox(100, 0, 200)

    corner = canvas.crop_rect().bottomRight().toPoint()
    target = widget_point(canvas, 250, 110)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=corner)
    qtbot.mouseMove(canvas, target)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=target)
    assert model.crop.left == 100 and model.crop.top == 0
    assert model.crop.size == pytest.approx(150, abs=2)
    assert_inside(model.crop, 300, 200)


def test_wheel_zooms_about_the_cursor_and_double_click_resets(model, canvas, qtbot, tmp_path):
    open_photo(model, qtbot, make_photo(tmp_path / "tall.png", (200, 320)))
    assert model.crop == default_crop(200, 320)
    before = model.crop
    point = (before.left + 50, before.top + 150)
    wheel(canvas, widget_point(canvas, *point), 1)
    after = model.crop
    assert after.size < before.size
    rel_before = ((point[0] - before.left) / before.size, (point[1] - before.top) / before.size)
    rel_after = ((point[0] - after.left) / after.size, (point[1] - after.top) / after.size)
    assert rel_after == pytest.approx(rel_before, abs=0.03)

    for _ in range(40):
        wheel(canvas, widget_point(canvas, 190, 310), 1)
        assert_inside(model.crop, 200, 320)
    assert model.crop.size == model.min_crop_side()
    for _ in range(40):
        wheel(canvas, widget_point(canvas, 10, 10), -1)
        assert_inside(model.crop, 200, 320)
    assert model.crop.size == 200

    wheel(canvas, widget_point(canvas, 100, 160), 3)
    assert model.crop != default_crop(200, 320)
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton,
                      pos=canvas.crop_rect().center().toPoint())
    assert model.crop == default_crop(200, 320)


def test_dropping_a_photo_opens_it(model, canvas, qtbot, tmp_path):
    photo = make_photo(tmp_path / "dropped.jpg", (240, 160))
    with qtbot.waitSignal(model.image_changed, timeout=10000):
        enter = drop(canvas, [photo], canvas.mapTo(canvas.window(), canvas.rect().center()))
    assert enter.isAccepted()
    assert model.path == str(photo) and model.size == (240, 160)
    assert canvas.window().entered == [], "an image drop stops at the canvas"


def test_an_audio_drag_goes_on_to_the_window(model, host, canvas, qtbot, tmp_path):
    track = tmp_path / "song.wav"
    track.write_bytes(b"RIFF")
    drop(canvas, [track], canvas.mapTo(host, canvas.rect().center()))
    assert host.entered == [[str(track)]]
    two = [make_photo(tmp_path / "a.png"), make_photo(tmp_path / "b.png")]
    drop(canvas, two, canvas.mapTo(host, canvas.rect().center()))
    assert len(host.entered) == 2
    qtbot.wait(50)
    assert model.path is None and not model.loading


def test_clicking_the_empty_canvas_asks_for_a_photo(model, canvas, qtbot, tmp_path, monkeypatch):
    photo = make_photo(tmp_path / "chosen.png")
    asked = []

    def fake_dialog(parent, title, start, filters):
        asked.append(filters)
        return str(photo), filters

    monkeypatch.setattr(canvas_module.QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    shot = canvas.grab()  # the empty state paints without a photo
    assert not shot.isNull()
    assert EMPTY_TEXT == "Drop a photo here or click to choose one"
    with qtbot.waitSignal(model.image_changed, timeout=10000):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.rect().center())
    assert len(asked) == 1 and "*.png" in asked[0] and "*.jpg" in asked[0]
    assert model.path == str(photo)


def _centre_colour(canvas: ImageCanvas) -> np.ndarray:
    shot = image_array(canvas.grab().toImage())
    point = canvas.content_rect().center()
    return shot[point.y(), point.x()].astype(int)


def test_cover_and_preview_are_painted(model, canvas, qtbot, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), (220, 30, 40)).save(buffer, "PNG")
    canvas.show_cover(buffer.getvalue(), "seed 42")
    assert canvas.mode == "cover" and canvas.tab == "cover"
    red = _centre_colour(canvas)
    assert red[0] > 180 and red[1] < 80 and red[2] < 80

    preview = np.zeros((8, 8, 3), np.uint8)
    preview[..., 1] = 200
    canvas.show_preview(preview, "step 3/20")
    assert canvas.mode == "preview"
    green = _centre_colour(canvas)
    assert green[1] > 150 and green[0] < 60

    canvas.show_reference()
    canvas.show_preview(preview, "step 4/20")  # later steps do not pull the artist back
    assert canvas.tab == "reference"
    canvas.clear_preview()
    canvas.set_tab("cover")
    assert canvas.mode == "cover"

    canvas.show_cover(b"not a png", "seed 1")  # a damaged cover is a message, not a crash
    assert canvas.mode == "cover"
    assert _centre_colour(canvas)[0] < 180


def test_opening_a_photo_while_the_cover_shows_returns_to_it(model, canvas, qtbot, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 0, 255)).save(buffer, "PNG")
    canvas.show_cover(buffer.getvalue(), "seed 7")
    open_photo(model, qtbot, make_photo(tmp_path / "p.png"))
    assert canvas.tab == "reference"


def test_repaints_reuse_the_scaled_photo(model, canvas, qtbot, tmp_path):
    photo = tmp_path / "large.jpg"
    Image.new("RGB", (2000, 1500), (90, 140, 60)).save(photo, quality=80)
    open_photo(model, qtbot, photo)
    canvas.grab()
    built = canvas._pixmaps.builds()["reference"]
    target = canvas.image_rect()
    assert built[1] == round(target.width() * canvas.devicePixelRatioF()) < 2000
    model.set_crop(CropBox(100, 100, 900))
    canvas.grab()
    assert canvas._pixmaps.builds()["reference"] == built  # moving the crop rescales nothing


def test_qimage_helpers_keep_every_pixel():
    from albumstudio.ui.canvas.qimage import pil_to_qimage, png_to_qimage, rgb_array_to_qimage

    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)  # odd width: padded rows
    assert np.array_equal(image_array(rgb_array_to_qimage(pixels)), pixels)
    assert np.array_equal(image_array(pil_to_qimage(Image.fromarray(pixels))), pixels)
    rgba = Image.fromarray(np.dstack([pixels, np.full((5, 7), 9, np.uint8)]), "RGBA")
    assert np.array_equal(image_array(pil_to_qimage(rgba))[..., :3], np.asarray(rgba)[..., :3])
    grey = rgb_array_to_qimage(pixels[..., 0])
    assert np.array_equal(image_array(grey)[..., 2], pixels[..., 0])
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    assert np.array_equal(image_array(png_to_qimage(buffer.getvalue())), pixels)
    assert png_to_qimage(b"nonsense").isNull()
    with pytest.raises(ValueError):
        rgb_array_to_qimage(np.zeros((4, 4, 2), np.uint8))


def test_crop_edits_never_leave_the_image():
    from albumstudio.ui.canvas import crop_geometry as geo

    rng = np.random.default_rng(1)
    for _ in range(300):
        width, height = (int(v) for v in rng.integers(20, 400, 2))
        side = int(rng.integers(1, min(width, height) + 1))
        crop = CropBox(int(rng.integers(0, width - side + 1)),
                       int(rng.integers(0, height - side + 1)), side)
        x, y = (float(v) for v in rng.uniform(-100, 500, 2))
        for new in (geo.moved(crop, x - 200, y - 200, width, height),
                    geo.zoomed(crop, float(rng.uniform(0.2, 5)), x, y, width, height, 16),
                    geo.resized_from_corner(crop, str(rng.choice(geo.CORNERS)), x, y,
                                            width, height, 16),
                    geo.centred_on(crop, x, y, width, height)):
            assert_inside(new, width, height)
            assert new.size >= min(16, width, height) or new.size == crop.size
    grown = geo.resized_from_corner(CropBox(10, 10, 50), "top-left", 0, 0, 200, 100, 16)
    assert grown == CropBox(0, 0, 60)  # the bottom-right corner stays at (60, 60)
