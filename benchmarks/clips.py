"""Clip figures: ``python -m benchmarks.clips`` prints JSON (figures only; no test asserts on
them).

- highlight: the proposal for a 4-minute 44.1 kHz stereo track (a synthesized song with
  verses and choruses) from its 22 kHz mono mix and its analysis, as the app runs it once the
  track is analysed (the analysis is cached by content hash); the analysis is timed apart;
- service: ``ClipService.propose`` on the track as a WAV file, in a fresh data folder (decode,
  analysis, proposal) and again with the analysis cached (decode and proposal);
- audio clip: a 30 s clip cut, normalised and encoded in each format, read back and measured;
- video: a 30 s square 1080² MP4 (H.264 + AAC) and a 6 s vertical loop, timed whole (drawing,
  encoding, muxing).

Targets (2 cores): highlight of a 4-minute track ≤ 2 s; a 30 s square video ≤ 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SR = 44100


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def four_minutes():  # -> np.ndarray
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from tests.support.clip_song import song

    parts = [song(SR, seed=seed) for seed in range(3)]
    return np.concatenate(parts)[: 240 * SR]


def highlight(runs: int = 3) -> dict:
    """The proposal from the 22 kHz mono mix the app reads for it, and the analysis apart."""
    import numpy as np
    import soxr

    from albumstudio.audio.analysis import analyze_stream
    from albumstudio.audio.highlight import propose
    from albumstudio.engines.clip_audio import HIGHLIGHT_RATE

    track = four_minutes()
    started = time.perf_counter()
    analysis = analyze_stream([track], SR, 2)
    analysed = time.perf_counter() - started
    samples = soxr.resample(track.mean(axis=1), SR, HIGHLIGHT_RATE).astype(np.float32)
    times, found = [], None
    for _ in range(runs):
        started = time.perf_counter()
        found = propose(samples, HIGHLIGHT_RATE, analysis, 30.0)
        times.append(time.perf_counter() - started)
    assert found is not None
    return {"highlight_4min_s": _median(times), "analysis_4min_s": round(analysed, 3),
            "highlight_30s_of_4min": [found.start_s, found.end_s, found.snapped_to],
            "target_highlight_s": 2.0}


def service(runs: int = 2) -> dict:
    """The proposal as the CLI and the window ask for it: ``ClipService.propose`` on a 4-minute
    WAV in a fresh data folder (decode, analysis, proposal), then again (the analysis cached)."""
    import tempfile

    import soundfile as sf

    from albumstudio.services import Services
    from albumstudio.store.paths import default_paths

    with tempfile.TemporaryDirectory() as tmp:
        track = str(Path(tmp) / "four-minutes.wav")
        sf.write(track, four_minutes(), SR, subtype="PCM_16")
        os.environ["ALBUMSTUDIO_HOME"] = str(Path(tmp) / "home")
        services = Services(default_paths().ensure())
        try:
            started = time.perf_counter()
            services.clips.propose(track, 30.0)
            first = time.perf_counter() - started
            again = []
            for _ in range(runs):
                services.clips.unload()  # decode again, as a new request for the track would
                started = time.perf_counter()
                services.clips.propose(track, 30.0)
                again.append(time.perf_counter() - started)
        finally:
            services.close()
    return {"propose_4min_wav_fresh_s": round(first, 3),
            "propose_4min_wav_analysis_cached_s": _median(again)}


def audio_clips() -> dict:
    from albumstudio.audio.clip_levels import measure
    from albumstudio.core.clip import AudioClipOptions, ClipRequest
    from albumstudio.engines.clip_audio import run
    from albumstudio.export.audio_export import read_back

    samples = four_minutes()[: 90 * SR]
    figures: dict[str, object] = {}
    for fmt in ("wav", "flac", "mp3", "ogg"):
        request = ClipRequest("highlight", "", 32.0, 30.0, AudioClipOptions(fmt))
        started = time.perf_counter()
        result = run(request, samples, SR)
        seconds = time.perf_counter() - started
        decoded, rate = read_back(result.data, "." + fmt)
        lufs, peak = measure(decoded, rate)
        figures[fmt] = {"s": round(seconds, 3), "frames_off": decoded.shape[0] - 30 * rate,
                        "lufs": round(lufs, 2), "true_peak_dbtp": round(peak, 2),
                        "kbytes": len(result.data) // 1024}
    return figures


def videos() -> dict:
    import numpy as np
    from PIL import Image

    from albumstudio.audio.clip_levels import cut, normalise
    from albumstudio.engines.clip_video import clip_video, loop_video

    samples = four_minutes()[: 90 * SR]
    rng = np.random.default_rng(0)
    cover = Image.fromarray((rng.random((48, 48, 3)) * 255).astype(np.uint8)).resize(
        (1400, 1400), Image.Resampling.BICUBIC)
    clip, _ = normalise(cut(samples, SR, 32.0, 30.0), SR)
    started = time.perf_counter()
    data, plan, frames = clip_video(clip, SR, cover, "square", "Midnight Drive", "The Night Owls")
    square = time.perf_counter() - started
    started = time.perf_counter()
    loop, _, loop_frames = loop_video(cover, "Midnight Drive", "The Night Owls", 6.0)
    looped = time.perf_counter() - started
    return {"square_30s_video_s": round(square, 2), "square_frames": frames,
            "square_mbytes": round(len(data) / 2**20, 2), "codecs": plan.words,
            "loop_6s_video_s": round(looped, 2), "loop_frames": loop_frames,
            "loop_mbytes": round(len(loop) / 2**20, 2), "target_square_30s_s": 15.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("highlight", "service", "audio", "video"),
                        default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    results: dict[str, object] = {"machine": {"cpus": os.cpu_count()}}
    if args.only in (None, "highlight"):
        results["highlight"] = highlight()
    if args.only in (None, "service"):
        results["service"] = service()
    if args.only in (None, "audio"):
        results["audio"] = audio_clips()
    if args.only in (None, "video"):
        results["video"] = videos()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
