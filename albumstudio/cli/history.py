"""``albumstudio history``: what AlbumStudio has made, found, kept, thrown away and made again.

Entries are numbered as ``history list`` shows them (one number per job; a job with several
variants is one entry). Deleting moves an entry to the trash (hidden, its files kept, undone
with ``restore``); ``empty-trash`` removes the files no other entry uses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from albumstudio.core.text import for_terminal

KINDS = ("cover", "poster", "clip")


def add_parser(sub: Any) -> None:
    history = sub.add_parser("history", help="what AlbumStudio has made")
    actions = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="the entries, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.add_argument("--kind", choices=KINDS, default=None)
    listing.add_argument("--engine", default=None, help="only entries of this engine")
    listing.add_argument("--search", metavar="TEXT", default="",
                         help="words in the prompt, title, artist or tags (each a word's start)")
    listing.add_argument("--favourites", action="store_true", help="only favourites")
    listing.add_argument("--trash", action="store_true", help="list the trash instead")
    listing.add_argument("--sort", choices=("date", "track"), default="date")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=cmd_list)

    show = actions.add_parser("show", help="every setting, model, timing, note and file of one")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(run=cmd_show)

    rerun = actions.add_parser("rerun", help="make an entry again from its settings")
    rerun.add_argument("id", type=int)
    rerun.add_argument("--out", required=True, metavar="FILE",
                       help="where to save (.png or .jpg; a poster as .png or .pdf, as it was)")
    rerun.add_argument("--output", type=int, default=1, metavar="N",
                       help="which of the entry's variants (default 1)")
    rerun.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    rerun.add_argument("--no-history", action="store_true",
                       help="do not keep the new result in the history")
    rerun.set_defaults(run=cmd_rerun)

    for name, helping, run in (("delete", "move entries to the trash (undo with restore)",
                                cmd_delete),
                               ("restore", "take entries out of the trash", cmd_restore)):
        action = actions.add_parser(name, help=helping)
        action.add_argument("ids", type=int, nargs="+", metavar="ID")
        action.add_argument("--variant", type=int, metavar="N",
                            help="only the entry's variant N (as `history show` numbers its "
                                 "files)")
        action.set_defaults(run=run)

    empty = actions.add_parser("empty-trash", help="remove the trash's entries and their files")
    empty.set_defaults(run=cmd_empty_trash)

    favourite = actions.add_parser("favourite", help="keep entries as favourites")
    favourite.add_argument("ids", type=int, nargs="+", metavar="ID")
    favourite.add_argument("--off", action="store_true", help="no longer a favourite")
    favourite.add_argument("--variant", type=int, metavar="N",
                           help="only the entry's variant N (as `history show` numbers its files)")
    favourite.set_defaults(run=cmd_favourite)

    clean = actions.add_parser("clean", help="move old entries that are not favourites to the trash")
    clean.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    clean.add_argument("--dry-run", action="store_true", help="only list what would go")
    clean.set_defaults(run=cmd_clean)

    disk = actions.add_parser("disk", help="how much room the history takes")
    disk.add_argument("--json", action="store_true", help="print JSON instead of text")
    disk.set_defaults(run=cmd_disk)


def _services() -> Any:
    from albumstudio.cli import _services as open_services
    from albumstudio.core.errors import UserFacingError

    services = open_services(with_history=True)
    if services.history is None:
        services.close()
        raise UserFacingError("The history folder cannot be used here; see the warning above.")
    if services.history.notice:
        print(f"albumstudio: warning: {services.history.notice}", file=sys.stderr)
    return services


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return ""


def _shape(output: Any) -> str:
    """What an output is, in a few characters: a picture's size; a clip's length and format
    (and a video's size)."""
    ext = output.extension.lstrip(".").upper() if output.media else "?"
    parts = []
    if output.width and output.height:
        parts.append(f"{output.width}×{output.height}")
    if output.duration_s:
        parts.append(f"{output.duration_s:.1f} s")
    if output.media.startswith(("audio/", "video/", "application/")) or not parts:
        parts.append(ext)
    return " ".join(parts)


def _line(r: Any) -> str:
    first = r.outputs[0] if r.outputs else None
    size = _shape(first) if first is not None else "-"
    seed = first.seed if first is not None else r.request.get("seed", "-")
    more = f" (+{len(r.outputs) - 1} more)" if len(r.outputs) > 1 else ""
    trashed = sum(o.trashed is not None for o in r.outputs)
    if trashed and r.trashed is None:
        more += f" ({trashed} in the trash)"
    what = for_terminal(first.path) if first is not None else f"{r.status}: {r.problem}"
    star = "*" if r.favourite else " "
    return (f"{r.id:>5}{star} {r.kind:<6} {r.engine:<10} seed {seed!s:<10} {size:<11} "
            f"{_when(r.created)}  {what}{more}")


def cmd_list(args: argparse.Namespace) -> int:
    from albumstudio.core.errors import InputError
    from albumstudio.store.history import HistoryQuery

    if args.limit < 1:
        raise InputError("--limit must be at least 1.")
    query = HistoryQuery(kind=args.kind, engine=args.engine, favourites=args.favourites,
                         search=args.search, sort=args.sort, trash=args.trash)
    services = _services()
    try:
        records = services.history.records(limit=args.limit, query=query)
    finally:
        services.close()
    if args.json:
        print(json.dumps([r.summary() for r in records], indent=2, ensure_ascii=False))
        return 0
    if not records:
        if args.trash:
            print("The trash is empty.")
        elif args.search or args.kind or args.engine or args.favourites:
            print("No entry matches.")
        else:
            print("The history is empty: make a cover in the window or with `albumstudio cover`.")
        return 0
    for r in records:
        print(_line(r))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from albumstudio.services.history import details, entry

    services = _services()
    try:
        record = entry(services.history, args.id)
    finally:
        services.close()
    shown = details(record)
    if args.json:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    status = record.status + (", in the trash" if record.trashed else "") + (
        ", favourite" if record.favourite else "")
    lines = [f"entry {record.id}: {record.kind} by {record.engine} (engine version "
             f"{record.engine_version}), {status}",
             f"made {_when(record.created)} with AlbumStudio {record.app_version or '?'}"
             + (f" on {record.device}" if record.device else "")]
    if record.problem:
        lines.append(f"problem: {for_terminal(record.problem)}")
    lines.append("settings:")
    width = max((len(k) for k in shown["settings"]), default=0)
    for key, value in shown["settings"].items():
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        lines.append(f"  {key:<{width}}  {for_terminal(text)}")
    if shown["models"]:
        lines.append("models:")
        for m in shown["models"]:
            licence = m["license"] or "licence not listed"
            lines.append(f"  {m['role']}: {for_terminal(m['id'])} ({licence})")
    if record.timings:
        lines.append("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in record.timings.items()))
    for note in record.notes:
        lines.append(f"{note.kind}: {for_terminal(note.text)}")
    for n, output in enumerate(record.outputs, start=1):
        state = (", favourite" if output.favourite else "") + (
            ", in the trash" if output.trashed is not None else "")
        lines.append(f"file {n}: {for_terminal(output.path)} ({output.media}, {_shape(output)}, "
                     f"seed {output.seed}, {_size(output.bytes)}{state})")
    print("\n".join(lines))
    return 0


def cmd_rerun(args: argparse.Namespace) -> int:
    from albumstudio.cli import ProgressLine
    from albumstudio.services.covers import check_outputs, output_bytes, output_request, save_cover
    from albumstudio.services.history import entry_item, rerun

    services = _services()
    try:
        item = entry_item(services.history, args.id, args.output)
        if item.kind == "poster":
            return _rerun_poster(services, item, args)
        out = check_outputs(args.out, 1, args.overwrite)[0]
        line = ProgressLine()
        try:
            made = rerun(services.covers, item, line, record=not args.no_history)
        finally:
            line.end()
        for note in made.record.warnings():
            print(f"albumstudio: {note}", file=sys.stderr)
        output = made.record.outputs[0]
        written = for_terminal(save_cover(output_bytes(output), out, args.overwrite,
                                          output_request(made.record, output)))
        same = ("identical to" if made.identical else "differs from")
        print(f"{written} ({output.width}×{output.height}, seed {output.seed}; {same} entry "
              f"{args.id})")
        if made.record.id:
            print(f"kept in the history as entry {made.record.id}", file=sys.stderr)
        return 0
    finally:
        services.close()


def _rerun_poster(services: Any, item: Any, args: argparse.Namespace) -> int:
    from albumstudio.cli import ProgressLine
    from albumstudio.services.history import rerun_poster
    from albumstudio.services.posters import check_poster_output, output_bytes, save_poster

    fmt = "pdf" if item.file_ext == ".pdf" else "png"
    check_poster_output(args.out, fmt, args.overwrite)
    line = ProgressLine()
    try:
        made = rerun_poster(services.posters, item, line, record=not args.no_history)
    finally:
        line.end()
    for note in made.record.warnings():
        print(f"albumstudio: {note}", file=sys.stderr)
    output = made.record.outputs[0]
    written = for_terminal(save_poster(output_bytes(output), args.out, fmt, args.overwrite))
    same = "identical to" if made.identical else "differs from"
    print(f"{written} ({output.width}×{output.height} poster; {same} entry {item.job_id})")
    if made.record.id:
        print(f"kept in the history as entry {made.record.id}", file=sys.stderr)
    return 0


def _variant(history: Any, args: argparse.Namespace) -> int | None:
    """The output id of ``--variant N`` of the one entry named, or None without it."""
    from albumstudio.core.errors import InputError
    from albumstudio.services.history import entry

    if args.variant is None:
        return None
    if len(args.ids) != 1:
        raise InputError("--variant goes with one entry ID.")
    record = entry(history, args.ids[0])
    if not 1 <= args.variant <= len(record.outputs):
        raise InputError(f"Entry {record.id} has {len(record.outputs)} variant(s), not "
                         f"{args.variant}; `albumstudio history show {record.id}` lists them.")
    return int(record.outputs[args.variant - 1].id)


def _variant_done(args: argparse.Namespace, changed: bool, done: str, already: str) -> int:
    what = f"Variant {args.variant} of entry {args.ids[0]}"
    print(f"{what} {done if changed else already}.")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    services = _services()
    try:
        output = _variant(services.history, args)
        if output is not None:
            return _variant_done(args, bool(services.history.trash_variants([output])),
                                 f"moved to the trash; `albumstudio history restore "
                                 f"{args.ids[0]} --variant {args.variant}` brings it back",
                                 "was in the trash already")
        moved = services.history.trash(args.ids)
    finally:
        services.close()
    already = sorted(set(args.ids) - set(moved))
    if moved:
        print(f"Moved {_ids(moved)} to the trash; `albumstudio history restore "
              f"{' '.join(map(str, moved))}` brings {'it' if len(moved) == 1 else 'them'} back.")
    if already:
        print(f"{_ids(already)} {'was' if len(already) == 1 else 'were'} in the trash already.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    services = _services()
    try:
        output = _variant(services.history, args)
        if output is not None:
            return _variant_done(args, bool(services.history.restore_variants([output])),
                                 "restored", "was not in the trash")
        back = services.history.restore(args.ids)
    finally:
        services.close()
    kept = sorted(set(args.ids) - set(back))
    if back:
        print(f"Restored {_ids(back)}.")
    if kept:
        print(f"{_ids(kept)} {'was' if len(kept) == 1 else 'were'} not in the trash.")
    return 0


def cmd_empty_trash(args: argparse.Namespace) -> int:
    services = _services()
    try:
        emptied = services.history.empty_trash()
    finally:
        services.close()
    if not emptied.entries:
        print("The trash is empty.")
        return 0
    print(f"Removed {emptied.entries} entr{'y' if emptied.entries == 1 else 'ies'} and "
          f"{emptied.files} file{'' if emptied.files == 1 else 's'} ({_size(emptied.bytes)} "
          "freed); files other entries still use were kept.")
    return 0


def cmd_favourite(args: argparse.Namespace) -> int:
    services = _services()
    try:
        output = _variant(services.history, args)
        if output is not None:
            services.history.set_variant_favourite([output], not args.off)
            return _variant_done(args, True, "is no longer a favourite" if args.off
                                 else "is a favourite", "")
        services.history.set_favourite(args.ids, not args.off)
    finally:
        services.close()
    print(f"{_ids(args.ids)} {'is' if len(args.ids) == 1 else 'are'} "
          f"{'no longer a favourite' if args.off else 'a favourite'}"
          f"{'' if len(args.ids) == 1 or args.off else 's'}.")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    services = _services()
    try:
        going = services.history.clean_up(args.older_than, dry_run=args.dry_run)
    finally:
        services.close()
    if not going:
        print(f"Nothing to clean: no entry older than {args.older_than:g} days that is not a "
              "favourite.")
        return 0
    for r in going:
        print(_line(r))
    size = _size(sum(o.bytes for r in going for o in r.outputs))
    if args.dry_run:
        print(f"{len(going)} entr{'y' if len(going) == 1 else 'ies'} ({size}) would go to the "
              "trash; run again without --dry-run to move them.")
    else:
        print(f"Moved {len(going)} entr{'y' if len(going) == 1 else 'ies'} ({size}) to the "
              "trash; `albumstudio history empty-trash` frees the room.")
    return 0


def cmd_disk(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    services = _services()
    try:
        use = services.history.disk_use(thumbnails=True)
    finally:
        services.close()
    if args.json:
        print(json.dumps(asdict(use), indent=2))
        return 0
    print(f"{_count(use.entries, 'entry', 'entries')}, {_count(use.files, 'file', 'files')}, "
          f"{_size(use.bytes)}; the trash holds {_count(use.trash_entries, 'entry', 'entries')} "
          f"({_size(use.trash_bytes)} freed by emptying it); thumbnails "
          f"{_size(use.thumbnail_bytes)}")
    return 0


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _ids(ids: list[int]) -> str:
    ids = sorted(ids)
    return ("entry " if len(ids) == 1 else "entries ") + ", ".join(str(i) for i in ids)
