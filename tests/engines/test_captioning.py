"""BLIP captions: the app's loading and generation path, checked against transformers itself."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image, ImageDraw

from albumstudio.core.errors import InputError
from albumstudio.core.model_registry import default_model
from albumstudio.engines import captioning
from albumstudio.engines.captioning import (
    CAPTION_BEAMS,
    CAPTION_MAX_NEW_TOKENS,
    ImageCaptioner,
    clean_caption,
)
from albumstudio.engines.models import is_installed
from tests.support.tiny_vision_models import build_tiny_blip, tiny_wordpiece_vocab


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Tiny models run fastest on one thread (see tests/engines/conftest.py)."""


@pytest.fixture(scope="module")
def tiny_blip(tmp_path_factory):
    return build_tiny_blip(tmp_path_factory.mktemp("tiny-blip") / "blip")


def reference_image(width: int = 48, height: int = 40) -> Image.Image:
    rng = np.random.default_rng(7)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def direct_caption(folder, img: Image.Image, prompt: str | None = None) -> str:
    import torch
    from transformers import BlipForConditionalGeneration, BlipProcessor

    processor = BlipProcessor.from_pretrained(folder)
    model = BlipForConditionalGeneration.from_pretrained(folder).eval()
    inputs = processor(images=img, text=prompt, return_tensors="pt")
    with torch.no_grad():
        tokens = model.generate(**inputs, num_beams=3, max_new_tokens=30)
    return processor.decode(tokens[0], skip_special_tokens=True)


def counting_loads(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = captioning.load_pretrained

    def load(cls, id_or_path, what, **kwargs):
        calls.append(cls.__name__)
        return real(cls, id_or_path, what, **kwargs)

    monkeypatch.setattr(captioning, "load_pretrained", load)
    return calls


def assert_one_sentence(message: str) -> None:
    assert message.endswith(".") and message.count(". ") == 0 and "\n" not in message
    assert "Error" not in message and "Traceback" not in message


def test_generation_settings_follow_the_reference_system():
    assert (CAPTION_BEAMS, default_model("captioner")) == (3, "Salesforce/blip-image-captioning-base")
    assert 20 <= CAPTION_MAX_NEW_TOKENS <= 40


def test_caption_equals_transformers_beam_search_on_the_same_inputs(tiny_blip):
    img = reference_image()
    captioner = ImageCaptioner(str(tiny_blip))
    caption = captioner.caption(img)
    expected = direct_caption(tiny_blip, img)
    assert isinstance(caption, str) and caption
    assert caption == clean_caption(expected)
    assert set(caption.split()) <= set(tiny_wordpiece_vocab())


def test_caption_with_a_prompt_continues_the_prompt(tiny_blip):
    img = reference_image()
    caption = ImageCaptioner(str(tiny_blip)).caption(img, prompt="a painting of")
    assert caption == clean_caption(direct_caption(tiny_blip, img, "a painting of"))
    assert caption.startswith("a painting of")
    assert caption != ImageCaptioner(str(tiny_blip)).caption(img)


def test_caption_accepts_images_that_are_not_rgb(tiny_blip):
    rgb = reference_image()
    captioner = ImageCaptioner(str(tiny_blip))
    assert captioner.caption(rgb.convert("RGBA")) == captioner.caption(rgb)
    assert isinstance(captioner.caption(rgb.convert("L")), str)


def test_model_is_loaded_once_reused_and_unloaded(tiny_blip, monkeypatch):
    calls = counting_loads(monkeypatch)
    captioner = ImageCaptioner(str(tiny_blip))
    assert not captioner.is_loaded and calls == []
    first = captioner.caption(reference_image())
    second = captioner.caption(reference_image())
    assert first == second
    assert sorted(calls) == ["BlipForConditionalGeneration", "BlipProcessor"]
    captioner.unload()
    assert not captioner.is_loaded
    assert captioner.caption(reference_image()) == first
    assert len(calls) == 4


def test_concurrent_captions_share_one_model(tiny_blip, monkeypatch):
    calls = counting_loads(monkeypatch)
    captioner = ImageCaptioner(str(tiny_blip))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(captioner.caption(reference_image())))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and len(set(results)) == 1
    assert len(calls) == 2


def test_missing_model_folder_is_one_sentence_input_error(tmp_path):
    captioner = ImageCaptioner(str(tmp_path / "no-such-model"))
    with pytest.raises(InputError) as raised:
        captioner.caption(reference_image())
    assert_one_sentence(str(raised.value))
    assert "not installed" in str(raised.value)
    assert not captioner.is_loaded


def test_unavailable_device_is_refused_before_loading(tiny_blip):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InputError) as raised:
        ImageCaptioner(str(tiny_blip), device="cuda").caption(reference_image())
    assert_one_sentence(str(raised.value))
    assert "CUDA" in str(raised.value)


@pytest.mark.parametrize(("raw", "clean"), [
    ("arafed woman sitting on a bench .", "woman sitting on a bench"),
    ("there is a dog   that is running on the beach", "a dog that is running on the beach"),
    ("there are two guitars on a stage!", "two guitars on a stage"),
    ("a man in an araffe shirt playing a guitar", "a man in a shirt playing a guitar"),
    ("an arafed elephant in a field", "an elephant in a field"),
    ("  a red car parked on the street,  ", "a red car parked on the street"),
    ("a view of the sea from there is nothing", "a view of the sea from there is nothing"),
])
def test_clean_caption_drops_blip_artefacts(raw, clean):
    assert clean_caption(raw) == clean


def sunset_over_a_field(size: int = 384) -> Image.Image:
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    horizon = size * 3 // 5
    for y in range(horizon):
        shade = y / horizon
        draw.line([(0, y), (size, y)], fill=(int(90 + 150 * shade), int(140 + 40 * shade), 235))
    draw.rectangle([0, horizon, size, size], fill=(40, 140, 50))
    draw.ellipse([size // 2 - 40, horizon - 70, size // 2 + 40, horizon + 10], fill=(255, 200, 40))
    return img


@pytest.mark.models
def test_real_blip_describes_a_simple_landscape():
    if not is_installed(default_model("captioner")):
        pytest.skip(f"{default_model('captioner')} is not in the hub cache")
    captioner = ImageCaptioner()
    try:
        caption = captioner.caption(sunset_over_a_field())
    finally:
        captioner.unload()
    words = caption.split()
    assert 2 <= len(words) <= CAPTION_MAX_NEW_TOKENS
    assert not caption.startswith(("arafed", "there is")) and caption == caption.strip(" .")
    assert set(words) & {"sun", "sunset", "sky", "field", "grass", "landscape", "painting",
                         "picture", "image", "green", "blue", "yellow", "hill", "sunrise"}
