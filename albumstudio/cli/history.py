"""``albumstudio history``: what AlbumStudio has made."""

from __future__ import annotations

import argparse
import json
from typing import Any

from albumstudio.core.text import for_terminal


def add_parser(sub: Any) -> None:
    history = sub.add_parser("history", help="what AlbumStudio has made")
    history_sub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    listing = history_sub.add_parser("list", help="the entries, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.add_argument("--kind", choices=("cover", "poster", "clip"), default=None)
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=cmd_list)


def _services() -> Any:
    from albumstudio.cli import _services as open_services

    return open_services(with_history=True)


def cmd_list(args: argparse.Namespace) -> int:
    import time

    from albumstudio.core.errors import InputError

    if args.limit < 1:
        raise InputError("--limit must be at least 1.")
    services = _services()
    try:
        records = services.history.records(args.kind, args.limit)
    finally:
        services.close()
    if args.json:
        print(json.dumps([r.summary() for r in records], indent=2, ensure_ascii=False))
        return 0
    if not records:
        print("The history is empty: make a cover in the window or with `albumstudio cover`.")
        return 0
    for r in records:
        first = r.outputs[0] if r.outputs else None
        size = f"{first.width}×{first.height}" if first is not None else "-"
        seed = first.seed if first is not None else r.request.get("seed", "-")
        more = f" (+{len(r.outputs) - 1} more)" if len(r.outputs) > 1 else ""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
        what = for_terminal(first.path) if first is not None else f"{r.status}: {r.problem}"
        print(f"{r.id:>5}  {r.kind:<6} {r.engine:<10} seed {seed!s:<10} {size:<11} {when}  "
              f"{what}{more}")
    return 0


