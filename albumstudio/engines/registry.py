"""The engine registry: every engine declares itself once, and the CLI and the window read it.

An :class:`EngineSpec` says what an engine is (name, kind — cover, poster, clip —, label), what
it takes (its options dataclass, the defaults and limits of the common fields), which model
roles it needs, its version, and a factory that builds it. Factories import heavy libraries
lazily, so reading the registry costs nothing. The built-in engines register in
:mod:`albumstudio.engines.builtin` through the same :func:`register` call a new engine would.

An engine built by a factory has ``run(request, progress, cancel) -> CoverResult`` and may have
``unload()``; its loaded models live in the :class:`~albumstudio.core.model_cache.ModelCache`
passed to the factory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from albumstudio.core.cover import COMMON_FIELDS, CoverRequest, CoverResult
from albumstudio.core.jobs import KINDS, ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import ROLES


class Engine(Protocol):
    def run(self, request: Any, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> CoverResult: ...


@dataclass(frozen=True)
class EngineSpec:
    name: str
    kind: str
    label: str
    options_type: type
    factory: Callable[[ModelCache], Engine]
    version: int = 1  # raise when the same request would give other bytes
    description: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)  # common fields: {"size": 3000}
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # {"size": (256, 6000)}
    sizes: tuple[tuple[int, str], ...] = ()  # named sizes offered first: (px, label)
    model_roles: tuple[str, ...] = ()  # the roles it needs to run at all
    optional_roles: tuple[str, ...] = ()  # roles some of its settings use

    @property
    def offline(self) -> bool:
        """True when it needs no model download (an offline tier)."""
        return not self.model_roles

    def default(self, name: str, fallback: Any = None) -> Any:
        return self.defaults.get(name, fallback)

    def limit(self, name: str, fallback: tuple[float, float]) -> tuple[float, float]:
        return self.limits.get(name, fallback)


class EngineRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, EngineSpec] = {}
        self._lock = threading.Lock()

    def register(self, spec: EngineSpec) -> EngineSpec:
        """Add an engine; a second engine with the same name is refused."""
        if spec.kind not in KINDS:
            raise ValueError(f"engine {spec.name!r}: kind must be one of {KINDS}")
        unknown = set(spec.model_roles + spec.optional_roles) - set(ROLES)
        if unknown:
            raise ValueError(f"engine {spec.name!r} names unknown model roles {sorted(unknown)}")
        fields(spec.options_type)  # raises TypeError unless it is a dataclass
        with self._lock:
            if spec.name in self._specs:
                raise ValueError(f"an engine named {spec.name!r} is already registered")
            self._specs[spec.name] = spec
        return spec

    def unregister(self, name: str) -> None:
        with self._lock:
            self._specs.pop(name, None)

    def get(self, name: str) -> EngineSpec:
        from albumstudio.core.errors import InputError

        spec = self._specs.get(name)
        if spec is None:
            choices = ", ".join(self.names(None))
            raise InputError(f"There is no '{name}' engine; choose one of: {choices}.")
        return spec

    def find(self, name: str) -> EngineSpec | None:
        return self._specs.get(name)

    def specs(self, kind: str | None = "cover") -> list[EngineSpec]:
        """In registration order (the built-in offline tier first)."""
        return [s for s in self._specs.values() if kind is None or s.kind == kind]

    def names(self, kind: str | None = "cover") -> tuple[str, ...]:
        return tuple(s.name for s in self.specs(kind))

    def options_type(self, name: str) -> type | None:
        spec = self._specs.get(name)
        return spec.options_type if spec is not None else None

    def new_request(self, name: str, **common: Any) -> CoverRequest:
        """A request for engine ``name`` with its defaults (size, options) and ``common`` fields."""
        spec = self.get(name)
        values = {k: v for k, v in spec.defaults.items() if k in _COMMON}
        values.update(common)
        return CoverRequest(engine=name, options=spec.options_type(), **values)

    def request_from_dict(self, data: dict[str, Any]) -> CoverRequest:
        """Read a stored request of any version (ValueError for one this version cannot read)."""
        return CoverRequest.from_dict(data, self.options_type)


_COMMON = set(COMMON_FIELDS) - {"engine"}

_registry = EngineRegistry()
_builtins_loaded = False


def engines() -> EngineRegistry:
    """The registry, with the built-in engines in it."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from albumstudio.engines import builtin  # noqa: F401  (registers the built-ins)
    return _registry


def register(spec: EngineSpec) -> EngineSpec:
    """Register an engine (built-in or new): one call, nothing else to touch."""
    return engines().register(spec)
