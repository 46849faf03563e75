"""Who made each file of a release kit, as ``release.json`` records it."""

from __future__ import annotations

from typing import Any

from albumstudio.core.jobs import JobRecord
from albumstudio.core.model_registry import model_entry


def _models(record: JobRecord) -> list[dict[str, Any]]:
    out = []
    for use in record.models:
        entry = model_entry(use.id)
        out.append({**use.to_dict(), "license": entry.license if entry else "unknown",
                    "commercial_use": entry.commercial_use if entry else None})
    return out


def provenance(record: JobRecord) -> dict[str, Any]:
    """Who made a file: the engine and its version, the models and their licences, the
    prompt, seed and whole request, the app version and the history entry."""
    request = record.request
    return {"kind": record.kind, "engine": record.engine,
            "engine_version": record.engine_version, "models": _models(record),
            "prompt": request.get("prompt", request.get("payload", "")),
            "negative_prompt": request.get("negative_prompt", ""),
            "seed": request.get("seed"), "request": request, "device": record.device,
            "app_version": record.app_version, "history_entry": record.id or None,
            "notes": [n.text for n in record.notes]}
