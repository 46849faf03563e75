"""``albumstudio analyze TRACK --captions``: LP-MusicCaps' caption for every 10 s segment and
their BART large CNN summary, added to the analysis (the work is the caption service's)."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--captions", action="store_true",
                        help="add a caption for every 10 s (LP-MusicCaps) and their summary "
                             "(BART large CNN); needs those models")
    parser.add_argument("--seed", type=int, default=0, help="the captions' seed (default 0)")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"),
                        help="where the caption models run (default: a GPU when there is one)")


def check(paths: Any) -> None:
    """Fail fast, before the track is read, when a captioning model is missing."""
    from albumstudio.core.errors import ModelMissingError
    from albumstudio.services.captions import CaptionService

    problem = CaptionService(paths).missing()
    if problem:
        raise ModelMissingError(problem)


def captions_for(services: Any, track: str, description: str, duration_s: float,
                 args: argparse.Namespace, progress: Any = None) -> Any:
    """The track's captions (a TrackCaptions), with the estimate said first on the CPU."""
    import sys

    from albumstudio.services.captions import CaptionService

    service = CaptionService(services.paths, services.models)
    device = service.device_for(args.device)
    if device == "cpu":
        print(f"albumstudio: {service.estimate(duration_s, device)}", file=sys.stderr)
    return service.caption(track, seed=args.seed, device=args.device, description=description,
                           progress=progress)


def text_lines(captions: Any) -> list[str]:
    lines = [f"captions     {s.start_s:>5.0f}–{s.end_s:.0f} s  {s.text}" for s in captions.segments]
    lines.append(f"summary      {captions.summary} ({captions.summary_source})")
    lines += [f"licence      {n.text}" for n in captions.notes if n.kind == "warning"]
    return lines
