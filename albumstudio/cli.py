"""The ``albumstudio`` command: no subcommand opens the window; subcommands run headless."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass

from albumstudio import __version__
from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.cover import (
    DEFAULT_SD_MODEL,
    ENGINES,
    LAYOUTS,
    SCHEDULERS,
    TREATMENTS,
)
from albumstudio.core.tagging import TagResult
from albumstudio.core.track import AudioInfo, ReleaseTags


def _finite(value: object) -> object:
    """JSON has no infinity: silence's -inf loudness becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="albumstudio",
        description="Turn a track into a release kit. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"AlbumStudio {__version__}")
    parser.add_argument("--exit-after-paint", action="store_true",
                        help="open the window, quit after its first paint and print timing JSON")
    parser.add_argument("--open", metavar="TRACK", help="open this track in the window")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    analyze = sub.add_parser("analyze", help="print a track's figures and description")
    analyze.add_argument("track", help="an audio file (wav, flac, ogg, mp3, m4a …)")
    analyze.add_argument("--json", action="store_true", help="print JSON instead of text")
    analyze.add_argument("--tag-model", choices=("MTT_musicnn", "MSD_musicnn"),
                         default="MTT_musicnn",
                         help="musicnn weights: MagnaTagATune (default) or Million Song Dataset")
    cover = sub.add_parser("cover", help="make a square album cover from a track (and a picture)")
    cover.add_argument("track", help="the track the cover is for")
    cover.add_argument("--image", metavar="IMG", help="a reference photo or picture")
    cover.add_argument("--style", metavar="TEXT", default="", help="your own words for the look")
    cover.add_argument("--engine", choices=ENGINES, default="design",
                       help="design: offline, no model (default); diffusion: Stable Diffusion")
    cover.add_argument("--model", metavar="ID_OR_PATH", default=DEFAULT_SD_MODEL,
                       help="diffusion model: a hub id in the local cache or a pipeline folder")
    cover.add_argument("--steps", type=int, default=None, help="diffusion steps (default 20, LCM 4)")
    cover.add_argument("--size", type=int, default=None, metavar="PX",
                       help="side in pixels (default 3000 design, 512 diffusion)")
    cover.add_argument("--seed", type=int, default=0)
    cover.add_argument("--variants", type=int, default=1, help="how many covers (seed, seed+1 …)")
    cover.add_argument("--title", help="title on the cover (default: the file's tag)")
    cover.add_argument("--artist", help="artist on the cover (default: the file's tag)")
    cover.add_argument("--layout", choices=LAYOUTS, default=None)
    cover.add_argument("--treatment", choices=TREATMENTS, default=None)
    cover.add_argument("--canny", type=float, default=None, metavar="WEIGHT",
                       help="diffusion: follow the picture's edges with this weight (e.g. 1.0)")
    cover.add_argument("--seg", type=float, default=None, metavar="WEIGHT",
                       help="diffusion: follow the picture's segmentation map with this weight")
    cover.add_argument("--img2img", type=float, default=None, metavar="STRENGTH",
                       help="diffusion: start from the picture itself (strength 0–1)")
    cover.add_argument("--lcm", action="store_true", help="diffusion: LCM-LoRA fast mode (4 steps)")
    cover.add_argument("--lora", action="append", default=[], metavar="FILE[:SCALE]",
                       help="diffusion: your own LoRA style file (.safetensors); repeatable")
    cover.add_argument("--scheduler", choices=SCHEDULERS, default=None)
    cover.add_argument("--guidance", type=float, default=None)
    cover.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"), default="auto")
    cover.add_argument("--out", required=True, metavar="FILE", help="where to save (.png or .jpg)")
    cover.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    return parser


@dataclass(frozen=True)
class TrackReading:
    """Everything the headless commands know about a track (analysis and tags cached by hash)."""

    info: AudioInfo
    content_hash: str
    release: ReleaseTags
    analysis: AnalysisResult
    music_tags: TagResult
    named: list[tuple[str, float]]  # the tags strong enough for the description
    description: str


def read_track(track: str, tag_model: str = "MTT_musicnn") -> TrackReading:
    from albumstudio.audio.analysis import analyze_file
    from albumstudio.audio.decode import probe
    from albumstudio.audio.peaks import with_decoded_length
    from albumstudio.audio.tagger import tag_file
    from albumstudio.audio.tags import read_tags
    from albumstudio.core.description import describe
    from albumstudio.core.tagging import strongest_tags
    from albumstudio.store.cache import ContentCache
    from albumstudio.store.files import hash_file
    from albumstudio.store.paths import default_paths

    info = probe(track)
    paths = default_paths().ensure()
    content_hash = hash_file(track)
    analysis = analyze_file(track, cache=ContentCache(paths.analysis, ".json"),
                            content_hash=content_hash)
    info = with_decoded_length(info, round(analysis.duration * info.sample_rate))
    music_tags = tag_file(track, tag_model,
                          cache=ContentCache(paths.cache / "tags" / tag_model, ".json"),
                          content_hash=content_hash)
    named = strongest_tags(music_tags)
    return TrackReading(info, content_hash, read_tags(track), analysis, music_tags, named,
                        describe(analysis, [name for name, _ in named]))


def cmd_analyze(track: str, as_json: bool, tag_model: str = "MTT_musicnn") -> int:
    from albumstudio.core.description import describe_parts
    from albumstudio.core.text import printable

    reading = read_track(track, tag_model)
    info, content_hash, tags = reading.info, reading.content_hash, reading.release
    analysis, music_tags, named = reading.analysis, reading.music_tags, reading.named
    description = reading.description
    for warning in info.warnings:
        print(f"albumstudio: warning: {warning}", file=sys.stderr)
    if as_json:
        report = {
            "file": printable(info.path),
            "content_hash": content_hash,
            "format": info.format,
            "sample_rate": info.sample_rate,
            "channels": info.channels,
            "tags": tags.to_dict(),
            "analysis": analysis.to_dict(),
            "music_tags": {
                "model": music_tags.model,
                "top": [{"tag": n, "probability": round(p, 4)} for n, p in music_tags.top(10)],
                "in_description": [n for n, _ in named],
                "segment_s": music_tags.segment_s,
                "tag_names": list(music_tags.tag_names),
                "taggram": [[round(v, 4) for v in row] for row in music_tags.taggram],
            },
            "description": description,
            "description_reasons": [{"phrase": p, "because": r}
                                    for p, r in describe_parts(analysis, [n for n, _ in named])],
            "warnings": list(info.warnings),
        }
        print(json.dumps(_finite(report), indent=2, ensure_ascii=False))
        return 0
    lines = [
        f"duration     {analysis.duration:.2f} s ({info.format}, {info.sample_rate} Hz, "
        f"{info.channels} ch)",
        f"tempo        {analysis.tempo_bpm:.1f} BPM",
        f"key          {analysis.key} {analysis.mode}",
        f"loudness     {analysis.loudness_lufs:.1f} LUFS, true peak {analysis.true_peak_dbtp:.1f} dBTP",
        f"energy       {analysis.energy:.2f}",
        f"brightness   {analysis.brightness_hz:.0f} Hz",
        f"onsets       {analysis.onset_density:.2f} /s",
        f"sections     {', '.join(f'{t:.1f}s' for t in analysis.section_times) or '-'}",
        f"tags         {', '.join(f'{n} {p:.2f}' for n, p in music_tags.top(5))}",
        f"description  {description}",
    ]
    print("\n".join(lines))
    return 0


def _image_caption(image: str | None, engine: str, device: str) -> str:
    """BLIP's caption when the captioner is installed, else the offline look of the picture."""
    if not image:
        return ""
    from albumstudio.vision.image_load import load_image
    from albumstudio.vision.palette import look_at

    img = load_image(image)
    if engine == "diffusion":
        from albumstudio.engines.captioning import DEFAULT_CAPTIONER, ImageCaptioner
        from albumstudio.engines.models import is_installed

        if is_installed(DEFAULT_CAPTIONER):
            return ImageCaptioner(DEFAULT_CAPTIONER, device).caption(img)
    return look_at(img).describe()


def _check_cover_args(args: argparse.Namespace) -> None:
    from albumstudio.core.errors import InputError

    follows_picture = any(v is not None for v in (args.canny, args.seg, args.img2img))
    if args.engine == "design" and follows_picture:
        raise InputError("--canny, --seg and --img2img need --engine diffusion; the design "
                         "engine uses the picture directly.")
    if follows_picture and not args.image:
        raise InputError("--canny, --seg and --img2img follow a picture; add --image IMG.")
    if not 1 <= args.variants <= 16:
        raise InputError("--variants must be between 1 and 16.")


def _cover_request(args: argparse.Namespace, mood, release, description: str, tags: list[str],
                   caption: str):
    from dataclasses import replace

    from albumstudio.core.cover import Condition, CoverRequest, LoraFile
    from albumstudio.core.cover_plan import default_size, plan_cover
    from albumstudio.core.errors import InputError

    loras = []
    for item in args.lora:
        path, _, scale = item.rpartition(":") if ":" in item[2:] else (item, "", "")
        try:
            loras.append(LoraFile(path, float(scale)) if scale else LoraFile(item))
        except ValueError:
            raise InputError(f"'{item}' is not FILE or FILE:SCALE (a number such as 0.8).") from None
    conditions = tuple(Condition(kind, weight) for kind, weight in
                       (("canny", args.canny), ("seg", args.seg)) if weight is not None)
    base = CoverRequest(
        engine=args.engine, image_path=args.image, size=args.size or default_size(args.engine),
        seed=args.seed, variants=args.variants, model=args.model, conditions=conditions,
        mode="img2img" if args.img2img is not None else "txt2img",
        strength=args.img2img if args.img2img is not None else 0.75, lcm=args.lcm,
        loras=tuple(loras), device=args.device,
    )
    if args.scheduler:
        base = replace(base, scheduler=args.scheduler)
    if args.guidance is not None:
        base = replace(base, guidance=args.guidance)
    if args.lcm:
        base = replace(base, scheduler="lcm", steps=4, guidance=args.guidance or 1.0)
    if args.steps is not None:
        base = replace(base, steps=args.steps)
    plan = plan_cover(mood=mood, release=release, music_description=description,
                      music_tags=tags, image_caption=caption, style=args.style, base=base)
    request = plan.request
    if args.layout:
        request = replace(request, layout=args.layout)
    if args.treatment:
        request = replace(request, treatment=args.treatment)
    return request, plan.prompt


def cmd_cover(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from albumstudio.audio.decode import probe
    from albumstudio.core.cover import MusicMood
    from albumstudio.core.errors import InputError
    from albumstudio.export.cover_file import check_output_path, numbered, write_cover

    out = check_output_path(args.out, args.overwrite)
    for i in range(1, max(1, args.variants)):
        check_output_path(numbered(out, i), args.overwrite)
    _check_cover_args(args)
    probe(args.track)
    caption = _image_caption(args.image, args.engine, args.device)  # a bad picture fails early
    if args.engine == "diffusion":
        from albumstudio.engines.models import diagnose

        problem = diagnose(args.model, "the Stable Diffusion model")
        if problem:
            raise InputError(problem)
    reading = read_track(args.track)
    release = reading.release
    if args.title is not None:
        release = replace(release, title=args.title)
    if args.artist is not None:
        release = replace(release, artist=args.artist)
    tags = [name for name, _ in reading.named]
    request, prompt = _cover_request(args, MusicMood.from_analysis(reading.analysis, tuple(tags)),
                                     release, reading.description, tags, caption)
    for warning in prompt.warnings:
        print(f"albumstudio: warning: {warning}", file=sys.stderr)
    if args.engine == "diffusion":
        print(f"prompt: {request.prompt}", file=sys.stderr)

        def progress(p) -> None:
            print(f"\rimage {p.image_index + 1}/{request.variants}: step {p.step}/{p.total}",
                  end="", file=sys.stderr, flush=True)

        from albumstudio.engines.diffusion_cover import DiffusionCoverEngine

        result = DiffusionCoverEngine().run(request, progress)
        print(file=sys.stderr)
    else:
        from albumstudio.engines.design_cover import run as run_design

        result = run_design(request)
    for note in dict.fromkeys(result.notes):
        print(f"albumstudio: {note}", file=sys.stderr)
    for i, image in enumerate(result.images):
        written = write_cover(image.png, numbered(out, i), args.overwrite)
        print(f"{written} ({image.width}×{image.height}, seed {image.seed}, "
              f"{result.seconds:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from albumstudio.core.errors import UserFacingError
    from albumstudio.engines.models import prepare_model_environment

    prepare_model_environment()

    try:
        if args.command == "analyze":
            return cmd_analyze(args.track, args.json, args.tag_model)
        if args.command == "cover":
            return cmd_cover(args)
        from albumstudio.app import run_gui

        return run_gui(exit_after_paint=args.exit_after_paint, track=args.open)
    except UserFacingError as exc:
        print(f"albumstudio: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the person, not a traceback
        print(f"albumstudio: unexpected error ({type(exc).__name__}: {exc}); please report it.",
              file=sys.stderr)
        return 1
