"""Super-resolution figures: ``python -m benchmarks.upscale`` prints JSON (no test asserts on it).

The release kit's upscaler (engines/upscale.py) with the architecture of the registry's model
(Swin2SR classical ×4: embed 180, six stages of six blocks, window 8) and random weights built
from its config, saved and loaded through the app's loader: a ``--side`` px picture enlarged
×4 in tiles, the seconds it took, the tiles, and the process's peak resident memory before and
after (what the tiling bounds), with the load average. No weights are downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def upscale(side: int = 512, tile: int = 128) -> dict:
    import numpy as np
    import torch
    from PIL import Image
    from transformers import Swin2SRConfig, Swin2SRForImageSuperResolution

    from albumstudio.engines.upscale import OVERLAP, Upscaler, _positions

    config = Swin2SRConfig(upscale=4, embed_dim=180, depths=[6] * 6, num_heads=[6] * 6,
                           window_size=8, image_size=64, upsampler="pixelshuffle")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    picture = Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8), "RGB")
    with tempfile.TemporaryDirectory() as tmp:
        Swin2SRForImageSuperResolution(config).save_pretrained(Path(tmp) / "sr")
        upscaler = Upscaler(str(Path(tmp) / "sr"), tile=tile)
        upscaler.model()
        before = _peak_mb()
        started = time.perf_counter()
        cpu = time.process_time()
        out = upscaler.enlarge(picture)
        seconds = time.perf_counter() - started
        cpu_s = time.process_time() - cpu
    tiles = len(_positions(side, tile, OVERLAP)) ** 2
    return {"input_px": side, "output_px": out.width, "tile_px": tile, "tiles": tiles,
            "seconds": round(seconds, 1), "cpu_s": round(cpu_s, 1),
            "peak_rss_mb_loaded": before, "peak_rss_mb_after": _peak_mb(),
            "torch_threads": torch.get_num_threads(),
            "load_average_1min": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--tile", type=int, default=128)
    args = parser.parse_args(argv)
    print(json.dumps({"upscale": upscale(args.side, args.tile)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
