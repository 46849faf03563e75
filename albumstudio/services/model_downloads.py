"""Fetching model files from the Hugging Face hub (or a mirror at ``HF_ENDPOINT``) into the user's
hub cache, in the hub's own layout, with real progress, cancel and resume.

The app itself stays offline (``HF_HUB_OFFLINE=1`` for diffusers and transformers); only these
calls reach the network, with the standard library's HTTP client, when the artist asks:

* ``GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true``: the commit and every file with
  its size and hash (``lfs.sha256`` for weights, ``blobId``, the git blob sha1, for the rest);
* ``GET {endpoint}/{repo}/resolve/{commit}/{file}``: the bytes, written to
  ``blobs/{hash}.incomplete`` and continued with ``Range: bytes={done}-`` after an interruption
  (within the same call, and by the next call after a cancel or a crash); the finished file is
  hashed before it is moved into place, so a damaged transfer never becomes a cached file.

Before anything else one TCP connection to the endpoint is tried with a short timeout: with
no network the answer is one sentence within a second, never a hang.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from albumstudio import __version__
from albumstudio.core.errors import CancelledError, UserFacingError
from albumstudio.core.jobs import Progress, format_eta

DEFAULT_ENDPOINT = "https://huggingface.co"
CONNECT_TIMEOUT_S = 0.8
READ_TIMEOUT_S = 20.0
CHUNK = 256 * 1024
RETRIES = 3  # reconnections (each resuming where the last stopped) before giving up for now
REPORT_EVERY_S = 0.1


class OfflineError(UserFacingError):
    """The hub cannot be reached (no network, a firewall, a mirror that is down)."""


class DownloadError(UserFacingError):
    """A download that could not finish; what has arrived is kept for the next try."""


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


@dataclass(frozen=True)
class DownloadProgress(Progress):
    """A download's progress: the bytes so far of all, the speed and the time left."""

    bytes_done: int = 0
    bytes_total: int = 0
    speed_bps: float = 0.0
    model_id: str = ""


def _host_port(endpoint: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port


def _probe_address(endpoint: str) -> tuple[str, int]:
    """The host to try: the endpoint's, or the proxy's when one applies (HTTPS_PROXY …, which
    urllib honours for the downloads themselves)."""
    host, port = _host_port(endpoint)
    scheme = urllib.parse.urlsplit(endpoint).scheme
    proxy = urllib.request.getproxies().get(scheme) or urllib.request.getproxies().get("all")
    if proxy and not urllib.request.proxy_bypass(host):
        return _host_port(proxy if "://" in proxy else f"http://{proxy}")
    return host, port


def _resolve(host: str, port: int, timeout: float) -> list[Any]:
    """getaddrinfo has no timeout of its own: a name is looked up on a helper thread that is
    not waited for beyond ``timeout`` (an address needs no look-up)."""
    try:
        ipaddress.ip_address(host)
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except ValueError:
        pass
    found: list[Any] = []
    failed: list[BaseException] = []

    def look_up() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)

    helper = threading.Thread(target=look_up, name="albumstudio-dns", daemon=True)
    helper.start()
    helper.join(timeout)
    if failed or not found:
        raise OSError(f"cannot resolve {host}")
    return found


def check_reachable(endpoint: str | None = None, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`OfflineError` (within about ``timeout``) when the hub cannot be reached."""
    endpoint = endpoint or hub_endpoint()
    host, port = _probe_address(endpoint)
    deadline = time.monotonic() + timeout
    try:
        addresses = _resolve(host, port, timeout)
        for family, kind, proto, _name, address in addresses[:2]:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            with socket.socket(family, kind, proto) as probe:
                probe.settimeout(left)
                try:
                    probe.connect(address)
                    return
                except OSError:
                    continue
    except OSError:
        pass
    raise OfflineError(f"No connection to {host}: you seem to be offline, so nothing can be "
                       "downloaded now; the models already on this computer still work.")


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    etag: str  # the blob's name in the cache: sha256 (LFS) or git blob sha1
    lfs: bool


@dataclass(frozen=True)
class Listing:
    repo_id: str
    commit: str
    files: tuple[RemoteFile, ...]


def _open(url: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers={
        "User-Agent": f"AlbumStudio/{__version__}", "Accept-Encoding": "identity",
        **(headers or {})})
    return urllib.request.urlopen(request, timeout=READ_TIMEOUT_S)  # noqa: S310 - http(s) only


def _http_sentence(exc: urllib.error.HTTPError, repo_id: str, what: str) -> str:
    if exc.code in (401, 403):
        return (f"The hub refused the {what} of {repo_id} (HTTP {exc.code}): the model may "
                "need you to accept its terms on its page first.")
    if exc.code == 404:
        return f"The hub has no {what} for {repo_id} (HTTP 404): check the model id and revision."
    return f"The hub answered HTTP {exc.code} for the {what} of {repo_id}: try again later."


def list_files(repo_id: str, revision: str | None, endpoint: str | None = None) -> Listing:
    """The commit a revision points at and every file in it, with sizes and hashes."""
    endpoint = endpoint or hub_endpoint()
    rev = urllib.parse.quote(revision or "main", safe="")
    url = f"{endpoint}/api/models/{repo_id}/revision/{rev}?blobs=true"
    try:
        with _open(url) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise DownloadError(_http_sentence(exc, repo_id, "file list")) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise OfflineError(f"The hub did not answer for {repo_id} ({_reason(exc)}): try again "
                           "when the connection is back.") from exc
    except ValueError as exc:
        raise DownloadError(f"The hub's file list for {repo_id} could not be read: try again "
                            "later.") from exc
    files = []
    for item in data.get("siblings", []):
        lfs = item.get("lfs") or {}
        etag = str(lfs.get("sha256") or item.get("blobId") or "")
        size = int(lfs.get("size") or item.get("size") or 0)
        files.append(RemoteFile(str(item["rfilename"]), size, etag, bool(lfs)))
    return Listing(repo_id, str(data.get("sha") or ""), tuple(files))


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason) or type(exc).__name__


class ByteMeter:
    """Bytes done of a total, the speed over the last few seconds and the time left, reported
    at most every :data:`REPORT_EVERY_S` (and always at the end)."""

    def __init__(self, total: int, done: int, progress: Callable[[Progress], None] | None,
                 model_id: str = "", window_s: float = 3.0) -> None:
        self.total, self.done = max(0, total), done
        self.progress, self.model_id, self.window_s = progress, model_id, window_s
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), done)])
        self._last_report = 0.0
        self.file = ""

    def add(self, count: int, force: bool = False) -> None:
        self.done += count
        now = time.monotonic()
        self._samples.append((now, self.done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window_s:
            self._samples.popleft()
        if self.progress is not None and (force or now - self._last_report >= REPORT_EVERY_S):
            self._last_report = now
            self.progress(self.report())

    @property
    def speed(self) -> float:
        """Bytes a second over the last few seconds (0 until a quarter second has been seen)."""
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 - t0 >= 0.25 else 0.0

    def report(self) -> DownloadProgress:
        speed = self.speed
        left = max(0, self.total - self.done)
        eta = 0.0 if not left else (left / speed if speed > 0 else None)
        fraction = self.done / self.total if self.total else 1.0
        rate = f" · {megabytes(int(speed))}/s" if speed > 0 else ""
        text = (f"{self.file} · {megabytes(self.done)} of {megabytes(self.total)}{rate}"
                f" · {format_eta(eta) if left else 'all here'}")
        return DownloadProgress(min(1.0, fraction), text, eta_s=eta, bytes_done=self.done,
                                bytes_total=self.total, speed_bps=speed, model_id=self.model_id)


def megabytes(count: int) -> str:
    if count >= 1000**3:
        return f"{count / 1000**3:.2f} GB"
    return f"{count / 1000**2:.1f} MB"


def fetch_blob(url: str, partial: Path, size: int, meter: ByteMeter,
               cancel: threading.Event | None = None) -> None:
    """Bring ``partial`` up to ``size`` bytes from ``url``, continuing what is there (HTTP
    Range); a dropped connection is resumed up to :data:`RETRIES` times."""
    failures = 0
    while True:
        have = partial.stat().st_size if partial.exists() else 0
        if have > size:  # not the file we expected: start again
            partial.unlink()
            have = 0
        if have == size and size > 0:
            return
        try:
            _fetch_range(url, partial, have, meter, cancel)
        except CancelledError:
            raise
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # asked beyond the end: what we have is not that file
                partial.unlink(missing_ok=True)
            failures += 1
            if failures > RETRIES:
                raise DownloadError(f"The hub answered HTTP {exc.code} while downloading "
                                    f"{partial.name}: try again later.") from exc
            continue
        except (urllib.error.URLError, OSError) as exc:
            failures += 1
            if failures > RETRIES:
                got = partial.stat().st_size if partial.exists() else 0
                raise DownloadError(
                    f"The download stopped at {megabytes(got)} of {megabytes(size)} "
                    f"({_reason(exc)}): what has arrived is kept, and the next download "
                    "continues from there.") from exc
            time.sleep(0.2 * failures)
            continue
        now = partial.stat().st_size if partial.exists() else 0
        if now >= size:
            return
        failures += 1  # the server closed the connection early
        if failures > RETRIES:
            raise DownloadError(
                f"The connection kept dropping at {megabytes(now)} of {megabytes(size)}: what "
                "has arrived is kept, and the next download continues from there.")


def _fetch_range(url: str, partial: Path, have: int, meter: ByteMeter,
                 cancel: threading.Event | None) -> None:
    headers = {"Range": f"bytes={have}-"} if have else {}
    with _open(url, headers) as response:
        resumed = have and response.status == 206
        if have and not resumed:  # the server sent the whole file: count it from zero
            meter.add(-have)
        try:
            handle = partial.open("ab" if resumed else "wb")
        except OSError as exc:
            raise storage_error(exc, partial.parent.parent.parent) from exc
        with handle:
            while True:
                if cancel is not None and cancel.is_set():
                    raise CancelledError("downloading the model")
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                try:
                    handle.write(chunk)
                except OSError as exc:
                    raise storage_error(exc, partial.parent.parent.parent) from exc
                meter.add(len(chunk))


def storage_error(exc: OSError, cache: Path) -> DownloadError:
    """Writing into the cache failed (a full or read-only drive): no retry, one sentence."""
    from albumstudio.store.storage import reason

    return DownloadError(f"The Hugging Face cache ({cache}) cannot be "
                         f"written ({reason(exc)}): free some space or choose another cache "
                         "with HF_HUB_CACHE, then download again; what has arrived is kept.")


def content_hash(path: Path, lfs: bool, cancel: threading.Event | None = None) -> str:
    """The hash the hub names the file by: sha256 for LFS files, the git blob sha1 otherwise."""
    from albumstudio.store.model_files import git_blob_sha1, sha256_of

    return sha256_of(path, cancel) if lfs else git_blob_sha1(path, cancel)


def file_url(endpoint: str, repo_id: str, commit: str, name: str) -> str:
    return f"{endpoint}/{repo_id}/resolve/{commit}/{urllib.parse.quote(name)}"


@contextmanager
def blob_lock(path: Path, cancel: threading.Event | None) -> Iterator[None]:
    """The lock huggingface_hub takes for the same blob (``{cache}/.locks/{repo}/{etag}.lock``),
    so this app, another copy of it and ``hf download`` never write one file together."""
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    while True:
        try:
            lock.acquire(timeout=0.1)
            break
        except Timeout:
            if cancel is not None and cancel.is_set():
                raise CancelledError("waiting for another download of the same file") from None
    try:
        yield
    finally:
        lock.release()


def drop_stale_partials(blobs: Path, locks: Path) -> int:
    """Delete unfinished downloads nobody is writing (their hub lock is free): files the app
    does not need, left by an interrupted tool, that would keep the model "incomplete"."""
    from filelock import FileLock, Timeout

    dropped = 0
    for partial in blobs.glob("*.incomplete"):
        lock = FileLock(str(locks / f"{partial.name.split('.')[0]}.lock"))
        try:
            locks.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=0)
        except (Timeout, OSError):
            continue  # another program is fetching it
        try:
            partial.unlink(missing_ok=True)
            dropped += 1
        finally:
            lock.release()
    return dropped
