"""The release kit's built-in export targets, registered like engines (export.kit_targets).

In the order their files are written: the cover JPEG (always), the PNG master, the QR poster
(when a link is given), the highlight clip, and the track copy with the cover and release
fields in its tags. A new part of the kit is one more :func:`register` call like these; the
``kit`` command and the export dialog list whatever is registered.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from albumstudio.core.jobs import JobRecord
from albumstudio.core.text import display_name
from albumstudio.export.kit_targets import (
    KitTarget,
    KitTargetRegistry,
    TargetContext,
    register,
    registry,
)
from albumstudio.export.kit_writer import KitEntry

CLIP_SECONDS = 30.0
CLIP_FORMAT = "mp3"


def _output_bytes(record: JobRecord) -> bytes:
    output = record.outputs[0]
    return output.data if output.data is not None else Path(output.path).read_bytes()


def _cover_jpeg(ctx: TargetContext) -> list[KitEntry]:
    return [KitEntry("cover.jpg", "cover", ctx.cover_files.jpeg, provenance="cover")]


def _cover_png(ctx: TargetContext) -> list[KitEntry]:
    return [KitEntry("cover.png", "cover-master", ctx.cover_files.png, provenance="cover")]


def _make_poster(ctx: TargetContext) -> JobRecord:
    """The QR poster with the kit's cover at the poster's own size (decoding the 3000 px
    master again would cost more than the poster)."""
    from PIL import Image

    from albumstudio.core.qr import POSTER_SIZES
    from albumstudio.services.posters import new_request

    posters = ctx.services.posters
    request = ctx.request
    side = max(POSTER_SIZES["square"].width, POSTER_SIZES["square"].height)
    with tempfile.TemporaryDirectory(prefix="albumstudio-kit-") as scratch:
        picture = Path(scratch) / "cover.png"
        ctx.cover_image.resize((side, side), Image.Resampling.LANCZOS).save(
            picture, compress_level=1)
        poster = new_request(posters.registry, "plain", request.qr_url or "",
                             image_path=str(picture), title=ctx.fields.title,
                             artist=ctx.fields.artist, size="square", format="png",
                             seed=request.seed)
        record: JobRecord = posters.run(poster, ctx.progress, ctx.cancel,
                                        record=request.record)
    # the picture was this kit's cover.png; its temporary copy is gone
    return replace(record, request={**record.request, "image_path": "cover.png"})


def _poster_files(ctx: TargetContext) -> list[KitEntry]:
    assert ctx.record is not None
    return [KitEntry("poster-qr.png", "poster", _output_bytes(ctx.record), provenance="poster")]


def _make_clip(ctx: TargetContext) -> JobRecord:
    """The highlight clip: the most representative 30 s (the whole track when shorter)."""
    clips = ctx.services.clips
    request = ctx.request
    seconds = min(CLIP_SECONDS, float(int(clips.duration(request.track, ctx.cancel) * 10)) / 10)
    clip = clips.new_request(request.track, seconds, fmt=CLIP_FORMAT, title=ctx.fields.title,
                             artist=ctx.fields.artist, cancel=ctx.cancel)
    record: JobRecord = clips.run(clip, None, ctx.cancel, record=request.record)
    length = record.outputs[0].duration_s or 0.0
    if length < CLIP_SECONDS - 0.5:
        ctx.notes.append(f"clip: the track is shorter than {CLIP_SECONDS:g} s, so the clip is "
                         f"{length:.1f} s")
    return record


def _clip_files(ctx: TargetContext) -> list[KitEntry]:
    assert ctx.record is not None
    output = ctx.record.outputs[0]
    return [KitEntry(f"clips/{ctx.base} ({output.duration_s:.0f} s){output.extension}", "clip",
                     _output_bytes(ctx.record), provenance="clip")]


def _track_files(ctx: TargetContext) -> list[KitEntry]:
    suffix = Path(ctx.request.track).suffix.lower()
    return [KitEntry(f"{ctx.base}{suffix}", "track", track=ctx.request.track,
                     cover=ctx.cover_files.jpeg, fields=ctx.fields, provenance="track")]


def _track_provenance(ctx: TargetContext) -> dict[str, object]:
    return {"source": display_name(ctx.request.track, 200),
            "track_hash": ctx.cover.track_hash if ctx.cover is not None else "",
            "tags": {k: v for k, v in vars(ctx.fields).items() if v}}


BUILTIN = (
    KitTarget("cover-jpeg", "Cover (JPEG)", "cover.jpg", _cover_jpeg, required=True),
    KitTarget("cover-png", "Cover master (PNG)", "cover.png", _cover_png),
    KitTarget("poster-qr", "QR poster", "poster-qr.png", _poster_files, make=_make_poster,
              step="making the QR poster", needs="qr_url",
              needs_words="a link for the poster (--qr URL)", provenance="poster"),
    KitTarget("clip", "Highlight clip (30 s MP3)", "clips/Artist - Title (30 s).mp3",
              _clip_files, make=_make_clip, step="making the clip", background=True,
              may_fail=True),
    KitTarget("track", "Track copy with the cover in its tags", "Artist - Title.<ext>",
              _track_files, provenance="track", describe=_track_provenance),
)

_loading = threading.Lock()


def kit_targets() -> KitTargetRegistry:
    """The export target registry with the built-in targets in it."""
    with _loading:
        for target in BUILTIN:
            if registry().find(target.name) is None:
                register(target)
    return registry()
