"""Speed and memory figures for the issue's targets: ``python -m benchmarks.run`` prints JSON.

Targets (2-core machine): first paint ≤ 1.5 s; a 4-minute track's waveform ≤ 0.5 s after the
drop, its analysis ≤ 4 s warm and its musicnn tags ≤ 3 s; a 60-minute track's peaks ≤ 5 s with peak RSS ≤ 1 GiB; the
main thread never stalls more than 50 ms while decoding or analysing.
Covers: a 3000×3000 design cover ≤ 1 s; the app's diffusion job ≤ 1.10 × a bare diffusers call
on the same tiny pipeline; the main thread never stalls more than 50 ms while generating.
CLI (fresh processes, as first paint): ``albumstudio cover TRACK --out FILE`` (a 3000² design
cover of a short track, caches warm) and ``albumstudio history list``, start to exit.
``python -m benchmarks.gpu_covers`` measures real checkpoints on a GPU.
QR posters (``--only qr``, or ``python -m benchmarks.qr``): plain poster ≤ 0.5 s, scan check of
one code ≤ 0.3 s, repair of a tiny-model art code ≤ 2 s.
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

import numpy as np

from benchmarks.bytecode import as_installed

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def write_track(path: Path, minutes: float, sr: int = 44100) -> Path:
    """A stereo 16-bit wav built in 10-second chunks (a 60-minute one never sits in memory)."""
    import soundfile as sf

    rng = np.random.default_rng(1)
    chunk = 10 * sr
    total = int(minutes * 60 * sr)
    t = np.arange(chunk) / sr
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=2, subtype="PCM_16") as out:
        done = 0
        while done < total:
            n = min(chunk, total - done)
            beat = (np.sin(2 * np.pi * 2 * t[:n]) > 0.95) * rng.standard_normal(n) * 0.5
            tone = 0.2 * np.sin(2 * np.pi * 220 * (t[:n] + done / sr))
            mono = (tone + beat).astype(np.float32)
            out.write(np.stack([mono, 0.7 * mono], axis=1))
            done += n
    return path


def first_paint(runs: int = 3) -> dict:
    times, heavy = [], []
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as home:
        env["ALBUMSTUDIO_HOME"] = home
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-m", "albumstudio", "--exit-after-paint"],
                                 env=env, capture_output=True, text=True, timeout=120, check=True)
            report = json.loads(out.stdout.strip().splitlines()[-1])
            times.append(report["seconds_to_first_paint"])
            heavy = report["heavy_modules_loaded"]
    return {"first_paint_s_median": statistics.median(times), "first_paint_runs_s": times,
            "heavy_modules_at_first_paint": heavy, "target_s": 1.5}


HEAVY_MODULES = ("torch", "diffusers", "transformers", "librosa")  # as albumstudio.app lists them


def _cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from starting ``albumstudio ARGS`` in a fresh interpreter to its exit (imports
    included), and what it printed."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "albumstudio", *args], env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"albumstudio {' '.join(args)} exited {out.returncode}: "
                           f"{out.stderr.strip()[-2000:]}")
    return seconds, out.stdout


def _heavy_imports(args: list[str], env: dict[str, str]) -> list[str]:
    """The heavy libraries ``albumstudio ARGS`` imports (one untimed run with -X importtime)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "albumstudio", *args],
                         env=env, capture_output=True, text=True, timeout=600, check=True)
    found = {line.rsplit("|", 1)[-1].strip().split(".")[0]
             for line in out.stderr.splitlines() if line.startswith("import time:")}
    return [name for name in HEAVY_MODULES if name in found]


def cli_commands(runs: int = 3, seconds: float = 30.0) -> dict:
    """``albumstudio cover TRACK --out FILE`` (design engine, default 3000² PNG) and
    ``albumstudio history list`` as fresh processes, start to exit, with ALBUMSTUDIO_HOME in a
    temporary folder. The first cover fills the analysis and tag caches (and numba's) and is
    not timed; each timed cover is a new history entry, so ``history list`` lists them."""
    sys.path.insert(0, str(ROOT))
    from PIL import Image

    from tests.support.synth import music, write

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env["ALBUMSTUDIO_HOME"] = str(folder / "home")
        track = write(folder / "short.wav", music(seconds, sr=44100), 44100)
        covers = folder / "covers"
        covers.mkdir()
        started = time.perf_counter()
        _cli(["cover", str(track), "--out", str(covers / "warm-up.png")], env)
        first = time.perf_counter() - started
        cover_times, list_times = [], []
        for run in range(runs):
            out = covers / f"cover-{run}.png"
            took, _ = _cli(["cover", str(track), "--out", str(out)], env)
            if not out.is_file():
                raise RuntimeError(f"albumstudio cover did not write {out}")
            cover_times.append(took)
        with Image.open(out) as made:  # the engine's default size: 3000², a store-size cover
            side = list(made.size)
        for _ in range(runs):
            took, listing = _cli(["history", "list"], env)
            list_times.append(took)
        entries = len(json.loads(_cli(["history", "list", "--json"], env)[1]))
        listed = len([line for line in listing.splitlines() if line.strip()])
        heavy = _heavy_imports(["cover", str(track), "--out", str(covers / "imports.png")], env)
        heavy_list = _heavy_imports(["history", "list"], env)
    return {"cli_cover_design_s_median": round(statistics.median(cover_times), 3),
            "cli_cover_design_runs_s": [round(t, 3) for t in cover_times],
            "cli_cover_first_run_s_cold_caches": round(first, 3),
            "cli_history_list_s_median": round(statistics.median(list_times), 3),
            "cli_history_list_runs_s": [round(t, 3) for t in list_times],
            "history_entries": entries, "history_list_lines": listed,
            "heavy_modules_in_cli_cover": heavy, "heavy_modules_in_history_list": heavy_list,
            "track_s": seconds, "cover_size_px": side}


def peaks_60min(folder: Path) -> dict:
    track = write_track(folder / "sixty.wav", 60)
    code = (
        "import json, sys, time\n"
        "from albumstudio.audio.peaks import compute_peaks\n"
        "t = time.perf_counter()\n"
        "info, pyr = compute_peaks(sys.argv[1])\n"
        "dt = time.perf_counter() - t\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "rss = int(hwm.split()[1]) / 1024  # ru_maxrss would include the parent's, from fork\n"
        "print(json.dumps({'seconds': dt, 'peak_rss_mib': rss, 'bytes': pyr.nbytes}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(track)], capture_output=True,
                         text=True, timeout=600, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    size = track.stat().st_size
    track.unlink()
    return {"peaks_60min_s": round(report["seconds"], 3),
            "peaks_60min_peak_rss_mib": round(report["peak_rss_mib"], 1),
            "peaks_60min_file_mib": round(size / 2**20, 1),
            "peaks_60min_summary_mib": round(report["bytes"] / 2**20, 2),
            "target_s": 5.0, "target_rss_mib": 1024}


def analysis_4min(track: Path) -> dict:
    from albumstudio.audio.analysis import analyze_file

    t = time.perf_counter()
    analyze_file(str(track))
    cold = time.perf_counter() - t
    t = time.perf_counter()
    result = analyze_file(str(track))
    warm = time.perf_counter() - t
    return {"analysis_4min_cold_s": round(cold, 3), "analysis_4min_warm_s": round(warm, 3),
            "tempo_bpm": round(result.tempo_bpm, 1), "target_warm_s": 4.0}


def tagging_4min(track: Path) -> dict:
    """musicnn (MTT) on a 4-minute track: first call loads torch and the weights."""
    from albumstudio.audio.decode import decode_all
    from albumstudio.audio.tagger import DEFAULT_MODEL, tag_file, tag_samples

    t = time.perf_counter()
    tag_file(str(track), DEFAULT_MODEL)
    first = time.perf_counter() - t
    t = time.perf_counter()
    result = tag_file(str(track), DEFAULT_MODEL)
    warm = time.perf_counter() - t
    y, _ = decode_all(str(track), target_sr=16000, mono=True)
    t = time.perf_counter()
    tag_samples(y, DEFAULT_MODEL)
    model_only = time.perf_counter() - t
    return {"tagging_4min_first_call_s": round(first, 3), "tagging_4min_warm_s": round(warm, 3),
            "tagging_4min_model_only_s": round(model_only, 3),
            "top_tags": [n for n, _ in result.top(3)], "target_s": 3.0}


def _until_idle(app, window) -> None:  # noqa: ANN001 - a QApplication, a MainWindow
    """Run the window's idle preparations and wait until its job runner has none left."""
    from albumstudio.app import prepare_while_idle

    prepare_while_idle(window)
    started = time.perf_counter()
    while time.perf_counter() - started < 4.5 or window.runner.active_count():
        app.processEvents()
        time.sleep(0.02)


def gui_4min(track: Path, ready: bool = False) -> dict:
    """Drop-to-waveform, drop-to-analysis, and the main thread's worst stall, in a real window:
    dropped as soon as the window is shown, or (``ready``) once the window has done what it
    does while idle after start-up (``albumstudio.app.prepare_while_idle``: the analysis's
    imports, the tagger's weights), as when an artist drops a track into a window already open."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from albumstudio.core.blas_threads import one_thread_for_the_process
    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow
    from albumstudio.ui.theme import apply_dark_theme
    from benchmarks.stall import StallClock

    try:  # as `albumstudio` does before it opens the window
        from albumstudio.core.process import prepare_process
    except ImportError:  # an older tree, run for pairs
        one_thread_for_the_process()
    else:
        prepare_process()
    app = QApplication.instance() or QApplication([])
    apply_dark_theme(app)
    window = MainWindow(default_paths().ensure())
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    if ready:
        _until_idle(app, window)
    marks: dict[str, float] = {}
    clock = StallClock()

    def on_peaks(pyr) -> None:
        if pyr is None:
            return
        window.waveform.view.repaint()
        marks.setdefault("first_waveform", clock.seconds())
        if pyr.complete:
            marks.setdefault("full_waveform", clock.seconds())

    window.session.peaks_changed.connect(on_peaks)

    def on_analysed() -> None:
        marks.setdefault("analysed", clock.seconds())
        marks["stall_until_analysed"] = clock.worst_stall_ms()

    def on_tags(result) -> None:
        if result is not None:
            marks.setdefault("tagged", clock.seconds())
            app.quit()

    window.session.analysed.connect(on_analysed)
    window.session.music_tags_changed.connect(on_tags)
    window.session.tagging_status.connect(
        lambda text: (marks.setdefault("error", text), app.quit()) if "unavailable" in text else None)
    window.session.error.connect(lambda m: (marks.setdefault("error", str(m)), app.quit()))
    clock.start()
    window.open_path(str(track))
    QTimer.singleShot(120000, app.quit)
    app.exec()
    clock.stop()
    window.shutdown()
    window.deleteLater()
    stall = clock.worst_stall_ms()
    return {"drop_to_first_waveform_s": round(marks.get("first_waveform", -1), 3),
            "drop_to_full_waveform_s": round(marks.get("full_waveform", -1), 3),
            "drop_to_analysis_s": round(marks.get("analysed", -1), 3),
            "drop_to_music_tags_s": round(marks.get("tagged", -1), 3),
            "main_thread_worst_stall_until_analysed_ms": round(marks.get("stall_until_analysed", -1), 1),
            "main_thread_worst_stall_until_tagged_ms": round(stall, 1),
            "error": marks.get("error"),
            "targets": {"waveform_s": 0.5, "analysis_s": 4.0, "stall_ms": 50}}


def redraw(folder: Path) -> dict:
    from PySide6.QtWidgets import QApplication

    from albumstudio.audio.peaks import compute_peaks
    from albumstudio.ui.waveform.view import WaveformView

    QApplication.instance() or QApplication([])
    track = write_track(folder / "ten.wav", 10)
    _, pyr = compute_peaks(str(track))
    view = WaveformView()
    view.resize(1600, 300)
    view.set_peaks(pyr)
    out = {}
    for label, seconds_per_px in (("fit", None), ("1s_per_px", 1.0), ("deep", 256 / 44100 / 4)):
        if seconds_per_px is None:
            view.zoom_to_fit()
        else:
            view.zoom_by(view.seconds_per_pixel / seconds_per_px, pyr.duration / 2)
        times = []
        for _ in range(20):
            t = time.perf_counter()
            view.render_to_image(1600, 300)
            times.append((time.perf_counter() - t) * 1000)
        out[f"redraw_1600px_{label}_ms"] = round(statistics.median(times), 2)
    track.unlink()
    return out


def posters() -> dict:
    """QR posters: plain poster, scan check, and the art tier's repair on a tiny model."""
    from benchmarks import qr

    return {"plain": qr.plain(), "art": qr.art()}


def covers() -> dict:
    """Design engine at 3000², app overhead over bare diffusers, main-thread stall while generating."""
    from benchmarks import covers_design, covers_diffusion, covers_gui

    return {"design": covers_design.measure(), "diffusion_overhead": covers_diffusion.measure(),
            "window": covers_gui.measure()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-60min", action="store_true", help="skip the 60-minute peaks run")
    parser.add_argument("--only", choices=("track", "covers", "cli", "qr"), default=None,
                        help="run only the track figures (first paint included), only the cover "
                             "figures, or only the CLI's fresh-process figures")
    args = parser.parse_args()
    as_installed()
    if args.only == "covers":
        print(json.dumps({"machine": {"cpus": os.cpu_count()}, "covers": covers()}, indent=2))
        return 0
    if args.only == "qr":
        print(json.dumps({"machine": {"cpus": os.cpu_count()}, "qr": posters()}, indent=2))
        return 0
    if args.only == "cli":
        print(json.dumps({"machine": {"cpus": os.cpu_count()}, "cli": cli_commands()}, indent=2))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["ALBUMSTUDIO_HOME"] = str(folder / "home")
        results: dict = {"machine": {"cpus": os.cpu_count()}}
        results["first_paint"] = first_paint()
        track = write_track(folder / "four.wav", 4)
        results["analysis"] = analysis_4min(track)
        results["tagging"] = tagging_4min(track)
        results["gui_4min"] = gui_4min(write_track(folder / "four-b.wav", 4))
        results["redraw"] = redraw(folder)
        if not args.skip_60min:
            results["peaks_60min"] = peaks_60min(folder)
    if args.only is None:
        results["cli"] = cli_commands()
        results["covers"] = covers()
        results["qr"] = posters()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
