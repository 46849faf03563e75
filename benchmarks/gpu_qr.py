"""Art QR poster speed on a GPU: ``python -m benchmarks.gpu_qr`` prints JSON.

Needs CUDA and, in the local Hugging Face cache, Stable Diffusion 1.5 and the QR ControlNet
(the ``sd15`` and ``controlnet-qr`` roles, or ``--model``/``--controlnet``: ids or folders; the
app never downloads here). Without CUDA or weights it prints a ``skipped`` reason and exits 0.

``--random-weights`` measures the real architectures with random weights instead: SD 1.5's
UNet (320/640/1280/1280, cross-attention 768), its VAE (128/256/512/512) and CLIP ViT-L/14 text
encoder (12 layers, 768 wide), and a ControlNet made from that UNet, built from configs, saved
to a temporary folder in float16 and loaded through the app's own offline, safetensors-only
loader. A diffusion step costs the same whatever the weights hold, so the painting time is the
real one; the scan-and-repair time is that of noise art, the worst case (real art needs fewer
repair rounds or none).

Figures, through the app's :class:`ArtPosterEngine` (txt2img and img2img over a drawn cover,
30 Euler-a steps, 16 px modules as the model card advises, a square 1080² poster):

* the first poster in a fresh engine, pipeline loading included (disk cache warm);
* seconds per poster, pipeline loaded (median of ``--repeats``), and of that the bare
  diffusers call with the same arguments, so the app's own share (scan, retries at a higher
  conditioning scale, repair, layout, PNG) is visible;
* retries and repair rounds, and the peak GPU memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = "https://band.example/pre-save/night-owls"
PROMPT = "a neon harbour at night, album artwork, rich colours, intricate detail"


def _missing(model: str, controlnet: str, random_weights: bool) -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU: this benchmark needs one"
    if random_weights:
        return None
    from albumstudio.core.model_registry import default_model
    from albumstudio.engines.models import diagnose

    for chosen, role, what in ((model, "sd15", "Stable Diffusion 1.5"),
                               (controlnet, "controlnet-qr", "the QR ControlNet")):
        problem = diagnose(chosen or default_model(role), what)
        if problem:
            return problem
    return None


def build_sd15_shaped(folder: Path) -> tuple[str, str]:
    """SD 1.5 and a ControlNet of its shape with random float16 weights; their folders."""
    import torch
    from diffusers import (
        AutoencoderKL,
        ControlNetModel,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from tests.support.tiny_sd import _write_tokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8)
    vae = AutoencoderKL(block_out_channels=[128, 256, 512, 512], layers_per_block=2,
                        down_block_types=["DownEncoderBlock2D"] * 4,
                        up_block_types=["UpDecoderBlock2D"] * 4, latent_channels=4,
                        sample_size=512)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
        num_attention_heads=12, max_position_embeddings=77, projection_dim=768,
        hidden_act="quick_gelu", bos_token_id=0, eos_token_id=1, pad_token_id=1))
    token_dir = folder / "_tokenizer_source"
    _write_tokenizer(token_dir)  # a character vocabulary: the prompt's length, not its words
    tokenizer = CLIPTokenizer(str(token_dir / "vocab.json"), str(token_dir / "merges.txt"),
                              model_max_length=77)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    controlnet: Any = ControlNetModel.from_unet(unet)
    with torch.no_grad():  # a fresh ControlNet's zero convolutions would do nothing
        for block in [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]:
            block.weight.normal_(0.0, 0.02)
    pipe: Any = StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text_encoder,
                                   tokenizer=tokenizer, scheduler=scheduler, safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    pipe.to(torch.float16)
    pipe.save_pretrained(folder / "sd15", safe_serialization=True)
    controlnet.to(torch.float16).save_pretrained(folder / "controlnet-qr",
                                                 safe_serialization=True)
    return str(folder / "sd15"), str(folder / "controlnet-qr")


def _cover(folder: Path) -> str:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (768, 768), (25, 40, 90))
    draw = ImageDraw.Draw(img)
    draw.ellipse((120, 90, 560, 530), fill=(240, 190, 60))
    draw.rectangle((380, 360, 720, 700), fill=(190, 30, 50))
    path = folder / "cover.png"
    img.save(path)
    return str(path)


def _bare_call(engine: Any, request: Any) -> float:
    """Seconds of the diffusers call alone, with the arguments the engine passes."""
    import torch

    from albumstudio.engines.qr_art import call_arguments, control_image, module_px_for
    from albumstudio.engines.qr_code import make_symbol
    from albumstudio.engines.qr_poster import load_picture

    pipe, choice = engine.pipeline(request)
    symbol = make_symbol(request.payload)
    control, _ = control_image(symbol, module_px_for(symbol, request.options.module_px))
    base = None
    if request.options.mode == "img2img":
        from albumstudio.engines.poster_layout import square_art

        cover = load_picture(request.image_path)
        assert cover is not None, "img2img is measured over the drawn cover"
        base = square_art(cover, control.width)
    arguments = call_arguments(request, control, base, request.options.conditioning)
    torch.cuda.synchronize()
    started = time.perf_counter()
    pipe(**arguments, generator=torch.Generator(choice.generator_device).manual_seed(
        request.seed))
    torch.cuda.synchronize()
    return time.perf_counter() - started


def measure(model: str = "", controlnet: str = "", random_weights: bool = False,
            repeats: int = 3) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    reason = _missing(model, controlnet, random_weights)
    if reason is not None:
        return {"skipped": reason}
    import torch

    from albumstudio.core.qr import ArtQrOptions, QrRequest
    from albumstudio.engines.qr_art import ArtPosterEngine

    with tempfile.TemporaryDirectory() as folder:
        label = "real weights"
        if random_weights:
            started = time.perf_counter()
            model, controlnet = build_sd15_shaped(Path(folder))
            label = (f"random weights, SD 1.5 + ControlNet architecture (built in "
                     f"{time.perf_counter() - started:.0f} s)")
        options = ArtQrOptions(model=model, controlnet=controlnet, device="cuda")
        txt2img = QrRequest("art", PAYLOAD, options, prompt=PROMPT, title="Night Owls",
                            artist="Nadia Sol", size="square", seed=11,
                            image_path=_cover(Path(folder)))
        img2img = txt2img.with_options(mode="img2img", strength=0.9)

        warm_up = ArtPosterEngine()
        warm_up.run(txt2img)  # reads the files once: the figure below is a warm disk cache
        warm_up.unload()
        del warm_up
        torch.cuda.empty_cache()

        engine = ArtPosterEngine()
        torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        first = engine.run(txt2img)
        first_s = time.perf_counter() - started

        figures: dict[str, Any] = {}
        for name, request in (("txt2img", txt2img), ("img2img", img2img)):
            engine.run(request)  # the img2img pipeline is switched outside the timing
            totals, bare, repairs = [], [], []
            for repeat in range(repeats):
                seeded = QrRequest.from_dict({**request.to_dict(), "seed": 100 + repeat})
                torch.cuda.synchronize()
                started = time.perf_counter()
                result = engine.run(seeded)
                torch.cuda.synchronize()
                totals.append(time.perf_counter() - started)
                bare.append(_bare_call(engine, seeded))
                repairs.append(result.repair.to_dict() if result.repair else None)
            figures[name] = {
                "seconds_per_poster": round(statistics.median(totals), 3),
                "bare_diffusers_call_s": round(statistics.median(bare), 3),
                "app_share_s": round(statistics.median(totals) - statistics.median(bare), 3),
                "repairs": repairs,
            }
        device = engine.cache.spec.device if engine.cache.spec else ""
        preset = engine.cache.preset
        peak_gib = torch.cuda.max_memory_allocated() / 1024**3
        engine.unload()

    return {
        "gpu": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "weights": label,
        "device": device,
        "memory_preset": preset,
        "steps": options.steps,
        "module_px": options.module_px,
        "first_poster_warm_disk_s": round(first_s, 2),
        "first_poster_scan": first.scan.summary(),
        "per_poster": figures,
        "peak_gpu_memory_gib": round(peak_gib, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="SD 1.5 id or folder (default: the role's)")
    parser.add_argument("--controlnet", default="", help="QR ControlNet id or folder")
    parser.add_argument("--random-weights", action="store_true",
                        help="the real architectures with random weights (speed only)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.model, args.controlnet, args.random_weights, args.repeats),
                     indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
