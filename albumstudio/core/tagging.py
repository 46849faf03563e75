"""A music tagger's output: a taggram (one row of tag probabilities per 3-second patch)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import SupportsFloat, cast

TAGGING_VERSION = 1


@dataclass(frozen=True)
class TagResult:
    model: str  # e.g. "MTT_musicnn"
    tag_names: tuple[str, ...]
    segment_s: float  # seconds between taggram rows (patch length without overlap)
    taggram: tuple[tuple[float, ...], ...]  # (segments, tags) probabilities 0..1
    version: int = TAGGING_VERSION

    def mean(self) -> tuple[float, ...]:
        """Mean probability of each tag over the track (musicnn's tags_likelihood_mean)."""
        if not self.taggram:
            return tuple(0.0 for _ in self.tag_names)
        n = len(self.taggram)
        return tuple(sum(row[i] for row in self.taggram) / n for i in range(len(self.tag_names)))

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The n most likely tags, most likely first; ties broken by name so order is stable."""
        ranked = sorted(zip(self.tag_names, self.mean(), strict=True), key=lambda t: (-t[1], t[0]))
        return ranked[:n]

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "tag_names": list(self.tag_names),
            "segment_s": self.segment_s,
            "taggram": [list(row) for row in self.taggram],
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TagResult:
        """Rebuild from ``to_dict`` output; ValueError for another version or shape."""
        if data.get("version") != TAGGING_VERSION:
            raise ValueError("tagging format changed")
        try:
            # the values are unchecked JSON: a wrong shape raises TypeError below
            names = tuple(str(n) for n in cast("Iterable[object]", data["tag_names"]))
            taggram = cast("Iterable[Iterable[SupportsFloat]]", data["taggram"])
            rows = tuple(tuple(float(v) for v in row) for row in taggram)
            segment_s = float(cast("SupportsFloat", data["segment_s"]))
            result = cls(str(data["model"]), names, segment_s, rows)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"bad tag result: {exc}") from exc
        if any(len(row) != len(names) for row in rows):
            raise ValueError("taggram rows do not match the tag names")
        return result


# The mean probability a tag must reach to be named. musicnn's outputs are trained
# probabilities, but the rhythm and descriptor tags fire on much that is not theirs: the
# thresholds below sit above what the tagger gives those tags on the synthesized tracks that
# lack them (tests/core/test_understanding.py keeps them there).
DEFAULT_TAG_THRESHOLD = 0.1
TAG_THRESHOLDS = {
    "drums": 0.25, "beat": 0.25, "beats": 0.25, "techno": 0.3, "dance": 0.3,
    "slow": 0.3, "fast": 0.3, "loud": 0.3, "quiet": 0.3, "soft": 0.3,
}


def tag_threshold(name: str) -> float:
    return TAG_THRESHOLDS.get(name, DEFAULT_TAG_THRESHOLD)


def strongest_tags(result: TagResult | None, hidden: frozenset[str] = frozenset(), n: int = 4,
                   min_probability: float = 0.1) -> list[tuple[str, float]]:
    """The artist-facing tags: the n most likely above their threshold (and a floor), minus
    those the artist removed."""
    if result is None:
        return []
    ranked = result.top(len(result.tag_names))
    return [(name, p) for name, p in ranked
            if name not in hidden and p >= max(min_probability, tag_threshold(name))][:n]
