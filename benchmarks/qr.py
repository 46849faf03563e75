"""QR poster figures: ``python -m benchmarks.qr`` prints JSON (figures only; no test asserts
on them).

- plain poster: a whole square 1080² PNG poster with a cover picture (palette, code, layout,
  scan check of the poster's pixels, PNG encoding), and an A4 PDF;
- scan check: one code (a 60-character link, 16 px modules) in every view with both decoders;
- repair: the art engine's painted code from a tiny random-weight SD + ControlNet (noise art),
  repaired until it scans; the paint itself is timed apart, and the rounds and the mean pixel
  change are reported over a spread of payloads.

Targets (2 cores): plain poster ≤ 0.5 s, scan check ≤ 0.3 s, repair of a tiny-model result
≤ 2 s. ``benchmarks/gpu_qr.py`` (to come) is for real checkpoints on a GPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = "https://distrokid.com/hyperfollow/nightowls/midnight-drive-2026"


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def plain(runs: int = 5) -> dict:
    sys.path.insert(0, str(ROOT))
    from albumstudio.core.qr import PlainQrOptions, QrRequest
    from albumstudio.engines.qr_code import make_symbol, render_code
    from albumstudio.engines.qr_poster import run
    from albumstudio.engines.qr_scan import scan
    from benchmarks.covers_design import write_photo

    with tempfile.TemporaryDirectory() as tmp:
        photo = str(write_photo(Path(tmp) / "cover.jpg", 1600, 1200))
        request = QrRequest("plain", LINK, PlainQrOptions(style="rounded"), image_path=photo,
                            title="Midnight Drive", artist="The Night Owls")
        run(request)  # warm-up: imports, fonts
        square, a4 = [], []
        for _ in range(runs):
            started = time.perf_counter()
            run(request)
            square.append(time.perf_counter() - started)
        from dataclasses import replace

        for _ in range(max(1, runs // 2)):
            started = time.perf_counter()
            run(replace(request, size="a4", format="pdf"))
            a4.append(time.perf_counter() - started)
    make_symbol.cache_clear()
    symbol_times, scan_times = [], []
    for i in range(runs):
        payload = f"{LINK}?v={i}"
        started = time.perf_counter()
        symbol = make_symbol(payload)
        symbol_times.append(time.perf_counter() - started)
        image = render_code(symbol, "square", "#111111", "#f5f5f5", 16)
        started = time.perf_counter()
        report = scan(image, payload, 16)
        scan_times.append(time.perf_counter() - started)
        assert report.ok
    return {"plain_poster_square_png_s": _median(square), "plain_poster_a4_pdf_s": _median(a4),
            "qr_symbol_s": _median(symbol_times), "scan_check_s": _median(scan_times),
            "scan_views": "full, 50%, 25%, capture × zxing-cpp, opencv",
            "target_plain_poster_s": 0.5, "target_scan_check_s": 0.3}


def art(count: int = 10) -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    from PIL import Image

    from albumstudio.core.qr import ArtQrOptions, QrRequest
    from albumstudio.engines.qr_art import ArtPosterEngine
    from albumstudio.engines.qr_code import make_symbol
    from albumstudio.engines.qr_repair import repair
    from albumstudio.engines.qr_scan import scan
    from tests.support.qr_payloads import payloads
    from tests.support.tiny_sd import build_tiny_controlnet, build_tiny_sd

    with tempfile.TemporaryDirectory() as tmp:
        sd = str(build_tiny_sd(Path(tmp)))
        controlnet = str(build_tiny_controlnet(Path(tmp) / "cn"))
        engine = ArtPosterEngine()
        paint, repair_s, rounds, change, scanned = [], [], [], [], 0
        for payload in payloads(200)[::max(1, 200 // count)][:count]:
            request = QrRequest("art", payload, ArtQrOptions(
                model=sd, controlnet=controlnet, steps=2, module_px=1, device="cpu",
                retries=0), code_only=True)
            symbol = make_symbol(payload)
            started = time.perf_counter()
            canvas = engine.paint(request, symbol, 1, 1.5)
            paint.append(time.perf_counter() - started)
            offset = (canvas.shape[0] - symbol.with_quiet) // 2
            painted = canvas[offset:offset + symbol.with_quiet, offset:offset + symbol.with_quiet]
            image = np.asarray(Image.fromarray(painted).resize((symbol.with_quiet * 16,) * 2,
                                                               Image.Resampling.LANCZOS))
            started = time.perf_counter()
            fixed = repair(image, symbol, 16, lambda im, p=payload: scan(im, p, 16,
                                                                       fail_fast=True))
            repair_s.append(time.perf_counter() - started)
            scanned += fixed.report.ok
            rounds.append(fixed.rounds)
            change.append(fixed.mean_change)
        engine.unload()
    return {"tiny_paint_s": _median(paint), "repair_s_median": _median(repair_s),
            "repair_s_max": round(max(repair_s), 3), "repair_rounds_mean":
            round(float(np.mean(rounds)), 2), "repair_rounds_max": max(rounds),
            "mean_pixel_change_of_255": round(float(np.mean(change)), 1),
            "scanned_after_repair": f"{scanned}/{len(rounds)}", "target_repair_s": 2.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-art", action="store_true", help="plain tier figures only")
    parser.add_argument("--art-payloads", type=int, default=10,
                        help="how many of the 200 test payloads the art tier repairs (200: all)")
    args = parser.parse_args()
    figures: dict = {"plain": plain()}
    if not args.skip_art:
        figures["art"] = art(args.art_payloads)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
