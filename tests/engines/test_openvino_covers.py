"""The OpenVINO CPU backend (#20) on the tiny random-weight pipeline: the same request gives a
near-identical cover on both backends, conversions are cached and invalidated, cancel works.

The parts are converted once per module into one folder (conversion traces each module, which
takes most of this file's time); later tests reuse them and check that they do.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.cover import Condition
from albumstudio.core.errors import CancelledError
from albumstudio.engines.device import openvino_installed
from albumstudio.engines.diffusion_cover import DiffusionCoverEngine
from tests.support.diffusion_covers import SIDE, CancelAtStep, fake_segment, tiny_request

if not openvino_installed():
    pytest.skip("openvino is not installed (pip install 'albumstudio[cpu-fast]')",
                allow_module_level=True)

MIN_PSNR_DB = 30.0


@pytest.fixture(scope="module")
def ir_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("openvino")


@pytest.fixture(scope="module")
def engines(ir_root):
    made = {device: DiffusionCoverEngine(segment=fake_segment, min_side=SIDE,
                                         openvino_root=ir_root)
            for device in ("cpu", "openvino")}
    yield made
    for engine in made.values():
        engine.unload()


def request_for(tiny_sd: str, device: str, **changes):
    return tiny_request(tiny_sd, device=device, **changes)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def both(engines, tiny_sd: str, **changes) -> tuple[float, object]:
    torch_result = engines["cpu"].run(request_for(tiny_sd, "cpu", **changes))
    ov_result = engines["openvino"].run(request_for(tiny_sd, "openvino", **changes))
    assert torch_result.device == "cpu" and ov_result.device == "cpu-openvino"
    value = psnr(pixels(torch_result.images[0].png), pixels(ov_result.images[0].png))
    print(f"OpenVINO vs PyTorch {changes.get('conditions') or 'txt2img'}: {value:.1f} dB "
          f"({ov_result.notes})")
    return value, ov_result


def test_canny_cover_on_openvino_is_near_identical_to_pytorch(engines, tiny_sd,
                                                             tiny_controlnets, reference):
    value, result = both(engines, tiny_sd, image_path=reference,
                         conditions=(Condition("canny", weight=0.8),),
                         controlnets=(("canny", tiny_controlnets["canny"]),))
    assert sorted(engines["openvino"].openvino.converted) == sorted(
        ["text_encoder", "unet", "vae_decoder", "controlnet"])
    assert value >= MIN_PSNR_DB
    assert any(note.startswith("OpenVINO on the CPU (") for note in result.notes)
    assert engines["openvino"].cache.pipeline is None  # no PyTorch copy of the weights kept


def test_seg_cover_converts_only_its_controlnet(engines, tiny_sd, tiny_controlnets, reference):
    value, _ = both(engines, tiny_sd, image_path=reference,
                    conditions=(Condition("seg", weight=1.0),),
                    controlnets=(("seg", tiny_controlnets["seg"]),))
    assert engines["openvino"].openvino.converted == ["controlnet"]
    assert value >= MIN_PSNR_DB


def test_lcm_cover_fuses_the_lora_into_a_new_unet(engines, tiny_sd, tiny_lcm_lora):
    from diffusers import LCMScheduler

    value, _ = both(engines, tiny_sd, lcm=True, lcm_lora=tiny_lcm_lora, steps=20)
    assert engines["openvino"].openvino.converted == ["unet"]  # the LCM-LoRA has no text part
    assert isinstance(engines["openvino"].openvino.pipeline.scheduler, LCMScheduler)
    assert engines["openvino"].openvino.pipeline.guidance_scale == 1.0
    assert value >= MIN_PSNR_DB
    engines["openvino"].run(request_for(tiny_sd, "openvino"))  # LCM off again
    assert engines["openvino"].openvino.converted == []  # the plain UNet was kept beside it


def test_a_new_engine_reuses_the_conversion_and_a_changed_controlnet_is_converted_again(
        ir_root, tiny_sd, tiny_controlnets, reference, tmp_path):
    canny = tmp_path / "canny"
    shutil.copytree(tiny_controlnets["canny"], canny)
    request = request_for(tiny_sd, "openvino", image_path=reference,
                          conditions=(Condition("canny"),), controlnets=(("canny", str(canny)),))
    engine = DiffusionCoverEngine(min_side=SIDE, openvino_root=ir_root)
    try:
        engine.run(request)
        assert engine.openvino.converted == ["controlnet"]  # a new folder: a new ControlNet
        fresh = DiffusionCoverEngine(min_side=SIDE, openvino_root=ir_root)
        first = fresh.run(request)
        assert fresh.openvino.converted == []
        fresh.unload()
        before = {p.name for p in ir_root.glob("controlnet-*")}
        weights = canny / "diffusion_pytorch_model.safetensors"
        stat = weights.stat()
        os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # "downloaded again"
        again = engine.run(request)
        assert engine.openvino.converted == ["controlnet"]
        after = {p.name for p in ir_root.glob("controlnet-*")}
        assert len(after) == len(before)  # the old version of this ControlNet was removed
        assert after != before
        np.testing.assert_array_equal(pixels(first.images[0].png), pixels(again.images[0].png))
    finally:
        engine.unload()


def test_cancel_stops_within_one_step(engines, tiny_sd):
    stop = CancelAtStep(1)
    with pytest.raises(CancelledError):
        engines["openvino"].run(request_for(tiny_sd, "openvino", steps=4, variants=2),
                                stop, stop.cancel)
    assert stop.seen == [1]


def test_cancel_during_conversion_leaves_no_half_written_part(tiny_sd, tmp_path):
    cancel = threading.Event()
    texts = []

    def on_progress(p):
        texts.append(p.text)
        if "converting" in p.text:
            cancel.set()

    engine = DiffusionCoverEngine(min_side=SIDE, openvino_root=tmp_path / "ir")
    with pytest.raises(CancelledError):
        engine.run(request_for(tiny_sd, "openvino"), on_progress, cancel)
    assert any("converting the text encoder to OpenVINO" in t for t in texts)
    written = [p.name for p in (tmp_path / "ir").iterdir()]
    assert len(written) <= 1 and not any(name.endswith(".tmp") for name in written)
    engine.unload()
