"""Two processes opening a new history folder at the same moment both succeed (#11 item 6)."""

from __future__ import annotations

import os
import subprocess
import sys

OPEN = ("import sys, time\n"
        "from albumstudio.store.history import HistoryStore\n"
        "start = float(sys.argv[2])\n"
        "while time.time() < start: pass\n"
        "store = HistoryStore(sys.argv[1])\n"
        "store.add('cover', sys.argv[3].encode(), '.png', seed=int(sys.argv[3]))\n"
        "store.close()\n")


def test_two_first_opens_at_once_both_succeed_and_keep_both_entries(tmp_path):
    import time

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for trial in range(8):
        folder = tmp_path / f"history-{trial}"
        start = time.time() + 1.0  # both start together, after their imports
        runs = [subprocess.Popen([sys.executable, "-c", OPEN, str(folder), str(start), str(n)],
                                 env=env, stderr=subprocess.PIPE, text=True) for n in (1, 2)]
        errors = [run.communicate(timeout=60)[1] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], errors
        from albumstudio.store.history import SCHEMA_VERSION, HistoryStore

        store = HistoryStore(folder)
        try:
            assert sorted(item.seed for item in store.items()) == [1, 2]
            assert store.schema_version == SCHEMA_VERSION
        finally:
            store.close()
