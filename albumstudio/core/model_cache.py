"""The one owner of loaded models: get by role, model and device; evict; unload everything.

Whoever needs a model asks the cache, giving a loader; the cache keeps what was loaded (keyed
by role, model id or folder, and device) so the window's segmentation preview and the
diffusion engine share one SegFormer, and later SD, the QR ControlNet and MusicGen can share
one GPU: ``evict`` frees a role (or everything but one entry) to make room, ``unload_all``
frees everything when the window closes. Loaded objects are "holders" with an ``unload()``
method (a pipeline cache, a captioner, a segmenter) or plain objects.

Pure Python (no torch here); thread-safe, because the model queue's worker and short CPU jobs
may ask at the same time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class CacheKey:
    role: str
    model: str
    device: str


class ModelCache:
    """Loaded models by (role, model, device); at most ``max_entries`` kept (least recently
    used goes first), each freed through its ``unload()`` when it goes."""

    def __init__(self, max_entries: int = 8) -> None:
        self.max_entries = max(1, max_entries)
        self._lock = threading.RLock()
        self._entries: OrderedDict[CacheKey, Any] = OrderedDict()

    def get(self, role: str, model: str, device: str, load: Callable[[], T]) -> T:
        """The loaded object for this key, calling ``load()`` the first time."""
        key = CacheKey(role, model, device)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[no-any-return]
            value = load()
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                _, old = self._entries.popitem(last=False)
                _unload(old)
            return value

    def peek(self, role: str, model: str, device: str) -> Any | None:
        with self._lock:
            return self._entries.get(CacheKey(role, model, device))

    def loaded(self) -> list[CacheKey]:
        with self._lock:
            return list(self._entries)

    def evict(self, role: str | None = None, keep: CacheKey | None = None) -> int:
        """Free every entry of ``role`` (all roles when None) except ``keep``; how many went."""
        with self._lock:
            gone = [k for k in self._entries if (role is None or k.role == role) and k != keep]
            for key in gone:
                _unload(self._entries.pop(key))
            return len(gone)

    def unload_all(self) -> None:
        self.evict()


def _unload(value: Any) -> None:
    unload = getattr(value, "unload", None)
    if callable(unload):
        unload()
