"""The offline design cover engine at store size: ``python -m benchmarks.covers_design`` prints JSON.

Times a 3000×3000 cover with a reference image (a 4000×3000 JPEG, duotone) and without one
(a generative background from the music's figures): the whole ``run`` (load, crop, treatment
or background, vignette, type, grain, PNG encoding), the same without the PNG encoding, and
the encoding alone (wall-clock medians), plus the CPU seconds of a whole cover (all threads: the
PNG slices are deflated in parallel). Target (2 cores): a whole cover ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIDE = 3000
TARGET_S = 1.0


def write_photo(path: Path, width: int = 4000, height: int = 3000) -> Path:
    """A photo-like JPEG: smooth light, shapes and fine texture (compresses like a real photo)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height // 4, 0:width // 4].astype(np.float32)
    base = np.stack([120 + 80 * np.sin(x / 97.0), 100 + 70 * np.cos(y / 73.0),
                     90 + 60 * np.sin((x + y) / 151.0)], axis=-1)
    image = Image.fromarray(base.clip(0, 255).astype(np.uint8)).resize((width, height))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(40, 500))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((x0 - r, y0 - r, x0 + r, y0 + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    texture = rng.normal(0, 9, (height, width, 1)).astype(np.float32)
    pixels = (np.asarray(image, dtype=np.float32) + texture).clip(0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _time_request(request, runs: int) -> dict:
    from albumstudio.engines.design_cover import load_reference, render_cover, run
    from albumstudio.engines.design_png import encode_png

    run(request)  # warm-up: font files, imports, caches
    totals, cpu, generate, encode = [], [], [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        run(request)
        totals.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        started = time.perf_counter()
        picture = load_reference(request) if request.image_path else None
        cover, _ = render_cover(request, request.seed, picture)
        generate.append(time.perf_counter() - started)
        started = time.perf_counter()
        encode_png(cover)
        encode.append(time.perf_counter() - started)
    return {"cover_with_png_s_median": _median(totals),
            "cover_without_png_s_median": _median(generate),
            "png_encoding_s_median": _median(encode),
            "cover_with_png_cpu_s_median": _median(cpu),
            "runs_s": [round(t, 3) for t in totals]}


def measure(runs: int = 3) -> dict:
    """Median seconds per 3000² design cover with and without an image, with and without PNG
    encoding, plus the encoding alone."""
    sys.path.insert(0, str(ROOT))
    from albumstudio.core.cover import CoverRequest, DesignOptions, MusicMood

    curve = tuple(float(v) for v in 0.5 + 0.4 * np.sin(np.linspace(0, 20, 400)))
    mood = MusicMood(energy=0.7, tempo_bpm=124, onset_density=4.0, mode="minor", key="D",
                     energy_curve=curve)
    common = {"title": "Midnight Drive", "artist": "The Velvet Echoes", "mood": mood,
              "size": SIDE, "seed": 3}
    with tempfile.TemporaryDirectory() as folder:
        photo = write_photo(Path(folder) / "photo.jpg")
        options = DesignOptions(layout="bottom-left", treatment="duotone")  # not "auto"
        with_image = _time_request(
            CoverRequest(image_path=str(photo), options=options, **common), runs)
        without_image = _time_request(CoverRequest(options=options, **common), runs)
    worst = max(with_image["cover_with_png_s_median"], without_image["cover_with_png_s_median"])
    return {"size": SIDE, "runs": runs, "with_image": with_image,
            "without_image": without_image, "target_s": TARGET_S, "meets_target": worst <= TARGET_S}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="timed covers of each (default 3)")
    args = parser.parse_args()
    print(json.dumps(measure(max(1, args.runs)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
