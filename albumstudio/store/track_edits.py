"""What the artist changed about a track (release fields, removed tags, their own description),
kept per content hash so reopening the track brings the edits back."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from albumstudio.core.track import ReleaseTags
from albumstudio.store.files import atomic_write_bytes


@dataclass
class TrackEdits:
    release: ReleaseTags | None = None  # None: use the file's own tags
    hidden_tags: list[str] = field(default_factory=list)
    description: str | None = None  # None: use the generated description
    tempo_bpm: float | None = None  # the artist's tempo (×2, ÷2 or tapped); None: the analysis's
    bpm_range: tuple[float, float] | None = None  # the preferred range tempos fold into

    def is_empty(self) -> bool:
        return (self.release is None and not self.hidden_tags and self.description is None
                and self.tempo_bpm is None and self.bpm_range is None)


class TrackEditsStore:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _path(self, content_hash: str) -> Path:
        if not content_hash or not all(c in "0123456789abcdef" for c in content_hash):
            raise ValueError("content hashes are lowercase hex")
        return self.folder / f"{content_hash}.json"

    def load(self, content_hash: str) -> TrackEdits:
        """The saved edits, or none when there are none or the file is unreadable."""
        path = self._path(content_hash)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            return TrackEdits()
        if not isinstance(raw, dict):
            return TrackEdits()
        release = raw.get("release")
        edits = TrackEdits()
        if isinstance(release, dict):
            fields = {k: str(release.get(k, "")) for k in ReleaseTags.__dataclass_fields__}
            edits.release = ReleaseTags(**fields)
        hidden = raw.get("hidden_tags")
        if isinstance(hidden, list):
            edits.hidden_tags = [str(t) for t in hidden]
        if isinstance(raw.get("description"), str):
            edits.description = raw["description"]
        edits.tempo_bpm = _bpm(raw.get("tempo_bpm"))
        bounds = raw.get("bpm_range")
        if isinstance(bounds, list) and len(bounds) == 2:
            low, high = _bpm(bounds[0]), _bpm(bounds[1])
            if low is not None and high is not None and low < high:
                edits.bpm_range = (low, high)
        return edits

    def save(self, content_hash: str, edits: TrackEdits) -> None:
        path = self._path(content_hash)
        if edits.is_empty():
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            return
        data = {
            "release": asdict(edits.release) if edits.release is not None else None,
            "hidden_tags": sorted(edits.hidden_tags),
            "description": edits.description,
            "tempo_bpm": edits.tempo_bpm,
            "bpm_range": list(edits.bpm_range) if edits.bpm_range else None,
        }
        atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def _bpm(value: object) -> float | None:
    """A tempo read back from the file: a finite number of beats per minute in 20-400."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 20.0 <= float(value) <= 400.0 else None
