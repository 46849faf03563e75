"""Cover requests for tests, written flat: option fields go to the engine's options."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from albumstudio.core.cover import BUILTIN_OPTIONS, CoverRequest


def _split(engine: str, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    names = {f.name for f in fields(BUILTIN_OPTIONS[engine])}
    options = {k: v for k, v in changes.items() if k in names}
    common = {k: v for k, v in changes.items() if k not in names}
    return common, options


def cover_request(engine: str = "design", **changes: Any) -> CoverRequest:
    """``CoverRequest`` for ``engine`` with common fields and option fields given together."""
    common, options = _split(engine, changes)
    return CoverRequest(engine=engine, options=BUILTIN_OPTIONS[engine](**options), **common)


def changed(request: CoverRequest, **changes: Any) -> CoverRequest:
    """``replace`` that knows which fields are the engine's options."""
    common, options = _split(request.engine, changes)
    return replace(request, **common, options=replace(request.options, **options))
