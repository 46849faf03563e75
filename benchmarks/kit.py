"""Release-kit figures: ``python -m benchmarks.kit`` prints JSON (figures only; no test asserts
on them).

``albumstudio kit`` with the offline tiers for a 4-minute 44.1 kHz stereo WAV (cover, QR
poster, 30 s clip, tagged copy) as a fresh process (imports included), on a fresh data
folder (nothing cached) and again with the track's analysis cached, with the time at which
each step began (read from the command's step lines on stderr), and the machine's load
average (other work on the same cores slows every figure) and the process's CPU time (user +
system, all its threads), which load does not inflate as much. Target: ≤ 10 s on 2 cores.

``--old DIR`` pairs each run with one of another copy of the source (a folder holding an
``albumstudio`` package, e.g. ``git archive COMMIT albumstudio | tar -x -C DIR``), run the same
way right after it, so both see the same load: the figures are then given per side.
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

from benchmarks.bytecode import as_installed

ROOT = Path(__file__).resolve().parents[1]


def _run(track: Path, out: Path, home: Path, source: Path | None = None) -> dict:
    import resource

    env = {**os.environ, "ALBUMSTUDIO_HOME": str(home)}
    home.mkdir(parents=True, exist_ok=True)
    # that copy's package (this checkout's by default) comes first on the path; the process
    # runs in the data folder, since ``-m`` puts the working folder before PYTHONPATH (run
    # from a checkout's root, both sides ran that checkout's code)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(source or ROOT),
                                                    env.get("PYTHONPATH", "")) if p)
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "albumstudio", "kit", str(track), "--title", "Midnight Drive",
         "--artist", "The Night Owls", "--qr", "https://example.com/midnight-drive",
         "--out", str(out)], env=env, cwd=home, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
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
    return {"total_s": round(total, 2), "cpu_s": round(cpu, 2), "load_1min_before": load,
            "step_started_s": steps}


def _figures(cold: list[dict], warm: list[dict]) -> dict:
    return {
        "fresh_process_fresh_data_s": statistics.median(r["total_s"] for r in cold),
        "fresh_process_cached_analysis_s": statistics.median(r["total_s"] for r in warm),
        "cpu_fresh_data_s": statistics.median(r["cpu_s"] for r in cold),
        "cpu_cached_analysis_s": statistics.median(r["cpu_s"] for r in warm),
        "runs_fresh_data": cold, "runs_cached_analysis": warm,
    }


def kit(runs: int = 2, minutes: float = 4.0, old: Path | None = None,
        mp3: bool = False) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.support.synth import music, write

    sides: dict[str, Path | None] = {"new": None}
    if old is not None:
        sides["old"] = old
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if mp3:  # the track-understanding benchmark's drums piece, 192 kb/s
            from benchmarks.track_understanding import write_mp3

            track = write_mp3(root / "track.mp3", minutes)
        else:
            track = write(root / "track.wav", music(minutes * 60, sr=44100), 44100)
        runs_of: dict[str, tuple[list[dict], list[dict]]] = {s: ([], []) for s in sides}
        for i in range(runs):
            for side, source in sides.items():
                home = root / f"home-{side}-{i}"
                out = root / f"out-{side}-{i}"
                out.mkdir()
                cold, warm = runs_of[side]
                cold.append(_run(track, out, home, source))
                # the same data folder: the analysis cached
                warm.append(_run(track, out, home, source))
    figures: dict = {"track": f"{minutes:g} min {'MP3' if mp3 else 'WAV'} 44.1 kHz stereo"}
    if old is None:
        figures.update(_figures(*runs_of["new"]))
    else:
        figures.update({side: _figures(*runs_of[side]) for side in sides})
    figures.update({"load_average_1min": round(os.getloadavg()[0], 2),
                    "target_s": 10.0, "cores": os.cpu_count()})
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--old", type=Path, metavar="DIR",
                        help="another copy of the source to pair every run with")
    parser.add_argument("--mp3", action="store_true", help="a 192 kb/s MP3 instead of a WAV")
    args = parser.parse_args(argv)
    as_installed(*([args.old] if args.old else []))
    print(json.dumps({"kit": kit(args.runs, args.minutes, args.old, args.mp3)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
