"""The art tier with a tiny random-weight SD 1.5 + ControlNet (noise art) loaded through the
app's own offline, safetensors-only path: before repair it is exactly what diffusers makes;
after repair it scans everywhere."""

from __future__ import annotations

import numpy as np
import pytest

from albumstudio.core.qr import ArtQrOptions, QrRequest
from albumstudio.engines.qr_scan import scan
from tests.support.qr_payloads import payloads

PAYLOADS = payloads(200)


@pytest.fixture(scope="module")
def engine():
    from albumstudio.engines.qr_art import ArtPosterEngine

    made = ArtPosterEngine()
    yield made
    made.unload()


def art_request(tiny, payload, **changes):
    sd, controlnet = tiny
    options = ArtQrOptions(model=sd, controlnet=controlnet, steps=2, module_px=1, device="cpu",
                           retries=0)
    fields = {"code_only": True, "seed": 7}
    fields.update({k: v for k, v in changes.items() if k in ("code_only", "size", "format",
                                                             "image_path", "seed")})
    options_changes = {k: v for k, v in changes.items() if k not in fields}
    from dataclasses import replace

    return QrRequest("art", payload, replace(options, **options_changes), **fields)


def test_before_repair_is_pixel_identical_to_a_direct_diffusers_call(tiny, engine):
    import qrcode
    import torch
    from diffusers import (
        ControlNetModel,
        EulerAncestralDiscreteScheduler,
        StableDiffusionControlNetPipeline,
    )
    from qrcode.constants import ERROR_CORRECT_H

    from albumstudio.engines.qr_art import DEFAULT_PROMPT, NEGATIVE

    payload = "https://band.example/pre-save"
    result = engine.run(art_request(tiny, payload))
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_H, border=4, box_size=1)
    code.add_data(payload.encode())
    code.make(fit=True)
    modules = np.array(code.get_matrix(), dtype=bool)
    side = -(-modules.shape[0] // 64) * 64
    control = np.full((side, side, 3), 128, dtype=np.uint8)
    at = (side - modules.shape[0]) // 2
    control[at:at + modules.shape[0], at:at + modules.shape[0]] = \
        np.where(modules, 0, 255)[..., None]
    sd, controlnet_path = tiny
    controlnet = ControlNetModel.from_pretrained(controlnet_path, use_safetensors=True)
    pipe = StableDiffusionControlNetPipeline.from_pretrained(
        sd, controlnet=controlnet, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False, use_safetensors=True)
    pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    from PIL import Image

    direct = pipe(prompt=DEFAULT_PROMPT, negative_prompt=NEGATIVE,
                  image=Image.fromarray(control), height=side, width=side,
                  num_inference_steps=2, guidance_scale=7.0, controlnet_conditioning_scale=1.5,
                  generator=torch.Generator("cpu").manual_seed(7)).images[0]
    assert np.array_equal(np.asarray(direct), result.before_repair)
    assert result.models[1] == ("controlnet-qr", controlnet_path)


def test_repair_makes_the_payloads_scan(tiny, engine):
    """A spread of the 200 payloads (every 40th; ``python -m benchmarks.qr --art-payloads
    200`` runs all 200): at least 99 % scan in every view after repair, the painted code
    itself almost never does."""
    _repair_rate(tiny, engine, PAYLOADS[::40])


def _repair_rate(tiny, engine, sample):
    from albumstudio.engines.qr_code import make_symbol
    from albumstudio.engines.qr_poster import ScanFailedError

    scanned, painted_scanned, rounds, change = 0, 0, [], []
    for payload in sample:
        try:
            result = engine.run(art_request(tiny, payload))
        except ScanFailedError:
            continue
        symbol = make_symbol(payload)
        assert scan(_pixels(result.data), payload, 16).ok
        scanned += 1
        before = result.before_repair
        offset = (before.shape[0] - symbol.with_quiet) // 2
        painted = before[offset:offset + symbol.with_quiet, offset:offset + symbol.with_quiet]
        painted_scanned += scan(np.kron(painted, np.ones((4, 4, 1), np.uint8)), payload, 4,
                                fail_fast=True).ok
        rounds.append(result.repair.rounds)
        change.append(result.repair.mean_change)
    print(f"art tier: {scanned}/{len(sample)} scan after repair ({painted_scanned} before); "
          f"rounds mean {np.mean(rounds):.2f} max {max(rounds)}; mean pixel change "
          f"{np.mean(change):.1f}/255")
    assert scanned >= 0.99 * len(sample)
    assert painted_scanned < len(sample) // 2  # noise art: the repair did the work


def _pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


def test_a_higher_conditioning_scale_is_tried_first(tiny, engine):
    result = engine.run(art_request(tiny, "x.io/r", conditioning=1.0, retries=2))
    assert result.repair.retries == 2  # noise art never scans as painted
    assert result.repair.conditioning == pytest.approx(1.0 * 1.35 * 1.35)


def test_repair_changes_only_what_it_must():
    from albumstudio.engines.qr_code import make_symbol, render_code
    from albumstudio.engines.qr_repair import repair

    payload = "https://band.example/clean"
    symbol = make_symbol(payload)
    clean = render_code(symbol, "square", "#000000", "#ffffff", 8)
    same = repair(clean, symbol, 8, lambda im: scan(im, payload, 8, fail_fast=True))
    assert same.rounds == 0 and same.mean_change == 0.0  # a code that scans is left alone
    noise = np.random.default_rng(3).normal(0, 40, clean.shape)
    mixed = np.clip(0.05 * clean + 0.95 * 128 + noise, 0, 255).astype(np.uint8)  # all but gone
    assert not scan(mixed, payload, 8, fail_fast=True).ok
    fixed = repair(mixed, symbol, 8, lambda im: scan(im, payload, 8, fail_fast=True))
    assert fixed.report.ok and 1 <= fixed.rounds < 6
    assert 0 < fixed.mean_change < 80


def test_art_posters_in_both_formats_and_img2img(tiny, engine, tmp_path):
    from PIL import Image

    cover = tmp_path / "cover.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (96, 96, 3), np.uint8)).save(cover)
    for fmt in ("png", "pdf"):
        result = engine.run(art_request(tiny, "https://band.example/art", code_only=False,
                                        size="square", format=fmt, image_path=str(cover)))
        assert result.scan.ok and result.width == 1080
    result = engine.run(art_request(tiny, "https://band.example/img2img", mode="img2img",
                                    strength=0.9, image_path=str(cover)))
    assert result.scan.ok
