"""The diffusion cover engine on tiny random-weight models (64x64, a few steps)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.cover import Condition, LoraFile
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.engines.device import DeviceChoice
from albumstudio.engines.diffusion_cover import DiffusionCoverEngine
from tests.support.diffusion_covers import (
    NEGATIVE,
    PROMPT,
    SIDE,
    CancelAtStep,
    fake_segment,
    tiny_request,
)
from tests.support.requests import changed, cover_request


def one_sentence(message: str) -> bool:
    return (message.endswith(".") and message.count(". ") == 0 and "\n" not in message
            and "Error" not in message and "Traceback" not in message)


@pytest.fixture
def engine():
    made = DiffusionCoverEngine(segment=fake_segment, min_side=SIDE)
    yield made
    made.unload()


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def direct_pipeline(cls, tiny_sd: str, **components):
    from diffusers import UniPCMultistepScheduler

    pipe = cls.from_pretrained(tiny_sd, safety_checker=None, requires_safety_checker=False,
                               local_files_only=True, use_safetensors=True, **components)
    pipe.scheduler = UniPCMultistepScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_txt2img_is_pixel_identical_to_a_direct_diffusers_call(engine, tiny_sd):
    import torch
    from diffusers import StableDiffusionPipeline

    result = engine.run(tiny_request(tiny_sd, variants=2))
    direct = direct_pipeline(StableDiffusionPipeline, tiny_sd)
    for index, image in enumerate(result.images):
        expected = direct(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=3,
                          guidance_scale=7.5, height=SIDE, width=SIDE,
                          generator=torch.Generator("cpu").manual_seed(7 + index)).images[0]
        assert image.seed == 7 + index
        assert (image.width, image.height) == (SIDE, SIDE)
        np.testing.assert_array_equal(pixels(image.png), np.asarray(expected))
    assert not np.array_equal(pixels(result.images[0].png), pixels(result.images[1].png))
    assert result.device == "cpu"


def test_canny_img2img_is_pixel_identical_to_a_direct_diffusers_call(engine, tiny_sd,
                                                                      tiny_controlnets, reference):
    import torch
    from diffusers import ControlNetModel, StableDiffusionControlNetImg2ImgPipeline

    from albumstudio.vision.crop import apply_crop
    from albumstudio.vision.edges import canny_map
    from albumstudio.vision.image_load import load_image

    request = tiny_request(tiny_sd, image_path=reference, mode="img2img", strength=0.7, steps=4,
                           conditions=(Condition("canny", weight=0.8, low=50, high=150),),
                           controlnets=(("canny", tiny_controlnets["canny"]),))
    result = engine.run(request)

    init = apply_crop(load_image(reference), None, SIDE).convert("RGB")
    control = canny_map(init, 50, 150).convert("RGB")
    controlnet = ControlNetModel.from_pretrained(tiny_controlnets["canny"], use_safetensors=True)
    direct = direct_pipeline(StableDiffusionControlNetImg2ImgPipeline, tiny_sd,
                             controlnet=controlnet)
    expected = direct(PROMPT, negative_prompt=NEGATIVE, image=init, control_image=control,
                      strength=0.7, num_inference_steps=4, guidance_scale=7.5,
                      controlnet_conditioning_scale=0.8,
                      generator=torch.Generator("cpu").manual_seed(7)).images[0]
    np.testing.assert_array_equal(pixels(result.images[0].png), np.asarray(expected))


def test_two_controlnets_run_together_with_their_own_weights(engine, tiny_sd, tiny_controlnets,
                                                             reference):
    from diffusers.models.controlnets.multicontrolnet import MultiControlNetModel

    both = tiny_request(tiny_sd, image_path=reference, controlnets=tuple(tiny_controlnets.items()),
                        conditions=(Condition("canny", weight=1.0), Condition("seg", weight=0.5)))
    result = engine.run(both)
    assert isinstance(engine.pipeline.controlnet, MultiControlNetModel)
    assert len(engine.pipeline.controlnet.nets) == 2
    canny_only = engine.run(changed(both, conditions=both.options.conditions[:1]))
    assert not np.array_equal(pixels(result.images[0].png), pixels(canny_only.images[0].png))


def test_conditions_without_a_reference_image_are_refused(engine, tiny_sd):
    with pytest.raises(InputError) as caught:
        engine.run(tiny_request(tiny_sd, conditions=(Condition("canny"),)))
    assert one_sentence(str(caught.value)) and "reference image" in str(caught.value)


def test_cancel_stops_within_one_step(engine, tiny_sd):
    stop = CancelAtStep(1)
    with pytest.raises(CancelledError):
        engine.run(tiny_request(tiny_sd, steps=4, variants=2), stop, stop.cancel)
    assert stop.seen == [1]


def test_a_preview_arrives_every_step(engine, tiny_sd):
    events = []
    engine.run(tiny_request(tiny_sd, steps=3, variants=2), events.append)
    steps = [(e.item, e.step, e.total) for e in events if e.step > 0]
    assert steps == [(0, 1, 3), (0, 2, 3), (0, 3, 3), (1, 1, 3), (1, 2, 3), (1, 3, 3)]
    previews = [e.preview for e in events if e.step > 0]
    assert all(p.shape == (SIDE // 8, SIDE // 8, 3) and p.dtype == np.uint8 for p in previews)
    assert any(p.std() > 0 for p in previews)


def test_out_of_memory_retries_the_image_with_a_lighter_preset(tiny_sd, monkeypatch):
    import torch

    engine = DiffusionCoverEngine(
        min_side=SIDE, choose=lambda device: DeviceChoice("cpu", "float32", "full", 4.0, "test"))
    calls = []
    real = engine._generate

    def failing_once(pipe, arguments):
        calls.append(1)
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(pipe, arguments)

    monkeypatch.setattr(engine, "_generate", failing_once)
    result = engine.run(tiny_request(tiny_sd))
    assert len(calls) == 2 and len(result.images) == 1
    assert result.notes[0].startswith("Ran out of GPU memory; retried with sliced")
    assert result.images[0].notes == result.notes
    assert engine.cache.preset == "sliced" and engine.pipeline.vae.use_slicing
    assert pixels(result.images[0].png).shape == (SIDE, SIDE, 3)
    engine.unload()


def test_out_of_memory_with_no_lighter_preset_asks_for_a_smaller_size(tiny_sd, monkeypatch):
    engine = DiffusionCoverEngine(
        min_side=SIDE, choose=lambda d: DeviceChoice("cpu", "float32", "sequential", 1.0, "t"))

    def always_oom(pipe, arguments):
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setattr(engine, "_generate", always_oom)
    with pytest.raises(InputError) as caught:
        engine.run(tiny_request(tiny_sd))
    assert one_sentence(str(caught.value)) and "smaller size" in str(caught.value)
    engine.unload()


def test_model_folder_problems_are_one_sentence_each(engine, tiny_sd, tmp_path):
    from diffusers import UNet2DConditionModel

    missing = tmp_path / "nowhere"
    pickled = Path(shutil.copytree(tiny_sd, tmp_path / "pickled"))
    unet = UNet2DConditionModel.from_pretrained(pickled / "unet")
    (pickled / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    unet.save_pretrained(pickled / "unet", safe_serialization=False)
    truncated = Path(shutil.copytree(tiny_sd, tmp_path / "truncated"))
    weights = truncated / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:2000])

    expected = {missing: "is not installed", pickled: "unsafe pickle (.bin)",
                truncated: "incomplete or damaged"}
    for folder, words in expected.items():
        with pytest.raises(InputError) as caught:
            engine.run(tiny_request(str(folder)))
        assert words in str(caught.value) and one_sentence(str(caught.value))
    assert engine.pipeline is None


def test_an_sdxl_folder_is_refused_clearly(engine, tmp_path):
    folder = tmp_path / "sdxl"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps(
        {"_class_name": "StableDiffusionXLPipeline"}))
    with pytest.raises(InputError) as caught:
        engine.run(tiny_request(str(folder)))
    assert "SDXL" in str(caught.value) and one_sentence(str(caught.value))


def test_a_pickle_lora_is_refused(engine, tiny_sd, tmp_path):
    style = tmp_path / "style.ckpt"
    style.write_bytes(b"not really a pickle")
    with pytest.raises(InputError) as caught:
        engine.run(tiny_request(tiny_sd, loras=(LoraFile(str(style)),)))
    assert ".safetensors" in str(caught.value) and one_sentence(str(caught.value))


def test_a_style_lora_changes_the_cover_and_is_removed_again(engine, tiny_sd, tiny_lora):
    plain = pixels(engine.run(tiny_request(tiny_sd)).images[0].png)
    styled = pixels(engine.run(tiny_request(tiny_sd, loras=(LoraFile(tiny_lora, 1.0),)))
                    .images[0].png)
    assert np.abs(plain.astype(int) - styled.astype(int)).mean() > 1.0
    weaker = pixels(engine.run(tiny_request(tiny_sd, loras=(LoraFile(tiny_lora, 0.3),)))
                    .images[0].png)
    assert not np.array_equal(weaker, styled)
    again = pixels(engine.run(tiny_request(tiny_sd)).images[0].png)
    np.testing.assert_array_equal(again, plain)


def test_lcm_mode_runs_four_steps_with_the_lcm_scheduler(engine, tiny_sd, tiny_lcm_lora):
    from diffusers import LCMScheduler

    events = []
    result = engine.run(tiny_request(tiny_sd, lcm=True, lcm_lora=tiny_lcm_lora, steps=20),
                        events.append)
    assert [e.step for e in events if e.step > 0] == [1, 2, 3, 4]
    assert isinstance(engine.pipeline.scheduler, LCMScheduler)
    assert engine.pipeline.guidance_scale == 1.0
    assert len(result.images) == 1


def test_the_pipeline_is_reused_and_rebuilt_only_when_controlnets_change(
        engine, tiny_sd, tiny_controlnets, reference):
    canny = tiny_request(tiny_sd, image_path=reference, conditions=(Condition("canny"),),
                         controlnets=tuple(tiny_controlnets.items()))
    engine.run(canny)
    first = engine.pipeline
    engine.run(changed(canny, seed=99, prompt="another prompt", scheduler="euler-a"))
    assert engine.pipeline is first
    engine.run(changed(canny, conditions=(Condition("canny"), Condition("seg"))))
    assert engine.pipeline is not first
    assert engine.pipeline.unet is first.unet  # the base model was not loaded again
    engine.unload()
    assert engine.pipeline is None


def test_size_is_rounded_to_eight_and_limited(tiny_sd):
    engine = DiffusionCoverEngine()
    assert engine.side(tiny_request(tiny_sd, size=509)) == 512
    assert engine.side(tiny_request(tiny_sd, size=100)) == 256
    with pytest.raises(InputError) as caught:
        engine.side(tiny_request(tiny_sd, size=3000))
    assert one_sentence(str(caught.value))


def test_out_of_memory_while_placing_the_pipeline_moves_to_a_lighter_preset(tiny_sd, monkeypatch):
    import torch

    from albumstudio.engines import pipelines

    real = pipelines.apply_preset
    tried = []

    def placing(pipe, preset, device):
        tried.append(preset)
        if preset == "full":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory while moving the UNet")
        real(pipe, preset, device)

    monkeypatch.setattr(pipelines, "apply_preset", placing)
    engine = DiffusionCoverEngine(
        min_side=SIDE, choose=lambda device: DeviceChoice("cpu", "float32", "full", 7.0, "test"))
    result = engine.run(tiny_request(tiny_sd, variants=2))
    assert tried == ["full", "sliced"]
    assert result.notes == ("Ran out of GPU memory; retried with sliced (VAE slicing and tiling)",)
    assert result.images[0].notes == result.notes and result.images[1].notes == ()
    engine.unload()


def test_lcm_mode_picks_few_steps_and_low_guidance_unless_the_user_chose():
    from albumstudio.engines.diffusion_cover import effective_steps_and_guidance

    lcm = cover_request("diffusion", lcm=True)
    assert effective_steps_and_guidance(lcm) == (4, 1.0)
    assert effective_steps_and_guidance(changed(lcm, steps=6, guidance=1.5)) == (6, 1.5)
    assert effective_steps_and_guidance(changed(lcm, steps=30, guidance=5.0)) == (8, 2.0)
    assert effective_steps_and_guidance(changed(lcm, lcm=False, scheduler="lcm")) == (4, 1.0)
    assert effective_steps_and_guidance(cover_request("diffusion", steps=25, guidance=6.0)) == (25, 6.0)


def test_a_lora_for_another_model_is_refused_and_the_engine_still_works(engine, tiny_sd,
                                                                         tmp_path):
    from tests.support.tiny_sd import build_tiny_lora, unet_config

    other = build_tiny_lora(tmp_path / "other", {**unet_config(), "cross_attention_dim": 32})
    with pytest.raises(InputError) as caught:
        engine.run(tiny_request(tiny_sd, loras=(LoraFile(str(other)),)))
    assert "does not fit" in str(caught.value) and one_sentence(str(caught.value))
    assert len(engine.run(tiny_request(tiny_sd)).images) == 1


@pytest.mark.models
def test_real_sd15_with_canny_makes_a_cover(reference):
    from albumstudio.core.model_registry import default_model
    from albumstudio.engines.models import is_installed

    if not (is_installed(default_model("sd15")) and is_installed(default_model("controlnet-canny"))):
        pytest.skip("SD 1.5 and the canny ControlNet are not in the local Hugging Face cache")
    engine = DiffusionCoverEngine()
    try:
        result = engine.run(cover_request("diffusion", prompt="a sunny beach, album cover",
                                         image_path=reference, size=256, steps=2,
                                         conditions=(Condition("canny"),)))
    finally:
        engine.unload()
    image = pixels(result.images[0].png)
    assert image.shape == (256, 256, 3) and image.std() > 5
