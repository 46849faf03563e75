"""ADE20K segmentation maps: the app's SegFormer path, checked against transformers itself."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from albumstudio.core.errors import InputError
from albumstudio.core.model_registry import default_model
from albumstudio.engines import segmentation
from albumstudio.engines.models import is_installed
from albumstudio.engines.segmentation import Segmenter, segmentation_map
from albumstudio.vision.ade20k import ADE20K_PALETTE
from tests.support.tiny_vision_models import build_tiny_segformer

DEFAULT_SEGMENTER = default_model("segmenter")


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Tiny models run fastest on one thread (see tests/engines/conftest.py)."""


@pytest.fixture(scope="module")
def ade_segformer(tmp_path_factory):
    return build_tiny_segformer(tmp_path_factory.mktemp("tiny-segformer") / "ade")


@pytest.fixture(scope="module")
def cityscapes_segformer(tmp_path_factory):
    return build_tiny_segformer(tmp_path_factory.mktemp("tiny-segformer") / "city", num_labels=19)


def reference_image(width: int = 50, height: int = 36) -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def direct_labels(folder, img: Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    import torch
    from transformers import SegformerForSemanticSegmentation, SegformerImageProcessor

    processor = SegformerImageProcessor.from_pretrained(folder)
    model = SegformerForSemanticSegmentation.from_pretrained(folder).eval()
    with torch.no_grad():
        outputs = model(**processor(images=img, return_tensors="pt"))
    width, height = size or img.size
    labels = processor.post_process_semantic_segmentation(outputs, target_sizes=[(height, width)])
    return labels[0].numpy()


def counting_loads(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = segmentation.load_pretrained

    def load(cls, id_or_path, what, **kwargs):
        calls.append(cls.__name__)
        return real(cls, id_or_path, what, **kwargs)

    monkeypatch.setattr(segmentation, "load_pretrained", load)
    return calls


def palette_colours() -> set[tuple[int, int, int]]:
    return {tuple(int(v) for v in colour) for colour in ADE20K_PALETTE}


def assert_one_sentence(message: str) -> None:
    assert message.endswith(".") and message.count(". ") == 0 and "\n" not in message
    assert "Error" not in message and "Traceback" not in message


def test_map_has_the_image_size_and_only_ade20k_colours(ade_segformer):
    img = reference_image()
    seg = segmentation_map(img, model=str(ade_segformer))
    assert seg.size == img.size and seg.mode == "RGB"
    colours = {tuple(int(v) for v in c) for c in np.asarray(seg).reshape(-1, 3)}
    assert colours <= palette_colours()
    assert len(colours) > 1


def test_map_equals_transformers_segformer_with_the_palette(ade_segformer):
    img = reference_image()
    expected = ADE20K_PALETTE[direct_labels(ade_segformer, img)]
    assert np.array_equal(np.asarray(segmentation_map(img, model=str(ade_segformer))), expected)
    labels = Segmenter(str(ade_segformer)).labels(img)
    assert labels.dtype == np.uint8 and labels.shape == (img.height, img.width)
    assert np.array_equal(labels, direct_labels(ade_segformer, img))


def test_segmenter_method_replaces_the_function_and_keeps_the_model(ade_segformer, monkeypatch):
    calls = counting_loads(monkeypatch)
    segmenter = Segmenter(str(ade_segformer))
    img = reference_image()
    first = segmenter.segmentation_map(img)
    second = segmenter.segmentation_map(img.convert("L").convert("RGB"))
    again = segmenter.segmentation_map(img, str(ade_segformer), "cpu")
    assert len(calls) == 2 and "SegformerForSemanticSegmentation" in calls
    assert segmenter.is_loaded()
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert second.size == img.size
    assert np.array_equal(np.asarray(first), np.asarray(segmentation_map(img, str(ade_segformer))))
    segmenter.unload()
    assert not segmenter.is_loaded()
    segmenter.segmentation_map(img)
    assert len(calls) == 6


def test_segmenter_keeps_only_the_last_models_used(ade_segformer, tmp_path):
    other = build_tiny_segformer(tmp_path / "other", seed=1)
    segmenter = Segmenter(str(ade_segformer))
    img = reference_image()
    segmenter.labels(img)
    differing = segmenter.labels(img, model=str(other))
    assert segmenter.is_loaded(str(other)) and not segmenter.is_loaded()
    assert not np.array_equal(differing, segmenter.labels(img))


def test_images_of_other_modes_get_an_rgb_map(ade_segformer):
    img = reference_image().convert("RGBA")
    seg = Segmenter(str(ade_segformer)).segmentation_map(img)
    assert seg.mode == "RGB" and seg.size == img.size


def test_large_images_get_labels_resized_from_capped_scores(ade_segformer, monkeypatch):
    monkeypatch.setattr(segmentation, "MAX_SCORE_SIDE", 40)
    img = reference_image(100, 60)
    labels = Segmenter(str(ade_segformer)).labels(img)
    capped = direct_labels(ade_segformer, img, size=(40, 24)).astype(np.uint8)
    expected = np.asarray(Image.fromarray(capped).resize(img.size, Image.Resampling.NEAREST))
    assert labels.shape == (60, 100)
    assert np.array_equal(labels, expected)


def test_a_model_without_ade20k_classes_is_refused(cityscapes_segformer):
    with pytest.raises(InputError) as raised:
        segmentation_map(reference_image(), model=str(cityscapes_segformer))
    message = str(raised.value)
    assert_one_sentence(message)
    assert "19 classes" in message and "ADE20K" in message and DEFAULT_SEGMENTER in message


def test_missing_model_folder_is_one_sentence_input_error(tmp_path):
    segmenter = Segmenter(str(tmp_path / "no-such-model"))
    with pytest.raises(InputError) as raised:
        segmenter.segmentation_map(reference_image())
    assert_one_sentence(str(raised.value))
    assert "not installed" in str(raised.value)
    assert not segmenter.is_loaded()


def sky_over_a_field(size: int = 320) -> Image.Image:
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    horizon = size // 2
    for y in range(horizon):
        shade = y / horizon
        draw.line([(0, y), (size, y)], fill=(int(80 + 120 * shade), int(150 + 60 * shade), 240))
    rng = np.random.default_rng(0)
    grass = np.clip(rng.normal((60, 140, 50), 18, (size - horizon, size, 3)), 0, 255)
    img.paste(Image.fromarray(grass.astype(np.uint8)), (0, horizon))
    return img


@pytest.mark.models
def test_real_segformer_finds_the_sky():
    if not is_installed(DEFAULT_SEGMENTER):
        pytest.skip(f"{DEFAULT_SEGMENTER} is not in the hub cache")
    segmenter = Segmenter()
    try:
        img = sky_over_a_field()
        labels = segmenter.labels(img)
        seg = segmenter.segmentation_map(img)
    finally:
        segmenter.unload()
    assert seg.size == img.size and seg.mode == "RGB"
    sky = 2  # ADE20K ids: 0 wall, 1 building, 2 sky
    top, bottom = labels[: img.height // 4], labels[-img.height // 4:]
    assert np.mean(top == sky) > 0.5
    assert np.mean(bottom == sky) < 0.2
