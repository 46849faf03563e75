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


WRITER = ("import sys, time\n"
          "from albumstudio.store.history import HistoryQuery, HistoryStore\n"
          "folder, me, other, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
          "store = HistoryStore(folder)\n"
          "for n in range(count):\n"
          "    store.add('cover', f'{me} {n}'.encode(), '.png', request={'prompt': me})\n"
          "    if n % 5 == 0:\n"
          "        store.set_favourite([store.records(limit=1)[0].id])\n"
          "deadline = time.time() + 60\n"
          "while store.count_entries(HistoryQuery(search=other)) < count:\n"
          "    assert time.time() < deadline, 'never saw the other writer finish'\n"
          "    time.sleep(0.02)\n"
          "print(store.count_entries(HistoryQuery(search=other)))\n"
          "store.close()\n")


def test_two_processes_writing_one_history_both_keep_working_and_see_each_other(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    folder = tmp_path / "shared"
    runs = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), me, other, "40"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for me, other in (("alpha", "beta"), ("beta", "alpha"))]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["40", "40"]
    from albumstudio.store.history import HistoryStore

    store = HistoryStore(folder)
    try:
        assert store.count_entries() == 80 and len(store.items(limit=1000)) == 80
    finally:
        store.close()
