"""Reading a track, as steps the window and the CLI share.

``probe`` (a header read that fails fast), ``load`` (one decode for the waveform's peaks, the
content hash and the file's tags), ``edits`` (what the artist changed, by content hash),
``analyse`` (tempo, key, loudness…; cached), ``tag`` (musicnn; cached). The window runs each
step as a job and updates as each ends; :meth:`TrackService.read` runs them in a row with one
progress line for the CLI. Either way the result is the same :class:`TrackReading`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.cover import MusicMood
from albumstudio.core.description import describe, describe_parts
from albumstudio.core.errors import CancelledError
from albumstudio.core.jobs import Progress, ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.core.peaks import PeakPyramid
from albumstudio.core.tagging import TagResult, strongest_tags
from albumstudio.core.text import title_from_file
from albumstudio.core.track import AudioInfo, ReleaseTags
from albumstudio.core.understanding import Understanding, understand
from albumstudio.store.cache import ContentCache
from albumstudio.store.paths import DataPaths
from albumstudio.store.track_edits import TrackEdits, TrackEditsStore

if TYPE_CHECKING:
    from albumstudio.audio.tagger import TagStream


@dataclass(frozen=True)
class LoadedTrack:
    info: AudioInfo  # content hash set
    tags: ReleaseTags  # the file's own tags
    peaks: PeakPyramid | None


@dataclass(frozen=True)
class TrackFacts:
    """What a cover plan reads of a track: the artist's view of it (their edits applied)."""

    release: ReleaseTags = field(default_factory=ReleaseTags)
    description: str = ""
    tags: tuple[str, ...] = ()  # the music tags shown (removed ones left out)
    analysis: AnalysisResult | None = None
    content_hash: str = ""

    @property
    def mood(self) -> MusicMood:
        return MusicMood.from_analysis(self.analysis, self.tags)


def cover_release(release: ReleaseTags, path: str | None) -> ReleaseTags:
    """The release fields a cover uses: the artist's edits, else the file's tags, else a title
    made from the file name (the placeholder the Release tab shows)."""
    if release.title.strip() or not path:
        return release
    return replace(release, title=title_from_file(path))


def shown_tags(music_tags: TagResult | None, edits: TrackEdits,
               analysis: AnalysisResult | None = None) -> list[tuple[str, float]]:
    """The tags the artist sees: the strongest ones above their thresholds minus those they
    removed and, with the analysis, minus those the figures contradict."""
    if analysis is not None:
        return list(understood(analysis, music_tags, edits).tags)
    return strongest_tags(music_tags, frozenset(edits.hidden_tags))


def understood(analysis: AnalysisResult, music_tags: TagResult | None,
               edits: TrackEdits) -> Understanding:
    """The figures and tags reconciled: the tempo at the level the tags agree with, and the
    tags worth naming (the one account the description, prompt and design engine read)."""
    return understand(analysis, music_tags, frozenset(edits.hidden_tags))


def description_for(analysis: AnalysisResult | None, music_tags: TagResult | None,
                    edits: TrackEdits) -> str:
    """The artist's own description when they wrote one, else the generated one."""
    if edits.description is not None:
        return edits.description
    if analysis is None:
        return ""
    seen = understood(analysis, music_tags, edits)
    return describe(seen.analysis, [name for name, _ in seen.tags])


def description_reasons(analysis: AnalysisResult, music_tags: TagResult | None,
                        edits: TrackEdits) -> list[tuple[str, str]]:
    """Each phrase of the generated description with the figure or tag behind it."""
    seen = understood(analysis, music_tags, edits)
    return describe_parts(seen.analysis, [name for name, _ in seen.tags])


@dataclass(frozen=True)
class TrackReading:
    """Everything known about a track, the artist's saved edits applied."""

    info: AudioInfo
    file_tags: ReleaseTags
    edits: TrackEdits
    analysis: AnalysisResult
    music_tags: TagResult | None

    @property
    def content_hash(self) -> str:
        return self.info.content_hash

    @property
    def release(self) -> ReleaseTags:
        return self.edits.release or self.file_tags

    @property
    def understood(self) -> Understanding:
        return understood(self.analysis, self.music_tags, self.edits)

    @property
    def named(self) -> list[tuple[str, float]]:
        return list(self.understood.tags)

    @property
    def description(self) -> str:
        return description_for(self.analysis, self.music_tags, self.edits)

    def description_reasons(self) -> list[tuple[str, str]]:
        return description_reasons(self.analysis, self.music_tags, self.edits)

    def facts(self) -> TrackFacts:
        seen = self.understood
        return TrackFacts(cover_release(self.release, self.info.path), self.description,
                          tuple(name for name, _ in seen.tags), seen.analysis,
                          self.content_hash)


class TrackService:
    """Track steps over the app's caches (peaks, analysis, tags) and the artist's edits."""

    def __init__(self, paths: DataPaths, models: ModelCache) -> None:
        self.paths = paths
        self.models = models
        self.edits_store = TrackEditsStore(paths.track_edits)
        # the 16 kHz mono mix the last analysis made, kept for the tagging step that follows
        self._tagger_audio: tuple[str, np.ndarray] | None = None
        self._tagger_audio_lock = threading.Lock()

    def probe(self, path: str) -> AudioInfo:
        """A header read: InputError with one sentence for anything that is not a usable track."""
        from albumstudio.audio.decode import probe

        return probe(path)

    def load(self, path: str, on_peaks: Callable[[PeakPyramid], None] | None = None,
             cancel: threading.Event | None = None) -> LoadedTrack:
        """Decode once for the waveform's peaks (``on_peaks`` gets them as they grow) and read
        the file's tags; the content hash comes with the info."""
        from albumstudio.audio.peaks import compute_peaks
        from albumstudio.audio.tags import read_tags

        info, peaks = compute_peaks(path, ContentCache(self.paths.peaks, ".npz"),
                                    on_partial=on_peaks, cancel=cancel)
        return LoadedTrack(info, read_tags(path), peaks)

    def identify(self, path: str) -> LoadedTrack:
        """The info (with content hash) and tags without the peaks (what the CLI needs)."""
        from albumstudio.audio.tags import read_tags
        from albumstudio.store.files import hash_file

        info = self.probe(path)
        return LoadedTrack(replace(info, content_hash=hash_file(path)), read_tags(path), None)

    def edits(self, content_hash: str) -> TrackEdits:
        return self.edits_store.load(content_hash) if content_hash else TrackEdits()

    def save_edits(self, content_hash: str, edits: TrackEdits) -> None:
        """Raises OSError when they cannot be written (the caller says so)."""
        self.edits_store.save(content_hash, edits)

    def analyse(self, path: str, content_hash: str, progress: ProgressFn | None = None,
                cancel: threading.Event | None = None,
                tagger_feed: Callable[[np.ndarray | None], None] | None = None,
                ) -> AnalysisResult:
        """The track's figures (cached); a decode for them also keeps the tagger's signal,
        so the ``tag`` step after it reads no file (or hands it to ``tagger_feed`` as it is
        decoded, for tags made at the same time)."""
        from albumstudio.audio.analysis import analyze_file

        audio: list[np.ndarray] = []
        result = analyze_file(path, cache=ContentCache(self.paths.analysis, ".json"),
                              content_hash=content_hash, progress=_fraction(progress),
                              cancel=cancel, tagger_audio=None if tagger_feed else audio,
                              tagger_feed=tagger_feed)
        if audio and content_hash:
            with self._tagger_audio_lock:
                self._tagger_audio = (content_hash, audio[0])
        return result

    def _take_tagger_audio(self, content_hash: str) -> np.ndarray | None:
        with self._tagger_audio_lock:
            kept, self._tagger_audio = self._tagger_audio, None
        return kept[1] if kept is not None and kept[0] == content_hash else None

    def tag(self, path: str, content_hash: str, model: str | None = None,
            progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> TagResult:
        from albumstudio.audio.tagger import tag_file

        model = model or default_model("tagger")
        return tag_file(path, model, cache=self._tag_cache(model), content_hash=content_hash,
                        progress=_fraction(progress), cancel=cancel, models=self.models,
                        samples=self._take_tagger_audio(content_hash))

    def _tag_cache(self, model: str) -> ContentCache:
        return ContentCache(self.paths.cache / "tags" / model, ".json")

    def preload_tagger(self, model: str | None = None) -> None:
        from albumstudio.audio.tagger import preload

        preload(model or default_model("tagger"), self.models)

    def _tag_while_analysing(self, content_hash: str, model: str | None,
                             cancel: threading.Event | None) -> _Tagging | None:
        """Tags made on a thread of their own from the samples the analysis decodes, when
        they are not cached already: the network runs on the second core during the analysis
        instead of after it (a fresh ``analyze`` of a 4-minute track is about a third faster)."""
        from albumstudio.audio.tagger import TagStream, is_cached

        model = model or default_model("tagger")
        if is_cached(content_hash, model, self._tag_cache(model)):
            return None
        tagging = _Tagging(TagStream(model, self.models, cancel))
        tagging.start()
        return tagging

    def read(self, path: str, tag_model: str | None = None, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None) -> TrackReading:
        """Every step in a row (the CLI's path): identify, edits, analysis, tags."""
        steps = (("Reading the track", 0.0, 0.05), ("Analysing", 0.05, 0.6),
                 ("Tagging the music", 0.65, 0.35))

        def part(index: int) -> ProgressFn:
            words, start, span = steps[index]

            def report(p: Progress) -> None:
                if progress is not None:
                    progress(Progress(start + span * p.fraction, p.text or words))
            return report

        part(0)(Progress(0.0, "Reading the track"))
        loaded = self.identify(path)
        _check(cancel)
        content_hash = loaded.info.content_hash
        edits = self.edits(content_hash)
        tagging = self._tag_while_analysing(content_hash, tag_model, cancel)
        try:
            analysis = self.analyse(path, content_hash, part(1), cancel,
                                    tagger_feed=tagging.stream.feed if tagging else None)
        except BaseException:
            if tagging is not None:
                tagging.stream.abort()
                tagging.join()
            raise
        info = _with_decoded_length(loaded.info, analysis)
        music_tags = None
        if tagging is not None:
            part(2)(Progress(0.0, "Tagging the music"))
            music_tags = tagging.result()  # None: the analysis was cached, nothing was fed
            if music_tags is not None and content_hash:
                self._tag_cache(music_tags.model).put_json(content_hash, music_tags.to_dict())
        if music_tags is None:
            music_tags = self.tag(path, content_hash, tag_model, part(2), cancel)
        if progress is not None:
            progress(Progress(1.0, "Done"))
        return TrackReading(info, loaded.tags, edits, analysis, music_tags)


class _Tagging(threading.Thread):
    """A ``TagStream`` run on its own thread; ``result()`` joins it and gives its tags (None
    when nothing was fed) or raises what stopped it."""

    def __init__(self, stream: TagStream) -> None:
        super().__init__(name="tagger-stream", daemon=True)
        self.stream = stream
        self._tags: TagResult | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._tags = self.stream.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            self._error = exc

    def result(self) -> TagResult | None:
        if not self.stream.closed.is_set():
            self.stream.abort()
        self.join()
        if self._error is not None:
            raise self._error
        return self._tags


def _with_decoded_length(info: AudioInfo, analysis: AnalysisResult) -> AudioInfo:
    from albumstudio.audio.peaks import with_decoded_length

    return with_decoded_length(info, round(analysis.duration * info.sample_rate))


def _fraction(progress: ProgressFn | None) -> Callable[[float, str], None] | None:
    """The audio layer's ``progress(fraction, words)`` as a :class:`Progress` report."""
    if progress is None:
        return None

    def report(fraction: float, words: str = "") -> None:
        progress(Progress(float(fraction), words))
    return report


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("reading the track")


def warm_up_analysis(cancel: threading.Event | None = None) -> None:
    """Run the analysis once on a short noise clip, so its modules are imported before the
    artist's first track (nothing is compiled any more: the analysis is plain numpy)."""
    from albumstudio.audio.analysis import analyze_stream

    noise = np.random.default_rng(0).standard_normal((3 * 22050, 1)).astype(np.float32) * 0.1
    analyze_stream([noise], 22050, 1, cancel=cancel)
