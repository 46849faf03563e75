"""``albumstudio qr``: a QR poster (or the code alone) that scans, headless."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from albumstudio.core.text import for_terminal

ART_FLAGS = ("model", "controlnet", "strength", "guidance", "conditioning", "steps", "device")
PLAIN_FLAGS = ("modules", "dark", "light", "logo")


def add_parser(sub: Any) -> None:
    from albumstudio.core.qr import POSTER_FORMATS, POSTER_SIZES, QR_STYLES

    qr = sub.add_parser("qr", help="make a QR poster that scans (checked by two decoders)")
    qr.add_argument("payload", metavar="PAYLOAD", help="the link or text the code holds")
    picture = qr.add_mutually_exclusive_group()
    picture.add_argument("--image", metavar="IMG", help="cover art for the poster (any image)")
    picture.add_argument("--cover", metavar="ENTRY", type=int,
                         help="cover art from the history (an entry number)")
    qr.add_argument("--style", metavar="TEXT", default="",
                    help="art engine: your own words for the look")
    qr.add_argument("--engine", default="plain", metavar="plain|art",
                    help="plain: offline, styled modules; art: Stable Diffusion + QR ControlNet")
    qr.add_argument("--model", metavar="ID_OR_PATH", default=None,
                    help="art engine: the Stable Diffusion 1.5 model (hub id or folder)")
    qr.add_argument("--controlnet", metavar="ID_OR_PATH", default=None,
                    help="art engine: the QR ControlNet (hub id or folder)")
    qr.add_argument("--size", default="square", metavar="NAME",
                    help=f"poster size: {', '.join(POSTER_SIZES)} (default square)")
    qr.add_argument("--format", default=None, metavar="|".join(POSTER_FORMATS),
                    help="png or pdf (default: from the --out name)")
    qr.add_argument("--code-only", action="store_true", help="the code alone, no poster")
    qr.add_argument("--title", default="", help="the release's title on the poster")
    qr.add_argument("--artist", default="", help="the artist's name on the poster")
    qr.add_argument("--cta", default="Scan to listen", metavar="TEXT",
                    help="the call-to-action line under the code")
    qr.add_argument("--modules", default=None, metavar="|".join(QR_STYLES),
                    help="plain engine: module shape (default square)")
    qr.add_argument("--dark", default=None, metavar="#RRGGBB",
                    help="plain engine: module colour (default: from the cover's palette)")
    qr.add_argument("--light", default=None, metavar="#RRGGBB",
                    help="plain engine: background colour of the code")
    qr.add_argument("--logo", default=None, metavar="FILE", help="plain engine: a centre logo")
    qr.add_argument("--strength", type=float, default=None,
                    help="art engine: img2img over --image with this strength (0–1)")
    qr.add_argument("--guidance", type=float, default=None, help="art engine: guidance scale")
    qr.add_argument("--conditioning", type=float, default=None,
                    help="art engine: ControlNet conditioning scale (QR visibility, 0–5)")
    qr.add_argument("--steps", type=int, default=None, help="art engine: diffusion steps")
    qr.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"), default=None)
    qr.add_argument("--seed", type=int, default=0)
    qr.add_argument("--out", required=True, metavar="FILE", help="where to save (.png or .pdf)")
    qr.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    qr.add_argument("--no-history", action="store_true",
                    help="do not keep the poster in AlbumStudio's history")
    qr.set_defaults(run=cmd_qr)


def _options(args: argparse.Namespace, engine: str) -> Any:
    from albumstudio.core.errors import InputError
    from albumstudio.core.qr import ArtQrOptions, PlainQrOptions

    given = {name for name in (*ART_FLAGS, *PLAIN_FLAGS) if getattr(args, name) is not None}
    own = ART_FLAGS if engine == "art" else PLAIN_FLAGS
    stray = sorted(given - set(own))
    if stray:
        raise InputError(f"--{stray[0]} does not apply to the {engine} engine; leave it out or "
                         "choose another --engine.")
    if engine == "plain":
        return PlainQrOptions(style=args.modules or "square", dark=args.dark or "",
                              light=args.light or "", logo_path=args.logo or "")
    changes: dict[str, Any] = {k: getattr(args, k) for k in ART_FLAGS
                               if getattr(args, k) is not None}
    if args.strength is not None:
        if not (args.image or args.cover):
            raise InputError("--strength paints over a picture; add --image IMG.")
        changes["mode"] = "img2img"
    return ArtQrOptions(**changes)


def cmd_qr(args: argparse.Namespace) -> int:
    from albumstudio.cli import ProgressLine
    from albumstudio.cli import _services as open_services
    from albumstudio.core.errors import InputError
    from albumstudio.services.posters import (
        check_poster_output,
        new_request,
        output_bytes,
        save_poster,
    )

    fmt = args.format or ("pdf" if args.out.lower().endswith(".pdf") else "png")
    check_poster_output(args.out, fmt, args.overwrite)
    if args.engine not in ("plain", "art"):
        raise InputError(f"There is no '{args.engine}' poster engine; choose plain or art.")
    options = _options(args, args.engine)
    services = open_services(with_history=not args.no_history or args.cover is not None)
    try:
        posters = services.posters
        image = args.image or (posters.cover_path(args.cover) if args.cover is not None else "")
        request = new_request(posters.registry, args.engine, args.payload, options=options,
                              image_path=image or "", title=args.title, artist=args.artist,
                              cta=args.cta, prompt=args.style, size=args.size, format=fmt,
                              seed=args.seed, code_only=args.code_only)
        posters.preflight(request)
        line = ProgressLine()
        try:
            record = posters.run(request, line, record=not args.no_history)
        finally:
            line.end()
        output = record.outputs[0]
        written = for_terminal(save_poster(output_bytes(output), args.out, fmt, args.overwrite))
        for note in record.warnings():
            print(f"albumstudio: {note}", file=sys.stderr)
        scan = next((n.text for n in record.notes if n.text.startswith("scan: ")), "")
        repair = next((n.text for n in record.notes if n.text.startswith("repair: ")), "")
        print(f"{written} ({output.width}×{output.height}, {scan[6:]})")
        if repair:
            print(repair, file=sys.stderr)
        if record.id:
            print(f"kept in the history as entry {record.id}", file=sys.stderr)
        return 0
    finally:
        services.close()
