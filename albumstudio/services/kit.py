"""The release kit, from a track (and a picture, words, a link) to a folder a distributor accepts.

Qt-free, shared by the window and the ``albumstudio kit`` command. :meth:`KitService.prepare`
does all the work that can fail without writing anything: it plans and makes the cover through
the same cover service the ``cover`` command uses, exports it at the profile's size, runs every
check, and makes what the kit's export targets make (the QR poster when a link is given, the
highlight clip on a second thread while the cover is made). :meth:`KitService.write` then packs
every chosen target's files into the folder, whole (export.kit_writer), and remembers the
cover's perceptual hash, so a later release cannot reuse it unnoticed. :meth:`KitService.make`
does both, refusing to write when a check fails. The targets are registered like engines
(export.kit_targets, the built-in ones in services.kit_targets).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from albumstudio.core.distributors import DistributorProfile
from albumstudio.core.distributors import profile as find_profile
from albumstudio.core.errors import CancelledError, InputError, UserFacingError
from albumstudio.core.jobs import JobRecord, Progress, ProgressFn
from albumstudio.core.text import display_name, title_from_file
from albumstudio.export.kit_checks import (
    LEDGER_NAME,
    Check,
    blocking,
    check_cover,
    phash,
    read_ledger,
    reference_metadata,
    remember_cover,
)
from albumstudio.export.kit_cover import CoverFiles, make_cover_files
from albumstudio.export.kit_manifest import created_stamp, provenance
from albumstudio.export.kit_targets import KitTarget, TargetContext
from albumstudio.export.kit_writer import KitEntry, check_out_folder, write_kit
from albumstudio.export.safe_names import kit_folder_name, safe_component
from albumstudio.export.track_tags import TAGGABLE, ReleaseFields
from albumstudio.services.kit_targets import CLIP_FORMAT, CLIP_SECONDS, kit_targets

if TYPE_CHECKING:
    from albumstudio.services import Services

ENGINES = ("design", "diffusion")
COVER_STEPS = ("reading the track", "making the cover", "exporting the cover",
               "checking the cover")
LAST_STEP = "writing the folder"
__all__ = ["CLIP_FORMAT", "CLIP_SECONDS", "ENGINES", "KitCheckError", "KitRequest",
           "KitResult", "KitService", "PreparedKit", "kit_steps"]


def _base_name(fields: ReleaseFields) -> str:
    """The release's file name stem: "Artist - Title" (or the title), made safe."""
    return safe_component(f"{fields.artist} - {fields.title}" if fields.artist
                          else fields.title, fallback="track")


def kit_steps() -> tuple[str, ...]:
    return (*COVER_STEPS, *kit_targets().steps(), LAST_STEP)


class KitCheckError(InputError):
    """A check a store would reject the cover for failed; nothing was written."""

    def __init__(self, message: str, checks: list[Check]) -> None:
        super().__init__(message)
        self.checks = checks


@dataclass(frozen=True)
class KitRequest:
    track: str
    out: str
    image: str | None = None
    style: str = ""
    title: str | None = None
    artist: str | None = None
    qr_url: str | None = None
    profile: str = "generic"
    engine: str = "design"
    seed: int = 0
    record: bool = True  # keep the cover (and poster and clip) in the history
    clip: bool = True  # a highlight clip in clips/
    cover_png: bytes | None = None  # the cover chosen in the window (None: make one)
    cover_request: dict[str, Any] | None = None  # the request that made ``cover_png``
    targets: tuple[str, ...] | None = None  # export targets by name (None: every default one)
    created: int | None = None  # release.json's time (seconds, UTC); None: see created_stamp


@dataclass
class PreparedKit:
    request: KitRequest
    profile: DistributorProfile
    fields: ReleaseFields
    folder_name: str
    cover: JobRecord
    files: CoverFiles
    checks: list[Check]
    cover_hash: str
    poster: JobRecord | None = None
    clip: JobRecord | None = None
    notes: list[str] = field(default_factory=list)
    targets: list[KitTarget] = field(default_factory=list)
    made: dict[str, JobRecord] = field(default_factory=dict)  # other targets' records
    image: Any = None  # the cover as checked (a PIL image at the profile's size)
    upscaled: dict[str, Any] | None = None  # the super-resolution model that enlarged it

    @property
    def ok(self) -> bool:
        return not blocking(self.checks)

    # the built-in poster's and clip's records stay fields of their own (the batch service
    # replaces them with copies whose files are inlined)
    _FIELDS: ClassVar[dict[str, str]] = {"poster-qr": "poster", "clip": "clip"}

    def record(self, target: str) -> JobRecord | None:
        """What target ``target``'s ``make`` returned (None: it made nothing)."""
        kept = self._FIELDS.get(target)
        return getattr(self, kept) if kept else self.made.get(target)

    def keep(self, target: str, record: JobRecord) -> None:
        kept = self._FIELDS.get(target)
        if kept:
            setattr(self, kept, record)
        else:
            self.made[target] = record


@dataclass(frozen=True)
class KitResult:
    folder: Path
    checks: list[Check]
    manifest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "release": self.manifest.get("release", {}),
                "profile": self.manifest.get("profile", {}).get("name", ""),
                "checks": [c.to_dict() for c in self.checks],
                "files": self.manifest.get("files", []), "notes": self.manifest.get("notes", [])}


class _Background:
    """``fn(stop)`` on a thread of its own; ``result`` joins it (re-raising what it raised),
    ``abandon`` asks it to stop and joins it."""

    def __init__(self, fn: Callable[[threading.Event], JobRecord], name: str = "kit") -> None:
        self.stop = threading.Event()
        self._result: JobRecord | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), name=f"kit-{name}",
                                        daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[threading.Event], JobRecord]) -> None:
        try:
            self._result = fn(self.stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in result()
            self._error = exc

    def result(self, cancel: threading.Event | None = None) -> JobRecord:
        while self._thread.is_alive():
            self._thread.join(0.05)
            if cancel is not None and cancel.is_set():
                self.abandon()
                raise CancelledError("making the release kit")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def abandon(self) -> None:
        self.stop.set()
        self._thread.join()


class _Steps:
    """Progress over the kit's named steps (each step's own progress within its share)."""

    def __init__(self, progress: ProgressFn | None, cancel: threading.Event | None) -> None:
        self.progress = progress
        self.cancel = cancel
        self.index = 0
        self.names = kit_steps()

    def start(self, name: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise CancelledError("making the release kit")
        self.index = self.names.index(name)
        self.report(0.0, name)

    def report(self, within: float, text: str) -> None:
        if self.progress is not None:
            fraction = (self.index + max(0.0, min(1.0, within))) / len(self.names)
            self.progress(Progress(fraction, text, self.index + 1, len(self.names)))

    def inner(self) -> ProgressFn:
        name = self.names[self.index]
        return lambda p: self.report(p.fraction, f"{name}: {p.text}" if p.text else name)


class KitService:
    """Makes release kits with the cover, poster and track services of ``services``."""

    def __init__(self, services: Services,
                 decoders: tuple[tuple[str, Callable[[Any], str]], ...] | None = None) -> None:
        self.services = services
        if decoders is None:
            from albumstudio.engines.qr_scan import DECODERS

            decoders = DECODERS
        self.decoders = decoders
        self._sr: Any = None

    @property
    def ledger_path(self) -> Path:
        return self.services.paths.data / LEDGER_NAME

    def targets(self, request: KitRequest) -> list[KitTarget]:
        """The export targets this kit writes (InputError for an unknown one, or one that
        lacks what it needs)."""
        if not request.clip and request.targets is not None and "clip" in request.targets:
            raise InputError("The clip is both asked for and left out: drop 'clip' from the "
                             "targets or leave out --no-clip.")
        chosen = kit_targets().chosen(request.targets,
                                      lambda name: getattr(request, name, None) is not None)
        return [t for t in chosen if request.clip or t.name != "clip"]

    def check_request(self, request: KitRequest) -> DistributorProfile:
        """The cheap checks, before the track is read (InputError with one sentence)."""
        chosen = find_profile(request.profile)
        self.targets(request)
        if request.engine not in ENGINES:
            raise InputError(f"There is no '{request.engine}' cover engine for kits; choose one "
                             f"of: {', '.join(ENGINES)}.")
        track = Path(request.track)
        if not track.is_file():
            raise InputError(f"The track '{display_name(request.track)}' does not exist.")
        if track.suffix.lower() not in TAGGABLE:
            raise InputError(f"'{display_name(request.track)}' cannot carry a cover in its "
                             "tags; use MP3, WAV, AIFF, FLAC, M4A, Ogg or Opus.")
        check_out_folder(request.out)
        if request.qr_url is not None:
            from albumstudio.services.posters import new_request

            self.services.posters.check(new_request(self.services.posters.registry, "plain",
                                                    request.qr_url))
        return chosen

    def prepare(self, request: KitRequest, progress: ProgressFn | None = None,
                cancel: threading.Event | None = None) -> PreparedKit:
        """Everything but writing: the cover made, exported and checked, the poster made."""
        chosen = self.check_request(request)
        steps = _Steps(progress, cancel)
        targets = self.targets(request)
        # a target that needs only the track (the clip needs its now cached analysis) is made
        # on a thread of its own while the cover is made, exported and checked (started
        # earlier, beside the tagger, it made a new track's kit slower on 2 cores: see the
        # design notes)
        early: dict[str, tuple[_Background, list[str]]] = {}
        try:
            if request.cover_png is not None:
                record = self._given_cover(request)
                given = record.request
                fields = ReleaseFields(
                    title=request.title or str(given.get("title") or "")
                    or title_from_file(request.track),
                    artist=request.artist or str(given.get("artist") or ""),
                    genre=str(given.get("genre") or ""))
                fields = replace(fields, album=fields.title)

                def make_cover() -> JobRecord:
                    return record
            else:
                made, track_hash = self._plan(request, chosen, steps,
                                              keep_mix=any(t.name == "clip" for t in targets))
                fields = ReleaseFields(
                    title=made.request.title or title_from_file(request.track),
                    artist=made.request.artist, album=made.request.title,
                    genre=made.request.genre)

                def make_cover() -> JobRecord:
                    return self.services.covers.run(made.request, steps.inner(), cancel,
                                                    track_hash=track_hash,
                                                    record=request.record)
            early.update(self._start_early(targets, request, fields))
            base = _base_name(fields)
            prepared = self._cover(request, chosen, make_cover, fields, steps)
            prepared.targets = targets
            if prepared.ok:
                for target in targets:
                    if target.make is None:
                        continue
                    steps.start(target.step)
                    context = TargetContext(
                        request, fields, base, self.services, prepared.cover, prepared.files,
                        prepared.image, progress=steps.inner(), cancel=cancel)
                    try:
                        running = early.pop(target.name, None)
                        if running is not None:
                            record = running[0].result(cancel)
                            context.notes = running[1]
                        else:
                            record = target.make(context)
                    except UserFacingError as exc:
                        if not target.may_fail:
                            raise
                        # the kit stands without it
                        prepared.notes.append(f"{target.name}: not made ({exc.message})")
                        continue
                    prepared.keep(target.name, record)
                    prepared.notes.extend(context.notes)
        finally:
            self._abandon(early)
            self.services.tracks.take_mix(request.track)  # not held past the kit if unused
        return prepared

    @staticmethod
    def _abandon(early: dict[str, tuple[_Background, list[str]]]) -> None:
        for left, _notes in early.values():
            left.abandon()
        early.clear()

    def _start_early(self, targets: list[KitTarget], request: KitRequest,
                     fields: ReleaseFields) -> dict[str, tuple[_Background, list[str]]]:
        base = _base_name(fields)
        return {t.name: self._start(t, request, fields, base)
                for t in targets if t.make is not None and t.background}

    def _start(self, target: KitTarget, request: KitRequest, fields: ReleaseFields,
               base: str) -> tuple[_Background, list[str]]:
        """``target.make`` on a thread of its own (before the cover exists), and its notes."""
        notes: list[str] = []
        make = target.make
        assert make is not None

        def run(stop: threading.Event) -> JobRecord:
            return make(TargetContext(request, fields, base, self.services, cancel=stop,
                                      notes=notes))
        return _Background(run, target.name), notes

    def _plan(self, request: KitRequest, chosen: DistributorProfile, steps: _Steps,
              keep_mix: bool = False) -> tuple[Any, str]:
        """The cover request, planned from the track as the ``cover`` command plans it; with
        ``keep_mix`` (a clip follows) the analysis's mono mix is kept for the clip's highlight,
        so the track is decoded once for both."""
        settings = self.services.covers.registry.new_request(
            request.engine, seed=request.seed, image_path=request.image)
        if request.engine == "design":
            settings = replace(settings, size=chosen.export_px)
        release = {k: v for k, v in (("title", request.title), ("artist", request.artist))
                   if v is not None}
        steps.start("reading the track")
        return self.services.plan_cover(request.track, settings, image=request.image,
                                        style=request.style, release=release,
                                        progress=steps.inner(), keep_mix=keep_mix)

    def _given_cover(self, request: KitRequest) -> JobRecord:
        """A job record for the cover the artist chose in the window (the request that made
        it, as the window holds it; the models are those its options name)."""
        from albumstudio.core.jobs import ModelUse, Output
        from albumstudio.core.model_registry import revision_of

        given = dict(request.cover_request or {})
        options = given.get("options") or {}
        model = options.get("model") if isinstance(options, dict) else None
        data = request.cover_png or b""
        return JobRecord(
            kind="cover", engine=str(given.get("engine", "")), request=given,
            request_version=int(given.get("version", 0) or 0), status="finished",
            outputs=(Output("image/png", data=data, bytes=len(data),
                            seed=given.get("seed")),),
            models=(ModelUse("sd15", model, revision_of(model)),) if model else (),
            app_version=self.services.covers.app_version)

    def _cover(self, request: KitRequest, chosen: DistributorProfile,
               make_cover: Callable[[], JobRecord], fields: ReleaseFields,
               steps: _Steps) -> PreparedKit:
        """Make the cover, export it and check it."""
        steps.start("making the cover")
        record = make_cover()
        steps.start("exporting the cover")
        png = record.outputs[0].data
        if png is None:
            png = Path(record.outputs[0].path).read_bytes()
        from PIL import Image

        with Image.open(io.BytesIO(png)) as header:  # the size only: no pixels decoded
            smaller = min(header.size) < chosen.export_px
        upscaler = self._upscaler() if smaller else None
        enlarge = None
        if upscaler is not None:
            def enlarge(picture: Any) -> Any:
                return upscaler.enlarge(picture, steps.cancel, lambda f: steps.report(
                    f, f"exporting the cover: enlarging it with {upscaler.model_id}"))
        files = make_cover_files(png, chosen.export_px, chosen.max_file_bytes, enlarge,
                                 upscaler.model_id if upscaler is not None else "")
        steps.start("checking the cover")

        with Image.open(io.BytesIO(files.jpeg)) as decoded:
            decoded.load()
            image = decoded.copy()
        folder_name = kit_folder_name(fields.artist, fields.title)
        checks = check_cover(image, files.jpeg, files.png, chosen,
                             words=(str(record.request.get("title") or ""),
                                    str(record.request.get("artist") or "")),
                             decoders=self.decoders, release=folder_name,
                             ledger=read_ledger(self.ledger_path),
                             reference_had=reference_metadata(request.image),
                             upscaled_from=files.upscaled_from)
        prepared = PreparedKit(request, chosen, fields, folder_name, record, files, checks,
                               phash(image), notes=list(files.notes), image=image)
        if files.super_resolution and upscaler is not None:
            prepared.upscaled = {**upscaler.provenance(), "from_px": files.upscaled_from,
                                 "to_px": files.side}
        return prepared

    def _upscaler(self) -> Any:
        """The installed super-resolution model (engines.upscale.Upscaler, loaded when it is
        first used), or None."""
        from albumstudio.engines.upscale import Upscaler, installed_upscaler

        model = installed_upscaler()
        if model is None:
            return None
        if self._sr is None or self._sr.model_id != model:
            self._sr = Upscaler(model, self.services.models)
        return self._sr

    def write(self, prepared: PreparedKit, progress: ProgressFn | None = None) -> KitResult:
        """Write the prepared kit into its folder (whole or not at all) and remember its cover."""
        steps = _Steps(progress, None)
        steps.start("writing the folder")
        request, fields = prepared.request, prepared.fields
        base = _base_name(fields)
        entries: list[KitEntry] = []
        made: dict[str, Any] = {"cover": provenance(prepared.cover)}
        if prepared.upscaled is not None:
            made["upscale"] = prepared.upscaled
        for target in prepared.targets or self.targets(request):
            record = prepared.record(target.name)
            if target.make is not None and record is None:
                continue  # it failed and the kit stands without it (see the notes)
            context = TargetContext(request, fields, base, None, prepared.cover,
                                    prepared.files, prepared.image, record)
            entries.extend(target.files(context))
            if record is not None:
                made[target.provenance_key] = provenance(record)
            elif target.describe is not None:
                made[target.provenance_key] = target.describe(context)
        manifest: dict[str, Any] = {
            "version": 1, "app_version": prepared.cover.app_version,
            "created": created_stamp(request.created),
            "release": {"title": fields.title, "artist": fields.artist, "genre": fields.genre},
            "profile": prepared.profile.to_dict(),
            "checks": [c.to_dict() for c in prepared.checks],
            "cover": {"side": prepared.files.side, "jpeg_quality": prepared.files.quality,
                      "enlarged_from": prepared.files.upscaled_from,
                      "phash": prepared.cover_hash},
            "provenance": made,
            "notes": list(prepared.notes)}
        folder, written = write_kit(request.out, prepared.folder_name, entries, manifest,
                                    lambda name, f: steps.report(f, f"writing {name}"))
        remember_cover(self.ledger_path, prepared.folder_name, prepared.cover_hash,
                       folder.name)
        return KitResult(folder, prepared.checks, written)

    def make(self, request: KitRequest, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None) -> KitResult:
        """Prepare, check and write; KitCheckError (nothing written) when a check fails."""
        prepared = self.prepare(request, progress, cancel)
        failed = blocking(prepared.checks)
        if failed:
            reasons = "; ".join(f"{c.name}: {c.reason}" for c in failed)
            raise KitCheckError(f"The cover would be rejected ({reasons}); nothing was written.",
                                prepared.checks)
        return self.write(prepared, progress)
