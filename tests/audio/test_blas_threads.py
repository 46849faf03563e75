"""One BLAS thread held across the analysis's and the tagger's threads, and tags predicted on
worker threads equal to tags predicted one batch after another."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from albumstudio.audio import blas, tagger
from albumstudio.core.errors import CancelledError


class _Limits:
    """Stands in for threadpoolctl's limits: records when the limit is set and restored."""

    log: list[str] = []

    def __init__(self) -> None:
        self.log.append("one thread")

    def restore_original_limits(self) -> None:
        self.log.append("restored")


def test_the_limit_lasts_until_the_last_holder_leaves_then_is_restored(monkeypatch):
    monkeypatch.setattr(blas, "_limit_to_one", _Limits)
    _Limits.log = []
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, list[str]] = {}

    def first() -> None:
        with blas.one_blas_thread():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with blas.one_blas_thread():
            second_in.set()
            first_out.wait(10)  # the first holder has left: the limit must still hold
            seen["after_first_left"] = list(_Limits.log)
            seen["held"] = [str(blas.held())]

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # set by each holder (OpenBLAS may ignore one thread's setting), restored once, by the last
    assert seen == {"after_first_left": ["one thread", "one thread"], "held": ["True"]}
    assert _Limits.log == ["one thread", "one thread", "restored"]
    assert not blas.held()
    def next_holder() -> None:  # and set again for the next holder
        with blas.one_blas_thread():
            pass

    again = threading.Thread(target=next_holder)
    again.start()
    again.join(10)
    assert _Limits.log[3:] == ["one thread", "restored"]


def test_the_main_thread_leaves_the_limit_in_place(monkeypatch):
    # OpenBLAS lets no other thread set the count again once the main thread has
    monkeypatch.setattr(blas, "_limit_to_one", _Limits)
    _Limits.log = []
    with blas.one_blas_thread():
        pass
    assert _Limits.log == ["one thread"]
    assert not blas.held()


def test_the_real_limit_holds_blas_to_one_thread():
    from threadpoolctl import threadpool_info

    if not any(lib["user_api"] == "blas" for lib in threadpool_info()):
        pytest.skip("numpy has no BLAS that threadpoolctl can see")
    with blas.one_blas_thread():
        assert {lib["num_threads"] for lib in threadpool_info()
                if lib["user_api"] == "blas"} == {1}


def _signal(seconds: float, seed: int) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).standard_normal(int(16000 * seconds))
            ).astype(np.float32)


def test_tags_predicted_on_workers_equal_tags_predicted_in_turn(monkeypatch):
    samples = _signal(3 * 20 + 1.3, 4)  # 20 patches: three batches, the last one partial
    on_workers = tagger.tag_samples(samples)
    monkeypatch.setattr(tagger, "WORKERS", 1)
    in_turn = tagger.tag_samples(samples)
    assert len(on_workers.taggram) == 20
    np.testing.assert_array_equal(np.array(on_workers.taggram), np.array(in_turn.taggram))


def test_a_cancel_while_workers_predict_stops_the_tags():
    cancel = threading.Event()
    progress_seen = []

    def progress(fraction: float, words: str) -> None:
        progress_seen.append(fraction)
        cancel.set()  # after the first batch is back

    with pytest.raises(CancelledError):
        tagger.tag_samples(_signal(3 * 40, 5), cancel=cancel, progress=progress)
    assert progress_seen and progress_seen[0] < 1.0
    assert not blas.held()


def _fresh(code: str, **env: str) -> dict:
    import json
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    environment.update(env)
    out = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_REPORT = """
import json, os
import numpy as np
from threadpoolctl import threadpool_info
np.ones((300, 300)) @ np.ones((300, 300))
blas = {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
print(json.dumps({"blas": sorted(blas), "threads": len(os.listdir("/proc/self/task")),
                  "env": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


def test_the_process_runs_blas_on_one_thread_and_starts_no_blas_worker():
    seen = _fresh("from albumstudio.core.blas_threads import one_thread_for_the_process\n"
                  "one_thread_for_the_process()\n" + _REPORT)
    if not seen["blas"]:
        pytest.skip("numpy has no BLAS that threadpoolctl can see")
    assert seen == {"blas": [1], "threads": 1, "env": "1"}


def test_numpy_loaded_first_is_limited_from_the_main_thread():
    seen = _fresh("import numpy\nfrom albumstudio.core.blas_threads import one_thread_for_the_process\n"
                  "one_thread_for_the_process()\n" + _REPORT)
    if not seen["blas"]:
        pytest.skip("numpy has no BLAS that threadpoolctl can see")
    assert seen["blas"] == [1]


def test_a_thread_count_the_user_chose_is_kept():
    seen = _fresh("from albumstudio.core.blas_threads import one_thread_for_the_process\n"
                  "one_thread_for_the_process()\n" + _REPORT, OPENBLAS_NUM_THREADS="2")
    if not seen["blas"]:
        pytest.skip("numpy has no BLAS that threadpoolctl can see")
    assert seen["blas"] == [2] and seen["env"] == "2"


def test_the_command_line_sets_it_before_numpy_loads():
    seen = _fresh("from albumstudio.cli import main\n"
                  "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
                  + _REPORT)  # one thread: OpenBLAS was loaded after the setting
    if not seen["blas"]:
        pytest.skip("numpy has no BLAS that threadpoolctl can see")
    assert seen == {"blas": [1], "threads": 1, "env": "1"}
