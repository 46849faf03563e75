"""The open track as an observable model: widgets bind to its signals and own no track state.

Each step of reading the track is a call of the track service (the CLI makes the same calls)
submitted to the job runner; steps share keys, so opening another track supersedes the old
one's jobs and the runner drops whatever they still report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.errors import Problem
from albumstudio.core.jobs import Progress
from albumstudio.core.peaks import PeakPyramid
from albumstudio.core.tagging import TagResult
from albumstudio.core.text import display_name, path_problem
from albumstudio.core.track import AudioInfo, ReleaseTags
from albumstudio.jobs.runner import JobContext, JobRunner
from albumstudio.services.tracks import (
    LoadedTrack,
    TrackFacts,
    TrackService,
    cover_release,
    description_for,
    description_reasons,
    shown_tags,
    understood,
)
from albumstudio.store.track_edits import TrackEdits

if TYPE_CHECKING:
    from albumstudio.services.tracks import SharedDecode, TagStream

TRACK_KEYS = ("track", "analysis", "tagging")


class TrackSession(QObject):
    loading_started = Signal(str)  # path
    info_changed = Signal(object)  # AudioInfo | None
    tags_changed = Signal(object)  # ReleaseTags
    peaks_changed = Signal(object)  # PeakPyramid | None (partial while decoding)
    analysis_changed = Signal(object)  # AnalysisResult | None
    description_changed = Signal(str)
    status_changed = Signal(str)
    loaded = Signal(str)  # path, once peaks and info are complete
    analysed = Signal()
    music_tags_changed = Signal(object)  # TagResult | None
    hidden_tags_changed = Signal(object)  # frozenset[str]
    tagging_status = Signal(str)
    error = Signal(object)  # Problem or a sentence
    warning = Signal(str)

    def __init__(self, runner: JobRunner, tracks: TrackService,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.tracks = tracks
        self.path: str | None = None
        self.info: AudioInfo | None = None
        self.tags = ReleaseTags()
        self.peaks: PeakPyramid | None = None
        self.analysis: AnalysisResult | None = None
        self.description = ""
        self.description_edited = False
        self.edits = TrackEdits()
        self.file_tags = ReleaseTags()
        self.music_tags: TagResult | None = None
        self.hidden_tags: frozenset[str] = frozenset()
        self._tagging_started = False  # a tagging job runs (or ran) for this track
        self._failed = False  # a problem with this track has been said
        self.tempo_edit: float | None = None  # the artist's tempo (×2, ÷2, tapped)
        self.bpm_range: tuple[float, float] | None = None  # their preferred range

    # -- opening -----------------------------------------------------------------------------
    def open(self, path: str) -> bool:
        """Start opening ``path``; False (and an error signal) when it is plainly not a track.

        The file's header is read first; only a file that is a track replaces the open one, so a
        failed open leaves the track, its analysis, tags and typed fields as they were."""
        problem = path_problem(path, "audio file")
        if problem:
            self.error.emit(problem)
            return False
        tracks = self.tracks
        handle = self.runner.submit(f"reading '{display_name(path)}'",
                                    lambda ctx: tracks.probe(path), key="probe")
        handle.finished.connect(lambda _info, p=path: self._replace_track(p))
        handle.failed.connect(self.error)
        return True

    def _replace_track(self, path: str) -> None:
        name = display_name(path)
        for key in TRACK_KEYS:
            self.runner.supersede_key(key)
        self.path = path
        self.info, self.peaks, self.analysis = None, None, None
        self.tags = ReleaseTags()
        self.description, self.description_edited = "", False
        self.music_tags, self.hidden_tags = None, frozenset()
        self.edits, self.file_tags = TrackEdits(), ReleaseTags()
        self.tempo_edit, self.bpm_range = None, None
        self.loading_started.emit(path)
        self.music_tags_changed.emit(None)
        self.hidden_tags_changed.emit(self.hidden_tags)
        self.info_changed.emit(None)
        self.peaks_changed.emit(None)
        self.analysis_changed.emit(None)
        self.description_changed.emit("")
        self.status_changed.emit(f"Reading {name}…")
        tracks = self.tracks
        shared = tracks.shared_decode()
        handle = self.runner.submit(
            f"reading '{name}'", lambda ctx: tracks.load(path, ctx.partial, ctx.cancel, shared),
            key="track")
        handle.partial.connect(self._on_partial)
        handle.finished.connect(self._on_loaded)
        handle.failed.connect(self._on_failed)
        self._failed = self._tagging_started = False
        self._start_analysis(path, shared)

    def _start_analysis(self, path: str, shared: SharedDecode | None = None) -> None:
        """The analysis starts with the waveform's decode, on the other core, instead of
        after it, and reads the blocks that decode hands it (``shared``; a track too long to
        hold, or peaks from the cache, are decoded here); the tags are made from its samples
        as they come."""
        tracks = self.tracks

        def analyse(ctx: JobContext) -> AnalysisResult:
            try:
                content_hash = tracks.content_hash(path, ctx.cancel)
                stream = tracks.tag_stream(content_hash)  # None when the tags are cached
            except BaseException:
                if shared is not None:
                    shared.decline()
                raise
            ctx.partial((content_hash, stream))
            return tracks.analyse(path, content_hash, ctx.progress, ctx.cancel, stream, shared)

        handle = self.runner.submit(f"analysing '{display_name(path)}'", analyse,
                                    key="analysis")
        handle.partial.connect(lambda found, p=path: self._on_hashed(p, *found))
        handle.progress.connect(self._on_progress)
        handle.finished.connect(self._on_analysed)
        handle.failed.connect(self._on_failed)

    def _on_hashed(self, path: str, content_hash: str, stream: TagStream | None) -> None:
        if stream is not None:
            self._start_tagging(stream, path, content_hash)

    def _on_partial(self, pyramid: PeakPyramid) -> None:
        self.peaks = pyramid
        self.peaks_changed.emit(pyramid)

    def _on_loaded(self, result: LoadedTrack) -> None:
        self.info, self.file_tags, self.peaks = result.info, result.tags, result.peaks
        self.edits = self.tracks.edits(result.info.content_hash)
        self.tags = self.edits.release or result.tags
        self.hidden_tags = frozenset(self.edits.hidden_tags)
        self.tempo_edit, self.bpm_range = self.edits.tempo_bpm, self.edits.bpm_range
        self.info_changed.emit(result.info)
        self.tags_changed.emit(self.tags)
        self.peaks_changed.emit(result.peaks)
        self.hidden_tags_changed.emit(self.hidden_tags)
        if self.edits.description is not None:
            self.description, self.description_edited = self.edits.description, True
            self.description_changed.emit(self.description)
        for sentence in result.info.warnings:
            self.warning.emit(sentence)
        self.loaded.emit(result.info.path)
        if self.analysis is not None:  # the analysis ended first: it is shown now
            self._show_analysis()
        else:
            self.status_changed.emit("Analysing tempo, key and loudness…")

    def _on_progress(self, report: Progress) -> None:
        self.status_changed.emit(f"{report.text or 'Analysing'}… {int(report.fraction * 100)} %")

    def _on_analysed(self, result: AnalysisResult) -> None:
        self.analysis = result
        if self.info is not None:  # else shown when the waveform's decode ends (its info,
            self._show_analysis()  # tags and the artist's edits are read there)

    def _show_analysis(self) -> None:
        self.analysis_changed.emit(self.analysis)
        self._refresh_description()
        self.status_changed.emit("Ready")
        self.analysed.emit()
        if not self._tagging_started and self.info is not None:
            self._start_tagging(None, self.info.path, self.info.content_hash)

    def _start_tagging(self, stream: TagStream | None, path: str, content_hash: str) -> None:
        self._tagging_started = True
        self.tagging_status.emit("Tagging the music…")
        tracks = self.tracks
        handle = self.runner.submit(
            f"tagging '{display_name(path)}'",
            lambda ctx: tracks.tag(path, content_hash, progress=ctx.progress,
                                   cancel=ctx.cancel, stream=stream), key="tagging")
        handle.finished.connect(self._on_tagged)
        handle.failed.connect(self._on_tagging_failed)

    def _on_tagged(self, result: TagResult) -> None:
        self.music_tags = result
        self.music_tags_changed.emit(result)
        self.tagging_status.emit("")
        self._refresh_description()

    def _on_tagging_failed(self, problem: Problem) -> None:
        self.tagging_status.emit(f"Music tags are unavailable: {problem}")

    def _current_edits(self) -> TrackEdits:
        return TrackEdits(
            release=self.tags if self.tags != self.file_tags else None,
            hidden_tags=sorted(self.hidden_tags),
            description=self.description if self.description_edited else None,
            tempo_bpm=self.tempo_edit,
            bpm_range=self.bpm_range,
        )

    def shown_tags(self) -> list[tuple[str, float]]:
        return shown_tags(self.music_tags, self._current_edits(), self.analysis)

    def understood_analysis(self) -> AnalysisResult | None:
        """The analysis with the tempo at the level the tags agree with: what the description,
        the prompt, the design engine and the Analysis tab all show."""
        if self.analysis is None:
            return None
        return understood(self.analysis, self.music_tags, self._current_edits()).analysis

    def facts(self) -> TrackFacts:
        """What a cover plan reads of this track (the same the CLI reads from the service)."""
        analysis = self.understood_analysis()
        return TrackFacts(cover_release(self.tags, self.path), self.description,
                          tuple(name for name, _ in self.shown_tags()) if self.music_tags else (),
                          analysis, self.info.content_hash if self.info else "")

    def hide_tag(self, name: str) -> None:
        """The artist removed a wrong tag; it leaves the description and the strip."""
        self.hidden_tags = self.hidden_tags | {name}
        self.hidden_tags_changed.emit(self.hidden_tags)
        self._save_edits()
        self._refresh_description()

    def restore_tags(self) -> None:
        self.hidden_tags = frozenset()
        self.hidden_tags_changed.emit(self.hidden_tags)
        self._save_edits()
        self._refresh_description()

    def _generated_description(self) -> str:
        edits = self._current_edits()
        edits.description = None
        return description_for(self.analysis, self.music_tags, edits)

    def _refresh_description(self) -> None:
        if not self.description_edited:
            self.description = self._generated_description()
            self.description_changed.emit(self.description)

    def _on_failed(self, problem: Problem) -> None:
        self.status_changed.emit("")
        if not self._failed:  # the waveform's and the analysis's decodes fail alike: say it once
            self._failed = True
            self.error.emit(problem)

    # -- editing -----------------------------------------------------------------------------
    def set_description(self, text: str) -> None:
        """The artist edited the description; it is kept until they reset it."""
        if text != self.description:
            self.description = text
            self.description_edited = True
            self.description_changed.emit(text)
            self._save_edits()

    def set_tempo(self, bpm: float | None) -> None:
        """The artist's tempo (None: the analysis's again); kept with the track's edits, read
        by the description, the prompt, the design engine and the beat grid."""
        self.tempo_edit = round(float(bpm), 1) if bpm else None
        self._tempo_changed()

    def scale_tempo(self, factor: float) -> None:
        """×2 or ÷2 of the tempo shown now."""
        shown = self.understood_analysis()
        if shown is not None and shown.tempo_bpm > 0:
            self.set_tempo(min(400.0, max(20.0, shown.tempo_bpm * factor)))

    def set_bpm_range(self, bounds: tuple[float, float] | None) -> None:
        """The preferred range found tempos fold into (a tempo the artist set stays)."""
        self.bpm_range = bounds
        self._tempo_changed()

    def _tempo_changed(self) -> None:
        self._save_edits()
        self.analysis_changed.emit(self.analysis)
        self._refresh_description()

    def reset_description(self) -> None:
        self.description_edited = False
        self._save_edits()
        self._refresh_description()

    def description_reasons(self) -> list[tuple[str, str]]:
        if self.analysis is None:
            return []
        return description_reasons(self.analysis, self.music_tags, self._current_edits())

    def set_tags(self, tags: ReleaseTags) -> None:
        if tags != self.tags:
            self.tags = tags
            self.tags_changed.emit(tags)
            self._save_edits()

    def _save_edits(self) -> None:
        """Keep the artist's edits for this track (by content hash); never loses them silently."""
        if self.info is None or not self.info.content_hash:
            return
        self.edits = self._current_edits()
        try:
            self.tracks.save_edits(self.info.content_hash, self.edits)
        except OSError as exc:
            self.warning.emit(f"Your edits could not be saved ({exc.strerror or exc}); "
                              "they last until you close the track.")
