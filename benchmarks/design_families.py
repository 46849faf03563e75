"""Every background family of the design engine, timed at store size and shown on one sheet.

``python -m benchmarks.design_families [--sheet docs/design-families.jpg]`` renders a whole
3000×3000 cover (background, vignette, type, grain and the PNG) for each family, for an
orchestral and an electronic mood, prints the wall-clock seconds of each as JSON, and writes a
contact sheet of all of them (the README shows it). Target (2 cores): each cover ≤ 1 s.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIDE = 3000
TARGET_S = 1.0
FAMILY_WORDS = {"rings": "waves", "aura": "dreamy", "sunburst": "sun", "grid": "geometric",
                "hills": "hills", "staves": "staves", "dots": "dots", "shards": "torn",
                "bars": "equalizer", "cutouts": "collage"}


def moods() -> dict[str, object]:
    from albumstudio.core.cover import MusicMood

    curve = tuple(float(v) for v in np.abs(np.sin(np.linspace(0, 7, 80))) * 0.8 + 0.1)
    return {
        "orchestral": MusicMood(energy=0.3, tempo_bpm=72, brightness_hz=1500, mode="minor",
                                key="D", onset_density=1.7, energy_curve=curve,
                                tags=("classical", "strings")),
        "electronic": MusicMood(energy=0.85, tempo_bpm=128, brightness_hz=3500, mode="major",
                                key="F#", onset_density=5.0, energy_curve=curve[::-1],
                                tags=("electronic", "synth")),
    }


def main(argv: list[str] | None = None) -> int:
    from PIL import Image, ImageDraw

    from albumstudio.core.cover import CoverRequest, DesignOptions
    from albumstudio.core.design_plan import FAMILIES
    from albumstudio.engines.design_cover import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", type=Path, default=None, help="write the contact sheet here")
    parser.add_argument("--side", type=int, default=SIDE)
    args = parser.parse_args(argv)
    thumb = 240
    sheet = Image.new("RGB", (thumb * len(FAMILIES), thumb * 2 + 28), (18, 18, 22))
    draw = ImageDraw.Draw(sheet)
    report: dict[str, dict[str, float]] = {}
    for row, (name, mood) in enumerate(moods().items()):
        report[name] = {}
        for col, family in enumerate(FAMILIES):
            request = CoverRequest(title="Night Drive", artist="Ada Vale", mood=mood,
                                   words=FAMILY_WORDS[family], size=args.side, seed=3,
                                   options=DesignOptions(layout="bottom-left",
                                                         treatment="duotone"))
            started = time.perf_counter()
            result = run(request)
            report[name][family] = round(time.perf_counter() - started, 3)
            with Image.open(io.BytesIO(result.images[0].png)) as image:
                sheet.paste(image.convert("RGB").resize((thumb, thumb), Image.Resampling.BOX),
                            (col * thumb, 28 + row * thumb))
    for col, family in enumerate(FAMILIES):
        draw.text((col * thumb + 8, 8), family, fill=(230, 230, 230))
    worst = max(v for per in report.values() for v in per.values())
    print(json.dumps({"side": args.side, "seconds": report, "worst_s": worst,
                      "target_s": TARGET_S}, indent=2))
    if args.sheet is not None:
        args.sheet.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(args.sheet, quality=88, optimize=True)
        print(f"contact sheet: {args.sheet}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
