"""What a cover engine is asked for and what it gives back (pure data, no Qt, no torch).

One frozen :class:`CoverRequest` holds every input, the seed included, so the same request
always gives the same cover and a history entry can be re-run exactly. It has the fields every
cover engine reads (prompt, picture, title, music, size, seed, variants) and ``options``: the
engine's own settings, an options dataclass declared with the engine in the registry.

Version 2 split the engine settings into ``options``; :meth:`CoverRequest.from_dict` reads
version 1 (everything flat) as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.cover_options import (
    CONDITION_KINDS,
    DIFFUSION_MODES,
    LAYOUTS,
    SCHEDULERS,
    TREATMENTS,
    Condition,
    DesignOptions,
    DiffusionOptions,
    LoraFile,
    options_from_dict,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

COVER_REQUEST_VERSION = 2
READABLE_VERSIONS = (1, 2)

DEFAULT_NEGATIVE = "monochrome, lowres, bad anatomy, worst quality, low quality, text, watermark"
QUALITY_SUFFIX = "best quality, extremely detailed album cover"

# the options types of the built-in engines, for reading requests without the engine registry
BUILTIN_OPTIONS: dict[str, type] = {"design": DesignOptions, "diffusion": DiffusionOptions}

__all__ = ["CONDITION_KINDS", "DIFFUSION_MODES", "LAYOUTS", "SCHEDULERS", "TREATMENTS",
           "Condition", "CoverImage", "CoverRequest", "CoverResult", "CropBox",
           "DesignOptions", "DiffusionOptions", "LoraFile", "MusicMood"]


@dataclass(frozen=True)
class CropBox:
    """A square region of the reference image, in the (EXIF-rotated) image's pixels."""

    left: int
    top: int
    size: int


@dataclass(frozen=True)
class MusicMood:
    """The track figures the design engine and prompt builder read (a slice of the analysis)."""

    energy: float = 0.5  # 0..1
    tempo_bpm: float = 110.0
    brightness_hz: float = 2200.0
    mode: str = "major"  # "major" | "minor"
    key: str = "C"
    loudness_lufs: float = -14.0
    onset_density: float = 3.0
    energy_curve: tuple[float, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def from_analysis(cls, analysis: AnalysisResult | None,
                      tags: tuple[str, ...] = ()) -> MusicMood:
        if analysis is None:
            return cls(tags=tuple(tags))
        loud = analysis.loudness_lufs
        return cls(
            energy=float(analysis.energy),
            tempo_bpm=float(analysis.tempo_bpm),
            brightness_hz=float(analysis.brightness_hz),
            mode=analysis.mode,
            key=analysis.key,
            loudness_lufs=float(loud) if loud == loud and loud > -200 else -60.0,
            onset_density=float(analysis.onset_density),
            energy_curve=tuple(float(v) for v in analysis.energy_curve),
            tags=tuple(tags),
        )


COMMON_FIELDS = ("engine", "prompt", "negative_prompt", "words", "image_path", "crop", "title",
                 "artist", "genre", "mood", "size", "seed", "variants", "prompt_models")


@dataclass(frozen=True)
class CoverRequest:
    """Everything a cover engine needs; ``replace(request, seed=…)`` makes a variant."""

    engine: str = "design"
    prompt: str = ""
    negative_prompt: str = DEFAULT_NEGATIVE
    words: str = ""  # the artist's own words, as typed (the design engine reads them itself)
    image_path: str | None = None  # the reference image, loaded safely by albumstudio.vision
    crop: CropBox | None = None  # None: centred square crop
    title: str = ""
    artist: str = ""
    genre: str = ""
    mood: MusicMood = field(default_factory=MusicMood)
    size: int = 3000  # output side in pixels (square)
    seed: int = 0
    variants: int = 1
    # the model roles whose words the prompt carries (the music captions' summary): their
    # licences travel with the cover
    prompt_models: tuple[str, ...] = ()
    options: Any = field(default_factory=DesignOptions)  # the engine's options dataclass
    version: int = COVER_REQUEST_VERSION

    def with_seed(self, seed: int) -> CoverRequest:
        return replace(self, seed=int(seed))

    def with_options(self, **changes: Any) -> CoverRequest:
        return replace(self, options=replace(self.options, **changes))

    def with_changes(self, **changes: Any) -> CoverRequest:
        """``replace`` for common fields and the engine's options given together, by name."""
        names = {f.name for f in fields(self.options)}
        options = {k: v for k, v in changes.items() if k in names}
        common = {k: v for k, v in changes.items() if k not in names}
        return replace(self, **common, options=replace(self.options, **options))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # an options instance (is_dataclass narrows to "instance or class")
        options = self.options
        data["options"] = (asdict(cast("DataclassInstance", options))
                           if is_dataclass(options) else {})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any],
                  options_type: Callable[[str], type | None] | None = None) -> CoverRequest:
        """Read a request written by any earlier version (ValueError for one it cannot read).
        ``options_type`` names the options dataclass of an engine (the engine registry's);
        without it the built-in engines' are used."""
        data = dict(data)
        version = data.get("version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"cover request version {version!r} is not one this version reads")
        engine = str(data.get("engine") or "design")
        kind = (options_type or BUILTIN_OPTIONS.get)(engine)
        if kind is None:
            raise ValueError(f"there is no '{engine}' cover engine")
        if version == 1:  # every setting was a field of the request itself
            names = {f.name for f in fields(kind)}
            raw_options = {k: v for k, v in data.items() if k in names}
        else:
            raw_options = dict(data.get("options") or {})
        common: dict[str, Any] = {k: data[k] for k in COMMON_FIELDS if k in data}
        if common.get("crop") is not None:
            common["crop"] = CropBox(**common["crop"])
        common["prompt_models"] = tuple(str(r) for r in common.get("prompt_models") or ())
        mood: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                for k, v in dict(data.get("mood") or {}).items()}
        common["mood"] = MusicMood(**mood)
        return cls(**common, options=options_from_dict(kind, raw_options))


@dataclass(frozen=True)
class CoverImage:
    """One generated cover: RGB pixels as PNG bytes plus how it was made."""

    png: bytes
    width: int
    height: int
    seed: int
    notes: tuple[str, ...] = ()  # e.g. "ran out of GPU memory; retried with CPU offload"
    # the same pixels at screen size (RGB uint8 array), so nobody decodes the PNG to show it
    display: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CoverResult:
    request: CoverRequest
    images: tuple[CoverImage, ...]
    seconds: float
    device: str = "cpu"
    notes: tuple[str, ...] = ()  # "palette: …" notes explain; the others warn
    models: tuple[tuple[str, str], ...] = ()  # (role, id or folder) of each model used

