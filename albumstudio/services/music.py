"""New music from a picture or a track, with MusicGen (Qt-free: the window and the CLI share it).

``MusicService`` reads a picture (its BLIP caption when the captioner is installed, its colours
and texture always) or a track (its own tempo, key, figures, tags and description) into
explainable :class:`~albumstudio.core.music_attributes.MusicAttributes`, turns them into the one
deterministic prompt, and runs MusicGen on the request. The finished clip is a job record of
kind "clip" (engine "musicgen") whose output is a loudness-normalised WAV with its duration, and
whose notes carry the attributes, the loudness and MusicGen's CC-BY-NC 4.0 licence.
"""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from albumstudio import __version__
from albumstudio.core.errors import CancelledError, InputError, ModelMissingError, UserFacingError
from albumstudio.core.jobs import JobRecord, ModelUse, Note, Output, Progress, ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model, model_entry, model_with, revision_of
from albumstudio.core.music_attributes import (
    MusicAttributes,
    MusicRequest,
    PictureFigures,
    check_request,
    from_picture,
    from_track,
    prompt_for,
)
from albumstudio.engines.registry import EngineRegistry, EngineSpec
from albumstudio.services.engine_host import EngineHost
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import DataPaths

if TYPE_CHECKING:
    from PIL import Image

    from albumstudio.engines.musicgen import GeneratedMusic
    from albumstudio.services.tracks import TrackService
    from albumstudio.vision.palette import ImageLook

ENGINE = "musicgen"  # the clip engine's name in the engine registry (engines/builtin.py)
KIND = "clip"


@dataclass(frozen=True)
class MusicSource:
    """What the attributes were read from: the picture's or track's file, in words."""

    kind: str  # "picture" or "track"
    path: str
    attributes: MusicAttributes
    words: str = ""  # the caption or look (picture), the description (track)
    words_source: str = ""  # "blip", "look" or "track"
    track_hash: str = ""


def figures_of_look(look: ImageLook, caption: str = "") -> PictureFigures:
    """The figures the attribute rules read, from the app's measured look of a picture."""
    from albumstudio.vision.palette import colour_name

    palette = tuple((colour_name(h), h, float(s)) for h, s in look.palette)
    colourful = look.colourfulness if look.colourfulness is not None else look.saturation * 100
    return PictureFigures(float(look.brightness), float(look.contrast), float(colourful),
                          palette, caption, look.describe())


def picture_figures_of(image: Image.Image, caption: str = "") -> PictureFigures:
    """``figures_of_look`` for a picture in memory."""
    from albumstudio.vision.palette import look_at

    return figures_of_look(look_at(image), caption)


def encode_clip(samples: Any, sample_rate: int, suffix: str = ".wav") -> bytes:
    """A (frames, channels) float array as the bytes of a WAV, FLAC, MP3 or Ogg Opus file
    (resampled where the format needs another rate)."""
    from albumstudio.export.audio_export import encode_bytes, output_rate, resample

    rate = output_rate(suffix, sample_rate)
    return encode_bytes(resample(samples, sample_rate, rate), rate, suffix)


def check_clip_output(path: str, overwrite: bool = False) -> str:
    """The extension of ``path`` when a clip can be written there; InputError (one sentence)
    for a format we do not write or a place that cannot take it."""
    from albumstudio.export.audio_export import check_output

    return check_output(path, overwrite)


def save_clip(record: JobRecord, path: str, overwrite: bool = False) -> str:
    """Write the record's clip to the artist's file (temp name, then replace): the kept WAV as
    it is, or encoded as FLAC, MP3 or Ogg Opus."""
    import soundfile

    from albumstudio.export.audio_export import write_clip

    ext = check_clip_output(path, overwrite)
    output = record.outputs[0]
    data = output.data if output.data is not None else Path(output.path).read_bytes()
    if ext != ".wav":
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
        data = encode_clip(samples, rate, ext)
    return write_clip(data, path, overwrite)


class MusicService(EngineHost):
    """Attributes, prompt and MusicGen clips; the clips go into the history as job records.
    MusicGen is the clip engine "musicgen" of the engine registry, built by its factory."""

    def __init__(self, models: ModelCache, history: HistoryStore | None = None,
                 tracks: TrackService | None = None, paths: DataPaths | None = None,
                 app_version: str = __version__, registry: EngineRegistry | None = None) -> None:
        super().__init__(models, history, registry, app_version)
        self.tracks = tracks
        self.paths = paths

    # --- attributes and prompt -------------------------------------------------------------
    def from_picture(self, path: str, cancel: threading.Event | None = None,
                     progress: ProgressFn | None = None) -> MusicSource:
        """A picture's attributes: BLIP's caption words when the captioner is installed, and
        its colours and texture (InputError in one sentence for a file that is not a picture)."""
        from albumstudio.services.pictures import describe_picture, load_reference

        loaded = load_reference(path, cancel, progress)
        words = describe_picture(loaded, loaded.default_crop, self.models, cancel)
        caption = words.text if words.source == "blip" else ""
        attributes = from_picture(figures_of_look(loaded.look, caption))
        return MusicSource("picture", path, attributes, words.text, words.source)

    def from_track(self, path: str, cancel: threading.Event | None = None,
                   progress: ProgressFn | None = None) -> MusicSource:
        """A track's attributes from its own figures, tags and description (read as the
        Analysis tab reads them, the artist's edits applied)."""
        if self.tracks is None:
            raise InputError("Tracks cannot be read here; open the track in the window.")
        reading = self.tracks.read(path, progress=progress)
        if cancel is not None and cancel.is_set():
            raise CancelledError("reading the track")
        facts = reading.facts()
        attributes = from_track(facts.analysis, facts.tags, facts.description)
        return MusicSource("track", path, attributes, facts.description, "track",
                           reading.content_hash)

    @staticmethod
    def prompt(attributes: MusicAttributes) -> str:
        return prompt_for(attributes)

    def request(self, source: MusicSource | MusicAttributes, **settings: Any) -> MusicRequest:
        """The request for these attributes (their prompt unless ``prompt`` is given)."""
        attributes = source.attributes if isinstance(source, MusicSource) else source
        settings.setdefault("prompt", prompt_for(attributes))
        return MusicRequest(attributes=attributes.to_dict(), **settings)

    # --- models and licence ----------------------------------------------------------------
    @staticmethod
    def model_of(request: MusicRequest) -> str:
        return request.model or default_model("musicgen")

    def model_problem(self, model: str | None = None) -> str | None:
        """One sentence saying what is wrong with the MusicGen files, or None if they are there."""
        from albumstudio.engines.models import diagnose

        return diagnose(model or default_model("musicgen"), "MusicGen")

    def preflight(self, request: MusicRequest) -> str:
        """The model id or folder the request uses; InputError for a bad request and
        ModelMissingError for missing or unsafe weights, before anything loads."""
        from albumstudio.engines.musicgen import model_type

        check_request(request)
        model = self.model_of(request)
        problem = self.model_problem(model)
        if problem:
            raise ModelMissingError(problem)
        if request.melody_path and model_type(model) != "musicgen_melody":
            raise InputError("Following a melody needs MusicGen melody "
                             f"({model_with('musicgen', 'melody')}): choose it as the model, or "
                             "leave the melody out.")
        return model

    def _licence_key(self, model: str) -> str:
        return model if model_entry(model) is not None else "musicgen"

    def licence_to_acknowledge(self, model: str | None = None) -> str | None:
        """The licence sentence while it still needs the artist's acknowledgement, else None."""
        from albumstudio.services.model_manager import licence_of, needs_acknowledgement

        key = self._licence_key(model or default_model("musicgen"))
        if not needs_acknowledgement(key, self.paths):
            return None
        licence = licence_of(key)
        return licence.sentence if licence is not None else None

    def acknowledge(self, model: str | None = None) -> None:
        from albumstudio.services.model_manager import acknowledge

        acknowledge(self._licence_key(model or default_model("musicgen")), self.paths)

    # --- generation ------------------------------------------------------------------------
    def generate(self, request: MusicRequest, progress: ProgressFn | None = None,
                 cancel: threading.Event | None = None, *, record: bool = True,
                 track_hash: str = "") -> JobRecord:
        """Make the clip; the finished job record (kept in the history unless ``record`` is
        False or there is no history). Raises InputError or CancelledError."""
        model = self.preflight(request)
        spec = self.spec()
        started = time.perf_counter()
        if progress is not None:
            progress(Progress(0.0, "loading MusicGen"))
        try:
            engine = self.engine(spec.name)
            load = getattr(engine, "load", None)
            if callable(load):
                load(request)
            loaded = time.perf_counter()
            made = engine.run(request, progress, cancel)
        except UserFacingError as exc:
            if record and self.history is not None:
                self.history.record(self._failed(request, model, str(exc),
                                                 time.perf_counter() - started, track_hash))
            raise
        done = time.perf_counter()
        job = self.job_record(request, model, made, {"load": loaded - started,
                                                     "generate": done - loaded}, track_hash)
        if record and self.history is not None:
            job = self.history.record(job)
        return job

    def spec(self) -> EngineSpec:
        """MusicGen's entry in the engine registry (kind "clip")."""
        spec = self.registry.get(ENGINE)
        if spec.kind != KIND:
            raise InputError(f"The '{ENGINE}' engine does not make clips.")
        return spec

    def job_record(self, request: MusicRequest, model: str, made: GeneratedMusic,
                   timings: dict[str, float], track_hash: str = "") -> JobRecord:
        from albumstudio.services.model_manager import licence_notes

        data = encode_clip(made.samples, made.sample_rate)
        used = (ModelUse("musicgen", model, revision_of(model)),)
        loudness = Note(f"loudness: {made.loudness_lufs:.1f} LUFS integrated, true peak "
                        f"{made.true_peak_dbtp:.1f} dBTP (gain {made.gain_db:+.1f} dB)",
                        "explanation")
        notes = [Note(f"prompt: {request.prompt}", "explanation"), loudness]
        if request.attributes:
            attributes = request.attributes.get("attributes", {})
            notes += [Note(f"{name}: {entry.get('value')} — {entry.get('reason')}", "explanation")
                      for name, entry in attributes.items()]
        notes += list(licence_notes(used))
        windows = f"{made.windows} windows, " if made.windows > 1 else ""
        output = Output("audio/wav", duration_s=round(made.duration_s, 3), seed=request.seed,
                        data=data, bytes=len(data),
                        notes=(Note(f"{windows}{made.steps} steps on {made.device}",
                                    "explanation"), *licence_notes(used)))
        return JobRecord(
            kind=KIND, engine=ENGINE, engine_version=self.spec().version,
            request=json.loads(json.dumps(request.to_dict())), request_version=request.version,
            status="finished", outputs=(output,), notes=tuple(notes), timings=timings,
            models=used, app_version=self.app_version, track_hash=track_hash,
            device=made.device)

    def _failed(self, request: MusicRequest, model: str, problem: str, seconds: float,
                track_hash: str) -> JobRecord:
        return JobRecord(
            kind=KIND, engine=ENGINE, engine_version=self.spec().version,
            request=json.loads(json.dumps(request.to_dict())), request_version=request.version,
            status="failed", problem=problem, timings={"generate": seconds},
            models=(ModelUse("musicgen", model, revision_of(model)),),
            app_version=self.app_version, track_hash=track_hash)

    def unload(self) -> None:
        """Free every loaded MusicGen model."""
        super().unload()
        self.models.evict("musicgen")
