"""``albumstudio kit``: the whole release kit folder from a track, headless."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from albumstudio.core.text import for_terminal


def add_parser(sub: Any) -> None:
    from albumstudio.core.distributors import profile_names

    kit = sub.add_parser("kit", help="make a release kit folder: cover, poster, clip, tagged "
                                     "track and release.json, checked against a distributor")
    kit.add_argument("track", nargs="?", help="the track the release is for")
    kit.add_argument("--image", metavar="IMG", help="a reference photo or picture for the cover")
    kit.add_argument("--style", metavar="TEXT", default="", help="your own words for the look")
    kit.add_argument("--title", help="the release title (default: your edits or the file's tag)")
    kit.add_argument("--artist", help="the artist (default: your edits or the file's tag)")
    kit.add_argument("--qr", metavar="URL", help="add a QR poster that opens this link")
    kit.add_argument("--profile", default="generic", metavar="NAME",
                     help=f"distributor rules to check against: {', '.join(profile_names())} "
                          "(default generic)")
    kit.add_argument("--engine", default="design", metavar="design|diffusion",
                     help="cover engine: design (offline, default) or diffusion (needs the model)")
    kit.add_argument("--seed", type=int, default=0)
    kit.add_argument("--no-clip", action="store_true", help="leave the highlight clip out")
    kit.add_argument("--targets", metavar="NAMES",
                     help="only these parts of the kit, comma-separated (cover-jpeg is always "
                          "in); see --list-targets")
    kit.add_argument("--list-targets", action="store_true",
                     help="list the parts a kit can have (its export targets) and exit")
    kit.add_argument("--out", metavar="DIR", help="the folder the kit folder is made in")
    kit.add_argument("--json", action="store_true", help="print the result as JSON")
    kit.add_argument("--no-history", action="store_true",
                     help="do not keep the cover, poster and clip in AlbumStudio's history")
    kit.set_defaults(run=cmd_kit)


class StepLines:
    """One line per step on stderr ("[2/7] making the cover"), whether or not a terminal
    watches; the steps' own progress is not printed."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self, report: Any) -> None:
        if report.step and report.step != self.last:
            self.last = report.step
            name = str(report.text).split(":", 1)[0]
            print(f"[{report.step}/{report.total}] {name}", file=sys.stderr, flush=True)


def _summary(checks: list[Any]) -> list[str]:
    return [f"  {c.mark:4}  {c.name}: {for_terminal(c.reason)}" for c in checks]


def list_targets(as_json: bool) -> int:
    """The registered export targets, one a line (or as JSON)."""
    from albumstudio.services.kit_targets import kit_targets

    targets = kit_targets().targets()
    if as_json:
        print(json.dumps([{"name": t.name, "label": t.label, "writes": t.writes,
                           "default": t.default, "required": t.required,
                           "needs": t.needs or None} for t in targets], indent=2))
        return 0
    for t in targets:
        when = ("always" if t.required else f"needs {t.needs_words or t.needs}" if t.needs
                else "default" if t.default else "when asked")
        print(f"{t.name:12}  {t.writes:34}  {t.label} ({when})")
    print(f"{'':12}  {'release.json':34}  every file, its hash and provenance (always)")
    return 0


def _target_names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(n.strip() for n in text.split(",") if n.strip())


def cmd_kit(args: argparse.Namespace) -> int:
    from albumstudio.core.errors import InputError

    if args.list_targets:
        return list_targets(args.json)
    if not args.track or not args.out:
        raise InputError("Give the track and the folder the kit goes in: albumstudio kit TRACK "
                         "--out DIR.")
    from albumstudio.cli import _services as open_services
    from albumstudio.services.kit import KitCheckError, KitRequest, KitService

    request = KitRequest(track=args.track, out=args.out, image=args.image, style=args.style,
                         title=args.title, artist=args.artist, qr_url=args.qr,
                         profile=args.profile, engine=args.engine, seed=args.seed,
                         record=not args.no_history, clip=not args.no_clip,
                         targets=_target_names(args.targets))
    services = open_services(with_history=not args.no_history)
    try:
        kits = KitService(services)
        chosen = kits.check_request(request)
        print(f"profile: {chosen.label} (rules read {chosen.checked} from {chosen.source})",
              file=sys.stderr)
        try:
            result = kits.make(request, StepLines())
        except KitCheckError as exc:
            print("checks:", file=sys.stderr)
            print("\n".join(_summary(exc.checks)), file=sys.stderr)
            raise
        if args.json:
            print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
            return 0
        print("checks:", file=sys.stderr)
        print("\n".join(_summary(result.checks)), file=sys.stderr)
        for note in result.manifest.get("notes", []):
            print(f"albumstudio: {for_terminal(note)}", file=sys.stderr)
        files = result.manifest.get("files", [])
        print(f"{for_terminal(str(result.folder))} ({len(files) + 1} files)")
        return 0
    finally:
        services.close()
