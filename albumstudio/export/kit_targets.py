"""Export targets: each part of a release kit declares itself once, like an engine.

A :class:`KitTarget` says what it writes into the kit folder ("cover.jpg", "clips/…"), whether
it makes something first (the QR poster, the clip: ``make`` runs while the kit is prepared,
before anything is written, and returns the job record that becomes its provenance), and how
its files are packed (``files``, when the folder is written). The kit service runs the targets
the request asks for (or every default one) in registration order; the ``kit`` command and the
export dialog list them from this registry, so a new part of the kit is one :func:`register`
call. ``release.json`` is not a target: it is written last, over every file the targets wrote.

The built-in targets register in :mod:`albumstudio.services.kit_targets` (they use the poster
and clip services, which this layer may not import).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from albumstudio.core.errors import InputError
from albumstudio.core.jobs import JobRecord, ProgressFn
from albumstudio.export.kit_writer import KitEntry
from albumstudio.export.track_tags import ReleaseFields


@dataclass
class TargetContext:
    """What a target sees: the request and release fields, the cover once it is made (its
    files, its decoded picture, its job record), the record the target's own ``make``
    returned, and where to report progress and notes."""

    request: Any  # services.kit.KitRequest
    fields: ReleaseFields
    base: str  # the release's safe file name stem ("Artist - Title")
    services: Any = None  # the services.Services that made the kit (None in ``files``)
    cover: JobRecord | None = None
    cover_files: Any = None  # export.kit_cover.CoverFiles
    cover_image: Any = None  # the cover as a PIL image at the profile's size
    record: JobRecord | None = None
    progress: ProgressFn | None = None
    cancel: threading.Event | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class KitTarget:
    name: str
    label: str
    writes: str  # what it puts in the folder, as the listing says it ("cover.jpg")
    files: Callable[[TargetContext], Sequence[KitEntry]]
    make: Callable[[TargetContext], JobRecord] | None = None
    step: str = ""  # the progress step while ``make`` runs ("making the QR poster")
    background: bool = False  # ``make`` needs only the track: run it while the cover is made
    default: bool = True  # in a kit unless the request lists the targets it wants
    needs: str = ""  # a KitRequest field that must be given ("qr_url"); skipped by default without
    needs_words: str = ""  # how a sentence asks for it ("a link for the poster (--qr URL)")
    required: bool = False  # always in the kit
    may_fail: bool = False  # the kit stands without it: a failure becomes a note
    provenance: str = ""  # release.json's provenance key for what ``make`` returned
    describe: Callable[[TargetContext], dict[str, Any]] | None = None  # provenance without a job

    @property
    def provenance_key(self) -> str:
        return self.provenance or self.name


class KitTargetRegistry:
    def __init__(self) -> None:
        self._targets: dict[str, KitTarget] = {}
        self._lock = threading.Lock()

    def register(self, target: KitTarget) -> KitTarget:
        """Add a target; a second target with the same name is refused."""
        if target.make is not None and not target.step:
            raise ValueError(f"kit target {target.name!r} makes something: give it a step name")
        with self._lock:
            if target.name in self._targets:
                raise ValueError(f"a kit target named {target.name!r} is already registered")
            self._targets[target.name] = target
        return target

    def unregister(self, name: str) -> None:
        with self._lock:
            self._targets.pop(name, None)

    def targets(self) -> list[KitTarget]:
        """In registration order (the order their files are written in)."""
        return list(self._targets.values())

    def names(self) -> tuple[str, ...]:
        return tuple(self._targets)

    def find(self, name: str) -> KitTarget | None:
        return self._targets.get(name)

    def get(self, name: str) -> KitTarget:
        target = self._targets.get(name)
        if target is None:
            raise InputError(f"There is no '{name}' export target; choose from: "
                             f"{', '.join(self.names())}.")
        return target

    def steps(self) -> tuple[str, ...]:
        return tuple(t.step for t in self._targets.values() if t.make is not None)

    def chosen(self, wanted: Sequence[str] | None, given: Callable[[str], bool]) -> list[KitTarget]:
        """The targets of a kit: ``wanted`` (names; None for every default target) plus the
        required ones, in registration order. ``given(field)`` says whether the request gives
        what a target needs: a default target without it is left out, a named one is an
        InputError saying what to give."""
        if wanted is None:
            picked = {t.name for t in self._targets.values()
                      if t.default and (not t.needs or given(t.needs))}
        else:
            picked = set()
            for name in wanted:
                target = self.get(name)
                if target.needs and not given(target.needs):
                    raise InputError(f"The '{name}' export target needs "
                                     f"{target.needs_words or target.needs}; give it or leave "
                                     "the target out.")
                picked.add(name)
        picked |= {t.name for t in self._targets.values() if t.required}
        return [t for t in self._targets.values() if t.name in picked]


_registry = KitTargetRegistry()


def registry() -> KitTargetRegistry:
    """The registry itself (the built-in targets are in it once services.kit_targets is
    imported)."""
    return _registry


def register(target: KitTarget) -> KitTarget:
    """Register an export target (built-in or new): one call, nothing else to touch."""
    return _registry.register(target)
