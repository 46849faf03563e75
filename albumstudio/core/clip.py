"""Clips: a short piece of the real track as audio, or as a video for social posts.

A :class:`ClipRequest` holds every input: the track, where the clip starts and how long it is,
the title and artist and picture a video shows, and ``options`` (the engine's own dataclass:
:class:`AudioClipOptions` for the ``highlight`` engine, :class:`VideoClipOptions` for the
``social-video`` engine). A :class:`ClipResult` carries the file's bytes and its figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from albumstudio.core.requests import request_from_dict, request_to_dict

CLIP_LENGTHS = (15, 30, 60)  # what the window offers; any length from 1 s works headless
MIN_CLIP_S = 1.0
AUDIO_CLIP_FORMATS = ("wav", "flac", "mp3", "ogg")
VIDEO_LAYOUTS = ("square", "vertical", "loop")
VIDEO_SIZES = {"square": (1080, 1080), "vertical": (1080, 1920), "loop": (1080, 1920)}
LOOP_SECONDS = (3.0, 8.0)
DEFAULT_LOOP_S = 6.0


@dataclass(frozen=True)
class AudioClipOptions:
    """The highlight engine: the file format, and the fades (negative: chosen from the length,
    up to 0.5 s in and 2 s out)."""

    format: str = "wav"
    fade_in_s: float = -1.0
    fade_out_s: float = -1.0


@dataclass(frozen=True)
class VideoClipOptions:
    """The social-video engine: square 1080², vertical 1080×1920, or a silent vertical loop."""

    layout: str = "square"
    fps: int = 30


OPTIONS_TYPES: dict[str, type] = {"highlight": AudioClipOptions,
                                  "social-video": VideoClipOptions}


@dataclass(frozen=True)
class ClipRequest:
    engine: str
    track_path: str
    start_s: float
    seconds: float
    options: Any = field(default_factory=AudioClipOptions)
    title: str = ""
    artist: str = ""
    image_path: str = ""
    proposed: bool = False  # the start came from the highlight proposal
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        return request_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipRequest:
        return request_from_dict(cls, data, OPTIONS_TYPES)


@dataclass(frozen=True)
class ClipResult:
    """A finished clip: the file's bytes, its MIME type and figures, and notes worth reading
    (its loudness, the codecs used, why this start)."""

    data: bytes
    media: str
    duration_s: float
    width: int = 0
    height: int = 0
    sample_rate: int = 0
    notes: tuple[str, ...] = ()
    extension: str = ""
    figures: dict[str, float] = field(default_factory=dict)
