"""MusicGen speed on a GPU: ``python -m benchmarks.gpu_music`` prints JSON.

Needs CUDA and MusicGen's weights in the local Hugging Face cache (``facebook/musicgen-small``
unless ``--model`` names another id or folder; the app never downloads here). Without CUDA or
weights it prints a ``skipped`` reason and exits 0.

``--random-weights`` measures musicgen-small's architecture with random weights instead (T5-base
text encoder, 24-layer 1024-wide decoder over 4 codebooks of 2048 codes, 32 kHz EnCodec), saved
to a temporary folder in float16 and loaded through the app's loader. MusicGen samples a fixed
number of decoder steps (50 per second of audio, no early stop), so its speed does not depend
on the weights' values: the figure is the speed, not the music.

Figures, through the app's engine (:class:`MusicGenerator`, float16 on CUDA, guidance 3,
top-k 250): seconds of audio per second of wall time for a 10 s and a 30 s clip, and a 30 s
clip from a bare ``model.generate`` with the same settings for the app's overhead.
Target: musicgen-small at least 2× real time on an H100.
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
PROMPT = ("An electronic instrumental track in F# minor at 118 BPM, moderate tempo; a wistful, "
          "bittersweet mood, lively, steady groove, electronic synths and drum machines.")


def _missing(model: str, random_weights: bool) -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU: this benchmark needs one"
    if random_weights:
        return None
    from albumstudio.engines.models import diagnose

    return diagnose(model, "MusicGen")


def build_small_shaped(folder: Path) -> str:
    """musicgen-small's architecture with random float16 weights and a local tokenizer."""
    import torch
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
    )
    from transformers.models.musicgen.configuration_musicgen import MusicgenDecoderConfig

    from tests.support.tiny_musicgen import build_tiny_tokenizer

    text = T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12,
                    num_heads=12, feed_forward_proj="relu")
    audio = EncodecConfig(sampling_rate=32000, audio_channels=1, codebook_size=2048,
                          codebook_dim=128, hidden_size=128, num_filters=64, num_lstm_layers=2,
                          num_residual_layers=1, upsampling_ratios=[8, 5, 4, 4],
                          target_bandwidths=[2.2], norm_type="weight_norm",
                          use_causal_conv=False, pad_mode="reflect", normalize=False)
    decoder = MusicgenDecoderConfig(vocab_size=2048, max_position_embeddings=2048,
                                    num_hidden_layers=24, ffn_dim=4096, num_attention_heads=16,
                                    hidden_size=1024, num_codebooks=4, pad_token_id=2048,
                                    bos_token_id=2048, decoder_start_token_id=2048,
                                    activation_function="gelu")
    config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                            decoder=decoder.to_dict())
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(config).eval()
    generation = model.generation_config
    generation.decoder_start_token_id = generation.pad_token_id = 2048
    generation.do_sample, generation.top_k, generation.guidance_scale = True, 250, 3.0
    generation.max_length = 1500
    model.half().save_pretrained(folder, safe_serialization=True)
    MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(feature_size=1,
                                                                sampling_rate=32000),
                      tokenizer=build_tiny_tokenizer()).save_pretrained(folder)
    return str(folder)


def _timed(job: Any, repeats: int) -> float:
    import torch

    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        started = time.perf_counter()
        job()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(model: str, random_weights: bool = False, repeats: int = 2) -> dict:
    sys.path.insert(0, str(ROOT))
    from albumstudio.core.model_registry import default_model

    model = model or default_model("musicgen")
    reason = _missing(model, random_weights)
    if reason is not None:
        return {"skipped": reason}
    import torch

    from albumstudio.core.music_attributes import MusicRequest
    from albumstudio.engines.musicgen import MusicGenerator, _step_watch, tokens_for

    with tempfile.TemporaryDirectory() as folder:
        label = model
        if random_weights:
            started = time.perf_counter()
            model = build_small_shaped(Path(folder) / "musicgen-small-shaped")
            label = "random weights, musicgen-small architecture"
            build_s = time.perf_counter() - started
        generator = MusicGenerator(model, "cuda")
        started = time.perf_counter()
        net, processor = generator.load()
        load_s = time.perf_counter() - started
        generator.generate(MusicRequest(PROMPT, seconds=2.0, seed=1))  # warm-up

        def bare(seconds: float, watch: bool = False) -> None:
            extra = {"stopping_criteria": [_step_watch(None, lambda: None)]} if watch else {}
            with torch.inference_mode():
                torch.manual_seed(2)
                inputs = processor(text=[PROMPT], padding=True, return_tensors="pt").to("cuda")
                net.generate(**inputs, do_sample=True, guidance_scale=3.0, top_k=250,
                             max_new_tokens=tokens_for(seconds, 50, 4), **extra)

        jobs = {
            "app": lambda s: generator.generate(MusicRequest(PROMPT, seconds=s, seed=2)),
            "bare": bare,
            "bare_with_step_watch": lambda s: bare(s, watch=True),
        }
        times: dict[str, dict[float, list[float]]] = {name: {} for name in jobs}
        for seconds, rounds in ((10.0, repeats), (30.0, 1)):  # interleaved: drift hits all alike
            for _ in range(rounds):
                for name, job in jobs.items():
                    if seconds == 30.0 and name == "bare_with_step_watch":
                        continue
                    wall = _timed(lambda j=job, s=seconds: j(s), 1)
                    times[name].setdefault(seconds, []).append(wall)
        figures: dict[str, Any] = {}
        for name, by_length in times.items():
            for seconds, walls in by_length.items():
                wall = statistics.median(walls)
                figures[f"{name}_{seconds:g}s_clip_s"] = round(wall, 2)
                figures[f"{name}_{seconds:g}s_realtime_factor"] = round(seconds / wall, 2)
        bare_s = figures["bare_30s_clip_s"]
        peak_gib = torch.cuda.max_memory_allocated() / 1024**3
        generator.unload()
    result = {
        "gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
        "model": label, "dtype": str(net.dtype).removeprefix("torch."),
        "load_s": round(load_s, 2), **figures,
        "app_over_bare_30s": round(figures["app_30s_clip_s"] / bare_s, 3),
        "app_over_bare_10s": round(figures["app_10s_clip_s"] / figures["bare_10s_clip_s"], 3),
        "decoder_steps_per_s": round(tokens_for(30.0, 50, 4) / figures["app_30s_clip_s"], 1),
        "peak_gpu_memory_gib": round(peak_gib, 2),
        "target": "musicgen-small ≥ 2× real time on an H100",
    }
    if random_weights:
        result["build_s"] = round(build_s, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="hub id in the local cache or a folder")
    parser.add_argument("--random-weights", action="store_true",
                        help="musicgen-small's architecture with random weights (speed only)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.model, args.random_weights, args.repeats), indent=2,
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
