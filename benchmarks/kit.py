"""Release-kit figures: ``python -m benchmarks.kit`` prints JSON (figures only; no test asserts
on them).

``albumstudio kit`` with the offline tiers for a 4-minute 44.1 kHz stereo WAV (cover, QR
poster, 30 s clip, tagged copy) as a fresh process (imports included), on a fresh data
folder (nothing cached) and again with the track's analysis cached, with the time at which
each step began (read from the command's step lines on stderr), and the machine's load
average (other work on the same cores slows every figure) and the process's CPU time (user +
system, all its threads), which load does not inflate as much. Target: ≤ 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(track: Path, out: Path, home: Path) -> dict:
    import resource

    env = {**os.environ, "ALBUMSTUDIO_HOME": str(home)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "albumstudio", "kit", str(track), "--title", "Midnight Drive",
         "--artist", "The Night Owls", "--qr", "https://example.com/midnight-drive",
         "--out", str(out)], env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    steps: dict[str, float] = {}
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("["):
            steps[line.split("] ", 1)[1].strip()] = round(time.perf_counter() - started, 2)
    proc.wait()
    total = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"albumstudio kit failed ({proc.returncode})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"total_s": round(total, 2), "cpu_s": round(cpu, 2), "step_started_s": steps}


def kit(runs: int = 2, minutes: float = 4.0) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.support.synth import music, write

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        track = write(root / "track.wav", music(minutes * 60, sr=44100), 44100)
        cold, warm = [], []
        for i in range(runs):
            home = root / f"home-{i}"
            out = root / f"out-{i}"
            out.mkdir()
            cold.append(_run(track, out, home))
            warm.append(_run(track, out, home))  # the same data folder: the analysis cached
    return {
        "track": f"{minutes:g} min WAV 44.1 kHz stereo",
        "fresh_process_fresh_data_s": statistics.median(r["total_s"] for r in cold),
        "fresh_process_cached_analysis_s": statistics.median(r["total_s"] for r in warm),
        "cpu_fresh_data_s": statistics.median(r["cpu_s"] for r in cold),
        "cpu_cached_analysis_s": statistics.median(r["cpu_s"] for r in warm),
        "runs_fresh_data": cold, "runs_cached_analysis": warm,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target_s": 10.0, "cores": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=4.0)
    args = parser.parse_args(argv)
    print(json.dumps({"kit": kit(args.runs, args.minutes)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
