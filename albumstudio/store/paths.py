"""Where AlbumStudio keeps its data; ``ALBUMSTUDIO_HOME`` moves everything (tests, portable use)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "AlbumStudio"
HOME_ENV = "ALBUMSTUDIO_HOME"


@dataclass(frozen=True)
class DataPaths:
    data: Path  # history, settings
    cache: Path  # peaks, analysis, tags, thumbnails: safe to delete

    @property
    def peaks(self) -> Path:
        return self.cache / "peaks"

    @property
    def analysis(self) -> Path:
        return self.cache / "analysis"

    @property
    def track_edits(self) -> Path:
        return self.data / "tracks"

    @property
    def history(self) -> Path:
        return self.data / "history"

    @property
    def models(self) -> Path:
        return self.data / "models"  # local pipeline folders the artist adds

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    @property
    def settings_file(self) -> Path:
        return self.data / "settings.json"

    def ensure(self) -> DataPaths:
        """Make the folders; one that cannot be made (a read-only or full drive) is noted as a
        storage warning (store.storage) rather than raised, so the work can still be done."""
        from albumstudio.store.storage import note_unwritable

        for folder in (self.data, self.cache, self.peaks, self.analysis,
                       self.track_edits):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                if folder == self.data:
                    note_unwritable(folder, exc, "the data folder",
                                    "your edits and settings are not kept after you quit")
                else:
                    note_unwritable(folder, exc, "the cache folder",
                                    "results are used but not kept for next time")
        return self


def default_paths() -> DataPaths:
    """platformdirs locations, or ``$ALBUMSTUDIO_HOME/{data,cache}`` when that is set."""
    override = os.environ.get(HOME_ENV)
    if override:
        root = Path(override)
        return DataPaths(root / "data", root / "cache")
    import platformdirs

    return DataPaths(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )
