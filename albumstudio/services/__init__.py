"""Qt-free orchestration that the window and the CLI share (between ``jobs`` and ``engines``).

:class:`Services` is what both faces hold: the data paths, the one model cache, the history,
and the track, picture and cover services over them. The CLI calls them directly and prints;
the window submits the same calls to its job runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from albumstudio.core.cover import CoverRequest
from albumstudio.core.jobs import ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.engines.registry import EngineRegistry, engines
from albumstudio.services.covers import CoverPlan, CoverService, plan
from albumstudio.services.tracks import TrackService
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import DataPaths

if TYPE_CHECKING:  # built on first use: a cover from the command line never imports them
    from albumstudio.services.clips import ClipService
    from albumstudio.services.music import MusicService
    from albumstudio.services.posters import PosterService


@dataclass
class Services:
    paths: DataPaths
    models: ModelCache = field(default_factory=ModelCache)
    history: HistoryStore | None = None
    tracks: TrackService = field(init=False)
    covers: CoverService = field(init=False)

    def __post_init__(self) -> None:
        self.tracks = TrackService(self.paths, self.models)
        self.covers = CoverService(self.models, self.history)

    @cached_property
    def posters(self) -> PosterService:
        from albumstudio.services.posters import PosterService

        return PosterService(self.models, self.history)

    @cached_property
    def music(self) -> MusicService:
        from albumstudio.services.music import MusicService

        return MusicService(self.models, self.history, self.tracks, self.paths)

    @cached_property
    def clips(self) -> ClipService:
        from albumstudio.services.clips import ClipService

        return ClipService(self.models, self.history, self.tracks)

    @classmethod
    def open(cls, paths: DataPaths, with_history: bool = True) -> Services:
        """Services over ``paths``; the history is opened (UserFacingError when it cannot be)."""
        history = HistoryStore(paths.history) if with_history else None
        return cls(paths, ModelCache(), history)

    def plan_cover(self, track: str, settings: CoverRequest, *, image: str | None = None,
                   style: str = "", preset: str | None = None,
                   release: dict[str, str] | None = None,
                   progress: ProgressFn | None = None,
                   keep_mix: bool = False) -> tuple[CoverPlan, str]:
        """The cover request for files on disk, made the way the window makes it (its picture
        words, its starting crop, the track's saved edits); the plan and the track's content
        hash. Everything that can fail fast (the engine, its limits and models, the picture)
        is checked before the track is read. ``keep_mix``: the analysis's mono mix is kept
        for the clip that follows (``TrackService.take_mix``)."""
        from albumstudio.services.pictures import describe_picture, load_reference

        self.covers.preflight(settings)
        words = ""
        if image:
            picture = load_reference(image)
            settings = replace(settings, image_path=image, crop=picture.default_crop)
            words = describe_picture(picture, picture.default_crop, self.models).text
        reading = self.tracks.read(track, progress=progress, keep_mix=keep_mix)
        facts = reading.facts()
        if release:
            facts = replace(facts, release=replace(facts.release, **release))
        made = plan(facts, settings, picture_words=words, style=style, preset=preset)
        return made, reading.content_hash

    def tidy(self) -> int:
        """Remove temporary files that processes killed mid-write left in the data and cache
        folders (those older than a grace period, so a second running copy is not disturbed)."""
        from albumstudio.store.files import sweep_temporaries

        return sum(sweep_temporaries(folder) for folder in (self.paths.data, self.paths.cache))

    def close(self) -> None:
        """Free every loaded model and close the history."""
        self.covers.unload()
        for name in ("posters", "clips"):  # only those that were built
            if name in self.__dict__:
                self.__dict__[name].unload()
        self.models.unload_all()
        if self.history is not None:
            self.history.close()


def prepare_environment() -> None:
    """Before any model library loads: offline, quiet (see engines.models)."""
    from albumstudio.engines.models import prepare_model_environment
    from albumstudio.services.model_manager import apply_local_folders

    prepare_model_environment()
    apply_local_folders()  # the folders the artist chose per role in the model manager


def engine_registry() -> EngineRegistry:
    """The engines the window and the CLI offer (built-ins and any registered since)."""
    return engines()
