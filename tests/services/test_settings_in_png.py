"""Settings travel with the picture: a saved PNG carries the "parameters" text other image
generators read and AlbumStudio's whole request, which comes back as the same request; the
pixels and the engine's bytes are untouched, and the same request saves to the same bytes."""

from __future__ import annotations

import io
import json
import zlib

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.cover import CoverRequest
from albumstudio.core.errors import InputError
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.png_settings import (
    parameters_text,
    read_texts,
    settings_of,
    strip_settings,
    with_settings,
)
from albumstudio.engines.design_png import encode_png
from albumstudio.services.covers import (
    CoverService,
    compressed_png,
    output_request,
    save_cover,
)
from albumstudio.store.history import HistoryStore
from tests.support.requests import cover_request


def _design(**changes) -> CoverRequest:
    return cover_request("design", prompt="neon rain over a harbour, «Nachtfahrt» 夜", size=256,
                         seed=5, title="Nachtfahrt", artist="Nadia Sol", layout="centered",
                         treatment="duotone", **changes)


def test_a_saved_design_cover_carries_its_request_and_reruns_to_the_same_bytes(tmp_path):
    history = HistoryStore(tmp_path / "history")
    covers = CoverService(ModelCache(), history)
    try:
        record = covers.run(_design(variants=2))
        second = record.outputs[1]
        settings = output_request(record, second)
        out = tmp_path / "second.png"
        save_cover(second.data, str(out), settings=settings)
        saved = out.read_bytes()
        # the engine's pixels compressed for keeping (#12), then the settings
        assert strip_settings(saved) == compressed_png(second.data)
        with Image.open(out) as img:  # what other programs read
            assert img.text["parameters"].startswith("neon rain over a harbour, «Nachtfahrt» 夜")
            assert "Seed: 6, Size: 256x256, Model: AlbumStudio design, Engine: design" \
                in img.text["parameters"]
            assert np.array_equal(np.asarray(img.convert("RGB")),
                                  np.asarray(Image.open(io.BytesIO(second.data)).convert("RGB")))
        back = covers.request_from_png(str(out))
        assert back is not None and back.seed == 6 and back.variants == 1
        assert back.to_dict() == CoverRequest.from_dict(settings).to_dict()
        again = covers.run(back, record=False)
        assert again.outputs[0].data == second.data  # the same request makes the same bytes
        save_cover(again.outputs[0].data, str(tmp_path / "again.png"),
                   settings=output_request(again, again.outputs[0]))
        assert (tmp_path / "again.png").read_bytes() == saved  # and saves to the same file
        jpeg = tmp_path / "c.jpg"
        save_cover(second.data, str(jpeg), settings=settings)
        assert jpeg.read_bytes()[:2] == b"\xff\xd8"  # JPEG as before (no settings inside)
    finally:
        history.close()


def test_parameters_follow_the_convention_and_chunks_are_well_formed():
    request = cover_request("diffusion", prompt="a red cat", negative_prompt="lowres",
                            size=512, seed=42, steps=20, scheduler="euler-a", guidance=7.5,
                            model="some/model").to_dict()
    text = parameters_text(request)
    assert text.splitlines() == [
        "a red cat", "Negative prompt: lowres",
        "Steps: 20, Sampler: euler-a, CFG scale: 7.5, Seed: 42, Size: 512x512, "
        "Model: some/model, Engine: diffusion"]
    png = encode_png(np.zeros((8, 8, 3), np.uint8))
    once = with_settings(png, request)
    assert with_settings(once, request) == once  # replaced, not added twice
    assert read_texts(once)["parameters"] == text and settings_of(once) == json.loads(
        json.dumps(request))
    assert settings_of(png) is None and strip_settings(once) == png
    at = 8  # every chunk's CRC is right, and the settings come before the pixels
    kinds = []
    while at < len(once):
        length = int.from_bytes(once[at:at + 4], "big")
        kind, data = once[at + 4:at + 8], once[at + 8:at + 8 + length]
        assert int.from_bytes(once[at + 8 + length:at + 12 + length], "big") == zlib.crc32(
            kind + data)
        kinds.append(kind)
        at += 12 + length
    assert kinds == [b"IHDR", b"tEXt", b"tEXt", b"IDAT", b"IEND"]
    with pytest.raises(ValueError):
        settings_of(b"GIF89a not a png")


def test_a_png_without_settings_or_not_a_png(tmp_path):
    covers = CoverService(ModelCache())
    plain = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(plain)
    assert covers.request_from_png(str(plain)) is None
    other = tmp_path / "other.png"
    other.write_bytes(with_settings(plain.read_bytes(), {"version": 99, "engine": "design"}))
    with pytest.raises(InputError, match="another version"):
        covers.request_from_png(str(other))
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(InputError):
        covers.request_from_png(str(text))
