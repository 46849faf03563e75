"""A tiny Hugging Face hub on 127.0.0.1 for the model manager's tests.

It answers what huggingface_hub asks of the real hub: ``GET /api/models/{repo}/revision/{rev}``
(``?blobs=true``: each sibling's size, ``blobId`` and, for weights, ``lfs.sha256``) and
``HEAD``/``GET /{repo}/resolve/{rev}/{file}`` with ``X-Repo-Commit``, ``ETag``, ``X-Linked-Etag``,
``X-Linked-Size``, ``Content-Length`` and ``Range`` (206). It can go slowly (``delay_s`` per
chunk) and drop a file's connection halfway once (``drop_once``), and records every request.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".model")


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324


@dataclass
class Repo:
    files: dict[str, bytes]
    commit: str = "0123456789abcdef0123456789abcdef01234567"

    def etag(self, name: str) -> str:
        data = self.files[name]
        return hashlib.sha256(data).hexdigest() if name.endswith(LFS_SUFFIXES) else git_sha1(data)


@dataclass
class TinyHub:
    repos: dict[str, Repo]
    delay_s: float = 0.0  # pause after each chunk sent
    chunk: int = 64 * 1024
    drop_once: set[str] = field(default_factory=set)  # file names cut halfway on first GET
    redirect_lfs: bool = True  # weights answer 302 to /cdn/{sha256}, as the real hub does
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Range
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> TinyHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                hub._answer(self, head=True)

            def do_GET(self) -> None:  # noqa: N802
                hub._answer(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = False
        self.thread = threading.Thread(target=self.server.serve_forever, name="tiny-hub",
                                       kwargs={"poll_interval": 0.05})
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            assert self.thread is not None
            self.thread.join()
            self.server = None

    def _answer(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        path = unquote(urlsplit(h.path).path)
        self.requests.append(("HEAD" if head else "GET", path, h.headers.get("Range", "")))
        listing = re.match(r"^/api/models/(.+)/revision/([^/]+)$", path)
        if listing:
            repo = self.repos.get(listing.group(1))
            if repo is None:
                return self._send(h, 404, b"{}", head)
            siblings = []
            for name, data in repo.files.items():
                item: dict[str, Any] = {"rfilename": name, "size": len(data),
                                        "blobId": git_sha1(data)}
                if name.endswith(LFS_SUFFIXES):
                    item["lfs"] = {"size": len(data), "sha256": repo.etag(name),
                                   "pointerSize": 134}
                siblings.append(item)
            body = json.dumps({"id": listing.group(1), "sha": repo.commit,
                               "siblings": siblings}).encode()
            return self._send(h, 200, body, head, {"Content-Type": "application/json"})
        cdn = re.match(r"^/cdn/([0-9a-f]{64})/(.+)$", path)
        if cdn:
            found = [(r, n) for r in self.repos.values() for n in r.files
                     if r.etag(n) == cdn.group(1)]
            if not found:
                return self._send(h, 404, b"", head)
            repo, name = found[0]
            return self._serve(h, repo, name, head, {"ETag": f'"{cdn.group(1)}"'})
        resolve = re.match(r"^/(.+?/.+?)/resolve/([^/]+)/(.+)$", path)
        if not resolve or resolve.group(1) not in self.repos:
            return self._send(h, 404, b"", head)
        repo = self.repos[resolve.group(1)]
        name = resolve.group(3)
        if name not in repo.files:
            return self._send(h, 404, b"", head)
        data = repo.files[name]
        etag = repo.etag(name)
        headers = {"X-Repo-Commit": repo.commit, "ETag": f'"{etag}"',
                   "X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(len(data)),
                   "Accept-Ranges": "bytes"}
        if self.redirect_lfs and name.endswith(LFS_SUFFIXES):
            headers["Location"] = f"/cdn/{etag}/{name}"
            return self._send(h, 302, b"", head, headers)
        self._serve(h, repo, name, head, headers)

    def _serve(self, h: BaseHTTPRequestHandler, repo: Repo, name: str, head: bool,
               headers: dict[str, str]) -> None:
        data = repo.files[name]
        headers = {**headers, "Accept-Ranges": "bytes"}
        start = 0
        ranged = re.match(r"bytes=(\d+)-$", h.headers.get("Range", ""))
        if ranged:
            start = int(ranged.group(1))
            if start >= len(data):
                return self._send(h, 416, b"", head)
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        cut = None
        if not head and name in self.drop_once:
            self.drop_once.discard(name)
            cut = len(body) // 2
        self._send(h, 206 if ranged else 200, body, head, headers, cut)

    def _send(self, h: BaseHTTPRequestHandler, code: int, body: bytes, head: bool,
              headers: dict[str, str] | None = None, cut: int | None = None) -> None:
        h.send_response(code)
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if head:
            return
        end = len(body) if cut is None else cut
        try:
            for at in range(0, end, self.chunk):
                h.wfile.write(body[at:min(end, at + self.chunk)])
                h.wfile.flush()
                if self.delay_s:
                    time.sleep(self.delay_s)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if cut is not None:
            h.close_connection = True


SEG = "nvidia/segformer-b0-finetuned-ade-512-512"


def tiny_weights(values: int = 300_000, seed: int = 0) -> bytes:
    """A safetensors file of ``values`` random float32s (about 1.2 MB by default)."""
    import numpy as np
    from safetensors.numpy import save

    rng = np.random.default_rng(seed)
    return save({"decode_head.weight": rng.standard_normal(values).astype(np.float32)})


def seg_repo() -> Repo:
    """The segmenter's repository as the hub holds it: what the app needs, plus a pickle and a
    README it must never fetch."""
    return Repo({"config.json": json.dumps({"model_type": "segformer"}).encode(),
                 "preprocessor_config.json": b'{"size": {"height": 64, "width": 64}}',
                 "model.safetensors": tiny_weights(),
                 "pytorch_model.bin": b"pickle that must never be fetched",
                 "README.md": b"# tiny"})
