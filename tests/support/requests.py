"""Cover requests for tests, written flat: option fields go to the engine's options."""

from __future__ import annotations

from typing import Any

from albumstudio.core.cover import BUILTIN_OPTIONS, CoverRequest


def cover_request(engine: str = "design", **changes: Any) -> CoverRequest:
    """``CoverRequest`` for ``engine`` with common fields and option fields given together."""
    base = CoverRequest(engine=engine, options=BUILTIN_OPTIONS[engine]())
    return base.with_changes(**changes)


def changed(request: CoverRequest, **changes: Any) -> CoverRequest:
    """``replace`` that knows which fields are the engine's options."""
    return request.with_changes(**changes)
