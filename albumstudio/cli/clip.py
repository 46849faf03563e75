"""``albumstudio clip``: a highlight of the track as audio, or as a video for social posts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from albumstudio.core.text import for_terminal


def add_parser(sub: Any) -> None:
    clip = sub.add_parser("clip", help="a highlight of a track (audio, or a social video)")
    clip.add_argument("track", metavar="TRACK", help="the track to take the clip from")
    clip.add_argument("--seconds", type=float, required=True, metavar="N",
                      help="the clip's length (15, 30, 60 …; a loop: 3–8)")
    clip.add_argument("--start", type=float, default=None, metavar="S",
                      help="where the clip starts, in seconds (default: the proposed highlight)")
    clip.add_argument("--video", choices=("square", "vertical", "loop"), default=None,
                      help="a video instead of audio: square 1080², vertical 1080×1920, or a "
                           "silent vertical loop")
    clip.add_argument("--image", metavar="IMG", default="", help="the cover the video shows")
    clip.add_argument("--title", default=None, help="the title the video shows (default: tags)")
    clip.add_argument("--artist", default=None, help="the artist the video shows (default: tags)")
    clip.add_argument("--out", required=True, metavar="FILE",
                      help="where to save: .wav, .flac, .mp3, .ogg/.opus, or .mp4 for a video")
    clip.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    clip.add_argument("--no-history", action="store_true",
                      help="do not keep the clip in AlbumStudio's history")
    clip.set_defaults(run=cmd_clip)


def cmd_clip(args: argparse.Namespace) -> int:
    from albumstudio.cli import ProgressLine
    from albumstudio.cli import _services as open_services
    from albumstudio.services.clips import check_clip_output

    check_clip_output(args.out, args.video, args.overwrite)
    services = open_services(with_history=not args.no_history)
    try:
        line = ProgressLine()
        try:
            record, written = services.clips.make(
                args.track, args.out, args.seconds, start=args.start, video=args.video,
                image=args.image, title=args.title, artist=args.artist,
                overwrite=args.overwrite, progress=line, record=not args.no_history)
        finally:
            line.end()
        output = record.outputs[0]
        for note in record.warnings():
            print(f"albumstudio: {note}", file=sys.stderr)
        request = record.request
        start = float(request["start_s"])
        where = ("" if args.video == "loop" else
                 f", {start:.2f}–{start + float(request['seconds']):.2f} s"
                 + (" (the proposed highlight)" if request.get("proposed") else ""))
        size = f", {output.width}×{output.height}" if output.width else ""
        print(f"{for_terminal(written)} ({output.duration_s:.2f} s{size}{where})")
        for note in record.explanations():
            print(note, file=sys.stderr)
        if record.id:
            print(f"kept in the history as entry {record.id}", file=sys.stderr)
        return 0
    finally:
        services.close()
