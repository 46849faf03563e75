"""``albumstudio models``: list, download, verify, repair and remove the models, headless.

``list`` shows every registry entry with its licence, whether it allows commercial use, its
size and its state; ``download`` fetches a model into the Hugging Face cache (a progress line
on stderr when a terminal watches); ``verify`` hashes what is there; ``folder`` uses the
artist's own folder for a role; ``acknowledge`` records that a non-commercial licence was
read. A bad role or id, no network and the like are one
sentence and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from albumstudio.core.text import for_terminal

ESTIMATE_STEPS = 20


def add_parser(sub: Any) -> None:
    models = sub.add_parser("models", help="list, download, verify or remove the models")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every model with its licence, size and state")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.add_argument("--devices", action="store_true",
                         help="also say which device and dtype the models will use")
    for name, text in (("download", "fetch a model into the Hugging Face cache"),
                       ("repair", "download again what verify finds damaged or missing"),
                       ("remove", "delete a model from the Hugging Face cache"),
                       ("acknowledge", "say you have read a non-commercial model's licence")):
        action = actions.add_parser(name, help=text)
        action.add_argument("model", metavar="ROLE_OR_ID", help="a role (sd15, musicgen …) or id")
        action.add_argument("--json", action="store_true", help="print JSON instead of text")
    verify = actions.add_parser("verify", help="check the files' hashes (all downloaded models "
                                "by default); exit code 3 when something is damaged or missing")
    verify.add_argument("model", metavar="ROLE_OR_ID", nargs="?", default=None)
    verify.add_argument("--json", action="store_true", help="print JSON instead of text")
    folder = actions.add_parser("folder", help="use your own model folder for a role "
                                "(--clear: the registry's model again)")
    folder.add_argument("role", metavar="ROLE", help="sd15, controlnet-canny, captioner …")
    folder.add_argument("path", metavar="FOLDER", nargs="?", default=None)
    folder.add_argument("--clear", action="store_true", help="forget the folder for ROLE")
    models.set_defaults(run=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    from albumstudio.services.model_manager import ModelManager

    manager = ModelManager()
    command = args.models_command
    if command == "list":
        return _list(manager, args)
    if command == "verify":
        return _verify(manager, args)
    if command == "folder":
        from albumstudio.core.errors import InputError

        if (args.path is None) == (not args.clear):
            raise InputError("Give the folder for the role, or --clear to use the registry's "
                             "model again.")
        manager.set_local_folder(args.role, None if args.clear else args.path)
        chosen = manager.local_folder(args.role)
        print(for_terminal(f"{args.role} uses {chosen}" if chosen else
                           f"{args.role} uses {manager.entry(args.role).id}"))
        return 0
    if command == "acknowledge":
        from albumstudio.services.model_manager import acknowledge, licence_of

        acknowledge(args.model, manager.paths)
        licence = licence_of(args.model)
        print(f"noted: {licence.sentence if licence else args.model}")
        return 0
    entry = manager.entry(args.model)
    if command == "remove":
        freed = manager.remove(entry.id)
        _print(args, {"id": entry.id, "freed_bytes": freed},
               f"removed {entry.id} ({freed / 1e6:.1f} MB freed)")
        return 0
    from albumstudio.cli import ProgressLine

    line = ProgressLine()
    try:
        if command == "download":
            status = manager.download(entry.id, line)
            line.end()
            _print(args, status.to_dict(), f"{entry.id}: {status.detail}")
            if entry.commercial_use is False:
                print(f"albumstudio: note: {entry.id} is licensed {entry.license}: not for "
                      "commercial use.", file=sys.stderr)
            return 0
        report = manager.repair(entry.id, line)
    finally:
        line.end()
    _print(args, report.to_dict(), report.sentence())
    return 0


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(for_terminal(text))


def _list(manager: Any, args: argparse.Namespace) -> int:
    statuses = manager.statuses()
    disk = manager.disk()
    devices = None
    if args.devices:
        from albumstudio.services.model_manager import device_report

        devices = device_report()
    if args.json:
        data: dict[str, Any] = {"cache": str(disk.cache), "used_bytes": disk.used_bytes,
                                "free_bytes": disk.free_bytes,
                                "models": [s.to_dict() for s in statuses]}
        if devices is not None:
            data["devices"] = devices.to_dict()
            if devices.device == "cpu":
                estimate = _estimate(manager)
                data["cpu_estimate"] = {"steps": ESTIMATE_STEPS, "seconds": estimate.seconds,
                                        "jobs": estimate.jobs, "sentence": estimate.sentence}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    for status in statuses:
        commercial = ("commercial use ok" if status.entry.commercial_use
                      else "NOT for commercial use")
        print(for_terminal(f"{manager.summary(status)}  ({status.entry.license}; {commercial})"))
    print(for_terminal(f"Hugging Face cache {disk.cache}: {disk.used_bytes / 1e9:.2f} GB used by "
                       f"these models, {disk.free_bytes / 1e9:.1f} GB free"))
    if devices is not None:
        for text in devices.lines():
            print(text)
        if devices.device == "cpu":
            sentence = _estimate(manager).sentence
            print(f"A {ESTIMATE_STEPS}-step diffusion cover: {sentence[:1].lower()}{sentence[1:]}")
    return 0


def _estimate(manager: Any) -> Any:
    """The CPU time estimate from this computer's past jobs (none when the history is absent)."""
    from albumstudio.services.model_manager import time_estimate
    from albumstudio.store.history import HistoryStore

    if not manager.paths.history.exists():
        return time_estimate(None, ESTIMATE_STEPS)
    history = HistoryStore(manager.paths.history)
    try:
        return time_estimate(history, ESTIMATE_STEPS)
    finally:
        history.close()


def _verify(manager: Any, args: argparse.Namespace) -> int:
    from albumstudio.cli import ProgressLine

    if args.model is not None:
        entries = [manager.entry(args.model)]
    else:
        entries = [s.entry for s in manager.statuses() if s.state in
                   ("present", "incomplete", "damaged")]
    reports = []
    line = ProgressLine()
    try:
        for entry in entries:
            reports.append(manager.verify(entry.id, line))
    finally:
        line.end()
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            print(for_terminal(report.sentence()))
        if not reports:
            print("No downloaded model to verify.")
    return 0 if all(r.ok for r in reports) else 3
