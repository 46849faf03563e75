"""The user's Hugging Face cache, read and written in the hub's own layout (nothing stored twice).

``HF_HUB_CACHE`` (or ``HUGGINGFACE_HUB_CACHE``, ``HF_HOME/hub``, ``XDG_CACHE_HOME/huggingface/hub``)
is read at each call, so a cache moved by the artist or by a test is followed. A repository
lives in ``models--{org}--{name}``: ``blobs/{etag}`` holds each file once, named by its hash
(the sha256 of the content for LFS files, the git blob sha1 for the rest), ``snapshots/{commit}/``
links every file name to its blob, ``refs/{branch}`` names the branch's commit, and a download
in progress is ``blobs/{etag}.incomplete``. Models fetched by other tools (``hf download``,
diffusers, transformers) are found here as they are, and what the model manager fetches is
found by them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HASH_CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")
SHA1 = re.compile(r"^[0-9a-f]{40}$")
INCOMPLETE = ".incomplete"


def hub_cache_dir() -> Path:
    """Where the user's Hugging Face cache is (the same rules as huggingface_hub, read now)."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        value = os.environ.get(name)
        if value:
            return Path(os.path.expandvars(os.path.expanduser(value)))
    home = os.environ.get("HF_HOME")
    if home:
        return Path(os.path.expandvars(os.path.expanduser(home))) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "huggingface" / "hub"


def repo_folder(cache: Path, repo_id: str) -> Path:
    return cache / ("models--" + repo_id.replace("/", "--"))


def is_commit(revision: str | None) -> bool:
    return bool(revision) and SHA1.match(str(revision)) is not None


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    """Whether a file name is one the app needs: it matches a pattern and no ``!pattern``."""
    keep = [p for p in patterns if not p.startswith("!")]
    leave = [p[1:] for p in patterns if p.startswith("!")]
    return (any(fnmatch.fnmatchcase(name, p) for p in keep)
            and not any(fnmatch.fnmatchcase(name, p) for p in leave))


def required_names(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The patterns that name one file (no wildcard): those files must be there."""
    return tuple(p for p in patterns if not p.startswith("!") and not any(c in p for c in "*?["))


def snapshot_commit(folder: Path, revision: str | None) -> str | None:
    """The commit of ``revision`` (a commit, a branch in ``refs/``, or None: ``main``, else the
    newest snapshot on disk) that has a snapshot folder here, or None."""
    snapshots = folder / "snapshots"
    if is_commit(revision):
        return revision if (snapshots / str(revision)).is_dir() else None
    try:
        commit = (folder / "refs" / (revision or "main")).read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        commit = ""
    if commit and (snapshots / commit).is_dir():
        return commit
    if revision:
        return None
    try:
        found = [p for p in snapshots.iterdir() if p.is_dir()]
    except OSError:
        return None
    return max(found, key=lambda p: p.stat().st_mtime).name if found else None


@dataclass(frozen=True)
class CachedFile:
    name: str  # the file's name in the repository ("unet/config.json")
    path: Path  # its place in the snapshot
    blob: Path | None  # the blob it links to (None: a plain file, a broken link)
    size: int

    @property
    def etag(self) -> str:
        return self.blob.name if self.blob is not None else ""


@dataclass(frozen=True)
class RepoOnDisk:
    """What the cache holds of one repository at one revision."""

    folder: Path
    commit: str | None
    files: tuple[CachedFile, ...]  # the needed files that are there
    absent: tuple[str, ...]  # needed names that are not (or whose link is broken)
    partial: tuple[Path, ...]  # downloads left unfinished (``.incomplete`` blobs)
    bytes_on_disk: int  # every blob of the repository, once each

    @property
    def exists(self) -> bool:
        return self.commit is not None or bool(self.partial)


def _snapshot_files(snapshot: Path) -> list[tuple[str, Path]]:
    found = []
    for root, _dirs, names in os.walk(snapshot):
        for name in names:
            path = Path(root) / name
            found.append((path.relative_to(snapshot).as_posix(), path))
    return found


def inspect_repo(cache: Path, repo_id: str, revision: str | None,
                 patterns: tuple[str, ...]) -> RepoOnDisk:
    """The needed files of ``repo_id`` in the cache, what is absent, and what is unfinished."""
    folder = repo_folder(cache, repo_id)
    blobs = folder / "blobs"
    partial = tuple(sorted(blobs.glob(f"*{INCOMPLETE}"))) if blobs.is_dir() else ()
    used = sum(p.stat().st_size for p in blobs.iterdir() if p.is_file()) if blobs.is_dir() else 0
    commit = snapshot_commit(folder, revision)
    if commit is None:
        return RepoOnDisk(folder, None, (), required_names(patterns), partial, used)
    files, absent = [], []
    for name, path in _snapshot_files(folder / "snapshots" / commit):
        if not matches(name, patterns):
            continue
        if not path.exists():  # a link to a blob that is gone
            absent.append(name)
            continue
        blob = path.resolve() if path.is_symlink() else None
        files.append(CachedFile(name, path, blob, path.stat().st_size))
    have = {f.name for f in files}
    absent += [n for n in required_names(patterns) if n not in have and n not in absent]
    return RepoOnDisk(folder, commit, tuple(sorted(files, key=lambda f: f.name)),
                      tuple(sorted(absent)), partial, used)


def git_blob_sha1(path: Path, cancel: threading.Event | None = None) -> str:
    """The git blob id of a file (sha1 of "blob {size}\\0" then the content)."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode("ascii"))  # noqa: S324 - git's id
    return _digest_file(path, digest, cancel)


def sha256_of(path: Path, cancel: threading.Event | None = None,
              read: Callable[[int], None] | None = None) -> str:
    return _digest_file(path, hashlib.sha256(), cancel, read)


def _digest_file(path: Path, digest: hashlib._Hash, cancel: threading.Event | None,
                 read: Callable[[int], None] | None = None) -> str:
    from albumstudio.core.errors import CancelledError

    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            if cancel is not None and cancel.is_set():
                raise CancelledError("checking the model files")
            digest.update(chunk)
            if read is not None:
                read(len(chunk))
    return digest.hexdigest()


def file_digest(path: Path, kind: str, cancel: threading.Event | None = None,
                read: Callable[[int], None] | None = None) -> str:
    """``kind`` sha256 (the content's) or git_sha1 (the git blob id) of the file at ``path``."""
    if kind == "sha256":
        return sha256_of(path, cancel, read)
    found = git_blob_sha1(path, cancel)
    if read is not None:
        read(path.stat().st_size)
    return found


def check_blob(file: CachedFile, cancel: threading.Event | None = None,
               read: Callable[[int], None] | None = None) -> str:
    """``ok`` when the blob's content hashes to its name (the hub's etag), ``damaged`` when not,
    ``unchecked`` when its name is no hash (a plain copy, an odd cache)."""
    if file.blob is None:
        return "unchecked"
    name = file.blob.name
    if SHA256.match(name):
        return "ok" if sha256_of(file.blob, cancel, read) == name else "damaged"
    if SHA1.match(name):
        found = git_blob_sha1(file.blob, cancel)
        if read is not None:
            read(file.size)
        return "ok" if found == name else "damaged"
    return "unchecked"


def link_snapshot_file(folder: Path, commit: str, name: str, etag: str) -> Path:
    """Point ``snapshots/{commit}/{name}`` at ``blobs/{etag}`` (a relative link, as the hub
    library makes; a copy where links cannot be made)."""
    blob = folder / "blobs" / etag
    target = folder / "snapshots" / commit / name
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.albumstudio-link")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    try:
        os.symlink(os.path.relpath(blob, target.parent), tmp)
    except OSError:  # no symlinks (some Windows setups): a copy, as huggingface_hub does
        shutil.copyfile(blob, tmp)
    os.replace(tmp, target)
    return target


def write_ref(folder: Path, revision: str, commit: str) -> None:
    if is_commit(revision):
        return
    ref = folder / "refs" / revision
    ref.parent.mkdir(parents=True, exist_ok=True)
    tmp = ref.with_name(f".{ref.name}.albumstudio-tmp")
    tmp.write_text(commit, encoding="ascii")
    os.replace(tmp, ref)


def remove_repo(cache: Path, repo_id: str) -> int:
    """Delete a repository's folder from the cache; the bytes freed."""
    folder = repo_folder(cache, repo_id)
    if not folder.is_dir():
        return 0
    freed = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    shutil.rmtree(folder)
    return freed


def folder_bytes(folder: Path) -> int:
    """The bytes under a local model folder (links followed once each)."""
    seen: set[Path] = set()
    total = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                real = path.resolve()
                if real not in seen:
                    seen.add(real)
                    total += real.stat().st_size
            except OSError:
                continue
    return total


@dataclass(frozen=True)
class DiskSpace:
    cache: Path
    used_bytes: int  # the registry's models in the cache
    free_bytes: int  # on the drive that holds the cache


def free_bytes(path: Path) -> int:
    """Free space on the drive of ``path`` (its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return 0
