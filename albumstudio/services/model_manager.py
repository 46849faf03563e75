"""The model manager: what is on this computer, download, verify, repair, remove, local folders,
licences and devices, for the Models dialog and ``albumstudio models`` alike (Qt-free).

State of each registry entry: ``bundled`` (ships with the app), ``local folder`` (the artist
chose a folder for its role), ``present`` (its needed files are in the Hugging Face cache),
``incomplete`` (some needed file absent, or a download left unfinished), ``damaged`` (the last
check found a file whose content does not match its hash, or a safetensors file cut short),
``missing``. Downloads go to the user's hub cache (see :mod:`albumstudio.store.model_files`) and
queue: one at a time per process, a waiting one can be cancelled.

Which files are the right ones: a download asks for the registry's pinned revision (a commit,
``/{repo}/resolve/{commit}/{file}``), or, for a model the registry pins none for, the commit its
first complete, verified download recorded (trust on first download, kept in the model
settings with every file's sha256 and size), else the hub's newest. Each file is checked against
one basis, said in every check: ``pinned in the app`` (the registry's hash), ``recorded at first
download``, or ``content-addressed only`` (the blob's content against the hash the cache names
it by). A hub that lists another commit or another hash than the pin or the record is refused.

Licences (see :mod:`albumstudio.services.model_licences`): call
``require_acknowledgement(model_or_role)`` before loading a model (it raises a one-sentence
:class:`LicenceNotAcknowledged` until the artist has acknowledged a non-commercial licence once),
and add ``licence_notes(models_used)`` to the job record's notes.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from albumstudio.core.errors import CancelledError, InputError, ModelMissingError
from albumstudio.core.jobs import ProgressFn
from albumstudio.core.model_registry import (
    ModelEntry,
    find_model,
    models,
    role_name,
    use_local_folders,
)
from albumstudio.services.device_info import (
    DeviceReport,
    TimeEstimate,
    device_report,
    time_estimate,
)
from albumstudio.services.model_downloads import (
    ByteMeter,
    DownloadError,
    DownloadProgress,
    OfflineError,
    RemoteFile,
    blob_lock,
    check_reachable,
    content_hash,
    drop_stale_partials,
    fetch_blob,
    file_url,
    hub_endpoint,
    list_files,
    megabytes,
    storage_error,
)
from albumstudio.services.model_licences import (
    Licence,
    LicenceNotAcknowledged,
    acknowledge,
    licence_notes,
    licence_of,
    needs_acknowledgement,
    require_acknowledgement,
)
from albumstudio.store.model_files import (
    CachedFile,
    DiskSpace,
    check_blob,
    file_digest,
    folder_bytes,
    free_bytes,
    hub_cache_dir,
    inspect_repo,
    is_commit,
    link_snapshot_file,
    matches,
    remove_repo,
    repo_folder,
    required_names,
    sha256_of,
    snapshot_commit,
    write_ref,
)
from albumstudio.store.model_settings import ModelSettings
from albumstudio.store.paths import DataPaths, default_paths

__all__ = ["RECOMMENDED_ROLES", "CheckReport", "DeviceReport", "DownloadError",
           "DownloadProgress", "Licence", "LicenceNotAcknowledged", "ModelManager", "ModelStatus",
           "OfflineError", "TimeEstimate", "acknowledge", "apply_local_folders", "device_report",
           "licence_notes", "licence_of", "needs_acknowledgement", "require_acknowledgement",
           "time_estimate"]

STATES = ("bundled", "local folder", "present", "incomplete", "damaged", "missing")
RECOMMENDED_ROLES = ("sd15", "controlnet-canny", "lcm-lora", "captioner")
PINNED, RECORDED, CONTENT = ("pinned in the app", "recorded at first download",
                             "content-addressed only")
_DOWNLOADS = threading.Lock()  # several downloads queue: one at a time per process


@dataclass(frozen=True)
class ModelStatus:
    entry: ModelEntry
    state: str
    detail: str  # one sentence
    bytes_on_disk: int = 0
    commit: str | None = None
    folder: str | None = None  # the local folder, or the snapshot in the hub cache

    @property
    def usable(self) -> bool:
        return self.state in ("bundled", "local folder", "present")

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"role": e.role, "id": e.id, "default": e.default, "state": self.state,
                "detail": self.detail, "license": e.license, "commercial_use": e.commercial_use,
                "size_mb": e.size_mb, "bytes_on_disk": self.bytes_on_disk,
                "revision": e.revision, "commit": self.commit, "folder": self.folder,
                "files": list(e.files), "purpose": e.purpose, "url": e.url, "note": e.note,
                "pinned_hashes": len(e.hashes), "pin_source": e.pin_source}


@dataclass(frozen=True)
class CheckReport:
    """What a verify found: each needed file ``ok``, ``damaged`` or ``unchecked`` (no hash to
    compare with), the needed files that are absent and the unfinished downloads."""

    model_id: str
    commit: str | None
    results: dict[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    partial: int = 0
    basis: dict[str, str] = field(default_factory=dict)  # file → what it was checked against

    @property
    def damaged(self) -> list[str]:
        return [name for name, result in self.results.items() if result == "damaged"]

    @property
    def ok(self) -> bool:
        return not self.damaged and not self.absent and not self.partial

    def sentence(self) -> str:
        checked = sum(1 for r in self.results.values() if r in ("ok", "repaired"))
        if self.damaged:
            against = sorted({self.basis.get(n, CONTENT) for n in self.damaged})
            return (f"{len(self.damaged)} file(s) of {self.model_id} are damaged "
                    f"({', '.join(self.damaged[:3])}; checked against the hashes "
                    f"{' and '.join(against)}): repair downloads them again.")
        if self.absent or self.partial:
            return f"{self.model_id} is incomplete: download it again to finish it."
        unchecked = len(self.results) - checked
        extra = f"; {unchecked} could not be checked (no hash in the cache)" if unchecked else ""
        return (f"All {checked} checked files of {self.model_id} match their hashes"
                f"{self.bases()}{extra}.")

    def bases(self) -> str:
        """" (3 pinned in the app, 1 recorded at first download)": what the checks used."""
        counts = {b: sum(1 for n, r in self.results.items() if self.basis.get(n) == b
                         and r in ("ok", "repaired")) for b in (PINNED, RECORDED, CONTENT)}
        said = [f"{count} {basis}" for basis, count in counts.items() if count]
        return f" ({', '.join(said)})" if said else ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.model_id, "commit": self.commit, "ok": self.ok,
                "files": self.results, "basis": self.basis, "absent": list(self.absent),
                "partial": self.partial, "sentence": self.sentence()}


def apply_local_folders(paths: DataPaths | None = None) -> None:
    """Make the folders the artist chose per role (those that still exist) the models that
    :func:`~albumstudio.core.model_registry.default_model` answers with."""
    chosen = ModelSettings((paths or default_paths()).data).local_folders()
    use_local_folders({r: f for r, f in chosen.items() if Path(f).is_dir()})


class ModelManager:
    """Models in the user's Hugging Face cache (or ``cache``) and their local folders."""

    def __init__(self, paths: DataPaths | None = None, cache: Path | None = None,
                 endpoint: str | None = None) -> None:
        self.paths = paths or default_paths()
        self._cache = cache
        self._endpoint = endpoint
        self.settings = ModelSettings(self.paths.data)

    @property
    def cache(self) -> Path:
        return self._cache or hub_cache_dir()

    @property
    def endpoint(self) -> str:
        return self._endpoint or hub_endpoint()

    def entry(self, role_or_id: str) -> ModelEntry:
        found = find_model(role_or_id)
        if found is None:
            roles = ", ".join(dict.fromkeys(e.role for e in models()))
            raise InputError(f"'{role_or_id}' is neither a model nor a role AlbumStudio knows: "
                             f"use one of {roles} (or an id from `albumstudio models list`).")
        return found

    def revision(self, entry: ModelEntry) -> str | None:
        """The revision the app uses: the registry's pin, else the commit the first download
        recorded, else None (the newest)."""
        if entry.revision:
            return entry.revision
        commit = self.settings.first_download(entry.id).get("commit")
        return str(commit) if is_commit(str(commit)) else None

    def _record(self, entry: ModelEntry, commit: str | None) -> dict[str, Any]:
        """The first download's file record, when it was made at ``commit``."""
        record = self.settings.first_download(entry.id)
        files = record.get("files")
        return files if record.get("commit") == commit and isinstance(files, dict) else {}

    # ---- what is here -------------------------------------------------------------------

    def local_folder(self, role: str) -> str | None:
        return self.settings.local_folders().get(role)

    def set_local_folder(self, role: str, folder: str | None) -> None:
        """Use ``folder`` for ``role`` (None: the registry's model again); InputError for a
        folder that does not hold a model."""
        if any(e.bundled for e in models() if e.role == role):
            raise InputError(f"{role_name(role)[:1].upper()}{role_name(role)[1:]} ships with "
                             "AlbumStudio: there is no folder to choose for it.")
        if role not in {e.role for e in models()}:
            raise InputError(f"'{role}' is not a model role: use one of "
                             f"{', '.join(dict.fromkeys(e.role for e in models()))}.")
        if folder is not None:
            path = Path(os.path.expanduser(folder))
            if not path.is_dir():
                raise InputError(f"{folder} is not a folder: choose the folder that holds the "
                                 "model's config.json or model_index.json.")
            if not any((path / n).is_file() for n in ("config.json", "model_index.json")) and \
                    not any(path.glob("*.safetensors")):
                raise InputError(f"{folder} holds no model (no config.json, model_index.json or "
                                 ".safetensors file): choose the model's own folder.")
            folder = str(path.resolve())
        self.settings.set_local_folder(role, folder)
        apply_local_folders(self.paths)

    def status(self, entry: ModelEntry) -> ModelStatus:
        if entry.bundled:
            return ModelStatus(entry, "bundled", "Ships with AlbumStudio.")
        local = self.local_folder(entry.role) if entry.default else None
        if local:
            if Path(local).is_dir():
                return ModelStatus(entry, "local folder", f"Uses your folder {local}.",
                                   folder_bytes(Path(local)), folder=local)
            return ModelStatus(entry, "missing", f"Your folder {local} for "
                               f"{role_name(entry.role)} is gone: choose it again or download "
                               "the model.", folder=local)
        if not entry.downloadable:
            return ModelStatus(entry, "missing", "Not a Hugging Face model.")
        on = inspect_repo(self.cache, entry.id, self.revision(entry), entry.files)
        snapshot = str(on.folder / "snapshots" / on.commit) if on.commit else None
        if not on.exists:
            return ModelStatus(entry, "missing", f"Not downloaded ({entry.size_mb} MB).")
        if on.partial or on.absent:
            what = (f"{len(on.absent)} needed file(s) absent ({on.absent[0]})" if on.absent
                    else "a download was interrupted")
            return ModelStatus(entry, "incomplete", f"Incomplete: {what}; download to finish.",
                               on.bytes_on_disk, on.commit, snapshot)
        damaged = self._known_damage(entry.id, on.files)
        if damaged:
            return ModelStatus(entry, "damaged", f"Damaged: {damaged} does not match its hash; "
                               "repair downloads it again.", on.bytes_on_disk, on.commit,
                               snapshot)
        return ModelStatus(entry, "present", "In the Hugging Face cache.", on.bytes_on_disk,
                           on.commit, snapshot)

    def _known_damage(self, model_id: str, files: tuple[CachedFile, ...]) -> str | None:
        from albumstudio.engines.models import safetensors_is_complete

        last = self.settings.last_check(model_id).get("files", {})
        for f in files:
            seen = last.get(f.name) if isinstance(last, dict) else None
            if isinstance(seen, dict) and seen.get("result") == "damaged" \
                    and seen.get("etag") == f.etag:
                return f.name
            if f.name.endswith(".safetensors") and not safetensors_is_complete(f.path):
                return f.name
        return None

    def statuses(self) -> list[ModelStatus]:
        return [self.status(e) for e in models()]

    def disk(self) -> DiskSpace:
        used = 0
        for entry in models():
            if entry.downloadable:
                blobs = repo_folder(self.cache, entry.id) / "blobs"
                if blobs.is_dir():
                    used += sum(p.stat().st_size for p in blobs.iterdir() if p.is_file())
        return DiskSpace(self.cache, used, free_bytes(self.cache))

    def recommended(self) -> tuple[list[ModelEntry], int]:
        """The recommended pack's models that are not here yet, and their size in MB."""
        wanted = [self.entry(role) for role in RECOMMENDED_ROLES]
        missing = [e for e in wanted if not self.status(e).usable]
        return missing, sum(e.size_mb for e in missing)

    def first_run_offer(self) -> str | None:
        """The sentence offering the recommended pack, until the artist has seen it once (None
        when it was seen or everything in it is here)."""
        if self.settings.flag("pack_offered"):
            return None
        missing, size_mb = self.recommended()
        if not missing:
            return None
        return f"Get the recommended models ({size_mb / 1000:.1f} GB)…"

    def offer_seen(self) -> None:
        self.settings.set_flag("pack_offered")

    # ---- download, verify, repair, remove -----------------------------------------------

    def check_online(self) -> None:
        """OfflineError, within a second, when the hub cannot be reached."""
        check_reachable(self.endpoint)

    def download(self, role_or_id: str, progress: ProgressFn | None = None,
                 cancel: threading.Event | None = None) -> ModelStatus:
        """Fetch the files the app needs of a model into the hub cache (what is already there is
        kept; an interrupted file continues where it stopped)."""
        entry = self.entry(role_or_id)
        if not entry.downloadable:
            raise InputError(f"{entry.id} ships with AlbumStudio: there is nothing to download.")
        while not _DOWNLOADS.acquire(timeout=0.05):  # queued behind another download
            if cancel is not None and cancel.is_set():
                raise CancelledError("waiting to download")
        try:
            self._download(entry, progress, cancel)
        finally:
            _DOWNLOADS.release()
        return self.status(entry)

    def _download(self, entry: ModelEntry, progress: ProgressFn | None,
                  cancel: threading.Event | None) -> dict[str, dict[str, str]]:
        self.check_online()
        revision = self.revision(entry)
        listing = list_files(entry.id, revision, self.endpoint)
        basis = PINNED if entry.revision else RECORDED
        if is_commit(revision) and listing.commit != revision:
            raise DownloadError(f"The hub answered commit {listing.commit[:12] or 'none'} for "
                                f"{entry.id} instead of {str(revision)[:12]}, the one {basis}: "
                                "nothing was downloaded.")
        needed = [f for f in listing.files if matches(f.name, entry.files)]
        absent = [n for n in required_names(entry.files) if n not in {f.name for f in needed}]
        if absent:
            raise DownloadError(f"{entry.id} has no {absent[0]} on the hub: AlbumStudio loads "
                                "safetensors weights only, so choose a local folder with "
                                f"safetensors files for {role_name(entry.role)} instead.")
        record = self._record(entry, listing.commit)
        for f in needed:
            wrong = self._listed_differently(entry, record, f)
            if wrong:
                raise DownloadError(f"The hub lists {f.name} of {entry.id} with another {wrong} "
                                    "than the one "
                                    f"{PINNED if entry.pinned_hash(f.name) else RECORDED}: "
                                    "nothing was downloaded.")
        folder = repo_folder(self.cache, entry.id)
        blobs = folder / "blobs"
        try:
            blobs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, self.cache) from exc

        def here(f: RemoteFile) -> bool:
            blob = blobs / f.etag
            return blob.is_file() and blob.stat().st_size == f.size

        def partial_size(f: RemoteFile) -> int:
            part = blobs / f"{f.etag}.incomplete"
            return part.stat().st_size if part.is_file() else 0

        done = sum(f.size if here(f) else partial_size(f) for f in needed)
        wanted = sum(f.size for f in needed) - done
        free = free_bytes(self.cache)
        if wanted > free:
            raise DownloadError(f"{entry.id} needs {megabytes(wanted)} more but only "
                                f"{megabytes(free)} is free for the Hugging Face cache "
                                f"({self.cache}): free some space first.")
        meter = ByteMeter(sum(f.size for f in needed), done, progress, entry.id)
        results: dict[str, dict[str, str]] = {}
        for f in needed:
            if not here(f):
                meter.file = f.name
                with blob_lock(self.cache / ".locks" / folder.name / f"{f.etag}.lock", cancel):
                    if not here(f):  # another program may have fetched it meanwhile
                        self._fetch(entry, listing.commit, f, blobs, meter, cancel)
                results[f.name] = {"etag": f.etag, "result": "ok"}
            else:
                results[f.name] = {"etag": f.etag, "result": "unchecked"}
            link_snapshot_file(folder, listing.commit, f.name, f.etag)
        if not is_commit(revision):
            write_ref(folder, revision or "main", listing.commit)
        elif snapshot_commit(folder, "main") is None:
            # the model libraries load refs/main offline: a pinned (or recorded) commit becomes
            # main unless main names a snapshot here already (another tool's is left alone)
            write_ref(folder, "main", listing.commit)
        drop_stale_partials(blobs, self.cache / ".locks" / folder.name)
        for f in needed:  # a pinned hash of another kind than the hub's name for the file
            pinned = entry.pinned_hash(f.name)
            if pinned is not None and results[f.name]["result"] == "ok" and \
                    (pinned.kind == "sha256") != f.lfs and \
                    file_digest(blobs / f.etag, pinned.kind, cancel) != pinned.value:
                results[f.name]["result"] = "damaged"
        if not self.settings.first_download(entry.id):
            self._trust_first_download(entry, listing.commit, needed, blobs, results, cancel)
        meter.file = "done"
        meter.add(0, force=True)
        self.settings.record_check(entry.id, {"commit": listing.commit, "when": time.time(),
                                              "by": "download", "files": results})
        return results

    @staticmethod
    def _listed_differently(entry: ModelEntry, record: dict[str, Any], f: RemoteFile) -> str:
        """"size" or "hash" when the hub's listing of ``f`` contradicts the registry's pin or
        the first download's record; "" when it agrees (or nothing can be compared)."""
        pinned = entry.pinned_hash(f.name)
        if pinned is not None:
            if pinned.size != f.size:
                return "size"
            same_kind = (pinned.kind == "sha256") == f.lfs
            return "hash" if same_kind and pinned.value != f.etag else ""
        seen = record.get(f.name)
        if isinstance(seen, dict):
            if seen.get("size") != f.size:
                return "size"
            return "hash" if f.lfs and seen.get("sha256") != f.etag else ""
        return ""

    def _trust_first_download(self, entry: ModelEntry, commit: str, needed: list[RemoteFile],
                              blobs: Path, results: dict[str, dict[str, str]],
                              cancel: threading.Event | None) -> None:
        """Record the commit and every file's sha256 and size, once every file is verified
        (those fetched now were; those already here are checked now)."""
        files: dict[str, dict[str, Any]] = {}
        for f in needed:
            blob = blobs / f.etag
            if results[f.name]["result"] == "unchecked":
                results[f.name]["result"] = ("ok" if content_hash(blob, f.lfs, cancel) == f.etag
                                             else "damaged")
            if results[f.name]["result"] != "ok":
                return  # not a verified download: nothing is trusted
            files[f.name] = {"sha256": f.etag if f.lfs else sha256_of(blob, cancel),
                             "size": f.size}
        self.settings.record_first_download(entry.id, {"commit": commit, "when": time.time(),
                                                       "files": files})

    def _fetch(self, entry: ModelEntry, commit: str, f: RemoteFile, blobs: Path,
               meter: ByteMeter, cancel: threading.Event | None) -> None:
        partial = blobs / f"{f.etag}.incomplete"
        fetch_blob(file_url(self.endpoint, entry.id, commit, f.name), partial, f.size, meter,
                   cancel)
        if content_hash(partial, f.lfs, cancel) != f.etag:
            partial.unlink(missing_ok=True)
            raise DownloadError(f"{f.name} of {entry.id} arrived damaged (its content does not "
                                "match the hub's hash): download it again.")
        os.replace(partial, blobs / f.etag)

    def verify(self, role_or_id: str, progress: ProgressFn | None = None,
               cancel: threading.Event | None = None) -> CheckReport:
        """Hash every needed file of the model in the hub cache and compare it with its name
        (the hub's etag); what was found is recorded for the model list."""
        entry = self.entry(role_or_id)
        if not entry.downloadable:
            return CheckReport(entry.id, None, {})
        on = inspect_repo(self.cache, entry.id, self.revision(entry), entry.files)
        if on.commit is None:
            raise ModelMissingError(f"{entry.id} is not in the Hugging Face cache: download it "
                                    "first.")
        meter = ByteMeter(sum(f.size for f in on.files), 0, progress, entry.id)
        results: dict[str, str] = {}
        basis: dict[str, str] = {}
        record = self._record(entry, on.commit)
        for f in on.files:
            meter.file = f.name
            results[f.name], basis[f.name] = self._check(entry, record, f, on.commit, cancel,
                                                         meter.add)
        meter.add(0, force=True)
        self.settings.record_check(entry.id, {
            "commit": on.commit, "when": time.time(), "by": "verify",
            "files": {f.name: {"etag": f.etag, "result": results[f.name],
                               "basis": basis[f.name]} for f in on.files}})
        return CheckReport(entry.id, on.commit, results, on.absent, len(on.partial), basis)

    @staticmethod
    def _check(entry: ModelEntry, record: dict[str, Any], f: CachedFile, commit: str | None,
               cancel: threading.Event | None, read: Any) -> tuple[str, str]:
        """(ok | damaged | unchecked, the basis): the registry's hash at its pinned commit,
        else the first download's record, else the hash the cache names the blob by."""
        pinned = entry.pinned_hash(f.name) if commit == entry.revision else None
        if pinned is not None:
            if f.size != pinned.size:
                read(f.size)
                return "damaged", PINNED
            return ("ok" if file_digest(f.path, pinned.kind, cancel, read) == pinned.value
                    else "damaged"), PINNED
        seen = record.get(f.name)
        if isinstance(seen, dict) and isinstance(seen.get("sha256"), str):
            if f.size != seen.get("size"):
                read(f.size)
                return "damaged", RECORDED
            return ("ok" if sha256_of(f.path, cancel, read) == seen["sha256"]
                    else "damaged"), RECORDED
        return check_blob(f, cancel, read), CONTENT

    def repair(self, role_or_id: str, progress: ProgressFn | None = None,
               cancel: threading.Event | None = None) -> CheckReport:
        """Verify, then download again every damaged or absent file (the rest is kept)."""
        entry = self.entry(role_or_id)
        report = self.verify(entry.id, progress, cancel)
        if report.ok:
            return report
        on = inspect_repo(self.cache, entry.id, self.revision(entry), entry.files)
        for f in on.files:
            if report.results.get(f.name) == "damaged":
                if f.blob is not None:
                    f.blob.unlink(missing_ok=True)
                f.path.unlink(missing_ok=True)
        self.download(entry.id, progress, cancel)
        results = {n: ("repaired" if r == "damaged" else r) for n, r in report.results.items()}
        return CheckReport(entry.id, report.commit, results, basis=report.basis)

    def remove(self, role_or_id: str) -> int:
        """Delete the model from the hub cache (a local folder is only forgotten, never deleted);
        the bytes freed."""
        entry = self.entry(role_or_id)
        if entry.bundled:
            raise InputError(f"{entry.id} ships with AlbumStudio and cannot be removed.")
        if entry.default and self.local_folder(entry.role):
            self.settings.set_local_folder(entry.role, None)
            apply_local_folders(self.paths)
        freed = remove_repo(self.cache, entry.id) if entry.downloadable else 0
        self.settings.record_check(entry.id, None)
        # what its first download recorded goes too: the next download records anew
        self.settings.record_first_download(entry.id, None)
        return freed

    def summary(self, status: ModelStatus) -> str:
        size = (megabytes(status.bytes_on_disk) if status.bytes_on_disk
                else f"{status.entry.size_mb} MB")
        return f"{status.entry.role:16} {status.state:12} {size:>10}  {status.entry.id}"
