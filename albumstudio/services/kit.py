"""The release kit, from a track (and a picture, words, a link) to a folder a distributor accepts.

Qt-free, shared by the window and the ``albumstudio kit`` command. :meth:`KitService.prepare`
does all the work that can fail without writing anything: it plans and makes the cover through
the same cover service the ``cover`` command uses, exports it at the profile's size, runs every
check, and makes the QR poster when a link is given. :meth:`KitService.write` then writes the
folder whole (export.kit_writer) and remembers the cover's perceptual hash, so a later release
cannot reuse it unnoticed. :meth:`KitService.make` does both, refusing to write when a check
fails.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from albumstudio.export.kit_manifest import provenance
from albumstudio.export.kit_writer import KitEntry, check_out_folder, write_kit
from albumstudio.export.safe_names import kit_folder_name, safe_component
from albumstudio.export.track_tags import TAGGABLE, ReleaseFields

if TYPE_CHECKING:
    from albumstudio.services import Services

ENGINES = ("design", "diffusion")
STEPS = ("reading the track", "making the cover", "exporting the cover", "checking the cover",
         "making the QR poster", "making the clip", "writing the folder")
CLIP_SECONDS = 30.0
CLIP_FORMAT = "mp3"


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

    @property
    def ok(self) -> bool:
        return not blocking(self.checks)


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

    def __init__(self, fn: Callable[[threading.Event], JobRecord]) -> None:
        self.stop = threading.Event()
        self._result: JobRecord | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), name="kit-clip",
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

    def start(self, name: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise CancelledError("making the release kit")
        self.index = STEPS.index(name)
        self.report(0.0, name)

    def report(self, within: float, text: str) -> None:
        if self.progress is not None:
            fraction = (self.index + max(0.0, min(1.0, within))) / len(STEPS)
            self.progress(Progress(fraction, text, self.index + 1, len(STEPS)))

    def inner(self) -> ProgressFn:
        name = STEPS[self.index]
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

    @property
    def ledger_path(self) -> Path:
        return self.services.paths.data / LEDGER_NAME

    def check_request(self, request: KitRequest) -> DistributorProfile:
        """The cheap checks, before the track is read (InputError with one sentence)."""
        chosen = find_profile(request.profile)
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
            made, track_hash = self._plan(request, chosen, steps)
            fields = ReleaseFields(title=made.request.title or title_from_file(request.track),
                                   artist=made.request.artist, album=made.request.title,
                                   genre=made.request.genre)

            def make_cover() -> JobRecord:
                return self.services.covers.run(made.request, steps.inner(), cancel,
                                                track_hash=track_hash, record=request.record)
        # the clip needs only the track's (now cached) analysis: it is made on a second
        # thread while the cover is made, exported and checked
        clip = _Background(lambda stop: self._clip(request, fields, stop)) if request.clip \
            else None
        try:
            prepared = self._cover(request, chosen, make_cover, fields, steps, cancel)
            if prepared.ok and clip is not None:
                steps.start("making the clip")
                try:
                    prepared.clip = clip.result(cancel)
                except UserFacingError as exc:  # the kit stands without its clip
                    prepared.notes.append(f"clip: not made ({exc.message})")
                clip = None
                length = prepared.clip.outputs[0].duration_s if prepared.clip else CLIP_SECONDS
                if length < CLIP_SECONDS - 0.5:
                    prepared.notes.append(f"clip: the track is shorter than {CLIP_SECONDS:g} s,"
                                          f" so the clip is {length:.1f} s")
        finally:
            if clip is not None:
                clip.abandon()
        return prepared

    def _plan(self, request: KitRequest, chosen: DistributorProfile,
              steps: _Steps) -> tuple[Any, str]:
        """The cover request, planned from the track as the ``cover`` command plans it."""
        settings = self.services.covers.registry.new_request(
            request.engine, seed=request.seed, image_path=request.image)
        if request.engine == "design":
            settings = replace(settings, size=chosen.export_px)
        release = {k: v for k, v in (("title", request.title), ("artist", request.artist))
                   if v is not None}
        steps.start("reading the track")
        return self.services.plan_cover(request.track, settings, image=request.image,
                                        style=request.style, release=release,
                                        progress=steps.inner())

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
               make_cover: Callable[[], JobRecord], fields: ReleaseFields, steps: _Steps,
               cancel: threading.Event | None) -> PreparedKit:
        """Make the cover, export it, check it, and make the poster when all checks pass."""
        steps.start("making the cover")
        record = make_cover()
        steps.start("exporting the cover")
        png = record.outputs[0].data
        if png is None:
            png = Path(record.outputs[0].path).read_bytes()
        files = make_cover_files(png, chosen.export_px, chosen.max_file_bytes)
        steps.start("checking the cover")
        from PIL import Image

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
                               phash(image), notes=list(files.notes))
        if prepared.ok and request.qr_url is not None:
            steps.start("making the QR poster")
            prepared.poster = self._poster(request, fields, image, steps, cancel)
        return prepared

    def _clip(self, request: KitRequest, fields: ReleaseFields,
              cancel: threading.Event) -> JobRecord:
        """The highlight clip: the most representative 30 s (the whole track when shorter)."""
        clips = self.services.clips
        seconds = min(CLIP_SECONDS, float(int(clips.duration(request.track, cancel) * 10)) / 10)
        clip = clips.new_request(request.track, seconds, fmt=CLIP_FORMAT, title=fields.title,
                                 artist=fields.artist, cancel=cancel)
        return clips.run(clip, None, cancel, record=request.record)

    def _poster(self, request: KitRequest, fields: ReleaseFields, cover: Any,
                steps: _Steps, cancel: threading.Event | None) -> JobRecord:
        """The QR poster, with the kit's cover (at the poster's own size: decoding the 3000 px
        master again would cost more than the poster)."""
        import tempfile

        from PIL import Image

        from albumstudio.core.qr import POSTER_SIZES
        from albumstudio.services.posters import new_request

        posters = self.services.posters
        side = max(POSTER_SIZES["square"].width, POSTER_SIZES["square"].height)
        with tempfile.TemporaryDirectory(prefix="albumstudio-kit-") as scratch:
            picture = Path(scratch) / "cover.png"
            cover.resize((side, side), Image.Resampling.LANCZOS).save(picture, compress_level=1)
            poster = new_request(posters.registry, "plain", request.qr_url or "",
                                 image_path=str(picture), title=fields.title,
                                 artist=fields.artist, size="square", format="png",
                                 seed=request.seed)
            record = posters.run(poster, steps.inner(), cancel, record=request.record)
        # the picture was this kit's cover.png; its temporary copy is gone
        kept = {**record.request, "image_path": "cover.png"}
        return replace(record, request=kept)

    def write(self, prepared: PreparedKit, progress: ProgressFn | None = None) -> KitResult:
        """Write the prepared kit into its folder (whole or not at all) and remember its cover."""
        steps = _Steps(progress, None)
        steps.start("writing the folder")
        request, fields = prepared.request, prepared.fields
        base = safe_component(f"{fields.artist} - {fields.title}" if fields.artist
                              else fields.title, fallback="track")
        entries = [KitEntry("cover.jpg", "cover", prepared.files.jpeg, provenance="cover"),
                   KitEntry("cover.png", "cover-master", prepared.files.png,
                            provenance="cover")]
        if prepared.poster is not None:
            output = prepared.poster.outputs[0]
            data = output.data if output.data is not None else Path(output.path).read_bytes()
            entries.append(KitEntry("poster-qr.png", "poster", data, provenance="poster"))
        if prepared.clip is not None:
            output = prepared.clip.outputs[0]
            data = output.data if output.data is not None else Path(output.path).read_bytes()
            length = f"{output.duration_s:.0f} s"
            entries.append(KitEntry(f"clips/{base} ({length}){output.extension}", "clip", data,
                                    provenance="clip"))
        suffix = Path(request.track).suffix.lower()
        entries.append(KitEntry(f"{base}{suffix}", "track", track=request.track,
                                cover=prepared.files.jpeg, fields=fields, provenance="track"))
        manifest: dict[str, Any] = {
            "version": 1, "app_version": prepared.cover.app_version,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "release": {"title": fields.title, "artist": fields.artist, "genre": fields.genre},
            "profile": prepared.profile.to_dict(),
            "checks": [c.to_dict() for c in prepared.checks],
            "cover": {"side": prepared.files.side, "jpeg_quality": prepared.files.quality,
                      "enlarged_from": prepared.files.upscaled_from,
                      "phash": prepared.cover_hash},
            "provenance": {
                "cover": provenance(prepared.cover),
                **({"poster": provenance(prepared.poster)} if prepared.poster else {}),
                **({"clip": provenance(prepared.clip)} if prepared.clip else {}),
                "track": {"source": display_name(request.track, 200),
                          "track_hash": prepared.cover.track_hash,
                          "tags": {k: v for k, v in vars(fields).items() if v}}},
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
