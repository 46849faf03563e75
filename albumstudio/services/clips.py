"""Clips of the real track, from a highlight proposal to a job record and a file (Qt-free: the
window, the CLI and the release kit share it).

The small API, in the order a caller uses it:

- ``ClipService.propose(track, seconds)`` → :class:`~albumstudio.audio.highlight.Highlight`:
  the most representative ``seconds`` of the track (start and end in seconds, snapped to a bar),
  from its samples and its (cached) analysis. InputError when the track is shorter.
- ``ClipService.new_request(track, seconds, start=None, video=None, fmt="wav", …)`` →
  :class:`~albumstudio.core.clip.ClipRequest`, checked (a selection under 1 s or past the end,
  a format we do not write → InputError); ``start=None`` takes the proposal.
- ``ClipService.run(request, progress, cancel)`` → a finished :class:`JobRecord` (kind "clip")
  whose one output is the audio or video file (bytes, MIME type, duration), kept in the history.
- ``save_clip(record, path, overwrite)`` writes it atomically and returns the path written.
- ``ClipService.make(track, out, seconds=30, …)`` does all of it in one call (the CLI's path,
  and the release kit's for its ``clips/`` folder).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from albumstudio.core.clip import (
    AUDIO_CLIP_FORMATS,
    DEFAULT_LOOP_S,
    LOOP_SECONDS,
    VIDEO_LAYOUTS,
    AudioClipOptions,
    ClipRequest,
    ClipResult,
    VideoClipOptions,
)
from albumstudio.core.errors import CancelledError, InputError, UserFacingError
from albumstudio.core.jobs import JobRecord, Note, Output, Progress, ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.text import display_name
from albumstudio.engines.registry import EngineRegistry, EngineSpec
from albumstudio.services.engine_host import EngineHost
from albumstudio.store.history import HistoryStore
from albumstudio.store.storage import check_place, write_users_file

VIDEO_EXTENSIONS = (".mp4", ".webm")


class ClipService(EngineHost):
    """Proposes highlights and runs clip requests on the registered clip engines."""

    def __init__(self, models: ModelCache, history: HistoryStore | None = None,
                 tracks: Any = None, registry: EngineRegistry | None = None) -> None:
        super().__init__(models, history, registry)
        self.tracks = tracks  # a TrackService: the analysis comes from its cache
        self._read_lock = threading.Lock()
        self._identified: tuple[tuple[str, int, int], Any] | None = None

    # -- the track --------------------------------------------------------------------------
    def _audio(self, track: str) -> Any:
        """The highlight engine's reader of tracks, given the mono mix that the track's
        analysis kept for it, if any (a kit reads its track once for the cover and the clip)."""
        audio = self.engine("highlight").audio
        mix = self.tracks.take_mix(track) if self.tracks is not None else None
        if mix is not None:
            audio.offer(track, mix)
        return audio

    def duration(self, track: str, cancel: threading.Event | None = None) -> float:
        return float(self._audio(track).duration(track, cancel))

    def propose(self, track: str, seconds: float, progress: ProgressFn | None = None,
                cancel: threading.Event | None = None) -> Any:
        """The highlight of ``track`` for a ``seconds`` clip (a ``Highlight``)."""
        from albumstudio.audio.highlight import check_length, propose

        report = progress or (lambda p: None)
        report(Progress(0.0, "Reading the track"))
        samples, rate = self._audio(track).mono(track, cancel)
        check_length(samples.shape[0] / rate, seconds)
        report(Progress(0.3, "Analysing the track"))
        analysis = self._analysis(track, cancel)
        report(Progress(0.7, "Finding the highlight"))
        found = propose(samples, rate, analysis, seconds, cancel)
        report(Progress(1.0, "Done"))
        return found

    def _identify(self, track: str) -> Any:
        """The track's info (with its content hash) and tags, read once per version of the
        file: the proposal, the title and the record of a clip hash the track once."""
        try:
            stat = os.stat(track)
        except OSError:
            return self.tracks.identify(track)  # the one sentence for a file that has gone
        key = (os.path.abspath(track), stat.st_mtime_ns, stat.st_size)
        with self._read_lock:
            if self._identified is not None and self._identified[0] == key:
                return self._identified[1]
        loaded = self.tracks.identify(track)
        with self._read_lock:
            self._identified = (key, loaded)
        return loaded

    def _analysis(self, track: str, cancel: threading.Event | None) -> Any:
        if self.tracks is not None:
            loaded = self._identify(track)
            return self.tracks.analyse(track, loaded.info.content_hash, cancel=cancel)
        from albumstudio.audio.analysis import analyze_file

        return analyze_file(track, cancel=cancel)

    def release(self, track: str) -> tuple[str, str]:
        """The title and artist a video shows: the artist's edits, else the file's tags, else
        a title made from the file name."""
        from albumstudio.services.tracks import cover_release

        if self.tracks is None:
            return cover_release(_empty_release(), track).title, ""
        loaded = self._identify(track)
        edits = self.tracks.edits(loaded.info.content_hash)
        tags = cover_release(edits.release or loaded.tags, track)
        return tags.title, tags.artist

    # -- requests ---------------------------------------------------------------------------
    def new_request(self, track: str, seconds: float, *, start: float | None = None,
                    video: str | None = None, fmt: str = "wav", image: str = "",
                    title: str | None = None, artist: str | None = None,
                    progress: ProgressFn | None = None,
                    cancel: threading.Event | None = None) -> ClipRequest:
        """A checked request; ``start=None`` takes the highlight proposal; ``video`` is square,
        vertical or loop (None: an audio clip in ``fmt``)."""
        if video is not None and video not in VIDEO_LAYOUTS:
            raise InputError(f"There is no '{video}' video; choose square, vertical or loop.")
        if video is None and fmt not in AUDIO_CLIP_FORMATS:
            raise InputError(f"Clips are saved as WAV, FLAC, MP3 or Ogg Opus, not '{fmt}'.")
        if video == "loop":
            if not LOOP_SECONDS[0] <= seconds <= LOOP_SECONDS[1]:
                raise InputError(f"A loop is {LOOP_SECONDS[0]:g}–{LOOP_SECONDS[1]:g} s long, not "
                                 f"{seconds:g} s; choose a length in between.")
        proposed = start is None and video != "loop"
        if video == "loop":
            start = 0.0
        elif start is None:
            start = self.propose(track, seconds, progress, cancel).start_s
        if title is None or artist is None:
            own_title, own_artist = self.release(track)
            title = own_title if title is None else title
            artist = own_artist if artist is None else artist
        options: Any = (VideoClipOptions(layout=video) if video is not None
                        else AudioClipOptions(format=fmt))
        request = ClipRequest(engine="social-video" if video else "highlight", track_path=track,
                              start_s=float(start), seconds=float(seconds), options=options,
                              title=title, artist=artist, image_path=image, proposed=proposed)
        self.check(request)
        return request

    def check(self, request: ClipRequest, cancel: threading.Event | None = None) -> EngineSpec:
        """The engine's spec; InputError for a request that cannot make a clip."""
        from albumstudio.audio.highlight import check_selection

        spec = self.registry.get(request.engine)
        if spec.kind != "clip":
            raise InputError(f"'{request.engine}' does not make clips; choose one of: "
                             f"{', '.join(self.registry.names('clip'))}.")
        if not isinstance(request.options, spec.options_type):
            raise InputError(f"The {spec.label} engine was given another engine's settings; "
                             "choose the engine again.")
        if request.image_path:
            from albumstudio.vision.image_load import image_info

            image_info(request.image_path)  # a picture that cannot be used: one sentence now
        if isinstance(request.options, VideoClipOptions) and request.options.layout == "loop":
            if not LOOP_SECONDS[0] <= request.seconds <= LOOP_SECONDS[1]:
                raise InputError(f"A loop is {LOOP_SECONDS[0]:g}–{LOOP_SECONDS[1]:g} s long, not "
                                 f"{request.seconds:g} s; choose a length in between.")
            return spec
        check_selection(self.duration(request.track_path, cancel), request.start_s,
                        request.seconds)
        return spec

    # -- running ----------------------------------------------------------------------------
    def run(self, request: ClipRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None, *, record: bool = True) -> JobRecord:
        """Make the clip; the finished job record (kept in the history unless ``record`` is
        False or there is no history). Raises InputError or CancelledError."""
        spec = self.check(request, cancel)
        started = time.perf_counter()
        try:
            result: ClipResult = self.engine(request.engine).run(request, progress, cancel)
        except UserFacingError as exc:
            if record and self.history is not None:
                self.history.record(self._failed(spec, request, str(exc),
                                                 time.perf_counter() - started))
            raise
        if cancel is not None and cancel.is_set():
            raise CancelledError("making the clip")
        job = self.job_record(spec, request, result, {"generate": time.perf_counter() - started})
        if record and self.history is not None:
            job = self.history.record(job)
        return job

    def job_record(self, spec: EngineSpec, request: ClipRequest, result: ClipResult,
                   timings: dict[str, float]) -> JobRecord:
        notes = [Note(n, "warning" if n.startswith("fallback:") else "explanation")
                 for n in result.notes]
        output = Output(result.media, width=result.width, height=result.height,
                        duration_s=round(result.duration_s, 6), data=result.data,
                        bytes=len(result.data),
                        notes=(Note(json.dumps(result.figures), "explanation"),))
        return JobRecord(
            kind="clip", engine=spec.name, engine_version=spec.version,
            request=json.loads(json.dumps(request.to_dict())), request_version=request.version,
            status="finished", outputs=(output,), notes=tuple(notes), timings=timings,
            app_version=self.app_version, track_hash=self._hash(request.track_path))

    def _hash(self, track: str) -> str:
        if self.tracks is None or not track:
            return ""
        try:
            return str(self._identify(track).info.content_hash)
        except UserFacingError:
            return ""

    def _failed(self, spec: EngineSpec, request: ClipRequest, problem: str,
                seconds: float) -> JobRecord:
        return JobRecord(
            kind="clip", engine=spec.name, engine_version=spec.version,
            request=json.loads(json.dumps(request.to_dict())), request_version=request.version,
            status="failed", problem=problem, timings={"generate": seconds},
            app_version=self.app_version)

    def make(self, track: str, out: str, seconds: float = 30.0, *, start: float | None = None,
             video: str | None = None, image: str = "", title: str | None = None,
             artist: str | None = None, overwrite: bool = False,
             progress: ProgressFn | None = None, cancel: threading.Event | None = None,
             record: bool = True) -> tuple[JobRecord, str]:
        """One call from a track to a file at ``out`` (its extension chooses the audio format;
        .mp4 for a video): the job record and the path written (a video whose H.264/AAC
        codecs are missing is written as .webm beside it, and its record says so)."""
        fmt = check_clip_output(out, video, overwrite)
        if video == "loop" and start is None and seconds == 30.0:
            seconds = DEFAULT_LOOP_S
        request = self.new_request(track, seconds, start=start, video=video, fmt=fmt,
                                   image=image, title=title, artist=artist, progress=progress,
                                   cancel=cancel)
        job = self.run(request, progress, cancel, record=record)
        return job, save_clip(job, out, overwrite)


def _empty_release() -> Any:
    from albumstudio.core.track import ReleaseTags

    return ReleaseTags()


def check_clip_output(path: str, video: str | None, overwrite: bool = False) -> str:
    """The audio format (wav, flac, mp3, ogg) or "mp4" that ``path`` asks for; InputError,
    before anything is made, for an extension we cannot write or a place that cannot take it."""
    from albumstudio.export.audio_export import format_of

    target = Path(path)
    if video is not None:
        if target.suffix.lower() != ".mp4":
            shown = target.suffix or "no extension"
            raise InputError(f"A video clip is saved as .mp4, not '{shown}'; name "
                             f"'{display_name(path)}' with .mp4.")
        check_place(target, "clip.mp4", overwrite)
        return "mp4"
    ext = format_of(path)
    check_place(target, f"clip{ext}", overwrite)
    return "ogg" if ext == ".opus" else ext[1:]


def save_clip(record: JobRecord, path: str, overwrite: bool = False) -> str:
    """Write the record's clip to ``path`` atomically (a temporary name, then ``os.replace``);
    a video made in the fallback format gets that format's extension. The path written."""
    output = record.outputs[0]
    data = output.data if output.data is not None else Path(output.path).read_bytes()
    target = Path(path)
    if output.media == "video/webm" and target.suffix.lower() != ".webm":
        target = target.with_suffix(".webm")
    check_place(target, f"clip{target.suffix}", overwrite)
    write_users_file(target, data, overwrite)
    return str(target)
