"""The history as both faces show it: an entry's details, re-running and varying an entry.

The CLI's ``history show`` and the gallery's detail pane print the same details; ``history
rerun`` and the gallery's Re-run and Vary go through the cover service (posters through the
poster service), so the same request makes the same bytes (or the record carries the
engine-changed note).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from albumstudio.core.errors import InputError
from albumstudio.core.jobs import JobRecord, Note, ProgressFn
from albumstudio.core.model_registry import model_entry
from albumstudio.services.covers import CoverService
from albumstudio.services.posters import PosterService
from albumstudio.store.history import HistoryItem, HistoryStore

RERUNNABLE_KINDS = ("cover", "poster")


def flat_settings(request: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every setting of a request as (name, value), the engine's options by their own names
    and the music figures as ``mood.NAME``; nothing left out."""
    out: list[tuple[str, Any]] = []
    for key, value in request.items():
        if key == "options" and isinstance(value, dict):
            out += [(str(k), v) for k, v in value.items()]
        elif key == "mood" and isinstance(value, dict):
            out += [(f"mood.{k}", v) for k, v in value.items()]
        else:
            out.append((str(key), value))
    return out


def models_with_licences(record: JobRecord) -> list[dict[str, Any]]:
    """The models an entry used, with their licences where the model registry lists them."""
    out = []
    for model in record.models:
        entry = model_entry(model.id)
        out.append({**model.to_dict(),
                    "license": entry.license if entry is not None else None,
                    "commercial_use": entry.commercial_use if entry is not None else None})
    return out


def details(record: JobRecord) -> dict[str, Any]:
    """What ``history show --json`` prints and the detail pane shows."""
    return {**record.summary(), "request": record.request,
            "settings": dict(flat_settings(record.request)),
            "models": models_with_licences(record),
            "warnings": record.warnings(), "explanations": record.explanations()}


def entry(store: HistoryStore, job_id: int) -> JobRecord:
    """The entry ``job_id`` (in the trash or not); InputError when there is none."""
    found = store.get(job_id)
    if found is None:
        raise InputError(f"There is no history entry {job_id}; `albumstudio history list` "
                         "shows the entries.")
    return found


def entry_item(store: HistoryStore, job_id: int, output: int = 1) -> HistoryItem:
    """Output number ``output`` (from 1) of a finished entry, as an item to re-run or save."""
    record = entry(store, job_id)
    if record.kind not in RERUNNABLE_KINDS:
        raise InputError(f"Entry {job_id} is a {record.kind}; only covers and posters can be "
                         "re-run so far.")
    if record.status != "finished" or not record.outputs:
        raise InputError(f"Entry {job_id} {record.status} and made nothing to re-run; "
                         f"make the {record.kind} again with its settings instead.")
    item = store.item_of(job_id, output - 1)
    if item is None:
        raise InputError(f"Entry {job_id} has {len(record.outputs)} output(s), not {output}.")
    return item


@dataclass(frozen=True)
class Rerun:
    """A re-run: the new record, the entry it came from, and whether the bytes are identical."""

    record: JobRecord
    source: HistoryItem
    identical: bool


def rerun(covers: CoverService, item: HistoryItem, progress: ProgressFn | None = None,
          cancel: threading.Event | None = None, record: bool = True) -> Rerun:
    """Make an entry's output again (same request); says whether the bytes are identical."""
    made = covers.rerun(item, progress, cancel, record=record)
    try:
        before = item.read_bytes()
    except OSError:
        before = b""
    data = made.outputs[0].data if made.outputs else None
    if data is None and made.outputs:
        with open(made.outputs[0].path, "rb") as handle:
            data = handle.read()
    return Rerun(made, item, data == before)


def rerun_poster(posters: PosterService, item: HistoryItem,
                 progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                 record: bool = True) -> Rerun:
    """Make a poster entry again from its recorded request through the poster service; says
    whether the bytes are identical (the record notes an engine changed since)."""
    from albumstudio.core.qr import QrRequest

    try:
        request = QrRequest.from_dict(dict(item.request))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"The settings of entry {item.job_id} cannot be read back ({exc}); "
                         "make the poster again in the QR tab.") from None
    spec = posters.check(request)
    made = posters.run(request, progress, cancel, record=False)
    if spec.version != item.engine_version:
        made = replace(made, notes=(*made.notes, Note(
            f"The {spec.label} engine has changed since entry {item.job_id} (version "
            f"{item.engine_version} → {spec.version}): the poster may differ.", "warning")))
    if record and posters.history is not None:
        made = posters.history.record(made)
    data = made.outputs[0].data if made.outputs[0].data is not None else \
        open(made.outputs[0].path, "rb").read()
    try:
        before = item.read_bytes()
    except OSError:
        before = b""
    return Rerun(made, item, data == before)


def vary(covers: CoverService, item: HistoryItem, seed: int,
         progress: ProgressFn | None = None, cancel: threading.Event | None = None,
         record: bool = True) -> JobRecord:
    """The same settings with another seed (one new cover)."""
    request = replace(covers.request_of(item), seed=int(seed), variants=1)
    return covers.run(request, progress, cancel, track_hash=item.track_hash, record=record)
