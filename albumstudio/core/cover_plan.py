"""From what we know about a track and a picture to a :class:`CoverRequest` (CLI and window share it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from albumstudio.core.cover import CoverRequest, MusicMood
from albumstudio.core.genre_presets import GENRE_PRESETS
from albumstudio.core.prompt import ComposedPrompt, compose_prompt
from albumstudio.core.track import ReleaseTags

DESIGN_SIZE = 3000  # distributors ask for at least 3000×3000
DIFFUSION_SIZE = 512  # SD 1.5's native size; upscaling is the export step's job


@dataclass(frozen=True)
class CoverPlan:
    request: CoverRequest
    prompt: ComposedPrompt


def for_track(request: CoverRequest, mood: MusicMood, release: ReleaseTags) -> CoverRequest:
    """The request with this track's figures and release fields (title and artist for the type)."""
    return replace(request, title=release.title, artist=release.artist, genre=release.genre,
                   mood=mood)


def plan_cover(*, mood: MusicMood, release: ReleaseTags, music_description: str = "",
               music_tags: Sequence[str] = (), image_caption: str = "", style: str = "",
               preset: str | None = None, base: CoverRequest | None = None) -> CoverPlan:
    """Compose the prompt and fill a request; ``base`` carries the artist's other settings and
    the genre preset picks the design layout and treatment."""
    composed = compose_prompt(
        style=style, image_caption=image_caption, music_description=music_description,
        music_tags=tuple(music_tags), title=release.title, artist=release.artist,
        genre=release.genre, preset=preset,
    )
    request = for_track(replace(base or CoverRequest(), prompt=composed.text,
                                negative_prompt=composed.negative), mood, release)
    chosen = GENRE_PRESETS.get(composed.preset or "")
    if chosen is not None:
        request = replace(request, layout=chosen.design_layout, treatment=chosen.design_treatment)
    return CoverPlan(request, composed)


def default_size(engine: str) -> int:
    return DESIGN_SIZE if engine == "design" else DIFFUSION_SIZE
