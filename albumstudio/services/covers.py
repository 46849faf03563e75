"""Covers, from what the artist asked for to a job record in the history.

``plan`` turns the track (its facts, the artist's edits applied), the picture's words, the
artist's own words, a genre preset and the chosen engine's settings into one
:class:`CoverRequest`; ``run`` runs it on the engine the registry names and records the job.
The window and the CLI both come through here, so the same inputs make the same request and
the same bytes.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from albumstudio.core.cover import CoverRequest, CoverResult, DesignOptions, DiffusionOptions
from albumstudio.core.cover_options import AUTO
from albumstudio.core.errors import CancelledError, InputError, UserFacingError
from albumstudio.core.genre_presets import GENRE_PRESETS
from albumstudio.core.jobs import JobRecord, ModelUse, Note, Output, ProgressFn, with_eta
from albumstudio.core.model_registry import revision_of
from albumstudio.core.prompt import ComposedPrompt, compose_prompt
from albumstudio.engines.registry import EngineSpec
from albumstudio.services.engine_host import EngineHost
from albumstudio.services.tracks import TrackFacts
from albumstudio.store.history import HistoryItem


@dataclass(frozen=True)
class CoverPlan:
    request: CoverRequest
    prompt: ComposedPrompt


def compose(facts: TrackFacts, picture_words: str = "", style: str = "",
            preset: str | None = None, music_summary: str = "") -> ComposedPrompt:
    """The explainable prompt for this track, picture and words (and the music captions'
    summary, when the track was captioned)."""
    return compose_prompt(
        style=style, image_caption=picture_words, music_description=facts.description,
        music_tags=facts.tags, title=facts.release.title, artist=facts.release.artist,
        genre=facts.release.genre, preset=preset, music_summary=music_summary)


def plan(facts: TrackFacts, settings: CoverRequest, *, picture_words: str = "", style: str = "",
         preset: str | None = None, prompt: str | None = None,
         negative: str | None = None, music_summary: str = "") -> CoverPlan:
    """The request for ``settings`` (engine, size, seed, variants, picture, crop and the
    engine's options) on this track. ``prompt``/``negative`` are the artist's edited texts
    (the composed ones when None). "auto" design choices follow the genre preset."""
    composed = compose(facts, picture_words if settings.image_path else "", style, preset,
                       music_summary)
    release = facts.release
    request = replace(
        settings, prompt=composed.text if prompt is None else prompt,
        negative_prompt=composed.negative if negative is None else negative,
        words=style.strip(), title=release.title, artist=release.artist, genre=release.genre,
        mood=facts.mood)
    options = request.options
    if isinstance(options, DesignOptions):
        request = replace(request, options=design_choices(options, style, composed.preset))
    elif isinstance(options, DiffusionOptions) and not request.image_path:
        request = replace(request, crop=None,
                          options=replace(options, mode="txt2img", conditions=()))
    if not request.image_path:
        request = replace(request, crop=None)
    if any(p.source == "captions" and p.text and p.text in request.prompt for p in composed.parts):
        from albumstudio.services.captions import SUMMARY_ROLES

        request = replace(request, prompt_models=SUMMARY_ROLES)  # their licences are recorded
    return CoverPlan(request, composed)


def design_choices(options: DesignOptions, words: str, preset: str | None) -> DesignOptions:
    """The design options with "auto" made concrete: the artist's words first ("halftone",
    "art deco"), then the genre preset, then the defaults; a grain left at its default follows
    a texture word ("film grain", "clean")."""
    from albumstudio.core.design_words import read_words

    reading = read_words(words)
    chosen = GENRE_PRESETS.get(preset or "")

    def pick(decision: str, from_preset: str | None, default: str) -> str:
        said = reading.choice(decision)
        return str(said[0]) if said is not None else from_preset or default

    layout = pick("layout", chosen.design_layout if chosen else None, "bottom-left")
    treatment = pick("treatment", chosen.design_treatment if chosen else None, "duotone")
    grain = options.grain
    said_grain = reading.choice("grain")
    if said_grain is not None and grain == DesignOptions().grain:
        grain = float(said_grain[0])
    return replace(options, layout=layout if options.layout == AUTO else options.layout,
                   treatment=treatment if options.treatment == AUTO else options.treatment,
                   grain=grain)


class CoverService(EngineHost):
    """Runs cover requests on the registered engines and files the results in the history."""

    def check(self, request: CoverRequest) -> EngineSpec:
        """The engine's spec; InputError when the request is outside its limits."""
        spec = self.registry.get(request.engine)
        if not isinstance(request.options, spec.options_type):
            raise InputError(f"The {spec.label} engine was given another engine's settings; "
                             "choose the engine again.")
        low, high = spec.limit("size", (1, 100_000))
        if not low <= request.size <= high:
            raise InputError(f"The {spec.label} engine makes covers of {int(low)} to "
                             f"{int(high)} px, not {request.size}; choose a size in that range.")
        low, high = spec.limit("variants", (1, 16))
        if not low <= request.variants <= high:
            raise InputError(f"Ask for between {int(low)} and {int(high)} variants, not "
                             f"{request.variants}.")
        return spec

    def preflight(self, request: CoverRequest) -> EngineSpec:
        """Everything that can be checked before the track is read: the engine, its limits and
        its models (ModelMissingError with one sentence when one is missing or damaged)."""
        from albumstudio.core.errors import ModelMissingError
        from albumstudio.core.model_registry import default_model, role_name
        from albumstudio.engines.models import diagnose

        spec = self.check(request)
        chosen = getattr(request.options, "model", None)
        for role in spec.model_roles:
            model = chosen if isinstance(chosen, str) and chosen else default_model(role)
            problem = diagnose(model, role_name(role))
            if problem:
                raise ModelMissingError(problem)
        return spec

    def run(self, request: CoverRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None, *, track_hash: str = "",
            record: bool = True, notes: tuple[Note, ...] = ()) -> JobRecord:
        """Make the covers of ``request``; the finished job record (kept in the history unless
        ``record`` is False or there is no history). Raises InputError or CancelledError;
        LicenceNotAcknowledged (one sentence) before a non-commercial model's first use."""
        spec = self.check(request)
        if any(getattr(c, "kind", "") == "seg" for c in getattr(request.options, "conditions", ())):
            from albumstudio.services.model_manager import require_acknowledgement

            require_acknowledgement("segmenter")  # SegFormer's weights: research use only
        started = time.perf_counter()
        try:
            engine = self.engine(request.engine)
            loaded = time.perf_counter()
            result: CoverResult = engine.run(request, with_eta(progress) if progress else None,
                                             cancel)
        except (UserFacingError, MemoryError) as exc:
            if record and self.history is not None:  # what failed, and why, stays findable
                self.history.record(self._failed(spec, request, track_hash, str(exc),
                                                 time.perf_counter() - started))
            raise
        if cancel is not None and cancel.is_set():
            raise CancelledError("making the cover")
        done = time.perf_counter()
        job = self._record(spec, request, result, track_hash, notes,
                           {"prepare": loaded - started, "generate": done - loaded})
        if record and self.history is not None:
            job = self.history.record(job)
            job = replace(job, timings={**job.timings, "record": time.perf_counter() - done},
                          outputs=tuple(replace(o, display=s.display)
                                        for o, s in zip(job.outputs, result.images,
                                                        strict=True)))
        return job

    def _failed(self, spec: EngineSpec, request: CoverRequest, track_hash: str, problem: str,
                seconds: float) -> JobRecord:
        return JobRecord(
            kind=spec.kind, engine=spec.name, engine_version=spec.version,
            request=json.loads(json.dumps(request.to_dict())), request_version=request.version,
            status="failed", problem=problem or "Ran out of memory.",
            timings={"generate": seconds}, app_version=self.app_version, track_hash=track_hash)

    def _record(self, spec: EngineSpec, request: CoverRequest, result: CoverResult,
                track_hash: str, notes: tuple[Note, ...],
                timings: dict[str, float]) -> JobRecord:
        from albumstudio.services.model_manager import licence_notes

        classified = [Note.of(n) for n in dict.fromkeys(result.notes)]
        explanations = [n for n in classified if n.kind == "explanation"]
        warnings = [n for n in classified if n.kind == "warning"]
        outputs = tuple(Output(
            "image/png", width=image.width, height=image.height, seed=image.seed,
            notes=tuple(Note.of(n) for n in image.notes),
            data=image.png, bytes=len(image.png), display=image.display)
            for image in result.images)
        stored = replace(request, variants=len(result.images)) if result.images else request
        used = tuple(ModelUse(role, model, revision_of(model)) for role, model in result.models)
        fed: tuple[Note, ...] = ()
        if request.prompt_models:  # words in the prompt made by models (the captions' summary)
            from albumstudio.services.captions import prompt_model_uses

            uses, fed = prompt_model_uses(request.prompt_models)
            used = tuple(dict.fromkeys((*used, *uses)))
        return JobRecord(
            kind=spec.kind, engine=spec.name, engine_version=spec.version,
            request=json.loads(json.dumps(stored.to_dict())),  # as the history gives it back
            request_version=stored.version, status="finished",
            outputs=outputs,
            notes=(*notes, *explanations, *fed, *warnings, *licence_notes(used)),
            timings=timings, models=used,
            app_version=self.app_version, track_hash=track_hash, device=result.device)

    def request_of(self, item: HistoryItem) -> CoverRequest:
        """The request that made one history output (InputError when it cannot be read)."""
        try:
            return self.registry.request_from_dict(item.request)
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError("That cover was made by another version of AlbumStudio; its "
                             f"settings cannot be used here ({exc}).") from exc

    def changed_since(self, item: HistoryItem) -> Note | None:
        """A note when the engine that made ``item`` has changed since (the same request may
        then give other pixels)."""
        spec = self.registry.find(item.engine)
        if spec is not None and spec.version != item.engine_version:
            return Note(f"The {spec.label} engine has changed since this cover was made "
                        f"(version {item.engine_version}, now {spec.version}), so the new "
                        "cover may differ from the old one.")
        return None

    def request_from_png(self, path: str) -> CoverRequest | None:
        """The request a PNG saved by AlbumStudio carries (None when it carries none;
        InputError when it cannot be read or was made by another version)."""
        data = settings_in_png(path)
        if data is None:
            return None
        try:
            return self.registry.request_from_dict(data)
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError("That picture's settings were written by another version of "
                             f"AlbumStudio and cannot be used here ({exc}).") from exc

    def rerun(self, item: HistoryItem, progress: ProgressFn | None = None,
              cancel: threading.Event | None = None, record: bool = True) -> JobRecord:
        """Make a history output again: identical bytes while its engine is unchanged."""
        request = self.request_of(item)
        note = self.changed_since(item)
        return self.run(request, progress, cancel, track_hash=item.track_hash, record=record,
                        notes=(note,) if note else ())



def screen_pixels(path: str) -> Any:
    """A stored cover's pixels at screen size (decoding a 3000² PNG is too slow for the GUI)."""
    from PIL import Image

    from albumstudio.vision.crop import SCREEN_SIDE, screen_copy

    with Image.open(path) as img:
        img.draft("RGB", (SCREEN_SIDE, SCREEN_SIDE))
        return screen_copy(img)


def preload_diffusion_libraries(cancel: threading.Event | None = None) -> bool:
    """Import diffusers and transformers while the window is idle, when a Stable Diffusion model
    is installed (the import holds the interpreter lock for about half a second, which is better
    spent before the first Generate than during it). True when it imported them."""
    from albumstudio.core.model_registry import default_model
    from albumstudio.engines.models import is_installed

    if not is_installed(default_model("sd15")):
        return False
    if cancel is not None and cancel.is_set():
        return False
    import diffusers  # noqa: F401
    from diffusers import StableDiffusionControlNetPipeline  # noqa: F401

    return True


def check_outputs(out: str, count: int, overwrite: bool = False) -> list[str]:
    """The files ``count`` covers will be written to (cover.png, cover-2.png …); InputError
    when one cannot take a cover or exists and ``overwrite`` is False."""
    from albumstudio.export.cover_file import check_output_path, numbered

    first = check_output_path(out, overwrite)
    return [str(check_output_path(numbered(first, i), overwrite)) for i in range(max(1, count))]


def save_cover(data: bytes, path: str, overwrite: bool = False,
               settings: dict[str, Any] | None = None) -> str:
    """Write a cover (PNG bytes) as PNG or sRGB JPEG by the name's extension, atomically; a PNG
    carries ``settings`` (the request that made it) in its text chunks and is compressed for
    keeping (the history's copy stays the fast one): the same pixels, no larger than Pillow's
    default PNG. The window and the CLI both save through here, so they write the same bytes."""
    from albumstudio.export.cover_file import write_cover

    if path.lower().endswith(".png"):
        data = compressed_png(data)
    return str(write_cover(data, path, overwrite, settings))


def compressed_png(data: bytes) -> bytes:
    """The same RGB pixels as a PNG at the saving level (deterministic bytes)."""
    import io

    from PIL import Image

    from albumstudio.engines.design_png import SAVE_LEVEL, encode_png, recompressed

    quick = recompressed(data, SAVE_LEVEL)  # one of ours: its rows need no decoding
    if quick is not None:
        return quick
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if image.mode != "RGB":
            return data  # not one of ours: kept as it is
        return encode_png(image, SAVE_LEVEL)


def output_request(record: JobRecord, output: Output) -> dict[str, Any]:
    """The request (as a dict) that makes exactly this output of the job: its seed, one variant."""
    request = dict(record.request)
    if output.seed is not None and "seed" in request:
        request["seed"] = output.seed
    if "variants" in request:
        request["variants"] = 1
    return request


def settings_in_png(path: str) -> dict[str, Any] | None:
    """The request an AlbumStudio PNG carries, or None (InputError when it is not a PNG)."""
    from albumstudio.core.png_settings import settings_of

    try:
        with open(path, "rb") as handle:
            return settings_of(handle.read(64 << 20))
    except (OSError, ValueError) as exc:
        raise InputError(f"'{path}' is not a PNG that can be read ({exc}).") from exc


def output_bytes(output: Output) -> bytes:
    if output.data is not None:
        return output.data
    with open(output.path, "rb") as handle:
        return handle.read()
