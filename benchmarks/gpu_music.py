"""MusicGen speed on a GPU, bare and through the app: ``python -m benchmarks.gpu_music`` prints
JSON.

Needs CUDA and MusicGen's weights in the local Hugging Face cache (``facebook/musicgen-small``
unless ``--model`` names another id or folder; the app never downloads here). Without CUDA or
weights it prints a ``skipped`` reason and exits 0.

``--random-weights`` measures musicgen-small's architecture with random weights instead (T5-base
text encoder, 24-layer 1024-wide decoder over 4 codebooks of 2048 codes, 32 kHz EnCodec), saved
to a temporary folder in float16 and loaded through the app's loader. MusicGen samples a fixed
number of decoder steps (50 per second of audio, no early stop), so its speed does not depend
on the weights' values: the figure is the speed, not the music.

Figures (guidance 3, top-k 250, the same seed; float16 on CUDA, float32 on the CPU): seconds of
audio per second of wall time, and the wall time, for each rung of a ladder from a bare
``model.generate`` to the app, one difference added per rung — ``bare``, ``bare_with_step_watch``
(the engine's stopping criterion), ``bare_with_app_kwargs`` (plus the request's temperature),
``bare_then_loudness`` (plus the −14 LUFS pass on the CPU), ``engine``
(:class:`MusicGenerator`), ``engine_with_progress`` (a progress callback, throttled as in the
window) and ``app`` (:meth:`MusicService.generate`: the registry's engine, WAV encoding, the
job record) — so the rung whose figure jumps is what costs. ``app_over_bare`` is the overhead.
``OMP_NUM_THREADS=1 python -m benchmarks.gpu_music --random-weights --device cpu --seconds 2
--repeats 3`` runs the same ladder without a GPU (one thread: on a shared CPU two threads made
single runs vary from 7 s to 336 s).
Target: musicgen-small at least 2× real time on an H100; the app over bare at most 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROMPT = ("An electronic instrumental track in F# minor at 118 BPM, moderate tempo; a wistful, "
          "bittersweet mood, lively, steady groove, electronic synths and drum machines.")


def _missing(model: str, random_weights: bool, device: str) -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if device == "cuda" and not torch.cuda.is_available():
        return "no CUDA GPU: this benchmark needs one (or --device cpu)"
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
    ids: dict[str, Any] = {"pad_token_id": 2048, "bos_token_id": 2048,
                           "decoder_start_token_id": 2048}  # extra config keys, as the hub's
    decoder = MusicgenDecoderConfig(vocab_size=2048, max_position_embeddings=2048,
                                    num_hidden_layers=24, ffn_dim=4096, num_attention_heads=16,
                                    hidden_size=1024, num_codebooks=4,
                                    activation_function="gelu", **ids)
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


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def measure(model: str, random_weights: bool = False, repeats: int = 2, device: str = "cuda",
            lengths: tuple[float, ...] = (10.0, 30.0)) -> dict:
    """Each way of making a clip, interleaved round by round so drift hits all alike; the
    ladder from ``bare`` to ``app`` adds one difference at a time, so the step that costs is
    the one whose figure jumps."""
    sys.path.insert(0, str(ROOT))
    from albumstudio.core.model_registry import default_model

    model = model or default_model("musicgen")
    reason = _missing(model, random_weights, device)
    if reason is not None:
        return {"skipped": reason}
    import torch

    from albumstudio.core.model_cache import ModelCache
    from albumstudio.core.music_attributes import MusicRequest
    from albumstudio.engines.musicgen import _step_watch, normalise, shared_generator, tokens_for
    from albumstudio.services.music import MusicService

    with tempfile.TemporaryDirectory() as folder:
        label = model
        if random_weights:
            started = time.perf_counter()
            model = build_small_shaped(Path(folder) / "musicgen-small-shaped")
            label = "random weights, musicgen-small architecture"
            build_s = time.perf_counter() - started
        cache = ModelCache()
        service = MusicService(cache, None)
        generator = shared_generator(cache, model, device)  # the one the service's engine uses
        started = time.perf_counter()
        net, processor = generator.load()
        load_s = time.perf_counter() - started
        attention = getattr(net.decoder.config, "_attn_implementation", "?")

        def request(seconds: float) -> MusicRequest:
            return MusicRequest(PROMPT, seconds=seconds, seed=2, model=model, device=device)

        def bare(seconds: float, watch: bool = False, app_kwargs: bool = False) -> Any:
            extra: dict[str, Any] = {}
            if watch:
                extra["stopping_criteria"] = [_step_watch(None, lambda: None)]
            if app_kwargs:  # what the engine passes besides: the request's temperature
                extra["temperature"] = request(seconds).temperature
            with torch.inference_mode():
                torch.manual_seed(2)
                inputs = processor(text=[PROMPT], padding=True, return_tensors="pt").to(device)
                return net.generate(**inputs, do_sample=True, guidance_scale=3.0, top_k=250,
                                    max_new_tokens=tokens_for(seconds, 50, 4), **extra)

        def bare_and_levels(seconds: float) -> None:
            out = bare(seconds, watch=True, app_kwargs=True)
            normalise(out[0].float().cpu().numpy().T, 32000)

        def with_progress(seconds: float) -> None:
            generator.generate(request(seconds), progress=lambda report: None)

        jobs = {
            "bare": bare,
            "bare_with_step_watch": lambda s: bare(s, watch=True),
            "bare_with_app_kwargs": lambda s: bare(s, watch=True, app_kwargs=True),
            "bare_then_loudness": bare_and_levels,
            "engine": lambda s: generator.generate(request(s)),
            "engine_with_progress": with_progress,
            "app": lambda s: service.generate(request(s), record=False),
        }
        service.generate(request(2.0), record=False)  # warm-up: kernels, scipy, the filters
        bare(2.0)
        times: dict[str, dict[float, list[float]]] = {name: {} for name in jobs}
        # the process's CPU time too: on a shared CPU it is steadier than the wall time, and on
        # a GPU (whose decoding loop waits on the host) it is the host's work per clip
        cpu: dict[str, dict[float, list[float]]] = {name: {} for name in jobs}
        for seconds in lengths:
            rounds = repeats if seconds <= 10.0 else 1
            for _ in range(rounds):
                for name, job in jobs.items():
                    if seconds > 10.0 and name not in ("bare", "engine", "app"):
                        continue
                    _sync(device)
                    started, used = time.perf_counter(), time.process_time()
                    job(seconds)
                    _sync(device)
                    times[name].setdefault(seconds, []).append(time.perf_counter() - started)
                    cpu[name].setdefault(seconds, []).append(time.process_time() - used)
        figures: dict[str, Any] = {}
        for name, by_length in times.items():
            for seconds, walls in by_length.items():
                wall = statistics.median(walls)
                figures[f"{name}_{seconds:g}s_clip_s"] = round(wall, 3)
                figures[f"{name}_{seconds:g}s_realtime_factor"] = round(seconds / wall, 3)
                figures[f"{name}_{seconds:g}s_process_cpu_s"] = round(
                    statistics.median(cpu[name][seconds]), 3)
        ratios = {f"app_over_bare_{s:g}s": round(figures[f"app_{s:g}s_clip_s"]
                                                 / figures[f"bare_{s:g}s_clip_s"], 3)
                  for s in lengths}
        peak_gib = torch.cuda.max_memory_allocated() / 1024**3 if device == "cuda" else None
        service.unload()
    longest = max(lengths)
    result = {
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "model": label, "dtype": str(net.dtype).removeprefix("torch."),
        "attention": attention, "load_s": round(load_s, 2), **figures, **ratios,
        "decoder_steps_per_s_app": round(tokens_for(longest, 50, 4)
                                         / figures[f"app_{longest:g}s_clip_s"], 1),
        "target": "musicgen-small ≥ 2× real time on an H100; app over bare ≤ 1.10",
    }
    if peak_gib is not None:
        result["peak_gpu_memory_gib"] = round(peak_gib, 2)
    if random_weights:
        result["build_s"] = round(build_s, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="hub id in the local cache or a folder")
    parser.add_argument("--random-weights", action="store_true",
                        help="musicgen-small's architecture with random weights (speed only)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                        help="cpu: the same comparison where there is no GPU (use short clips)")
    parser.add_argument("--seconds", type=float, nargs="+", default=[10.0, 30.0],
                        help="clip lengths (clips over 10 s are timed once, bare/engine/app only)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.model, args.random_weights, args.repeats, args.device,
                             tuple(args.seconds)), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
