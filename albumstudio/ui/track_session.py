"""The open track as an observable model: widgets bind to its signals and own no track state."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.description import describe, describe_parts
from albumstudio.core.peaks import PeakPyramid
from albumstudio.core.tagging import TagResult, strongest_tags
from albumstudio.core.text import display_name, path_problem
from albumstudio.core.track import AudioInfo, ReleaseTags
from albumstudio.jobs.runner import JobRunner
from albumstudio.jobs.track_jobs import LoadedTrack, analyse_track, load_track, tag_track
from albumstudio.store.paths import DataPaths
from albumstudio.store.track_edits import TrackEdits, TrackEditsStore


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
    error = Signal(str)
    warning = Signal(str)

    def __init__(self, runner: JobRunner, paths: DataPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.paths = paths
        self.path: str | None = None
        self.info: AudioInfo | None = None
        self.tags = ReleaseTags()
        self.peaks: PeakPyramid | None = None
        self.analysis: AnalysisResult | None = None
        self.description = ""
        self.description_edited = False
        self.edits_store = TrackEditsStore(paths.track_edits)
        self.edits = TrackEdits()
        self.file_tags = ReleaseTags()
        self.music_tags: TagResult | None = None
        self.hidden_tags: frozenset[str] = frozenset()
        self._generation = 0

    # -- opening -----------------------------------------------------------------------------
    def open(self, path: str) -> bool:
        """Start loading ``path``; False (and an error signal) when it is plainly not a track."""
        problem = path_problem(path, "audio file")
        if problem:
            self.error.emit(problem)
            return False
        name = display_name(path)
        self._generation += 1
        gen = self._generation
        self.runner.cancel_key("analysis")
        self.path = path
        self.info, self.peaks, self.analysis = None, None, None
        self.tags = ReleaseTags()
        self.description, self.description_edited = "", False
        self.music_tags, self.hidden_tags = None, frozenset()
        self.edits, self.file_tags = TrackEdits(), ReleaseTags()
        self.runner.cancel_key("tagging")
        self.loading_started.emit(path)
        self.music_tags_changed.emit(None)
        self.hidden_tags_changed.emit(self.hidden_tags)
        self.info_changed.emit(None)
        self.peaks_changed.emit(None)
        self.analysis_changed.emit(None)
        self.description_changed.emit("")
        self.status_changed.emit(f"Reading {name}…")
        handle = self.runner.submit(f"reading '{name}'", load_track(path, self.paths), key="track")
        handle.partial.connect(lambda pyr, g=gen: self._on_partial(g, pyr))
        handle.finished.connect(lambda res, g=gen: self._on_loaded(g, res))
        handle.failed.connect(lambda msg, g=gen: self._on_failed(g, msg))
        return True

    def _on_partial(self, gen: int, pyramid: PeakPyramid) -> None:
        if gen == self._generation:
            self.peaks = pyramid
            self.peaks_changed.emit(pyramid)

    def _on_loaded(self, gen: int, result: LoadedTrack) -> None:
        if gen != self._generation:
            return
        self.info, self.file_tags, self.peaks = result.info, result.tags, result.peaks
        self.edits = self.edits_store.load(result.info.content_hash)
        self.tags = self.edits.release or result.tags
        self.hidden_tags = frozenset(self.edits.hidden_tags)
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
        self.status_changed.emit("Analysing tempo, key and loudness…")
        name = display_name(result.info.path)
        handle = self.runner.submit(
            f"analysing '{name}'",
            analyse_track(result.info.path, result.info.content_hash, self.paths),
            key="analysis",
        )
        handle.progress.connect(lambda f, text, g=gen: self._on_progress(g, f, text))
        handle.finished.connect(lambda res, g=gen: self._on_analysed(g, res))
        handle.failed.connect(lambda msg, g=gen: self._on_failed(g, msg))

    def _on_progress(self, gen: int, fraction: float, text: str) -> None:
        if gen == self._generation:
            self.status_changed.emit(f"{text or 'Analysing'}… {int(fraction * 100)} %")

    def _on_analysed(self, gen: int, result: AnalysisResult) -> None:
        if gen != self._generation:
            return
        self.analysis = result
        self.analysis_changed.emit(result)
        self._refresh_description()
        self.status_changed.emit("Ready")
        self.analysed.emit()
        self._start_tagging(gen)

    def _start_tagging(self, gen: int) -> None:
        if self.info is None:
            return
        self.tagging_status.emit("Tagging the music…")
        handle = self.runner.submit(
            f"tagging '{display_name(self.info.path)}'",
            tag_track(self.info.path, self.info.content_hash, self.paths), key="tagging")
        handle.finished.connect(lambda res, g=gen: self._on_tagged(g, res))
        handle.failed.connect(lambda msg, g=gen: self._on_tagging_failed(g, msg))

    def _on_tagged(self, gen: int, result: TagResult) -> None:
        if gen != self._generation:
            return
        self.music_tags = result
        self.music_tags_changed.emit(result)
        self.tagging_status.emit("")
        self._refresh_description()

    def _on_tagging_failed(self, gen: int, message: str) -> None:
        if gen == self._generation:
            self.tagging_status.emit(f"Music tags are unavailable: {message}")

    def shown_tags(self) -> list[tuple[str, float]]:
        return strongest_tags(self.music_tags, self.hidden_tags)

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
        if self.analysis is None:
            return ""
        return describe(self.analysis, [name for name, _ in self.shown_tags()])

    def _refresh_description(self) -> None:
        if not self.description_edited:
            self.description = self._generated_description()
            self.description_changed.emit(self.description)

    def _on_failed(self, gen: int, message: str) -> None:
        if gen == self._generation:
            self.status_changed.emit("")
            self.error.emit(message)

    # -- editing -----------------------------------------------------------------------------
    def set_description(self, text: str) -> None:
        """The artist edited the description; it is kept until they reset it."""
        if text != self.description:
            self.description = text
            self.description_edited = True
            self.description_changed.emit(text)
            self._save_edits()

    def reset_description(self) -> None:
        self.description_edited = False
        self._save_edits()
        self._refresh_description()

    def description_reasons(self) -> list[tuple[str, str]]:
        tags = [name for name, _ in self.shown_tags()]
        return describe_parts(self.analysis, tags) if self.analysis else []

    def set_tags(self, tags: ReleaseTags) -> None:
        if tags != self.tags:
            self.tags = tags
            self.tags_changed.emit(tags)
            self._save_edits()

    def _save_edits(self) -> None:
        """Keep the artist's edits for this track (by content hash); never loses them silently."""
        if self.info is None or not self.info.content_hash:
            return
        self.edits = TrackEdits(
            release=self.tags if self.tags != self.file_tags else None,
            hidden_tags=sorted(self.hidden_tags),
            description=self.description if self.description_edited else None,
        )
        try:
            self.edits_store.save(self.info.content_hash, self.edits)
        except OSError as exc:
            self.warning.emit(f"Your edits could not be saved ({exc.strerror or exc}); "
                              "they last until you close the track.")
