"""The ``albumstudio`` command: no subcommand opens the window; subcommands run headless."""

from __future__ import annotations

import argparse
import json
import math
import sys

from albumstudio import __version__


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
    return parser


def cmd_analyze(track: str, as_json: bool, tag_model: str = "MTT_musicnn") -> int:
    from albumstudio.audio.analysis import analyze_file
    from albumstudio.audio.decode import probe
    from albumstudio.audio.peaks import with_decoded_length
    from albumstudio.audio.tags import read_tags
    from albumstudio.core.description import describe, describe_parts
    from albumstudio.core.text import printable
    from albumstudio.store.cache import ContentCache
    from albumstudio.store.files import hash_file
    from albumstudio.store.paths import default_paths

    info = probe(track)
    paths = default_paths().ensure()
    content_hash = hash_file(track)
    analysis = analyze_file(track, cache=ContentCache(paths.analysis, ".json"),
                            content_hash=content_hash)
    info = with_decoded_length(info, round(analysis.duration * info.sample_rate))
    for warning in info.warnings:
        print(f"albumstudio: warning: {warning}", file=sys.stderr)
    tags = read_tags(track)
    from albumstudio.audio.tagger import tag_file
    from albumstudio.core.tagging import strongest_tags

    music_tags = tag_file(track, tag_model,
                          cache=ContentCache(paths.cache / "tags" / tag_model, ".json"),
                          content_hash=content_hash)
    named = strongest_tags(music_tags)
    description = describe(analysis, [name for name, _ in named])
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from albumstudio.core.errors import UserFacingError

    try:
        if args.command == "analyze":
            return cmd_analyze(args.track, args.json, args.tag_model)
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
