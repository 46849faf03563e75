"""A process adding, trashing and emptying history entries is SIGKILLed again and again at
random moments. Afterwards the database passes SQLite's integrity check, every entry's file is
there with the bytes it was stored with, every entry whose commit was reported is kept, and the
next open (grace period 0) leaves no temporary or unreferenced file behind."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from albumstudio.store.history import HistoryStore
from albumstudio.store.history_files import stray_files

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

KILLS = 25

CHILD = """
import random, sys
from albumstudio.store.history import HistoryStore
folder, seed = sys.argv[1], int(sys.argv[2])
store = HistoryStore(folder, sweep_grace_s=1e9)  # the test counts what is left, then sweeps
rng = random.Random(seed)
print("ready", flush=True)
data = b""
n = 0
while True:
    if n % 3 != 2 or not data:  # every third entry shares the file of the one before
        data = rng.randbytes(rng.randint(50_000, 600_000))
    item = store.add("cover", data, ".png", request={"prompt": f"entry {seed} {n}"})
    n += 1
    print("add", item.job_id, item.file_hash, int(n % 2 == 0), flush=True)
    if n % 2 == 0:  # a kill may land after this commit, before its line is printed
        store.trash([item.job_id])
        print("trash", item.job_id, flush=True)
    if n % 3 == 0:
        store.empty_trash()
        print("emptied", flush=True)
"""


def test_killing_the_writer_at_random_moments_never_corrupts_nor_leaves_stray_files(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    folder = tmp_path / "history"
    rng = random.Random(13)
    reported: dict[int, str] = {}  # entries whose commit the writer reported
    trashed: set[int] = set()  # those it then moves to the trash
    for kill in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(kill)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env)
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first == "ready\n", child.communicate()[1]
        added = child.stdout.readline()  # it is in its loop: the kill lands while it writes
        time.sleep(rng.uniform(0.0, 0.1))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, err
        for line in (added + out).splitlines():
            words = line.split()
            if words[:1] == ["add"] and len(words) == 4:
                reported[int(words[1])] = words[2]
                if words[3] == "1":  # about to go to the trash (and maybe emptied later)
                    trashed.add(int(words[1]))
    assert len(reported) >= KILLS  # every writer had committed before it was killed

    db = sqlite3.connect(folder / "history.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT outputs.job_id, file_hash, file_ext FROM outputs").fetchall()
        jobs = {int(r[0]) for r in db.execute("SELECT id FROM jobs")}
    finally:
        db.close()
    kept_ids = set(reported) - trashed
    assert kept_ids <= jobs  # nothing whose commit was reported is lost
    assert trashed - jobs  # some trash was emptied (and their files went, or stayed shared)
    for job_id, file_hash, ext in rows:
        path = folder / "files" / file_hash[:2] / f"{file_hash}{ext}"
        assert hashlib.blake2b(path.read_bytes(), digest_size=20).hexdigest() == file_hash, job_id
    referenced = {f"{h}{e}" for _, h, e in rows}
    before = stray_files(folder / "files", referenced)

    store = HistoryStore(folder, sweep_grace_s=0)
    try:
        assert store.notice == ""
        after = stray_files(folder / "files", referenced)
        assert after == []
        assert store.swept.temporaries + store.swept.unreferenced == len(before)
        assert {r.id for r in store.records(limit=100_000)} >= kept_ids
    finally:
        store.close()
    print(f"\nkill test: {KILLS} kills, {len(reported)} entries reported committed, "
          f"{len(before)} stray files before the next open "
          f"({sum(p.name.startswith('.albumstudio-') for p in before)} temporaries), "
          f"{len(after)} after")
