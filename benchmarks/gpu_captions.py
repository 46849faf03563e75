"""Music captions' speed: ``python -m benchmarks.gpu_captions`` prints JSON.

With the real weights (LP-MusicCaps, BART base's tokenizer and BART large CNN in the local
Hugging Face cache or the folders chosen in the model manager; the app never downloads here) it
captions and summarises a 4-minute track through the app's caption service, on the GPU when
there is one (target: at most 5 s on an H100) and, beside it, on the CPU for the first
``--cpu-seconds`` of the track (default 20 s, two segments), scaled to the whole track.
Without weights it prints a ``skipped`` reason for that part.

``--random-weights`` measures the real architectures with random weights instead: LP-MusicCaps
(its audio encoder and BART base) through the app's captioner, and BART large CNN built from its
hub configuration through a direct ``generate`` with its settings (the app's summary adds only
the tokenizer). Random weights never choose the end token, so every caption runs to the full
128 tokens and the summary to 130: the figure is the slowest case, not typical captions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

TRACK_S = 240.0
# BART large CNN's hub config: the summariser's architecture and its generation settings
BART_LARGE_CNN = {"vocab_size": 50264, "d_model": 1024, "encoder_layers": 12,
                  "decoder_layers": 12, "encoder_attention_heads": 16,
                  "decoder_attention_heads": 16, "encoder_ffn_dim": 4096, "decoder_ffn_dim": 4096,
                  "max_position_embeddings": 1024}
CNN_GENERATION = {"num_beams": 4, "length_penalty": 2.0, "no_repeat_ngram_size": 3,
                  "early_stopping": True, "forced_bos_token_id": 0, "forced_eos_token_id": 2,
                  "max_length": 130, "min_length": 30, "do_sample": False}


def _track(seconds: float) -> np.ndarray:
    """16 kHz mono music-like audio: a chord progression over a pulse."""
    t = np.arange(int(seconds * 16000), dtype=np.float64) / 16000
    root = 220.0 * 2 ** (np.floor(t / 8) % 4 / 12)
    audio = sum(0.15 * np.sin(2 * np.pi * root * r * t) for r in (1.0, 1.26, 1.5))
    audio += 0.2 * (np.sin(2 * np.pi * 2 * t) > 0.9) * np.sin(2 * np.pi * 80 * t)
    return audio.astype(np.float32)


class _Ids:
    """Stands in for the tokenizer when only the speed matters."""

    def batch_decode(self, ids: Any, skip_special_tokens: bool = True) -> list[str]:
        return [" ".join(str(int(i)) for i in row) for row in ids]


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def random_captions(device: str, seconds: float) -> dict[str, Any]:
    import torch

    from albumstudio.engines.lp_musiccaps import MusicCaptioner, batch_for, build_model

    torch.manual_seed(0)
    model = build_model()
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.02)
    model.bart.tie_weights()
    captioner = MusicCaptioner(model.to(device), _Ids(), device)
    audio = _track(seconds)
    if device == "cuda":  # warm up the kernels once
        captioner.caption(audio[:160000], batch=1)
        torch.cuda.synchronize()
    started = time.perf_counter()
    captions = captioner.caption(audio, batch=batch_for(device))
    if device == "cuda":
        torch.cuda.synchronize()
    spent = time.perf_counter() - started
    tokens = [len(c.text.split()) for c in captions]
    return {"segments": len(captions), "seconds": round(spent, 2),
            "seconds_per_segment": round(spent / len(captions), 2),
            "tokens_per_caption": max(tokens)}


def random_summary(device: str) -> dict[str, Any]:
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig

    torch.manual_seed(0)
    model = BartForConditionalGeneration(BartConfig(**BART_LARGE_CNN)).eval().to(device)
    if device == "cuda":
        model = model.half()
    ids = torch.randint(3, 50000, (1, 24 * 25), device=device)  # 24 captions of ~25 tokens
    settings = GenerationConfig(**CNN_GENERATION, bos_token_id=0, eos_token_id=2,
                                pad_token_id=1, decoder_start_token_id=2)
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                             generation_config=settings)
    if device == "cuda":
        torch.cuda.synchronize()
    return {"seconds": round(time.perf_counter() - started, 2), "tokens": int(out.shape[1])}


def random_weights(cpu_seconds: float, with_summary: bool) -> dict[str, Any]:
    report: dict[str, Any] = {"weights": "random (real architectures): every caption runs to "
                                         "128 tokens, the slowest case"}
    cpu = random_captions("cpu", cpu_seconds)
    print(f"cpu captions: {cpu}", file=sys.stderr, flush=True)
    scale = TRACK_S / cpu_seconds
    cpu["track_seconds_scaled"] = round(cpu["seconds"] * scale, 1)
    if with_summary:
        cpu["summary"] = random_summary("cpu")
        cpu["track_seconds_scaled"] = round(cpu["track_seconds_scaled"]
                                            + cpu["summary"]["seconds"], 1)
    report["cpu"] = cpu
    if _cuda():
        gpu = random_captions("cuda", TRACK_S)
        if with_summary:
            gpu["summary"] = random_summary("cuda")
        gpu["track_seconds"] = round(gpu["seconds"] + gpu.get("summary", {}).get("seconds", 0), 2)
        gpu["target_s"] = 5.0
        report["gpu"] = gpu
    else:
        report["gpu"] = {"skipped": "no CUDA GPU"}
    return report


def real_weights(cpu_seconds: float) -> dict[str, Any]:
    import soundfile as sf

    from albumstudio.services.captions import CAPTIONER, CaptionService
    from albumstudio.services.model_manager import apply_local_folders
    from albumstudio.store.paths import default_paths

    apply_local_folders()
    paths = default_paths().ensure()
    service = CaptionService(paths)
    problem = service.missing()
    if problem:
        return {"skipped": f"no weights: {problem}"}
    from albumstudio.services.model_licences import needs_acknowledgement

    if needs_acknowledgement(CAPTIONER, paths):
        return {"skipped": "LP-MusicCaps' licence is not acknowledged yet: run "
                           "`albumstudio models acknowledge music-captioner` first"}
    report: dict[str, Any] = {"weights": "real"}
    with tempfile.TemporaryDirectory() as folder:
        whole, short = Path(folder) / "track.wav", Path(folder) / "short.wav"
        audio = _track(TRACK_S)
        sf.write(whole, audio, 16000)
        sf.write(short, audio[:int(cpu_seconds * 16000)], 16000)
        service.weights_file()  # the one-time conversion is not part of the figure
        if _cuda():
            service.caption(str(short), device="cuda")  # load and warm up
            started = time.perf_counter()
            result = service.caption(str(whole), device="cuda")
            report["gpu"] = {"track_seconds": round(time.perf_counter() - started, 2),
                             "segments": len(result.segments), "target_s": 5.0,
                             "summary_source": result.summary_source,
                             "timings": result.to_dict()["timings"]}
        else:
            report["gpu"] = {"skipped": "no CUDA GPU"}
        service.unload()
        service.caption(str(short), device="cpu")  # load
        started = time.perf_counter()
        result = service.caption(str(short), device="cpu")
        spent = time.perf_counter() - started
        report["cpu"] = {"seconds": round(spent, 2), "segments": len(result.segments),
                         "track_seconds_scaled": round(spent * TRACK_S / cpu_seconds, 1),
                         "example": result.segments[0].text if result.segments else ""}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="music captions' speed")
    parser.add_argument("--random-weights", action="store_true",
                        help="the real architectures with random weights (no download needed)")
    parser.add_argument("--cpu-seconds", type=float, default=20.0,
                        help="seconds of the track captioned on the CPU, scaled to 4 minutes")
    parser.add_argument("--no-summary", action="store_true", help="time the captions only")
    args = parser.parse_args(argv)
    from albumstudio.engines.models import prepare_model_environment

    prepare_model_environment()
    try:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
    except ImportError:
        print(json.dumps({"skipped": "torch is not installed"}))
        return 0
    report = (random_weights(args.cpu_seconds, not args.no_summary) if args.random_weights
              else real_weights(args.cpu_seconds))
    report["track_s"] = TRACK_S
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
