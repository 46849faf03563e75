"""User settings that are not window geometry: recent tracks, volume (a JSON file, written atomically)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from albumstudio.store.files import atomic_write_bytes

MAX_RECENT = 10


@dataclass
class Settings:
    path: Path
    recent_tracks: list[str] = field(default_factory=list)
    volume: float = 0.8
    show_overlays: bool = True

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Settings:
        """Read the file; a missing or damaged file gives defaults (a damaged one is kept aside)."""
        target = Path(path)
        settings = cls(target)
        try:
            raw = json.loads(target.read_text(encoding="utf-8", errors="surrogateescape"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            try:
                os.replace(target, target.with_suffix(".damaged.json"))
            except OSError:
                pass
            return settings
        if isinstance(raw, dict):
            recent = raw.get("recent_tracks", [])
            if isinstance(recent, list):
                settings.recent_tracks = [p for p in recent if isinstance(p, str)][:MAX_RECENT]
            volume = raw.get("volume")
            if isinstance(volume, (int, float)) and 0 <= volume <= 1:
                settings.volume = float(volume)
            settings.show_overlays = bool(raw.get("show_overlays", True))
        return settings

    def save(self) -> None:
        data = {
            "recent_tracks": self.recent_tracks,
            "volume": self.volume,
            "show_overlays": self.show_overlays,
        }
        text = json.dumps(data, indent=2, ensure_ascii=True)
        atomic_write_bytes(self.path, text.encode("ascii"))

    def add_recent(self, track_path: str) -> None:
        path = os.path.abspath(track_path)
        self.recent_tracks = [path] + [p for p in self.recent_tracks if p != path]
        del self.recent_tracks[MAX_RECENT:]
