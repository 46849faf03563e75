"""The history gallery with 10,000 entries: ``python -m benchmarks.gallery`` prints JSON.

Targets (#13): the gallery visible ≤ 1 s after opening it; scrolling repaints ≤ 16 ms per
frame; a search answers ≤ 100 ms (the first, cold, too); memory stays under 300 MB above the
empty window. Each scroll frame is timed in wall time and in the main thread's own CPU time: a
frame that ran long while the main thread worked little waited for a core or the interpreter
lock, which a loaded machine shows and a quiet one does not.

Set-up (not measured): 10,000 finished cover entries through ``HistoryStore.record``, each with
its own small PNG, prompts and titles drawn from word lists (fsync and SQLite's synchronous
writes are off while filling, and only then). Measured: opening the store (migration check,
quick integrity check, the sweep over every file), search through FTS5 (median and worst of
twenty words, the whole list of matches and the gallery's rows), the gallery's rows for every
entry, the panel shown and painted, a scroll through the grid one page per frame with the
viewport repainted synchronously while thumbnails are made off the main thread, and the
resident memory above an empty window: at the end, and at its peak (Linux: the peak is reset
once the empty window is up, so the set-up's own memory does not count).

Every tenth entry has a second variant, and one variant in fifty is in the trash (schema 4:
favourite and trash per variant), so the gallery's queries filter per variant as they do for
a person.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORDS = ("neon rain harbour fox ink sketch desert night drive ocean glass city forest ember "
         "velvet storm orbit saffron echo mirror river lantern frost copper dusk bloom tide "
         "static signal garden hollow ivory marble pulse quiet thunder violet willow").split()
ARTISTS = ("Nadia Sol", "The Echoes", "Kite Theory", "Marlow", "Ada Vance", "Blue Hour")


def _rss_mb(field: str = "VmRSS") -> float:
    """Resident memory now (``VmRSS``) or at its peak (``VmHWM``), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Start the peak resident memory again from now (Linux 4.0 and later)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def fill(folder: Path, count: int) -> None:
    import numpy as np

    import albumstudio.store.files as files
    from albumstudio.core.jobs import JobRecord, Output
    from albumstudio.engines.design_png import encode_png
    from albumstudio.store.history import HistoryStore

    rng = random.Random(13)
    real_fsync = files.os.fsync
    files.os.fsync = lambda fd: None  # set-up only
    store = HistoryStore(folder)
    store.db.execute("PRAGMA synchronous=OFF")
    now = time.time()
    try:
        for n in range(count):
            colour = np.array([n % 256, (n // 256) % 256, rng.randrange(256)], np.uint8)
            png = encode_png(np.broadcast_to(colour, (64, 64, 3)).copy())
            title = " ".join(rng.sample(WORDS, 2)).title()
            request = {"version": 2, "engine": "design", "prompt": " ".join(rng.sample(WORDS, 6)),
                       "negative_prompt": "", "title": title, "artist": rng.choice(ARTISTS),
                       "genre": "Electronic", "mood": {"tags": rng.sample(WORDS, 2)},
                       "size": 64, "seed": n, "variants": 1, "options": {"layout": "centered"}}
            outputs = [Output("image/png", data=png, width=64, height=64, seed=n)]
            if n % 10 == 0:
                second = encode_png(np.broadcast_to(colour[::-1], (64, 64, 3)).copy())
                outputs.append(Output("image/png", data=second, width=64, height=64,
                                      seed=n + count))
            record = store.record(JobRecord(
                kind="cover", engine="design", request=request, request_version=2,
                status="finished", created=now - (count - n) * 60, track_hash=f"{n % 40:040x}",
                outputs=tuple(outputs)))
            if n % 50 == 7 and hasattr(store, "trash_variants"):
                store.trash_variants([record.outputs[0].id])
    finally:
        files.os.fsync = real_fsync
        store.close()


def measure(count: int = 10_000) -> dict:
    from PySide6.QtWidgets import QApplication, QWidget

    from albumstudio.jobs.runner import JobRunner
    from albumstudio.services import Services
    from albumstudio.store.history import HistoryQuery, HistoryStore
    from albumstudio.store.paths import default_paths
    from albumstudio.ui.gallery.gallery_panel import GalleryPanel

    out: dict = {"entries": count}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ALBUMSTUDIO_HOME"] = str(Path(tmp) / "home")
        paths = default_paths().ensure()
        started = time.perf_counter()
        fill(paths.history, count)
        out["fill_s"] = round(time.perf_counter() - started, 1)

        opens = []
        for _ in range(3):
            t0 = time.perf_counter()
            store = HistoryStore(paths.history, sweep_grace_s=0)
            opens.append(time.perf_counter() - t0)
            store.close()
        out["store_open_ms"] = round(1000 * statistics.median(opens), 1)

        out["load_average_at_start"] = round(os.getloadavg()[0], 2)
        store = HistoryStore(paths.history)  # a person's first search in a fresh process
        t0 = time.perf_counter()
        store.rows(HistoryQuery(search="embe"))
        out["search_first_cold_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        store.close()

        store = HistoryStore(paths.history)
        t0 = time.perf_counter()
        every = store.rows()
        out["all_rows_first_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        searches, hits = [], []
        for word in WORDS[:20]:
            t0 = time.perf_counter()
            rows = store.rows(HistoryQuery(search=word[:4]))
            searches.append(time.perf_counter() - t0)
            hits.append(len(rows))
        out["search_rows_ms_median"] = round(1000 * statistics.median(searches), 1)
        out["search_rows_ms_worst"] = round(1000 * max(searches), 1)
        out["search_hits_median"] = int(statistics.median(hits))
        t0 = time.perf_counter()
        records = store.records(limit=200, query=HistoryQuery(search="neon harb"))
        out["search_records_200_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        out["search_records_hits"] = len(records)
        again = []
        for _ in range(3):
            t0 = time.perf_counter()
            every = store.rows()
            again.append(time.perf_counter() - t0)
        out["all_rows_warm_ms"] = round(1000 * statistics.median(again), 1)
        out["gallery_rows"] = len(every)
        store.close()

        app = QApplication.instance() or QApplication([])
        empty = QWidget()
        empty.resize(1200, 800)
        empty.show()
        app.processEvents()
        base = _rss_mb()
        peak_reset = _reset_peak()
        services = Services.open(paths)
        runner = JobRunner()
        t0 = time.perf_counter()
        panel = GalleryPanel(runner, services, paths.cache / "drag")
        panel.resize(1200, 800)
        panel.show()
        panel.repaint()
        app.processEvents()
        out["gallery_visible_s"] = round(time.perf_counter() - t0, 3)
        bar = panel.view.verticalScrollBar()
        last, still = -1, 0
        while still < 20:  # the grid lays its items out in batches while the loop runs
            app.processEvents()
            still = still + 1 if bar.maximum() == last else 0
            last = bar.maximum()
        out["grid_laid_out_s"] = round(time.perf_counter() - t0, 3)

        frames: list[float] = []
        cpu: list[float] = []  # wall time, and the main thread's own CPU time per frame
        step = max(1, panel.view.viewport().height())
        value = 0
        while value < bar.maximum() and len(frames) < 400:
            value = min(bar.maximum(), value + step)
            t0, c0 = time.perf_counter(), time.thread_time()
            bar.setValue(value)
            panel.view.viewport().repaint()
            frames.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            app.processEvents()  # thumbnails that came back meanwhile
        out["scroll_frames"] = len(frames)
        out["scroll_frame_ms_median"] = round(1000 * statistics.median(frames), 2)
        out["scroll_frame_ms_worst"] = round(1000 * max(frames), 2)
        out["scroll_frame_ms_p95"] = round(1000 * sorted(frames)[int(0.95 * len(frames))], 2)
        out["scroll_frames_over_16ms"] = sum(f > 0.016 for f in frames)
        # where a frame ran long while the main thread itself worked little, it was waiting
        # for a core or the interpreter lock (other processes, the thumbnail workers)
        out["scroll_frame_main_thread_cpu_ms_worst"] = round(1000 * max(cpu), 2)
        out["scroll_frame_main_thread_cpu_ms_median"] = round(1000 * statistics.median(cpu), 2)
        deadline = time.monotonic() + 30
        while not panel.thumbnails.idle() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)
        panel.search.blockSignals(True)
        panel.search.setText("ember")
        panel.search.blockSignals(False)
        t0 = time.perf_counter()
        panel.refresh()
        out["gallery_search_refresh_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        out["thumbnails_in_memory"] = len(panel.thumbnails)
        out["rss_above_empty_window_mb"] = round(_rss_mb() - base, 1)
        if peak_reset:
            out["rss_peak_above_empty_window_mb"] = round(_rss_mb("VmHWM") - base, 1)
        out["load_average_at_end"] = round(os.getloadavg()[0], 2)
        panel.shutdown()
        runner.shutdown()
        services.close()
        panel.close()
        empty.close()
    return out


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(json.dumps(measure(count), indent=2))
