"""What the poster and clip requests share: common fields plus an engine's options dataclass,
written as a dict and read back (options the engine does not know are dropped)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

T = TypeVar("T")


def request_to_dict(request: Any) -> dict[str, Any]:
    data = {f.name: getattr(request, f.name) for f in fields(request) if f.name != "options"}
    data["options"] = asdict(request.options)
    return data


def request_from_dict(cls: type[T], data: dict[str, Any], options_types: dict[str, Any]) -> T:
    """``cls`` made from ``data``; the engine named in it picks the options type."""
    options_type = options_types[str(data["engine"])]
    known = {f.name for f in fields(options_type)}
    options = options_type(**{k: v for k, v in dict(data.get("options", {})).items()
                              if k in known})
    own = {f.name for f in fields(cls)} - {"options"}  # type: ignore[arg-type]
    return cls(options=options,  # type: ignore[call-arg]
               **{k: v for k, v in data.items() if k in own})
