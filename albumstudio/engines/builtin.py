"""The built-in cover, poster and clip engines (MusicGen among the clips), registered as any
new engine would be."""

from __future__ import annotations

import threading
from typing import Any

from albumstudio.core.clip import AudioClipOptions, VideoClipOptions
from albumstudio.core.cover import CoverRequest, CoverResult, DesignOptions, DiffusionOptions
from albumstudio.core.jobs import ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.music_attributes import GUIDANCE_RANGE, SECONDS_RANGE, MusicRequest
from albumstudio.core.qr import ArtQrOptions, PlainQrOptions
from albumstudio.engines.registry import EngineSpec, register


class DesignEngine:
    """Offline: nothing to load."""

    def __init__(self, models: ModelCache) -> None:
        self.models = models

    def run(self, request: CoverRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> CoverResult:
        from albumstudio.engines.design_cover import run

        return run(request, progress, cancel)


def _design(models: ModelCache) -> DesignEngine:
    return DesignEngine(models)


def _diffusion(models: ModelCache) -> Any:
    from albumstudio.engines.diffusion_cover import DiffusionCoverEngine

    return DiffusionCoverEngine(models=models)


register(EngineSpec(
    name="design", kind="cover", label="Design — offline, no model",
    options_type=DesignOptions, factory=_design, version=3,  # 2: type that reads; 3: families (#12)
    description="A finished cover from your photo or the music, with type; no model needed.",
    defaults={"size": 3000}, limits={"size": (256, 6000), "variants": (1, 16)},
    sizes=((3000, "3000 px — what stores ask for"), (1400, "1400 px"), (1000, "1000 px")),
))
register(EngineSpec(
    name="diffusion", kind="cover", label="Stable Diffusion + ControlNet",
    options_type=DiffusionOptions, factory=_diffusion, version=1,
    description="Stable Diffusion 1.5, following the photo's edges or layout when asked.",
    defaults={"size": 512}, limits={"size": (256, 1024), "variants": (1, 16)},
    sizes=((512, "512 px — Stable Diffusion 1.5's own size"), (768, "768 px"),
           (1024, "1024 px")),
    model_roles=("sd15",),
    optional_roles=("controlnet-canny", "controlnet-seg", "lcm-lora", "segmenter"),
))


class PlainPosterEngine:
    """Offline QR posters: nothing to load."""

    def __init__(self, models: ModelCache) -> None:
        self.models = models

    def run(self, request: Any, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> Any:
        from albumstudio.engines.qr_poster import run

        return run(request, progress, cancel)


def _plain_poster(models: ModelCache) -> Any:
    return PlainPosterEngine(models)


register(EngineSpec(
    name="plain", kind="poster", label="Plain QR — offline, no model",
    options_type=PlainQrOptions, factory=_plain_poster, version=1,
    description="A styled QR code in the cover's colours on a poster; checked by two decoders.",
))


def _art_poster(models: ModelCache) -> Any:
    from albumstudio.engines.qr_art import ArtPosterEngine

    return ArtPosterEngine(models)


register(EngineSpec(
    name="art", kind="poster", label="Art QR — Stable Diffusion + QR ControlNet",
    options_type=ArtQrOptions, factory=_art_poster, version=1,
    description="A painted QR code (ControlNet QR Monster); repaired until it scans.",
    model_roles=("sd15", "controlnet-qr"),
))


def _highlight_clip(models: ModelCache) -> Any:
    from albumstudio.engines.clip_audio import HighlightEngine

    return HighlightEngine()


def _social_video(models: ModelCache) -> Any:
    from albumstudio.engines.clip_video import SocialVideoEngine

    return SocialVideoEngine()


register(EngineSpec(
    name="highlight", kind="clip", label="Highlight — offline, no model",
    options_type=AudioClipOptions, factory=_highlight_clip, version=1,
    description="The most representative part of the track, faded, at −14 LUFS (WAV, FLAC, "
                "MP3, Ogg Opus).",
))
register(EngineSpec(
    name="social-video", kind="clip", label="Social video — offline, no model",
    options_type=VideoClipOptions, factory=_social_video, version=1,
    description="The clip as an MP4 with the cover, title, artist and a moving waveform; or a "
                "silent vertical loop.",
))


def _musicgen(models: ModelCache) -> Any:
    from albumstudio.engines.musicgen import MusicGenEngine

    return MusicGenEngine(models)


register(EngineSpec(
    name="musicgen", kind="clip", label="MusicGen — new music from a picture or a track",
    options_type=MusicRequest, factory=_musicgen, version=1,
    description="New music from a prompt made of a picture's or a track's attributes "
                "(CC-BY-NC 4.0 weights).",
    defaults={"seconds": 10.0},
    limits={"seconds": SECONDS_RANGE, "guidance": GUIDANCE_RANGE},
    model_roles=("musicgen",),
))
