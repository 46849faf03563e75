"""The catalogue batch on a real local Ray cluster (127.0.0.1, started and stopped here, one
for the module): every kit passes the release-kit checker, is the same bytes as the kit the
local worker pool makes, a Ray worker killed mid-batch is retried with nothing partial or
duplicate, and a second run does nothing. Skipped where Ray (the 'cluster' extra) is not
installed."""

from __future__ import annotations

import os
import signal
import threading
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


def ray_task_processes() -> list[int]:
    """Ray worker processes now making a kit (Ray names them after the task they run)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"prepare_release" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray-label")
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, logging_level="ERROR", configure_logging=False)
    print(f"\nlocal Ray cluster up in {time.perf_counter() - started:.1f} s")
    catalogue, expected = make_catalogue(root)
    services = Services.open(DataPaths(root / "data", root / "cache").ensure(),
                             with_history=False)
    yield BatchService(KitService(services)), catalogue, expected, root
    services.close()
    ray.shutdown()


def test_ray_kits_pass_the_checker_and_match_the_local_pool_byte_for_byte(cluster):
    batch, catalogue, expected, root = cluster
    killed: list[int] = []

    def kill_a_ray_worker(event):
        if event.kind == "started" and not killed:
            def kill():
                for pid in ray_task_processes()[:1]:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            threading.Timer(4.0, kill).start()

    on_ray = batch.run(plan_batch(catalogue, root / "ray"), workers=2, cluster="local",
                       events=kill_a_ray_worker)
    assert on_ray.cluster == "Ray, local cluster" and not on_ray.failed, on_ray.failed
    assert sorted(d["release"] for d in on_ray.done) == sorted(expected)
    assert killed, "no Ray worker was found making a kit"
    local = batch.run(plan_batch(catalogue, root / "pool"), workers=2)
    assert not local.failed
    for name, (track, digest, profile) in expected.items():
        independent_check(root / "ray" / name, track, digest, profile)
        assert kit_bytes(root / "ray" / name) == kit_bytes(root / "pool" / name)
    assert sorted(p.name for p in (root / "ray").iterdir()) == sorted(expected)
    assert not leftover_temporaries(root / "ray")
    assert all(folder_state(root / "ray" / name) == "complete" for name in expected)
    assert ray.is_initialized()  # a cluster the batch joined is left running


def test_a_second_ray_run_does_nothing(cluster):
    batch, catalogue, expected, root = cluster
    if not (root / "ray").exists():
        pytest.skip("needs the first test's kits")
    again = batch.run(plan_batch(catalogue, root / "ray"), cluster="local")
    assert not again.done and not again.failed
    assert len(again.skipped) == len(expected)


def test_a_model_kit_goes_to_a_model_actor_and_its_problem_is_one_sentence(cluster, tmp_path):
    """A diffusion row runs in a model actor (on the CPUs here: the cluster has no GPU); the
    model is not installed in this test's data folder, so the actor's sentence comes back."""
    batch, catalogue, expected, root = cluster
    lines = catalogue.read_text("utf-8").splitlines()
    cells = lines[1].split(",")
    cells[2], cells[7] = "Diffused", "diffusion"
    model_row = root / "model.csv"
    model_row.write_text("\n".join([lines[0], ",".join(cells)]) + "\n", "utf-8")
    made = batch.run(plan_batch(model_row, tmp_path / "kits"), cluster="local")
    assert made.model_actors == 1 and not made.done
    [failed] = made.failed
    assert failed["release"] == "Label Band 0 - Diffused"
    assert "\n" not in failed["reason"] and "Traceback" not in failed["reason"]
    assert "model" in failed["reason"].lower(), failed["reason"]
    assert list((tmp_path / "kits").iterdir()) == []


def test_ctrl_c_cancels_the_ray_tasks_and_leaves_no_half_written_folder(cluster, tmp_path):
    batch, catalogue, expected, root = cluster
    out = tmp_path / "kits"
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))

    def interrupt_once_started(event):
        if event.kind == "started" and not timer.is_alive() and not timer.finished.is_set():
            timer.start()

    stopped = batch.run(plan_batch(catalogue, out), workers=2, cluster="local",
                        events=interrupt_once_started)
    timer.join()
    assert stopped.cancelled and len(stopped.done) < len(expected)
    assert not leftover_temporaries(out)
    assert all(folder_state(folder) == "complete" for folder in out.iterdir())
    deadline = time.monotonic() + 30
    while ray_task_processes() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not ray_task_processes()  # the cancelled tasks' workers were stopped
    assert ray.is_initialized()  # the cluster the batch joined is left to its owner
