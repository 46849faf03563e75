"""``albumstudio batch``: release kits for a whole catalogue, here or on a Ray cluster."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from albumstudio.core.text import for_terminal


def add_parser(sub: Any) -> None:
    batch = sub.add_parser(
        "batch", help="make a release kit for every row of a catalogue (CSV or JSON), on this "
                      "machine or a Ray cluster; a second run makes only what is missing")
    batch.add_argument("catalogue", help="CSV or JSON, one release per row: track, image, "
                                         "title, artist, style, qr, profile, engine, seed, "
                                         "created (the time release.json records; default: "
                                         "SOURCE_DATE_EPOCH, else the catalogue file's time)")
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="the folder the kit folders are made in (made if missing)")
    batch.add_argument("--cluster", metavar="local|ADDRESS",
                       help="run on Ray: 'local' starts a cluster on this machine, an address "
                            "joins one (needs: pip install 'albumstudio[cluster]'; a cluster "
                            "with token authentication also RAY_AUTH_MODE=token)")
    batch.add_argument("--workers", type=int, metavar="N",
                       help="kits made at once (default: half the cores)")
    batch.add_argument("--json", action="store_true", help="print the summary as JSON")
    batch.set_defaults(run=cmd_batch)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class EventLines:
    """One line per release on stderr: started, done, skipped, failed or retried, with the
    batch's count and time left."""

    def __call__(self, event: Any) -> None:
        where = f"[{event.finished}/{event.total}]"
        name = for_terminal(event.release)
        if event.kind == "started":
            line = f"{where} started  {name} (row {event.row})"
        elif event.kind == "done":
            line = (f"{where} done     {name} ({event.seconds:.1f} s) · {event.running} running"
                    f" · time left {_duration(event.eta_s)}")
        elif event.kind == "skipped":
            line = f"{where} skipped  {name} (already complete)"
        elif event.kind == "retry":
            line = f"{where} again    {name}: {for_terminal(event.reason)}"
        else:
            line = f"{where} failed   {name}: {for_terminal(event.reason)}"
        print(line, file=sys.stderr, flush=True)


def _report(summary: Any) -> None:
    done, skipped, failed = len(summary.done), len(summary.skipped), len(summary.failed)
    if summary.cancelled:
        print(f"albumstudio: stopped; {done} made, {summary.total - done - skipped - failed} "
              "not made (run the same command again to make them).", file=sys.stderr)
    if not done and not failed and skipped == summary.total:
        print(f"Nothing to do: all {skipped} releases are already complete in "
              f"{for_terminal(summary.out)}.")
        return
    print(f"{done} made, {skipped} already complete, {failed} failed, in "
          f"{_duration(summary.wall_s)} ({summary.cluster}, {summary.workers} "
          f"{'worker' if summary.workers == 1 else 'workers'}); the "
          f"kits are in {for_terminal(summary.out)}")
    if summary.swept:
        print(f"  removed {summary.swept} unfinished folder(s) a stopped batch left behind")
    for entry in summary.failed:
        print(f"  failed: row {entry['row']} {for_terminal(entry['release'])}: "
              f"{for_terminal(entry['reason'])}")
    if summary.stages:
        spent = ", ".join(f"{k} {v:.1f} s" for k, v in summary.stages.items())
        print(f"  time per stage (all releases): {spent}")


def cmd_batch(args: argparse.Namespace) -> int:
    from albumstudio.cli import _services as open_services
    from albumstudio.core.errors import InputError
    from albumstudio.services.batch import BatchService, plan_batch
    from albumstudio.services.kit import KitService

    if args.workers is not None and not 1 <= args.workers <= 256:
        raise InputError("--workers must be a whole number from 1 to 256.")
    plan = plan_batch(args.catalogue, args.out)
    services = open_services(with_history=False)
    try:
        summary = BatchService(KitService(services)).run(
            plan, args.workers, args.cluster, EventLines())
    finally:
        services.close()
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        _report(summary)
    if summary.cancelled:
        return 130
    return 1 if summary.failed else 0
