"""What the cover and poster services share: the registry they look engines up in, and the
engines built once each (they keep what they load in the one model cache)."""

from __future__ import annotations

import threading
from typing import Any

from albumstudio import __version__
from albumstudio.core.model_cache import ModelCache
from albumstudio.engines.registry import EngineRegistry, engines
from albumstudio.store.history import HistoryStore


class EngineHost:
    def __init__(self, models: ModelCache, history: HistoryStore | None = None,
                 registry: EngineRegistry | None = None, app_version: str = __version__) -> None:
        self.models = models
        self.history = history
        self.registry = registry or engines()
        self.app_version = app_version
        self._engines: dict[str, Any] = {}
        self._lock = threading.Lock()

    def engine(self, name: str) -> Any:
        """The engine built by its factory (once; it keeps what it loaded in the model cache)."""
        with self._lock:
            if name not in self._engines:
                self._engines[name] = self.registry.get(name).factory(self.models)
            return self._engines[name]

    def unload(self) -> None:
        """Let every built engine free what it loaded, and forget the engines."""
        with self._lock:
            for engine in self._engines.values():
                unload = getattr(engine, "unload", None)
                if callable(unload):
                    unload()
            self._engines.clear()
