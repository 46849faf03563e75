"""Track understanding figures (issue #9): ``python -m benchmarks.track_understanding`` prints JSON.

- ``albumstudio analyze TRACK --json`` on a 4-minute MP3 as a fresh process, start to exit,
  each run with an empty data folder (new content: no analysis, tag or peaks cache) and an
  empty numba cache folder, so every run is a "first run after install" as far as AppData
  goes (targets ≤ 3 s; ≤ 6 s the very first time, measured with no bytecode for any module,
  the worst case of a fresh install); one run with every cache warm for scale;
- in-process (what the window pays, the tagger's weights loaded as the app does when idle):
  the one decode for analysis and tags, the analysis, tagging with the model loaded (from the
  16 kHz signal: its log-mel, then the network on the tagger's two workers; and the network
  alone, the log-mel made: target ≤ 1.0 s), the forward pass on one thread, and in the
  PyTorch port at its old batch size of 2;
- ``--only precision``: why the network stays in float32 numpy — the PyTorch port in bfloat16
  (autocast, and oneDNN's bf16 arithmetic on float32 tensors, both on AMX where the processor
  has it) against the float32 probabilities (the tests allow 1e-3 against the original);
- ``--only window``: drop → waveform, analysis and tags in the real window on the same MP3,
  each run a fresh process with an empty data folder (targets ≤ 1.5 s / ≤ 2.5 s), dropped into
  a window that has done its idle start-up work, and into one just shown, in turn;
- the tempo accuracy table over ``tests.support.synth.tempo_cases`` (exact ±4 % on ≥ 90 %,
  octave-tolerant on all); ``--with-tags`` also tags each case and reports the tempo the
  description uses (the tagger's slow/fast may move the octave).

Nothing here is enforced; quote medians (the machine is shared and noisy).
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
import warnings
from pathlib import Path

import numpy as np

from benchmarks.bytecode import as_installed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_mp3(path: Path, minutes: float = 4.0, bpm: float = 123.0, sr: int = 44100) -> Path:
    """A stereo 192 kb/s MP3 of synthesized music (drums, bass, chords), encoded with PyAV."""
    import av

    from tests.support.synth import tempo_piece

    mono, _ = tempo_piece("drums", bpm, minutes * 60.0, sr, seed=9)
    stereo = np.stack([mono, 0.8 * mono]).astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libmp3lame", rate=sr)
        stream.layout = "stereo"
        stream.bit_rate = 192000
        for start in range(0, stereo.shape[1], 1152 * 8):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(stereo[:, start:start + 9216]),
                                               format="fltp", layout="stereo")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _analyze(track: Path, home: Path, no_bytecode: bool = False) -> tuple[float, dict]:
    env = dict(os.environ, ALBUMSTUDIO_HOME=str(home), NUMBA_CACHE_DIR=str(home / "numba"))
    if no_bytecode:  # as a new install whose modules were never compiled to bytecode
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "albumstudio", "analyze", str(track), "--json"],
                         env=env, capture_output=True, text=True, timeout=600, check=True)
    return time.perf_counter() - started, json.loads(out.stdout)


def fresh_process(track: Path, runs: int) -> dict:
    cold, warm = [], []
    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            seconds, report = _analyze(track, Path(tmp) / f"home-{run}")
            cold.append(seconds)
        for _ in range(max(1, runs // 2)):
            warm.append(_analyze(track, Path(tmp) / "home-0")[0])
        first = [_analyze(track, Path(tmp) / f"first-{run}", no_bytecode=True)[0]
                 for run in range(max(1, runs // 2))]
    return {"analyze_4min_mp3_fresh_process_empty_caches_s": _figures(cold),
            "analyze_4min_mp3_fresh_process_warm_caches_s": _figures(warm),
            "analyze_4min_mp3_first_run_no_bytecode_s": _figures(first),
            "load_average": round(os.getloadavg()[0], 2),
            "tempo": report["tempo"]["words"], "description": report["description"],
            "targets_s": {"fresh_process": 3.0, "first_run_after_install": 6.0}}


def _figures(seconds: list[float]) -> dict:
    return {"min": round(min(seconds), 3), "median": round(statistics.median(seconds), 3),
            "runs": [round(s, 3) for s in seconds]}


def in_process(track: Path, runs: int) -> dict:
    from albumstudio.audio import tagger
    from albumstudio.audio.analysis import analyze_file
    from albumstudio.audio.decode import decode_all
    from albumstudio.audio.musicnn_input import log_mel, patches
    from albumstudio.core.allocator import keep_freed_blocks_for_reuse

    keep_freed_blocks_for_reuse()  # as the window's process does from its start
    tagger.preload()  # the weights, as the window does while idle
    decode, analysis, tags, model_new, model_old = [], [], [], [], []
    model_cpu: list[float] = []
    model_blas: list[float] = []
    network: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        decode_all(str(track))
        decode.append(time.perf_counter() - started)
        audio: list[np.ndarray] = []
        started = time.perf_counter()
        analyze_file(str(track), tagger_audio=audio)
        analysis.append(time.perf_counter() - started)
        started = time.perf_counter()
        tagger.tag_file(str(track), samples=audio[0])
        tags.append(time.perf_counter() - started)
        batch = patches(log_mel(audio[0]))
        net = tagger._loaded_model(tagger.DEFAULT_MODEL)
        started, cpu = time.perf_counter(), time.process_time()
        tagger._tag_spectrogram(log_mel(audio[0]), tagger.DEFAULT_MODEL, None, None, None)
        model_new.append(time.perf_counter() - started)
        model_cpu.append(time.process_time() - cpu)
        mel = log_mel(audio[0])
        started = time.perf_counter()  # the network alone, on the tagger's workers
        tagger._tag_spectrogram(mel, tagger.DEFAULT_MODEL, None, None, None)
        network.append(time.perf_counter() - started)
        started = time.perf_counter()
        for first in range(0, batch.shape[0], tagger.BATCH_PATCHES):  # BLAS's own threads
            net.predict(batch[first:first + tagger.BATCH_PATCHES])
        model_blas.append(time.perf_counter() - started)
        from importlib import resources

        from albumstudio.audio import musicnn  # the PyTorch port, as tagging ran before

        with resources.as_file(tagger._resource(f"{tagger.DEFAULT_MODEL}.safetensors")) as path:
            torch_net = musicnn.load_model(str(path))
        started = time.perf_counter()
        for first in range(0, batch.shape[0], 2):
            musicnn.predict(torch_net, batch[first:first + 2])
        model_old.append(time.perf_counter() - started)
    return {"decode_only_s": _figures(decode),
            "analysis_with_its_decode_s": _figures(analysis),
            "tags_from_the_analysis_signal_s": _figures(tags),
            f"tags_from_the_spectrogram_{tagger.WORKERS}_workers_s": _figures(model_new),
            f"musicnn_network_{tagger.WORKERS}_workers_log_mel_made_s": _figures(network),
            "tags_from_the_spectrogram_process_cpu_s": _figures(model_cpu),
            f"musicnn_numpy_forward_batch_{tagger.BATCH_PATCHES}_openblas_threads_s":
                _figures(model_blas),
            "musicnn_torch_forward_batch_2_s": _figures(model_old),
            "targets_s": {"window_analysis": 1.5, "window_tags": 2.5, "musicnn": 1.0}}


def precision(track: Path) -> dict:
    """The PyTorch port in bf16 against float32 numpy on the track's 3 s patches."""
    import torch

    from albumstudio.audio import musicnn, tagger
    from albumstudio.audio.blas import one_blas_thread
    from albumstudio.audio.decode import decode_all
    from albumstudio.audio.musicnn_input import log_mel, patches

    torch.set_num_threads(1)
    batch = patches(log_mel(decode_all(str(track), target_sr=16000, mono=True)[0]))
    step = tagger.BATCH_PATCHES
    reference = tagger._loaded_model(tagger.DEFAULT_MODEL)
    from importlib import resources

    with resources.as_file(tagger._resource(f"{tagger.DEFAULT_MODEL}.safetensors")) as path:
        port = musicnn.load_model(str(path))

    def timed(predict) -> tuple[float, float, np.ndarray]:
        started, cpu = time.perf_counter(), time.process_time()
        out = np.concatenate([predict(batch[i:i + step]) for i in range(0, len(batch), step)])
        return time.perf_counter() - started, time.process_time() - cpu, out

    _, _, want = timed(reference.predict)
    rows = {}

    def autocast(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return torch.sigmoid(port(torch.from_numpy(x)).float()).numpy()

    def fpmath(x: np.ndarray) -> np.ndarray:
        with torch.backends.mkldnn.flags(enabled=True, fp32_precision="bf16"):
            return musicnn.predict(port, x)

    warnings.filterwarnings("ignore", message="TF32 acceleration")  # oneDNN's note on GPUs
    with one_blas_thread():  # every row on one core: numpy as the app runs it
        for name, predict in (("numpy_float32", reference.predict),
                              ("torch_float32", lambda x: musicnn.predict(port, x)),
                              ("torch_autocast_bf16", autocast), ("onednn_bf16_math", fpmath)):
            wall, cpu, got = timed(predict)
            rows[name] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                          "max_abs_probability_error": float(np.abs(got - want).max())}
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return {"patches": int(len(batch)), "amx_bf16": bool(amx), "tolerance": 1e-3, "rows": rows}


def window(track: Path, runs: int) -> dict:
    """Drop → waveform / analysis / tags in the real window (offscreen), each run a fresh
    process with an empty data folder: what a user waits for after dropping a new track (the
    window's own start is not counted). Two cases, run in turn: ``ready``, the track dropped
    into a window that has done what it does while idle after start-up (the analysis's
    imports, the tagger's weights: as an artist who opens the app, then drags a track in),
    and ``just_shown``, dropped as soon as the window is shown (as when the app is started
    with a track: it then pays those imports and loads between the drop and the results)."""
    code = ("import json, sys\n"
            "from pathlib import Path\n"
            "from benchmarks.run import gui_4min\n"
            "print(json.dumps(gui_4min(Path(sys.argv[1]), ready=sys.argv[2] == 'ready')))\n")
    shown = ("drop_to_full_waveform_s", "drop_to_analysis_s", "drop_to_music_tags_s",
             "main_thread_worst_stall_until_tagged_ms")
    cases = ("ready", "just_shown")
    figures = {case: {key: [] for key in shown} for case in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            for case in cases:
                env = dict(os.environ, ALBUMSTUDIO_HOME=str(Path(tmp) / f"home-{case}-{run}"),
                           QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                           PYTHONPATH=str(ROOT))
                out = subprocess.run([sys.executable, "-c", code, str(track), case], env=env,
                                     cwd=ROOT, capture_output=True, text=True, timeout=600,
                                     check=True)
                marks = json.loads(out.stdout.strip().splitlines()[-1])
                if marks.get("error"):
                    raise RuntimeError(marks["error"])
                for key in shown:
                    figures[case][key].append(marks[key])
    return {**{case: {key: _figures(values) for key, values in figures[case].items()}
               for case in cases},
            "load_average": round(os.getloadavg()[0], 2),
            "targets_s": {"analysis": 1.5, "tags": 2.5}}


def tempo_table(with_tags: bool) -> dict:
    from albumstudio.audio.analysis import analyze_stream
    from albumstudio.core.understanding import understand
    from tests.support.synth import tempo_cases, tempo_piece

    rows, exact, octave = [], 0, 0
    for texture, bpm in tempo_cases():
        samples, truth = tempo_piece(texture, bpm, 30.0, 22050, seed=int(bpm))
        a = analyze_stream([samples[:, None]], 22050, 1, tagger_audio=[] if with_tags else None)
        row = {"texture": texture, "truth_bpm": truth, "found_bpm": a.tempo_bpm,
               "other_octave_bpm": a.tempo_alternative_bpm}
        ok = abs(a.tempo_bpm / truth - 1) <= 0.04
        oct_ok = any(abs(a.tempo_bpm * k / truth - 1) <= 0.04 for k in (0.5, 1, 2))
        exact, octave = exact + ok, octave + oct_ok
        row["exact"], row["octave_ok"] = ok, oct_ok
        if with_tags:
            import soxr

            from albumstudio.audio.tagger import tag_samples

            music_tags = tag_samples(soxr.resample(samples, 22050, 16000))
            row["with_tags_bpm"] = understand(a, music_tags).analysis.tempo_bpm
        rows.append(row)
    return {"cases": len(rows), "exact_4pct": exact, "octave_tolerant": octave,
            "exact_share": round(exact / len(rows), 3), "rows": rows}


def print_table(table: dict) -> None:
    print(f"{'texture':20s}{'truth':>8s}{'found':>9s}{'other':>9s}  result", file=sys.stderr)
    for row in table["rows"]:
        verdict = "exact" if row["exact"] else ("octave" if row["octave_ok"] else "WRONG")
        tagged = f"  with tags {row['with_tags_bpm']:.1f}" if "with_tags_bpm" in row else ""
        print(f"{row['texture']:20s}{row['truth_bpm']:8.1f}{row['found_bpm']:9.2f}"
              f"{row['other_octave_bpm']:9.2f}  {verdict}{tagged}", file=sys.stderr)
    print(f"exact (±4 %): {table['exact_4pct']}/{table['cases']}, octave-tolerant: "
          f"{table['octave_tolerant']}/{table['cases']}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("cli", "inprocess", "window", "tempo", "precision"),
                        default=None)
    parser.add_argument("--with-tags", action="store_true", help="tag each tempo case too")
    args = parser.parse_args()
    as_installed()
    results: dict = {"machine": {"cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory() as tmp:
        track = write_mp3(Path(tmp) / "four-minutes.mp3")
        if args.only in (None, "cli"):
            results["fresh_process"] = fresh_process(track, args.runs)
        if args.only in (None, "inprocess"):
            results["in_process"] = in_process(track, args.runs)
        if args.only in (None, "window"):
            results["window"] = window(track, args.runs)
        if args.only == "precision":  # imports torch: asked for by name only
            results["musicnn_precision"] = precision(track)
    if args.only in (None, "tempo"):
        table = tempo_table(args.with_tags)
        print_table(table)
        results["tempo_accuracy"] = {k: v for k, v in table.items() if k != "rows"}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
