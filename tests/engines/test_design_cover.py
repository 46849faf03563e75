import io
import threading

import numpy as np
import pytest
from PIL import Image, ImageDraw

from albumstudio.core.cover import LAYOUTS, TREATMENTS, CoverRequest, CropBox, MusicMood
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.mood_palette import palette_from_colours
from albumstudio.engines.design_backgrounds import STYLES, choose_style, render_background
from albumstudio.engines.design_cover import load_reference, pairing_for, run
from albumstudio.engines.design_png import encode_png
from albumstudio.engines.typography import layout_text, safe_box
from tests.support.requests import cover_request

SIZE = 512
CURVE = tuple(float(v) for v in 0.5 + 0.45 * np.sin(np.linspace(0, 12, 120)))
MOOD = MusicMood(energy=0.7, tempo_bpm=126, onset_density=4.5, mode="minor", key="A",
                 energy_curve=CURVE)
PALETTE = ("#14213d", "#fca311", "#e5e5e5", "#2a9d8f")


@pytest.fixture
def photo(tmp_path):
    """A 640×480 JPEG with light, dark and coloured regions."""
    image = Image.new("RGB", (640, 480), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    for i in range(0, 640, 8):
        draw.line((i, 0, i, 480), fill=(i // 3, 255 - i // 3, 120))
    draw.ellipse((180, 100, 460, 380), fill=(240, 230, 200))
    draw.rectangle((0, 380, 640, 480), fill=(20, 20, 20))
    path = tmp_path / "reference.jpg"
    image.save(path, quality=92)
    return str(path)


def _pixels(cover_image) -> np.ndarray:
    image = Image.open(io.BytesIO(cover_image.png))
    image.load()
    assert image.mode == "RGB"
    assert image.size == (cover_image.width, cover_image.height)
    return np.asarray(image)


def _request(**fields) -> CoverRequest:
    base = {"title": "Midnight Drive", "artist": "The Velvet Echoes", "size": SIZE,
            "mood": MOOD, "seed": 5}
    base.update(fields)
    return cover_request(**base)


@pytest.mark.parametrize("with_image", [False, True])
def test_same_request_gives_identical_png_and_seeds_differ(photo, with_image):
    request = _request(image_path=photo if with_image else None)
    first, again = run(request), run(request)
    assert first.images[0].png == again.images[0].png
    other = run(request.with_seed(6))
    assert other.images[0].png != first.images[0].png
    pixels = _pixels(first.images[0])
    assert pixels.shape == (SIZE, SIZE, 3)
    assert first.images[0].png.startswith(b"\x89PNG\r\n\x1a\n")


def test_variants_use_consecutive_seeds_and_match_single_runs():
    result = run(_request(variants=3, seed=10))
    assert [im.seed for im in result.images] == [10, 11, 12]
    assert len({im.png for im in result.images}) == 3
    assert all((im.width, im.height) == (SIZE, SIZE) for im in result.images)
    assert result.images[1].png == run(_request(seed=11)).images[0].png
    assert result.request.variants == 3 and result.seconds > 0
    assert any("background:" in n for n in result.images[0].notes)
    assert result.notes == result.images[0].notes  # the first variant's plan explains the job
    assert result.images[1].notes != result.images[0].notes  # each variant has its own plan


def test_png_writer_round_trips_pixels():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    decoded = Image.open(io.BytesIO(encode_png(Image.fromarray(pixels))))
    assert np.array_equal(np.asarray(decoded), pixels)


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_each_treatment_runs_and_changes_the_picture(photo, treatment):
    request = _request(image_path=photo, treatment=treatment, layout="none", grain=0.0,
                       vignette=0.0)
    result = run(request)
    assert any(n.startswith(f"treatment: {treatment} (") for n in result.images[0].notes)
    cover = _pixels(result.images[0]).astype(np.int16)
    plain = np.asarray(load_reference(request).resize((SIZE, SIZE))).astype(np.int16)
    assert np.abs(cover - plain).mean() > 4.0
    others = {t: _pixels(run(_request(image_path=photo, treatment=t, layout="none", grain=0.0,
                                      vignette=0.0)).images[0]) for t in TREATMENTS
              if t != treatment}
    for pixels in others.values():
        assert not np.array_equal(pixels, cover)


def test_a_crop_box_picks_the_region(tmp_path):
    sides = Image.new("RGB", (600, 300), (200, 30, 30))
    ImageDraw.Draw(sides).rectangle((300, 0, 600, 300), fill=(30, 30, 200))
    path = tmp_path / "sides.png"
    sides.save(path)

    def cover(crop):
        return _pixels(run(_request(image_path=str(path), crop=crop, layout="none",
                                    treatment="natural", grain=0, vignette=0)).images[0])

    red, blue = cover(CropBox(0, 0, 300)), cover(CropBox(300, 0, 300))
    assert red[..., 0].mean() > red[..., 2].mean() + 100
    assert blue[..., 2].mean() > blue[..., 0].mean() + 100
    centred = cover(None)
    assert centred[:, : SIZE // 3, 0].mean() > centred[:, -SIZE // 3:, 0].mean() + 100


@pytest.mark.parametrize("layout", [lay for lay in LAYOUTS if lay != "none"])
def test_type_changes_only_pixels_inside_its_boxes(photo, layout):
    for image_path in (None, photo):
        request = _request(layout=layout, image_path=image_path)
        with_text = _pixels(run(request).images[0])
        without = _pixels(run(_request(layout="none", image_path=image_path)).images[0])
        changed = np.any(with_text != without, axis=-1)
        boxes = layout_text(SIZE, request.title, request.artist, layout,
                            pairing_for(request, request.seed))
        allowed = np.zeros_like(changed)
        for box in boxes:
            left, top, right, bottom = box.box
            allowed[top:bottom, left:right] = True
        assert changed.any()
        assert not (changed & ~allowed).any()
        left, top, right, bottom = safe_box(SIZE)
        assert not changed[:top].any() and not changed[bottom:].any()
        assert not changed[:, :left].any() and not changed[:, right:].any()


def test_a_non_latin_title_renders():
    request = _request(title="Ночной город", artist="Ελληνικά", layout="centered")
    boxes = layout_text(SIZE, request.title, request.artist, "centered",
                        pairing_for(request, request.seed))
    lines = [b for b in boxes if b.role in ("title", "artist")]
    assert lines and all(b.box[2] - b.box[0] > 10 and b.box[3] - b.box[1] > 5 for b in lines)
    with_text = _pixels(run(request).images[0])
    without = _pixels(run(_request(layout="none")).images[0])
    title = next(b for b in lines if b.role == "title")
    left, top, right, bottom = title.box
    assert np.any(with_text[top:bottom, left:right] != without[top:bottom, left:right])


def _distance_to_palette_mixes(pixels: np.ndarray, colours: tuple[str, ...]) -> np.ndarray:
    """Each pixel's distance to the nearest mix of two palette colours (a segment in RGB)."""
    points = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], float)
    flat = pixels.reshape(-1, 3).astype(float)
    best = np.full(len(flat), np.inf)
    for a in points:
        for b in points:
            span = b - a
            t = np.clip((flat - a) @ span / max(float(span @ span), 1e-9), 0.0, 1.0)
            best = np.minimum(best, np.linalg.norm(flat - (a + t[:, None] * span), axis=1))
    return best


def _distance_to_soft_mixes(pixels: np.ndarray, colours: tuple[str, ...]) -> np.ndarray:
    """Each pixel's distance to the nearest mix of up to three palette colours (a soft colour
    field glows several of them into each other)."""
    from itertools import combinations

    points = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], float)
    steps = np.linspace(0.0, 1.0, 21)
    weights = np.array([(a, b, 1 - a - b) for a in steps for b in steps if a + b <= 1 + 1e-9])
    mixes = np.concatenate([weights @ points[list(trio)]
                            for trio in combinations(range(len(points)), 3)])
    flat = pixels.reshape(-1, 3).astype(float)
    return np.sqrt(((flat[:, None, :] - mixes[None]) ** 2).sum(axis=2)).min(axis=1)


def test_an_explicit_palette_is_honoured_without_an_image():
    for seed in range(6):
        result = run(_request(seed=seed, palette=PALETTE, grain=0.0, vignette=0.0,
                              layout="none"))
        pixels = _pixels(result.images[0])[::4, ::4]
        soft = any("soft colour field" in n for n in result.images[0].notes)
        distance = (_distance_to_soft_mixes if soft else _distance_to_palette_mixes)(
            pixels, PALETTE)
        assert (distance < 25).mean() > 0.95, result.images[0].notes
        assert any("chosen by hand" in n for n in result.images[0].notes)


def test_an_explicit_palette_is_honoured_with_an_image(tmp_path):
    halves = Image.new("RGB", (400, 400), (0, 0, 0))
    ImageDraw.Draw(halves).rectangle((0, 200, 400, 400), fill=(255, 255, 255))
    path = tmp_path / "halves.png"
    halves.save(path)
    palette = ("#1b1b3a", "#ffd166")
    result = run(_request(image_path=str(path), palette=palette, treatment="duotone",
                          grain=0.0, vignette=0.0, layout="none"))
    pixels = _pixels(result.images[0]).astype(int)
    assert np.abs(pixels[SIZE // 4, SIZE // 2] - [0x1B, 0x1B, 0x3A]).max() <= 3
    assert np.abs(pixels[3 * SIZE // 4, SIZE // 2] - [0xFF, 0xD1, 0x66]).max() <= 3


def test_every_background_style_draws_something_distinct():
    palette = palette_from_colours(PALETTE)
    drawn = {}
    for style in STYLES:
        image = render_background(style, 256, palette, MOOD, 3)
        assert image.size == (256, 256) and image.mode == "RGB"
        pixels = np.asarray(image)
        assert pixels.reshape(-1, 3).std(axis=0).max() > 10, style
        drawn[style] = pixels
    assert len({p.tobytes() for p in drawn.values()}) == len(STYLES)
    styles = {choose_style(MOOD, seed) for seed in range(400)}
    assert styles == set(STYLES)
    assert [choose_style(MOOD, s) for s in range(8)] == [choose_style(MOOD, s) for s in range(8)]


def test_progress_counts_each_variant_up_to_its_total():
    events = []
    run(_request(variants=2), progress=events.append)
    for index in (0, 1):
        steps = [e for e in events if e.item == index]
        assert [e.step for e in steps] == list(range(1, len(steps) + 1))
        assert steps[-1].step == steps[-1].total == len(steps)
        assert all(e.text for e in steps)
    assert [e.item for e in events] == sorted(e.item for e in events)
    previews = [e.preview for e in events if e.preview is not None]
    assert len(previews) == 2 and previews[0].shape[2] == 3


def test_cancel_stops_the_run():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        run(_request(), cancel=cancel)
    cancel.clear()
    events = []

    def progress(event):
        events.append(event)
        if len(events) == 2:
            cancel.set()

    with pytest.raises(CancelledError):
        run(_request(variants=3), progress=progress, cancel=cancel)
    assert len(events) == 2


@pytest.mark.parametrize(("fields", "words"), [
    ({"size": 100}, ["256", "6000"]),
    ({"size": 7000}, ["256", "6000"]),
    ({"layout": "diagonal"}, list(LAYOUTS)),
    ({"treatment": "sepia"}, list(TREATMENTS)),
    ({"variants": 0}, ["variants"]),
    ({"palette": ("#123456", "blue")}, ["blue", "#rrggbb"]),
])
def test_bad_requests_get_one_plain_sentence(fields, words):
    with pytest.raises(InputError) as caught:
        run(_request(**fields))
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and "Error" not in message
    for word in words:
        assert word in message


def test_a_missing_image_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        run(_request(image_path=str(tmp_path / "gone.jpg")))
