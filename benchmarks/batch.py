"""Catalogue batch figures: ``python -m benchmarks.batch`` prints JSON (figures only; no test
asserts on them).

A catalogue of synthesized releases (tracks and photos, the offline tiers: design cover, QR
poster on every other release, 30 s clip, tagged FLAC) made three times, each on a fresh data
folder and into a fresh output folder: the local worker pool with 1 and with 2 workers, and a
local Ray cluster with 2 workers (its start included, as a user waits for it). Throughput is
releases per minute of wall time, worker start-up included; the Ray overhead is its wall time
over the 2-worker pool's. Each run's time per stage (summed over its releases) is printed, and
the machine's load average before each run (other work on the same cores slows every figure).
With ``--rounds N`` the three are run N times in a rotating order (pool 1, pool 2, Ray; then
pool 2, Ray, pool 1; …) so a busy spell does not fall on one of them only, and the medians are
compared; the time a bare local Ray cluster takes to start and stop is printed beside them.
Every run's kits are compared byte for byte with the first run's (release.json included).

On paper: the expected throughput on N GPUs for the diffusion tier, from the per-stage figures
measured here. Each GPU's actor makes one cover at a time (``--gpu-cover-s`` seconds each: an
assumption, not measured here; measure it with benchmarks/gpu_covers.py); the other stages run
on the CPU cores beside it (``--cores-per-gpu``); this machine writes every kit, one at a time.
The slowest of the three sets the pace.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CPU_STAGES = ("reading the track", "exporting the cover", "checking the cover",
              "making the QR poster", "making the clip")


def _catalogue(root: Path, releases: int, seconds: float) -> Path:
    sys.path.insert(0, str(ROOT))
    from PIL import Image, ImageOps

    from tests.support.canvas_helpers import make_photo
    from tests.support.synth import music, write

    media = root / "media"
    media.mkdir(parents=True)
    lines = ["track,image,title,artist,qr,seed"]
    for i in range(releases):
        track = write(media / f"t{i}.flac", music(seconds, sr=44100, bpm=80 + 9 * i,
                                                   key_root_hz=180 + 17 * i, seed=i), 44100)
        photo = make_photo(media / f"p{i}.jpg", (900, 900), seed=i)
        with Image.open(photo) as img:  # covers that do not look alike
            picture = img.convert("RGB").rotate(90 * (i % 4))
        (ImageOps.invert(picture) if i % 2 else picture).save(photo, quality=92)
        link = f"https://example.com/r{i}" if i % 2 == 0 else ""
        lines.append(f"media/{track.name},media/{photo.name},Release {i},Bench Label,{link},{i}")
    catalogue = root / "catalogue.csv"
    catalogue.write_text("\n".join(lines) + "\n", "utf-8")
    return catalogue


def _kit_digest(out: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        digest.update(path.relative_to(out).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _ray_start_s() -> float | None:
    """Seconds to start and stop a bare local Ray cluster (None without Ray)."""
    try:
        import ray
    except ImportError:
        return None
    started = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1", logging_level=40, configure_logging=False)
    ray.shutdown()
    return round(time.perf_counter() - started, 2)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _run(catalogue: Path, root: Path, label: str, workers: int, cluster: str | None) -> dict:
    from albumstudio.services import Services
    from albumstudio.services.batch import BatchService, plan_batch
    from albumstudio.services.kit import KitService
    from albumstudio.store.paths import DataPaths

    home = root / f"home-{label}"
    services = Services.open(DataPaths(home / "data", home / "cache").ensure(),
                             with_history=False)
    load = os.getloadavg()[0]
    try:
        started = time.perf_counter()
        summary = BatchService(KitService(services)).run(
            plan_batch(catalogue, root / f"out-{label}"), workers=workers, cluster=cluster)
        wall = time.perf_counter() - started
    finally:
        services.close()
    done = len(summary.done)
    return {"workers": workers, "where": summary.cluster, "releases": done,
            "load_1min_before": round(load, 2), "kits_sha256": _kit_digest(root / f"out-{label}"),
            "failed": summary.failed, "wall_s": round(wall, 2),
            "releases_per_minute": round(done / wall * 60, 2) if wall else None,
            "per_release_s": [d["seconds"] for d in summary.done],
            "stages_s": {k: round(v, 2) for k, v in summary.stages.items()}}


def on_paper(stages: dict[str, float], releases: int, gpu_cover_s: float,
             cores_per_gpu: int, gpus: tuple[int, ...] = (1, 2, 4, 8)) -> dict:
    """Releases per minute on N GPUs from per-release stage times (see the module's words)."""
    cpu_s = sum(stages.get(k, 0.0) for k in CPU_STAGES) / max(1, releases)
    write_s = stages.get("writing the folder", 0.0) / max(1, releases)
    rows = {}
    for n in gpus:
        rates = {"GPU covers": n * 60 / gpu_cover_s,
                 "CPU stages": n * cores_per_gpu * 60 / cpu_s if cpu_s else float("inf"),
                 "writing here": 60 / write_s if write_s else float("inf")}
        slowest = min(rates, key=lambda k: rates[k])
        rows[f"{n} GPU"] = {"releases_per_minute": round(rates[slowest], 1),
                            "limited_by": slowest}
    return {"assumed_gpu_cover_s": gpu_cover_s, "cores_per_gpu": cores_per_gpu,
            "measured_cpu_stages_per_release_s": round(cpu_s, 2),
            "measured_write_per_release_s": round(write_s, 3), "expected": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--releases", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each track")
    parser.add_argument("--gpu-cover-s", type=float, default=1.5,
                        help="assumed seconds per diffusion cover on one GPU")
    parser.add_argument("--cores-per-gpu", type=int, default=8)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every configuration this many times, in a rotating order")
    args = parser.parse_args()
    load_before = os.getloadavg()
    try:
        import ray  # noqa: F401
    except ImportError:
        ray_missing = True
    else:
        ray_missing = False
    configs: list[tuple[str, int, str | None]] = [("pool_1", 1, None), ("pool_2", 2, None)]
    if not args.no_ray and not ray_missing:
        configs.append(("ray_local_2", 2, "local"))
    runs: dict[str, list[dict]] = {name: [] for name, _w, _c in configs}
    with tempfile.TemporaryDirectory(prefix="albumstudio-bench-batch-") as tmp:
        root = Path(tmp)
        catalogue = _catalogue(root, args.releases, args.seconds)
        for round_ in range(max(1, args.rounds)):
            shift = round_ % len(configs)
            for name, workers, cluster in configs[shift:] + configs[:shift]:
                runs[name].append(_run(catalogue, root, f"{name}-{round_}", workers, cluster))
        ray_start = None if ray_missing or args.no_ray else _ray_start_s()
    digests = {r["kits_sha256"] for rs in runs.values() for r in rs if not r["failed"]}
    medians = {name: {"wall_s": round(_median([r["wall_s"] for r in rs]), 2),
                      "releases_per_minute": round(_median(
                          [r["releases_per_minute"] or 0.0 for r in rs]), 2)}
               for name, rs in runs.items()}
    report: dict = {"cpu_count": os.cpu_count(), "load_before": [round(x, 2) for x in
                                                                   load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()],
                    "releases": args.releases, "track_s": args.seconds, "rounds": args.rounds,
                    "median": medians, "every_run_same_kit_bytes": len(digests) == 1,
                    "runs": runs}
    if "ray_local_2" in runs:
        report["ray_overhead"] = {
            "wall_ratio_vs_pool_2": round(medians["ray_local_2"]["wall_s"]
                                          / medians["pool_2"]["wall_s"], 2),
            "extra_s": round(medians["ray_local_2"]["wall_s"] - medians["pool_2"]["wall_s"],
                             2),
            "bare_cluster_start_and_stop_s": ray_start}
    else:
        report["ray_overhead"] = "not measured (Ray is not installed)" if ray_missing else \
            "not measured (--no-ray)"
    first = runs["pool_1"][0]
    report["on_paper"] = on_paper(first["stages_s"], first["releases"], args.gpu_cover_s,
                                  args.cores_per_gpu)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
