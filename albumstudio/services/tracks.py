"""Reading a track, as steps the window and the CLI share.

``probe`` (a header read that fails fast), ``load`` (one decode for the waveform's peaks, the
content hash and the file's tags), ``edits`` (what the artist changed, by content hash),
``analyse`` (tempo, key, loudness…; cached), ``tag`` (musicnn; cached). The window runs each
step as a job and updates as each ends; :meth:`TrackService.read` runs them in a row with one
progress line for the CLI. Either way the result is the same :class:`TrackReading`.
"""

from __future__ import annotations

import os
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
    from albumstudio.audio.shared_decode import SharedDecode as SharedDecode  # the window's
    from albumstudio.audio.tagger import TagStream as TagStream  # the type the window passes


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
    return understand(analysis, music_tags, frozenset(edits.hidden_tags),
                      tempo_bpm=edits.tempo_bpm, bpm_range=edits.bpm_range)


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
        self._kept_lock = threading.Lock()  # guards both kept signals
        # the analysis rate's mono mix of the last track read with ``keep_mix`` (a kit's clip)
        self._mix: tuple[str, np.ndarray] | None = None

    def probe(self, path: str) -> AudioInfo:
        """A header read: InputError with one sentence for anything that is not a usable track."""
        from albumstudio.audio.decode import probe

        return probe(path)

    def load(self, path: str, on_peaks: Callable[[PeakPyramid], None] | None = None,
             cancel: threading.Event | None = None,
             shared: SharedDecode | None = None) -> LoadedTrack:
        """Decode once for the waveform's peaks (``on_peaks`` gets them as they grow) and read
        the file's tags; the content hash comes with the info. ``shared`` (``shared_decode``)
        hands the decoded blocks to an ``analyse`` running at the same time."""
        from albumstudio.audio.peaks import compute_peaks
        from albumstudio.audio.tags import read_tags

        info, peaks = compute_peaks(path, ContentCache(self.paths.peaks, ".npz"),
                                    on_partial=on_peaks, cancel=cancel, shared=shared)
        return LoadedTrack(info, read_tags(path), peaks)

    @staticmethod
    def shared_decode() -> SharedDecode:
        """One decode for ``load`` and ``analyse`` run at the same time on two threads (the
        window): the analysis reads the blocks the waveform's decode hands it, or decodes
        the file itself when that decode does not come (see ``audio/shared_decode.py``)."""
        from albumstudio.audio.shared_decode import SharedDecode

        return SharedDecode()

    def identify(self, path: str) -> LoadedTrack:
        """The info (with content hash) and tags without the peaks (what the CLI needs)."""
        from albumstudio.audio.tags import read_tags
        from albumstudio.store.files import hash_file

        info = self.probe(path)
        return LoadedTrack(replace(info, content_hash=hash_file(path)), read_tags(path), None)

    def content_hash(self, path: str, cancel: threading.Event | None = None) -> str:
        """The file's content hash (the key of its peaks, analysis, tags and edits), the same
        the waveform's decode finds; InputError when the file has gone."""
        from albumstudio.audio.peaks import content_hash

        return content_hash(path, cancel)

    def edits(self, content_hash: str) -> TrackEdits:
        return self.edits_store.load(content_hash) if content_hash else TrackEdits()

    def save_edits(self, content_hash: str, edits: TrackEdits) -> None:
        """Raises OSError when they cannot be written (the caller says so)."""
        self.edits_store.save(content_hash, edits)

    def analyse(self, path: str, content_hash: str, progress: ProgressFn | None = None,
                cancel: threading.Event | None = None,
                tags: TagStream | None = None,
                shared: SharedDecode | None = None,
                keep_mix: bool = False) -> AnalysisResult:
        """The track's figures (cached). The decode for them also keeps the tagger's signal,
        so the ``tag`` step after it reads no file, or, given ``tags`` (``tag_stream``),
        feeds it to that stream as it is decoded, for tags made at the same time on
        another thread (``tag(..., stream=tags)``). With ``shared``, the blocks of the
        ``load`` running beside it are analysed instead of a decode of its own. With
        ``keep_mix``, the mono mix the analysis made is kept for ``take_mix`` (none when the
        figures come from the cache)."""
        from albumstudio.audio.analysis import analyze_file

        audio: list[np.ndarray] = []
        mix: list[np.ndarray] | None = [] if keep_mix else None
        try:
            result = analyze_file(path, cache=ContentCache(self.paths.analysis, ".json"),
                                  content_hash=content_hash, progress=_fraction(progress),
                                  cancel=cancel, tagger_audio=None if tags else audio,
                                  tagger_feed=tags.feed if tags else None, shared=shared,
                                  keep_mix=mix)
        except BaseException:
            if tags is not None:
                tags.fail()
            raise
        finally:
            if tags is not None:
                tags.spare_core.set()  # the analysis's core is free for the tags' backlog
        if tags is not None and not tags.closed.is_set():
            tags.abort()  # the figures came from the cache: the stream was fed nothing
        if audio and content_hash:
            with self._kept_lock:
                self._tagger_audio = (content_hash, audio[0])
        if mix:
            with self._kept_lock:
                self._mix = (os.path.abspath(path), mix[0])
        return result

    def take_mix(self, path: str) -> np.ndarray | None:
        """The mono mix at the analysis's rate that an ``analyse(..., keep_mix=True)`` of
        ``path`` made (given once, then let go), or None."""
        with self._kept_lock:
            kept, self._mix = self._mix, None
        return kept[1] if kept is not None and kept[0] == os.path.abspath(path) else None

    def _take_tagger_audio(self, content_hash: str) -> np.ndarray | None:
        with self._kept_lock:
            kept, self._tagger_audio = self._tagger_audio, None
        return kept[1] if kept is not None and kept[0] == content_hash else None

    def tag(self, path: str, content_hash: str, model: str | None = None,
            progress: ProgressFn | None = None, cancel: threading.Event | None = None,
            stream: TagStream | None = None) -> TagResult:
        """The track's music tags (cached). With ``stream``, the tags are made from the
        samples the analysis feeds it (CancelledError when that analysis fails); a stream
        fed nothing falls back to the kept signal or a decode of the file."""
        from albumstudio.audio.tagger import tag_file

        model = model or default_model("tagger")
        if stream is not None:
            streamed = stream.run(cancel=cancel)
            if streamed is not None:
                if content_hash:
                    self._tag_cache(model).put_json(content_hash, streamed.to_dict())
                return streamed
        return tag_file(path, model, cache=self._tag_cache(model), content_hash=content_hash,
                        progress=_fraction(progress), cancel=cancel, models=self.models,
                        samples=self._take_tagger_audio(content_hash))

    def tag_stream(self, content_hash: str, model: str | None = None,
                   cancel: threading.Event | None = None) -> TagStream | None:
        """A stream for ``analyse(..., tags=)`` and ``tag(..., stream=)``, so the tagger's
        network runs on the second core while the analysis decodes (a fresh ``analyze`` of a
        4-minute track is about a third faster); None when the tags are cached already."""
        from albumstudio.audio.tagger import TagStream, is_cached

        model = model or default_model("tagger")
        if is_cached(content_hash, model, self._tag_cache(model)):
            return None
        return TagStream(model, self.models, cancel)

    def _tag_cache(self, model: str) -> ContentCache:
        return ContentCache(self.paths.cache / "tags" / model, ".json")

    def preload_tagger(self, model: str | None = None) -> None:
        from albumstudio.audio.tagger import preload

        preload(model or default_model("tagger"), self.models)

    def read(self, path: str, tag_model: str | None = None, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None, keep_mix: bool = False) -> TrackReading:
        """Every step in a row (the CLI's path): identify, edits, analysis, tags; ``keep_mix``
        as for ``analyse``."""
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
        stream = self.tag_stream(content_hash, tag_model, cancel)
        tagging = None
        if stream is not None:
            tagging = _Tagging(lambda: self.tag(path, content_hash, tag_model, None, cancel,
                                                stream))
            tagging.start()
        try:
            analysis = self.analyse(path, content_hash, part(1), cancel, tags=stream,
                                    keep_mix=keep_mix)
        except BaseException:
            if tagging is not None:
                tagging.join()  # the stream was told the analysis failed: it ends at once
            raise
        info = _with_decoded_length(loaded.info, analysis)
        part(2)(Progress(0.0, "Tagging the music"))
        if tagging is not None:
            music_tags = tagging.result()
        else:
            music_tags = self.tag(path, content_hash, tag_model, part(2), cancel)
        if progress is not None:
            progress(Progress(1.0, "Done"))
        return TrackReading(info, loaded.tags, edits, analysis, music_tags)


class _Tagging(threading.Thread):
    """Tags made on a thread of their own; ``result()`` joins it and gives them, or raises
    what stopped it."""

    def __init__(self, make: Callable[[], TagResult]) -> None:
        super().__init__(name="tagging", daemon=True)
        self._make = make
        self._tags: TagResult | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._tags = self._make()
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            self._error = exc

    def result(self) -> TagResult:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._tags is not None
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
