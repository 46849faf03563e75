"""``albumstudio batch --cluster ADDRESS``: joining a Ray cluster someone else started. A Ray
head is started here in its own process (``ray start --head --block`` on 127.0.0.1, one CPU,
its own port, temporary folder and authentication token, as Ray asks for one by default) and
stopped after; the batch joins it by address (RAY_AUTH_MODE=token, RAY_AUTH_TOKEN), ships the
tracks and pictures as bytes (a remote worker may not see our files), writes every kit here,
and leaves the cluster running for its owner. Its kits are the local pool's, byte for byte.
Skipped where Ray (the 'cluster' extra) is not installed."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from albumstudio.services import Services
from albumstudio.services.batch import BatchService, folder_state, leftover_temporaries, plan_batch
from albumstudio.services.kit import KitService
from albumstudio.store.paths import DataPaths
from tests.export.test_kit_checker import independent_check
from tests.support.batch_catalogue import kit_bytes, make_catalogue

ray = pytest.importorskip(
    "ray", reason="Ray is not installed (pip install 'albumstudio[cluster]' to run these)")
RAY = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepting(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def head():
    """A Ray head of its own (not this process's): the address to join, stopped after."""
    if not Path(RAY).exists():
        pytest.skip("the 'ray' command is not installed")
    port = free_port()
    temp = tempfile.mkdtemp(prefix="as-ray-")  # short: Ray's socket paths have a length limit
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    saved = {k: os.environ.get(k) for k in token}
    env = {**os.environ, **token, "RAY_USAGE_STATS_ENABLED": "0"}
    process = subprocess.Popen(
        [RAY, "start", "--head", "--block", f"--port={port}", "--num-cpus=1",
         "--node-ip-address=127.0.0.1", "--include-dashboard=false", "--disable-usage-stats",
         f"--temp-dir={temp}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    started = time.perf_counter()
    while not accepting(port):
        if process.poll() is not None or time.perf_counter() - started > 90:
            process.kill()
            error = process.stderr.read().decode(errors="replace")[-400:] if process.stderr \
                else ""
            shutil.rmtree(temp, ignore_errors=True)
            pytest.skip(f"a Ray head could not be started here: {error}")
        time.sleep(0.3)
    print(f"\nRay head on 127.0.0.1:{port} in {time.perf_counter() - started:.1f} s")
    os.environ.update(token)  # what the user of a token cluster sets to join it
    try:
        yield f"127.0.0.1:{port}", process, port
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    process.send_signal(signal.SIGTERM)  # `ray start --block` stops what it started
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only what it started
        process.wait(10)
    time.sleep(1.0)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # a straggling worker of that session
    except ProcessLookupError:
        pass
    shutil.rmtree(temp, ignore_errors=True)


def batch_command(*args: object, home: Path, env: dict[str, str] | None = None,
                  ) -> subprocess.CompletedProcess[str]:
    """``albumstudio batch …`` in a fresh process, as a label runs it (Ray reads its
    authentication settings when it is first imported)."""
    return subprocess.run([sys.executable, "-m", "albumstudio", "batch", *map(str, args)],
                          env={**(env or os.environ), "QT_QPA_PLATFORM": "offscreen",
                               "ALBUMSTUDIO_HOME": str(home)},
                          capture_output=True, text=True, timeout=400)


def test_a_batch_joins_a_running_cluster_by_address_and_leaves_it_running(head, tmp_path):
    address, process, port = head
    catalogue, expected = make_catalogue(tmp_path, rows=2, seconds=3.0)
    joined = batch_command(catalogue, "--out", tmp_path / "joined", "--cluster", address,
                           "--workers", 2, "--json", home=tmp_path / "home")
    assert joined.returncode == 0, joined.stderr[-2000:]
    summary = json.loads(joined.stdout)
    assert summary["cluster"] == f"Ray at {address}" and not summary["failed"]
    assert sorted(d["release"] for d in summary["done"]) == sorted(expected)
    workers = {int(d["worker"].rsplit(":", 1)[1]) for d in summary["done"]}
    assert workers and all(pid != process.pid for pid in workers)  # the cluster's workers
    assert process.poll() is None and accepting(port)  # the cluster is left running
    # without the token the cluster refuses us: one sentence that says what to set
    refused = batch_command(catalogue, "--out", tmp_path / "refused", "--cluster", address,
                            home=tmp_path / "home", env={k: v for k, v in os.environ.items()
                                                         if not k.startswith("RAY_AUTH")})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    sentence = refused.stderr.strip().splitlines()[-1]
    assert sentence.startswith(f"albumstudio: error: Could not reach the Ray cluster at '{address}'")
    assert sentence.endswith("set RAY_AUTH_MODE=token (and RAY_AUTH_TOKEN) and run again.")
    again = batch_command(catalogue, "--out", tmp_path / "joined", "--cluster", address,
                          "--json", home=tmp_path / "home")
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(json.loads(again.stdout)["skipped"]) == len(expected)
    services = Services.open(DataPaths(tmp_path / "data", tmp_path / "cache").ensure(),
                             with_history=False)
    try:
        local = BatchService(KitService(services)).run(
            plan_batch(catalogue, tmp_path / "pool"), workers=1)
        assert not local.failed
    finally:
        services.close()
    for name, (track, digest, profile) in expected.items():
        independent_check(tmp_path / "joined" / name, track, digest, profile)
        assert folder_state(tmp_path / "joined" / name) == "complete"
        assert kit_bytes(tmp_path / "joined" / name) == kit_bytes(tmp_path / "pool" / name)
    assert not leftover_temporaries(tmp_path / "joined")
