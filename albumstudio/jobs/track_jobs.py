"""Job functions for a track: stream peaks and tags, then analyse. Audio modules load on the worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.peaks import PeakPyramid
from albumstudio.core.tagging import TagResult
from albumstudio.core.track import AudioInfo, ReleaseTags
from albumstudio.jobs.runner import JobContext
from albumstudio.store.cache import ContentCache
from albumstudio.store.paths import DataPaths


@dataclass(frozen=True)
class LoadedTrack:
    info: AudioInfo
    tags: ReleaseTags
    peaks: PeakPyramid


def load_track(path: str, paths: DataPaths) -> Callable[[JobContext], LoadedTrack]:
    """Decode ``path`` once for its peaks (partials go out as they grow) and read its tags."""

    def job(ctx: JobContext) -> LoadedTrack:
        from albumstudio.audio.peaks import compute_peaks
        from albumstudio.audio.tags import read_tags

        ctx.progress(0.0, "Reading the track")
        info, peaks = compute_peaks(path, ContentCache(paths.peaks, ".npz"),
                                    on_partial=ctx.partial, cancel=ctx.cancel)
        return LoadedTrack(info, read_tags(path), peaks)

    return job


def analyse_track(path: str, content_hash: str, paths: DataPaths
                  ) -> Callable[[JobContext], AnalysisResult]:
    """Tempo, key, loudness and the rest, cached by the file's content hash."""

    def job(ctx: JobContext) -> AnalysisResult:
        from albumstudio.audio.analysis import analyze_file

        return analyze_file(path, cache=ContentCache(paths.analysis, ".json"),
                            content_hash=content_hash, progress=ctx.progress, cancel=ctx.cancel)

    return job


def tag_track(path: str, content_hash: str, paths: DataPaths
              ) -> Callable[[JobContext], TagResult]:
    """musicnn tags (MagnaTagATune), cached by content hash in a folder per model."""

    def job(ctx: JobContext) -> TagResult:
        from albumstudio.audio.tagger import DEFAULT_MODEL, tag_file

        cache = ContentCache(paths.cache / "tags" / DEFAULT_MODEL, ".json")
        return tag_file(path, DEFAULT_MODEL, cache=cache, content_hash=content_hash,
                        progress=ctx.progress, cancel=ctx.cancel)

    return job


def preload_tagger(ctx: JobContext) -> None:
    """Import torch and load the tagger while the window is idle: importing torch holds the
    interpreter lock for a few hundred milliseconds, which is better spent before a drop."""
    from albumstudio.audio.tagger import preload

    ctx.check_cancel()
    preload()


def warm_up_analysis(ctx: JobContext) -> None:
    """Import librosa and run the analysis once on a short noise clip, so numba compiles (and
    caches) before the artist's first track instead of during it."""
    import numpy as np

    from albumstudio.audio.analysis import analyze_stream

    noise = np.random.default_rng(0).standard_normal((3 * 22050, 1)).astype(np.float32) * 0.1
    analyze_stream([noise], 22050, 1, cancel=ctx.cancel)
