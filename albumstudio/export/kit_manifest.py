"""Who made each file of a release kit, as ``release.json`` records it."""

from __future__ import annotations

import os
import time
from typing import Any

from albumstudio.core.errors import InputError
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


def created_stamp(epoch: int | None = None) -> str:
    """release.json's "created": ``epoch`` (seconds, in UTC) when the caller fixes it (a
    catalogue row's time), else ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else the
    local time now. With either of the first two a kit's bytes depend only on its inputs."""
    if epoch is None:
        given = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if given:
            if not given.isdigit():
                raise InputError(f"SOURCE_DATE_EPOCH is '{given[:40]}', not a whole number of "
                                 "seconds since 1970; set it to one or unset it.")
            epoch = int(given)
    if epoch is None:
        return time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(epoch))
