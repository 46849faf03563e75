"""Release kits for a whole catalogue, on this machine or on a Ray cluster.

Qt-free, used by ``albumstudio batch``. Every row of the catalogue (core.catalogue) becomes the
release kit the ``kit`` command makes (services.kit), in its own folder under the output
folder. Workers only *prepare* kits (cover, checks, poster, clip: the slow part); the finished
kits come back to this process as bytes and are written here, one at a time, by the kit's own
writer, whole or not at all. So a worker killed mid-batch, or Ctrl+C, leaves no half-written
folder: the release is retried (or reported) and nothing is written twice.

Resumable: a release whose folder is already complete (every file listed in its
``release.json`` with matching SHA-256, and nothing else) is skipped; a folder of that name that
does not match is reported and left untouched. A failing release is one sentence in the
summary and the others go on.

Runners: a pool of worker processes (``concurrent.futures.ProcessPoolExecutor``, forkserver
or spawn) by default, or Ray (``pip install 'albumstudio[cluster]'``): offline-tier kits in
plain tasks, model kits (the diffusion engine) in actors that load their models once and keep
them, one per GPU.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from albumstudio.core.catalogue import Release, read_catalogue
from albumstudio.core.distributors import profile_names
from albumstudio.core.errors import CancelledError, InputError, UserFacingError
from albumstudio.core.jobs import JobRecord
from albumstudio.core.text import display_name
from albumstudio.export.kit_checks import NEAR_DUPLICATE_BITS, hash_distance, read_ledger
from albumstudio.export.kit_writer import KIT_TEMP_PREFIX, MANIFEST
from albumstudio.export.safe_names import kit_folder_name, safe_component
from albumstudio.services.kit import ENGINES, KitRequest, PreparedKit, kit_steps
from albumstudio.store.paths import DataPaths

RAY_INSTALL = "pip install 'albumstudio[cluster]'"
MAX_ATTEMPTS = 3  # a release whose worker dies is tried this many times in all
MODEL_ENGINES = ("diffusion",)  # kits whose cover needs a model: Ray actors keep it loaded
WRITE_STAGE = "writing the folder"


class ClusterMissingError(InputError):
    """Ray was asked for and is not installed."""


# --------------------------------------------------------------------------- what is made


@dataclass(frozen=True)
class BatchJob:
    """One release to prepare: the kit request and where to find the app's data."""

    row: int
    release: str  # the folder name, "Artist - Title"
    request: KitRequest
    paths: DataPaths
    track_bytes: bytes | None = None  # shipped to a cluster that may not see our files
    image_bytes: bytes | None = None


@dataclass(frozen=True)
class Prepared:
    """What a worker sends back: the prepared kit (every file as bytes) and its stage times."""

    row: int
    prepared: PreparedKit
    stages: dict[str, float]
    worker: str


@dataclass
class BatchEvent:
    """Progress of the batch: ``kind`` is started, done, skipped, failed or retry."""

    kind: str
    row: int
    release: str
    finished: int  # done + skipped + failed so far
    total: int
    running: int
    eta_s: float | None
    seconds: float = 0.0
    reason: str = ""
    folder: str = ""


@dataclass
class BatchSummary:
    catalogue: str
    out: str
    cluster: str
    workers: int
    total: int
    done: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # seconds, summed over releases
    retried: int = 0
    swept: int = 0  # unfinished folders left by a batch killed while writing, removed
    model_actors: int = 0  # Ray actors that kept a model kit's models loaded
    wall_s: float = 0.0
    cancelled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"catalogue": self.catalogue, "out": self.out, "cluster": self.cluster,
                "workers": self.workers, "total": self.total, "done": self.done,
                "skipped": self.skipped, "failed": self.failed,
                "stages_s": {k: round(v, 3) for k, v in self.stages.items()},
                "retried": self.retried, "swept": self.swept,
                "model_actors": self.model_actors,
                "wall_s": round(self.wall_s, 3),
                "cancelled": self.cancelled}


# --------------------------------------------------------------------------- worker side

_SERVICES: dict[str, Any] = {}


def _worker_init(threads: int) -> None:
    """Each pool worker: Ctrl+C is the batch's to handle; a fair share of the cores."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import torch

        torch.set_num_threads(max(1, threads))
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def _kits(paths: DataPaths) -> Any:
    """The worker's kit service, opened once per process and kept (with its loaded models)."""
    key = f"{paths.data}|{paths.cache}"
    if key not in _SERVICES:
        from albumstudio.services import Services
        from albumstudio.services.kit import KitService

        _SERVICES[key] = KitService(Services.open(paths.ensure(), with_history=False))
    return _SERVICES[key]


def _inline(record: JobRecord | None, renamed: dict[str, str]) -> JobRecord | None:
    """The record with every output's bytes held in it (it may travel to another machine),
    and the paths of the worker's copies of the track and picture (``renamed``) given back
    as the catalogue names them, so the kit records the same request wherever it was made."""
    if record is None:
        return None
    outputs = tuple(o if o.data is not None or not o.path
                    else replace(o, data=Path(o.path).read_bytes()) for o in record.outputs)
    request = {k: renamed.get(v, v) if isinstance(v, str) else v
               for k, v in record.request.items()}
    return replace(record, outputs=outputs, request=request)


def _local_copy(path: str | None, data: bytes | None, scratch: Path) -> str | None:
    """``path`` when this machine has it; otherwise ``data`` written under ``scratch``."""
    if path is None or data is None or Path(path).is_file():
        return path
    target = scratch / safe_component(Path(path).name, fallback="file")
    target.write_bytes(data)
    return str(target)


class _StageClock:
    """A kit's progress callback that adds up the seconds spent in each of its steps."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.name = ""
        self.at = time.perf_counter()
        self.names = kit_steps()  # the kit's own steps, registered targets' included

    def __call__(self, report: Any) -> None:
        step = report.step
        name = self.names[step - 1] if 0 < step <= len(self.names) else ""
        if name != self.name:
            self.stop()
            self.name = name

    def stop(self) -> None:
        now = time.perf_counter()
        if self.name:
            self.stages[self.name] = self.stages.get(self.name, 0.0) + now - self.at
        self.at = now


def prepare_release(job: BatchJob) -> Prepared:
    """Prepare one release's kit (runs in a worker); InputError etc. for the summary."""
    clock = _StageClock()
    with tempfile.TemporaryDirectory(prefix="albumstudio-batch-") as scratch:
        request = job.request
        track = _local_copy(request.track, job.track_bytes, Path(scratch))
        image = _local_copy(request.image, job.image_bytes, Path(scratch))
        local = replace(request, track=track or request.track, image=image,
                        out=request.out if Path(request.out).is_dir() else scratch)
        prepared = _kits(job.paths).prepare(local, clock)
        clock.stop()
        renamed = {copy: given for copy, given in ((track, request.track),
                                                   (image, request.image))
                   if copy and given and copy != given}
        prepared = replace(prepared, request=request, cover=_inline(prepared.cover, renamed),
                           poster=_inline(prepared.poster, renamed),
                           clip=_inline(prepared.clip, renamed))
    return Prepared(job.row, prepared, clock.stages, f"{os.uname().nodename}:{os.getpid()}")


class _ModelWorker:
    """A Ray actor (one per GPU): its kit service and the models it loads are kept."""

    def prepare(self, job: BatchJob) -> Prepared:
        return prepare_release(job)


# --------------------------------------------------------------------------- runners


class _PoolRunner:
    """Worker processes on this machine; a pool broken by a killed worker is replaced."""

    name = "local"
    shared_fate = True  # one killed worker breaks the pool and every release in it

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.threads = max(1, (os.cpu_count() or 1) // workers)
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                                   else "spawn")
        self.pool: cf.ProcessPoolExecutor | None = None

    def _pool(self) -> cf.ProcessPoolExecutor:
        if self.pool is None:
            self.pool = cf.ProcessPoolExecutor(self.workers, mp_context=self.context,
                                               initializer=_worker_init,
                                               initargs=(self.threads,))
        return self.pool

    def submit(self, job: BatchJob) -> Any:
        try:
            return self._pool().submit(prepare_release, job)
        except cf.process.BrokenProcessPool:  # a worker died while the pool was idle
            self.close(kill=True)
            return self._pool().submit(prepare_release, job)

    def wait(self, handles: Sequence[Any], timeout: float) -> list[Any]:
        done, _ = cf.wait(handles, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, handle: Any) -> Prepared:
        """The worker's result; ``_WorkerDied`` when its process died."""
        try:
            result: Prepared = handle.result()
        except cf.process.BrokenProcessPool:
            self.close(kill=True)
            raise _WorkerDied() from None
        return result

    def close(self, kill: bool = False) -> None:
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if kill:  # nothing a worker holds is ours to keep: it writes nothing
            for process in list(getattr(pool, "_processes", {}).values()):
                if process.is_alive():
                    process.kill()
        pool.shutdown(wait=True, cancel_futures=True)


class _RayRunner:
    """Tasks (offline tiers) and model actors (one per GPU) on a Ray cluster."""

    shared_fate = False

    def __init__(self, address: str, workers: int, ship_files: bool) -> None:
        ray = require_ray()
        self.ray = ray
        self.submitted: list[Any] = []
        self.ship_files = ship_files
        self.started = False
        try:
            if not ray.is_initialized():
                if address == "local":
                    ray.init(address="local", num_cpus=workers, include_dashboard=False,
                             log_to_driver=False,
                             _node_ip_address="127.0.0.1", logging_level="ERROR",
                             configure_logging=False)
                else:
                    ray.init(address=address, log_to_driver=False, logging_level="ERROR",
                             configure_logging=False)
                self.started = True
        except (ConnectionError, RuntimeError, ValueError) as exc:
            # Ray's clusters ask for a token by default, and a driver joining by address
            # sends one only when told to (RAY_AUTH_MODE=token, with RAY_AUTH_TOKEN or the
            # token file `ray start` made)
            hint = "" if address == "local" or os.environ.get("RAY_AUTH_MODE") else \
                "; if the cluster uses Ray's token authentication, set RAY_AUTH_MODE=token " \
                "(and RAY_AUTH_TOKEN) and run again"
            raise InputError(f"Could not reach the Ray cluster at '{address}' "
                             f"({str(exc).splitlines()[0][:160]}){hint}.") from None
        self.name = "ray local" if address == "local" else f"ray {address}"
        self.task = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(prepare_release)
        gpus = int(ray.cluster_resources().get("GPU", 0))
        # model kits: actors that keep their models, one per GPU (one on the CPUs without)
        self.actor_class = ray.remote(num_gpus=1 if gpus else 0, num_cpus=1)(_ModelWorker)
        self.actor_count = max(1, gpus)
        self.actors: list[Any] = []
        self.actors_started = 0
        self.turn = 0

    def submit(self, job: BatchJob) -> Any:
        if self.ship_files:
            job = replace(job, track_bytes=Path(job.request.track).read_bytes(),
                          image_bytes=Path(job.request.image).read_bytes()
                          if job.request.image else None)
        if job.request.engine in MODEL_ENGINES:
            if len(self.actors) < self.actor_count:
                self.actors.append(self.actor_class.remote())
                self.actors_started += 1
            actor = self.actors[self.turn % len(self.actors)]
            self.turn += 1
            ref = actor.prepare.remote(job)
        else:
            ref = self.task.remote(job)
        self.submitted.append(ref)
        return ref

    def wait(self, handles: Sequence[Any], timeout: float) -> list[Any]:
        done, _ = self.ray.wait(list(handles), num_returns=1, timeout=timeout)
        return list(done)

    def result(self, handle: Any) -> Prepared:
        exceptions = self.ray.exceptions
        try:
            result: Prepared = self.ray.get(handle)
        except (exceptions.WorkerCrashedError, exceptions.ActorDiedError,
                exceptions.NodeDiedError):
            raise _WorkerDied() from None
        except exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)  # what the task raised, as it raised it
            if isinstance(cause, UserFacingError):
                raise cause from None
            raise RuntimeError(str(cause or exc).strip().splitlines()[-1][:200]) from None
        return result

    def close(self, kill: bool = False) -> None:
        if kill:
            for ref in self.submitted:
                try:
                    self.ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - finished or gone already
                    pass
        self.submitted = []
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors = []
        if self.started:
            self.ray.shutdown()
            self.started = False


class _WorkerDied(Exception):
    pass


def require_ray() -> Any:
    """The ``ray`` module; ClusterMissingError (one sentence, how to install it) without."""
    try:
        import ray
    except ImportError:
        raise ClusterMissingError("Ray is not installed, so there is no cluster to run on; "
                                  f"install it with: {RAY_INSTALL}") from None
    return ray


# --------------------------------------------------------------------------- the batch


def default_workers(releases: int) -> int:
    """Half the cores (each kit makes its clip beside its cover), at least one, at most one
    per release."""
    return max(1, min(releases, (os.cpu_count() or 2) // 2))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def folder_state(folder: Path) -> str:
    """"missing", "complete" (release.json lists every file, hashes matching, nothing else)
    or "different"."""
    if not folder.exists():
        return "missing"
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        listed = {f["path"]: f["sha256"] for f in manifest["files"]}
        on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        if on_disk != set(listed) | {MANIFEST}:
            return "different"
        return "complete" if all(_sha256(folder / p) == h for p, h in listed.items()) \
            else "different"
    except (OSError, ValueError, KeyError, TypeError):
        return "different"


@dataclass(frozen=True)
class BatchPlan:
    catalogue: Path
    out: Path
    releases: list[Release]
    names: list[str]  # each release's folder name


def catalogue_time(catalogue: Path) -> int:
    """The time every kit of a catalogue records as "created" unless its row gives one:
    ``SOURCE_DATE_EPOCH`` when set, else the catalogue file's own modification time. Either
    way the same catalogue gives the same release.json, on this machine or any worker,
    whatever the time or time zone of the run."""
    from albumstudio.export.kit_manifest import created_stamp

    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        created_stamp()  # one sentence when it is not a number
        return int(os.environ["SOURCE_DATE_EPOCH"].strip())
    return int(catalogue.stat().st_mtime)


def plan_batch(catalogue: str | os.PathLike[str], out: str | os.PathLike[str]) -> BatchPlan:
    """Read and check the whole catalogue before anything is made (InputError, one
    sentence naming the row); the output folder may not exist yet (its parent must). Each
    release gets its row's ``created`` time or :func:`catalogue_time`."""
    from albumstudio.export.kit_writer import check_out_folder

    releases = read_catalogue(Path(catalogue), profile_names(), ENGINES)
    stamp = catalogue_time(Path(catalogue))
    releases = [r if r.created is not None else replace(r, created=stamp) for r in releases]
    out_path = Path(out)
    check_out_folder(out_path if out_path.exists() else out_path.resolve().parent)
    names: list[str] = []
    seen: dict[str, tuple[int, str]] = {}
    for release in releases:
        name = kit_folder_name(release.artist, release.title)
        if name.casefold() in seen:
            first, same = seen[name.casefold()]
            raise InputError(f"Rows {first} and {release.row} of "
                             f"'{display_name(str(catalogue))}' are both '{same}'; each release "
                             "needs its own title and artist.")
        seen[name.casefold()] = (release.row, name)
        names.append(name)
    return BatchPlan(Path(catalogue), out_path, releases, names)


def _request(release: Release, out: Path) -> KitRequest:
    return KitRequest(track=release.track, out=str(out), image=release.image,
                      style=release.style, title=release.title, artist=release.artist,
                      qr_url=release.qr_url, profile=release.profile, engine=release.engine,
                      seed=release.seed, record=False, created=release.created)


class BatchService:
    """Runs a catalogue's kits with this process's kit service writing every folder."""

    def __init__(self, kits: Any) -> None:
        self.kits = kits  # services.kit.KitService of this process (checks and writing)

    def check(self, plan: BatchPlan) -> None:
        """The kit's own cheap checks for every row (track format, QR link …), first."""
        where = plan.out if plan.out.is_dir() else plan.out.resolve().parent
        for release in plan.releases:
            try:
                self.kits.check_request(_request(release, where))
            except InputError as exc:
                raise InputError(f"Row {release.row} of "
                                 f"'{display_name(str(plan.catalogue))}': {exc}") from None

    def run(self, plan: BatchPlan, workers: int | None = None, cluster: str | None = None,
            events: Callable[[BatchEvent], None] | None = None,
            cancel: threading.Event | None = None) -> BatchSummary:
        """Make every missing kit; the summary. Ctrl+C (KeyboardInterrupt) or ``cancel``
        stops the workers and returns the summary with ``cancelled`` set."""
        self.check(plan)
        if cluster is not None:
            require_ray()
        started = time.perf_counter()
        count = workers or default_workers(len(plan.releases))
        where = "worker pool" if cluster is None else \
            "Ray, local cluster" if cluster == "local" else f"Ray at {cluster}"
        summary = BatchSummary(str(plan.catalogue), str(plan.out), where, count,
                               len(plan.releases))
        plan.out.mkdir(exist_ok=True)
        summary.swept = sweep_abandoned(plan.out)
        todo: deque[tuple[Release, str]] = deque()
        tally = _Tally(summary, events, started)
        for release, name in zip(plan.releases, plan.names, strict=True):
            folder = plan.out / safe_component(name, fallback="Release")
            state = folder_state(folder)
            if state == "complete":
                summary.skipped.append({"row": release.row, "release": name,
                                        "folder": str(folder)})
                tally.emit("skipped", release.row, name, folder=str(folder))
            elif state == "different":
                tally.fail(release.row, name, f"the folder '{folder.name}' is already there but "
                           f"does not match its {MANIFEST}; move it aside to make this release "
                           "again")
            else:
                todo.append((release, name))
        if not todo:
            summary.wall_s = time.perf_counter() - started
            return summary
        runner: Any = _PoolRunner(count) if cluster is None else \
            _RayRunner(cluster, count, ship_files=cluster != "local")
        try:
            self._drive(plan, runner, todo, count, tally, cancel)
        except (KeyboardInterrupt, CancelledError):
            summary.cancelled = True
            runner.close(kill=True)
        finally:
            summary.model_actors = getattr(runner, "actors_started", 0)
            runner.close()
        summary.wall_s = time.perf_counter() - started
        return summary

    def _drive(self, plan: BatchPlan, runner: Any, todo: deque[tuple[Release, str]],
               count: int, tally: _Tally, cancel: threading.Event | None) -> None:
        attempts: dict[int, int] = {}
        running: dict[Any, tuple[Release, str, float]] = {}
        while todo or running:
            if cancel is not None and cancel.is_set():
                raise CancelledError("making the catalogue's kits")
            while todo and len(running) < count:
                release, name = todo.popleft()
                job = BatchJob(release.row, name, _request(release, plan.out),
                               self.kits.services.paths)
                running[runner.submit(job)] = (release, name, time.perf_counter())
                tally.running = len(running)
                tally.emit("started", release.row, name)
            for handle in runner.wait(list(running), 0.2):
                if handle not in running:  # sent back to the queue with a broken pool
                    continue
                release, name, began = running.pop(handle)
                tally.running = len(running)
                try:
                    made = runner.result(handle)
                    folder = self._write(made, name)
                except _WorkerDied:
                    attempts[release.row] = attempts.get(release.row, 0) + 1
                    if attempts[release.row] < MAX_ATTEMPTS:
                        tally.summary.retried += 1
                        tally.emit("retry", release.row, name,
                                   reason="its worker process stopped; trying again")
                        todo.appendleft((release, name))
                        # a replaced pool: what else ran there is tried again too
                        for other, (rel, nm, _t) in list(running.items()):
                            if runner.shared_fate:
                                running.pop(other)
                                todo.appendleft((rel, nm))
                        tally.running = len(running)
                    else:
                        tally.fail(release.row, name, f"its worker process stopped "
                                   f"{MAX_ATTEMPTS} times (killed, or out of memory)")
                except UserFacingError as exc:
                    tally.fail(release.row, name, str(exc))
                except (OSError, RuntimeError, ValueError) as exc:
                    tally.fail(release.row, name, f"it could not be made ({type(exc).__name__}:"
                               f" {str(exc).splitlines()[0][:160] if str(exc) else ''})")
                else:
                    seconds = time.perf_counter() - began
                    for stage, spent in made.stages.items():
                        tally.summary.stages[stage] = tally.summary.stages.get(stage, 0.0) + \
                            spent
                    tally.done(release.row, name, str(folder), seconds, made.worker)

    def _write(self, made: Prepared, name: str) -> Path:
        """Write the prepared kit here, whole or not at all, unless a check failed or another
        release of this batch (or before it) has the same cover."""
        prepared = made.prepared
        from albumstudio.export.kit_checks import blocking

        failed = blocking(prepared.checks)
        if failed:
            reasons = "; ".join(f"{c.name}: {c.reason}" for c in failed)
            raise InputError(f"the cover would be rejected ({reasons})")
        twin = next((e for e in read_ledger(self.kits.ledger_path)
                     if e["release"] != prepared.folder_name
                     and hash_distance(e["phash"], prepared.cover_hash) <= NEAR_DUPLICATE_BITS),
                    None)
        if twin is not None:
            raise InputError(f"its cover looks the same as the cover exported for "
                             f"'{twin['release']}'")
        began = time.perf_counter()
        result = self.kits.write(prepared)
        made.stages[WRITE_STAGE] = made.stages.get(WRITE_STAGE, 0.0) + \
            time.perf_counter() - began
        folder: Path = result.folder
        return folder


class _Tally:
    """Counts, ETA and the events of a batch."""

    def __init__(self, summary: BatchSummary, events: Callable[[BatchEvent], None] | None,
                 started: float) -> None:
        self.summary = summary
        self.events = events
        self.started = started
        self.work_started = time.perf_counter()
        self.running = 0

    @property
    def finished(self) -> int:
        s = self.summary
        return len(s.done) + len(s.skipped) + len(s.failed)

    def eta(self) -> float | None:
        made = len(self.summary.done) + len(self.summary.failed)
        if not made:
            return None
        left = self.summary.total - self.finished
        return (time.perf_counter() - self.work_started) / made * left

    def emit(self, kind: str, row: int, release: str, seconds: float = 0.0, reason: str = "",
             folder: str = "") -> None:
        if self.events is not None:
            self.events(BatchEvent(kind, row, release, self.finished, self.summary.total,
                                   self.running, self.eta(), seconds, reason, folder))

    def done(self, row: int, release: str, folder: str, seconds: float, worker: str) -> None:
        self.summary.done.append({"row": row, "release": release, "folder": folder,
                                  "seconds": round(seconds, 3), "worker": worker})
        self.emit("done", row, release, seconds, folder=folder)

    def fail(self, row: int, release: str, reason: str) -> None:
        self.summary.failed.append({"row": row, "release": release, "reason": reason})
        self.emit("failed", row, release, reason=reason)


def leftover_temporaries(out: Path, older_than_s: float = 0.0) -> list[Path]:
    """Hidden folders the kit writer uses while writing, left in ``out`` (none after a batch:
    only this process writes, and its writer removes them on any failure), last changed more
    than ``older_than_s`` ago."""
    cutoff = time.time() - older_than_s
    found = []
    for path in out.glob(f"{KIT_TEMP_PREFIX}*"):
        try:
            if path.is_dir() and path.stat().st_mtime <= cutoff:
                found.append(path)
        except OSError:
            continue
    return sorted(found)


def sweep_abandoned(out: Path) -> int:
    """Remove unfinished kit folders a batch killed while writing left in ``out`` (untouched
    for the grace period, so a kit being written right now is not disturbed)."""
    import shutil

    from albumstudio.store.files import TEMP_GRACE_S

    gone = 0
    for path in leftover_temporaries(out, TEMP_GRACE_S):
        shutil.rmtree(path, ignore_errors=True)
        gone += not path.exists()
    return gone
