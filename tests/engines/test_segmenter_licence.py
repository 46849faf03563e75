"""SegFormer's weights are for non-commercial research (#14): a cover that would use them asks
for the licence once, before anything is made, and every cover made with them records it."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from albumstudio.core.cover import Condition
from albumstudio.core.model_cache import ModelCache
from albumstudio.engines.diffusion_cover import DiffusionCoverEngine
from albumstudio.services.covers import CoverService
from albumstudio.services.model_manager import LicenceNotAcknowledged, acknowledge
from tests.support.requests import changed, cover_request


def _segment(img: Image.Image, model: str, device: str) -> Image.Image:
    return img.convert("RGB").quantize(colors=4).convert("RGB")


@pytest.fixture
def service(tmp_path):
    made = CoverService(ModelCache())
    made._engines["diffusion"] = DiffusionCoverEngine(segment=_segment, min_side=64)
    yield made
    made.unload()


def test_a_segmentation_cover_needs_the_licence_once_and_records_it(service, tiny_sd,
                                                                    tiny_controlnets, tmp_path):
    picture = Image.new("RGB", (96, 80), (30, 60, 200))
    ImageDraw.Draw(picture).ellipse((10, 10, 70, 70), fill=(240, 200, 40))
    picture.save(tmp_path / "photo.png")
    request = changed(cover_request("diffusion", model=tiny_sd, prompt="a cat", size=256, steps=2,
                                    seed=3, scheduler="unipc"),
                      image_path=str(tmp_path / "photo.png"),
                      controlnets=(("seg", tiny_controlnets["seg"]),),
                      conditions=(Condition("seg", weight=0.5),))
    with pytest.raises(LicenceNotAcknowledged) as refused:
        service.run(request)
    message = str(refused.value)
    assert "not for commercial use" in message.lower() or "non-commercial" in message.lower()
    assert "albumstudio models acknowledge segmenter" in message
    acknowledge("segmenter")
    record = service.run(request)
    assert ("segmenter", "nvidia/segformer-b0-finetuned-ade-512-512") in [
        (m.role, m.id) for m in record.models]
    licences = [n.text for n in record.notes if "licensed" in n.text]
    assert len(licences) == 1 and "not for commercial use" in licences[0]
    plain = service.run(changed(request, conditions=(), controlnets=()))
    assert not [n for n in plain.notes if "licensed" in n.text]  # no segmenter, no licence
