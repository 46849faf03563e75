"""What we know about a track before and after decoding it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ReleaseTags:
    """Release fields read from the file's tags; title and artist are editable in the UI."""

    title: str = ""
    artist: str = ""
    album: str = ""
    year: str = ""
    genre: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class AudioInfo:
    """Stream facts from the container header (frames is the header's claim, maybe an estimate)."""

    path: str
    sample_rate: int
    channels: int
    frames: int
    format: str
    backend: str  # "soundfile" or "pyav"
    content_hash: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["duration"] = self.duration
        data["warnings"] = list(self.warnings)
        return data
