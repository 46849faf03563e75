"""One generation from the queue to the history: its progress reports and its job record.

A :class:`JobRecord` is what the history keeps and what every caller gets back from a
service: which engine ran which request (and at which version), how it ended, what it wrote
(outputs of any media type), the notes worth reading, how long each phase took, and which
models (id and revision) made it. :class:`Progress` is the one progress report that engines,
services, the job runner and the window share.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

STATUSES = ("queued", "running", "finished", "failed", "cancelled")
KINDS = ("cover", "poster", "clip")


@dataclass(frozen=True)
class Progress:
    """How far a job is: ``fraction`` 0..1 and a line of text; engines that work in steps also
    give ``step``/``total`` (of ``item`` out of ``items``, e.g. a cover's variants) and may
    carry a small RGB preview (numpy uint8 array) and an ETA in seconds."""

    fraction: float = 0.0
    text: str = ""
    step: int = 0
    total: int = 0
    item: int = 0
    items: int = 1
    preview: Any = field(default=None, compare=False, repr=False)
    eta_s: float | None = None


ProgressFn = Callable[[Progress], None]


def steps_progress(step: int, total: int, text: str = "", item: int = 0, items: int = 1,
                   preview: Any = None) -> Progress:
    """A step report: the fraction counts every item's steps together."""
    total = max(1, total)
    items = max(1, items)
    fraction = min(1.0, (item * total + step) / (total * items))
    return Progress(fraction, text or f"step {step} of {total}", step, total, item, items, preview)


@dataclass(frozen=True)
class Note:
    """Something worth reading about a result: an ``explanation`` of a choice (why this palette)
    or a ``warning`` (ran out of GPU memory, retried lighter)."""

    text: str
    kind: str = "warning"

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "kind": self.kind}

    @classmethod
    def of(cls, text: str) -> Note:
        """An engine's note as an explanation (the design engine's palette, treatment,
        background and type choices) or a warning (everything else)."""
        return cls(text, "explanation" if text.startswith(EXPLANATION_PREFIXES) else "warning")


EXPLANATION_PREFIXES = ("palette:", "treatment:", "background:", "type:", "texture:", "words:")


@dataclass(frozen=True)
class ModelUse:
    """A model that took part in a job: its role, its id (or folder) and the revision used."""

    role: str
    id: str
    revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "id": self.id, "revision": self.revision}


@dataclass(frozen=True)
class Output:
    """One file a job made. ``media`` is a MIME type (image/png, audio/wav, application/pdf);
    ``path`` is where the history keeps it (empty until recorded); images carry their size,
    audio its duration. ``data`` holds the bytes until they are written."""

    media: str
    file_hash: str = ""
    path: str = ""
    bytes: int = 0
    width: int = 0
    height: int = 0
    duration_s: float = 0.0
    seed: int | None = None
    notes: tuple[Note, ...] = ()
    data: builtins.bytes | None = field(default=None, compare=False, repr=False)
    display: Any = field(default=None, compare=False, repr=False)  # screen-size RGB array
    id: int = 0  # the history's id for this output (0 until recorded)
    favourite: bool = False  # this variant kept as a favourite (the history's)
    trashed: float | None = None  # when this variant went to the history's trash

    @property
    def extension(self) -> str:
        return MEDIA_EXTENSIONS.get(self.media, ".bin")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "media": self.media, "file_hash": self.file_hash, "path": self.path,
                "bytes": self.bytes, "width": self.width, "height": self.height,
                "duration_s": self.duration_s, "seed": self.seed,
                "notes": [n.to_dict() for n in self.notes],
                "favourite": self.favourite, "in_trash": self.trashed is not None}


MEDIA_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "audio/wav": ".wav",
                    "audio/flac": ".flac", "audio/mpeg": ".mp3", "audio/ogg": ".ogg",
                    "video/mp4": ".mp4", "video/webm": ".webm", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class JobRecord:
    """A generation's whole life. ``id`` is 0 until the history stores it."""

    kind: str
    engine: str
    request: dict[str, Any]
    request_version: int
    engine_version: int = 1
    status: str = "queued"
    outputs: tuple[Output, ...] = ()
    notes: tuple[Note, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    models: tuple[ModelUse, ...] = ()
    app_version: str = ""
    track_hash: str = ""
    device: str = ""
    problem: str = ""
    created: float = field(default_factory=time.time)
    id: int = 0
    favourite: bool = False
    trashed: float | None = None  # when it went to the history's trash (None: kept)

    def warnings(self) -> list[str]:
        texts = [n.text for n in self.notes if n.kind == "warning"]
        texts += [n.text for o in self.outputs for n in o.notes if n.kind == "warning"]
        return list(dict.fromkeys(texts))

    def explanations(self) -> list[str]:
        return list(dict.fromkeys(n.text for n in self.notes if n.kind == "explanation"))

    def summary(self) -> dict[str, Any]:
        """What ``albumstudio history list --json`` prints for one entry."""
        first = self.outputs[0] if self.outputs else None
        return {
            "id": self.id, "kind": self.kind, "engine": self.engine,
            "engine_version": self.engine_version, "status": self.status,
            "seed": first.seed if first is not None else self.request.get("seed"),
            "size": [first.width, first.height] if first is not None else None,
            "duration_s": first.duration_s if first is not None and first.duration_s else None,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.created)),
            "file": first.path if first is not None else "",
            "outputs": [o.to_dict() for o in self.outputs],
            "notes": [n.to_dict() for n in self.notes],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "models": [m.to_dict() for m in self.models],
            "problem": self.problem,
            "app_version": self.app_version, "track_hash": self.track_hash,
            "request_version": self.request_version,
            "favourite": self.favourite,
            "trashed": (None if self.trashed is None else
                        time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.trashed))),
        }


class StepClock:
    """ETA from the steps seen so far; the first step (warm-up, loading) is not counted."""

    def __init__(self, total_steps: int) -> None:
        self.total_steps = max(1, total_steps)
        self._first: float | None = None
        self._first_done = 0
        self._last_done = 0
        self._last: float | None = None

    def tick(self, done: int, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        if self._first is None:
            self._first, self._first_done = now, done
            return None
        self._last, self._last_done = now, done
        steps = self._last_done - self._first_done
        if steps <= 0:
            return None
        per_step = (self._last - self._first) / steps
        return max(0.0, per_step * (self.total_steps - done))


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left…"
    if seconds < 1.5:
        return "about a second left"
    if seconds < 90:
        return f"about {round(seconds)} s left"
    return f"about {round(seconds / 60)} min left"


def with_eta(progress: ProgressFn) -> ProgressFn:
    """Step reports with "image i of n" and the time left added to their text."""
    clock: StepClock | None = None

    def report(p: Progress) -> None:
        nonlocal clock
        if p.total <= 0:
            progress(p)
            return
        total = p.total * max(1, p.items)
        done = p.item * p.total + p.step
        if clock is None or clock.total_steps != total:
            clock = StepClock(total)
        eta = clock.tick(done)
        what = f"image {p.item + 1} of {p.items}, " if p.items > 1 else ""
        progress(replace(p, text=f"{what}{p.text} · {format_eta(eta)}", eta_s=eta))

    return report
