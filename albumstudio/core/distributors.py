"""What stores and distributors accept as cover art, read from ``resources/distributors.json``.

Each :class:`DistributorProfile` holds the rules one service publishes (sizes, formats, colour
mode, file size cap, what must not be on the art) with the page they come from and the date it
was read. A rule the source does not state is taken from the generic profile, and the profile
names those fields in ``inherited`` so nothing pretends to be a store's own rule.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from albumstudio.core.errors import InputError

GENERIC = "generic"
_FIELDS = ("min_px", "recommended_px", "max_px", "formats", "colour_modes", "max_file_mb")


@dataclass(frozen=True)
class DistributorProfile:
    name: str
    label: str
    min_px: int
    recommended_px: int
    max_px: int | None
    formats: tuple[str, ...]  # "jpg", "png"
    colour_modes: tuple[str, ...]  # Pillow modes: "RGB"
    max_file_bytes: int | None
    forbidden: tuple[str, ...]
    source: str
    url: str
    checked: str  # the date the source was read, YYYY-MM-DD
    inherited: tuple[str, ...] = ()  # fields the source does not state (the generic's value)

    @property
    def export_px(self) -> int:
        """The side the cover is exported at: the recommended size."""
        return self.recommended_px

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "min_px": self.min_px,
                "recommended_px": self.recommended_px, "max_px": self.max_px,
                "formats": list(self.formats), "colour_modes": list(self.colour_modes),
                "max_file_bytes": self.max_file_bytes, "forbidden": list(self.forbidden),
                "source": self.source, "url": self.url, "checked": self.checked,
                "inherited": list(self.inherited)}


def _parse(entry: dict[str, Any], base: dict[str, Any] | None) -> DistributorProfile:
    values = dict(entry)
    inherited = []
    for name in _FIELDS:
        if values.get(name) is None and base is not None and base.get(name) is not None \
                and name != "max_px":
            values[name] = base[name]
            inherited.append(name)
    for name in ("min_px", "recommended_px", "formats", "colour_modes"):
        if values.get(name) is None:
            raise ValueError(f"distributor profile {entry.get('name')!r} has no {name}")
    mb = values.get("max_file_mb")
    return DistributorProfile(
        name=str(values["name"]), label=str(values["label"]), min_px=int(values["min_px"]),
        recommended_px=int(values["recommended_px"]),
        max_px=None if values.get("max_px") is None else int(values["max_px"]),
        formats=tuple(str(f).lower() for f in values["formats"]),
        colour_modes=tuple(str(m) for m in values["colour_modes"]),
        max_file_bytes=None if mb is None else int(float(mb) * 1_000_000),
        forbidden=tuple(str(f) for f in values.get("forbidden", ())),
        source=str(values["source"]), url=str(values.get("url", "")),
        checked=str(values["checked"]), inherited=tuple(inherited))


@functools.cache
def profiles() -> tuple[DistributorProfile, ...]:
    """Every profile, the generic one first."""
    text = resources.files("albumstudio.resources").joinpath("distributors.json") \
        .read_text("utf-8")
    entries = json.loads(text)["profiles"]
    base = next((e for e in entries if e["name"] == GENERIC), None)
    if base is None:
        raise ValueError("distributors.json has no generic profile")
    found = [_parse(base, None)] + [_parse(e, base) for e in entries if e is not base]
    if len({p.name for p in found}) != len(found):
        raise ValueError("distributors.json names a profile twice")
    return tuple(found)


def profile_names() -> tuple[str, ...]:
    return tuple(p.name for p in profiles())


def profile(name: str | None) -> DistributorProfile:
    """The profile called ``name`` (the generic one for None or ""); InputError for a name we
    do not know, listing the ones we do."""
    wanted = (name or GENERIC).strip().lower()
    for entry in profiles():
        if entry.name == wanted:
            return entry
    raise InputError(f"There is no distributor profile '{name}'; choose one of: "
                     f"{', '.join(profile_names())}.")
