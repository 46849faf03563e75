"""The ``albumstudio`` command: no subcommand opens the window; subcommands run headless.

Each command parses its arguments, calls a service (the same ones the window uses) and prints;
the engines are reached only through the services.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any

from albumstudio import __version__
from albumstudio.core.cover_options import AUTO, LAYOUTS, SCHEDULERS, TREATMENTS
from albumstudio.core.text import for_terminal


def _finite(value: object) -> object:
    """JSON has no infinity: silence's -inf loudness becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _cover_engines() -> Any:
    from albumstudio.services import engine_registry

    return engine_registry()


def _command_modules() -> tuple[Any, ...]:
    """The subcommands that live in modules of their own: each has ``add_parser(sub)``, which
    sets ``run`` (a function of the parsed arguments returning the exit code)."""
    from albumstudio.cli import batch, clip, history, kit, qr
    from albumstudio.cli import models as models_command
    from albumstudio.cli import music as music_command

    return (history, qr, clip, models_command, kit, music_command, batch)


def build_parser() -> argparse.ArgumentParser:
    from albumstudio.core.model_registry import default_model, models_for

    registry = _cover_engines()
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
    analyze.add_argument("--tag-model", choices=tuple(e.id for e in models_for("tagger")),
                         default=default_model("tagger"),
                         help="musicnn weights: MagnaTagATune (default) or Million Song Dataset")
    from albumstudio.cli import analyze_captions
    analyze_captions.add_arguments(analyze)
    cover = sub.add_parser("cover", help="make a square album cover from a track (and a picture)")
    cover.add_argument("track", help="the track the cover is for")
    cover.add_argument("--image", metavar="IMG", help="a reference photo or picture")
    cover.add_argument("--style", metavar="TEXT", default="", help="your own words for the look")
    names = registry.names("cover")
    cover.add_argument("--engine", choices=names, default=names[0],
                       help="; ".join(f"{s.name}: {s.description}" for s in registry.specs("cover")))
    cover.add_argument("--preset", default=None, metavar="GENRE",
                       help="genre preset for the prompt and the design (default: from the tags)")
    cover.add_argument("--model", metavar="ID_OR_PATH", default=None,
                       help="diffusion model: a hub id in the local cache or a pipeline folder")
    cover.add_argument("--steps", type=int, default=None, help="diffusion steps (default 20, LCM 4)")
    cover.add_argument("--size", type=int, default=None, metavar="PX",
                       help="side in pixels (default: the engine's, 3000 design, 512 diffusion)")
    cover.add_argument("--seed", type=int, default=0)
    cover.add_argument("--variants", type=int, default=1, help="how many covers (seed, seed+1 …)")
    cover.add_argument("--title", help="title on the cover (default: your edits or the file's tag)")
    cover.add_argument("--artist", help="artist on the cover (default: your edits or the file's tag)")
    cover.add_argument("--layout", choices=(AUTO, *LAYOUTS), default=None)
    cover.add_argument("--treatment", choices=(AUTO, *TREATMENTS), default=None)
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
    cover.add_argument("--device", choices=("auto", "cuda", "mps", "cpu", "openvino"),
                       default=None, help="openvino: the CPU through OpenVINO (the cpu-fast extra)")
    cover.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                       help="any setting of the chosen engine by name, e.g. grain=0.4; repeatable")
    cover.add_argument("--out", required=True, metavar="FILE", help="where to save (.png or .jpg)")
    cover.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    cover.add_argument("--no-history", action="store_true",
                       help="do not keep the cover in AlbumStudio's history")
    for command in _command_modules():
        command.add_parser(sub)
    return parser


class ProgressLine:
    """One line on stderr that updates in place while a terminal is watching (nothing otherwise)."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.shown = False

    def __call__(self, report: Any) -> None:
        if not self.live:
            return
        text = f"{report.text} {int(report.fraction * 100):3d} %"
        print(f"\r\x1b[K{text[:100]}", end="", file=sys.stderr, flush=True)
        self.shown = True

    def end(self) -> None:
        if self.shown:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)
            self.shown = False


def _services(with_history: bool = False) -> Any:
    from albumstudio.services import Services
    from albumstudio.store.paths import default_paths
    from albumstudio.store.storage import is_storage_fault, note_unwritable

    paths = default_paths().ensure()
    try:
        return Services.open(paths, with_history=with_history)
    except OSError as exc:  # a read-only or full data folder: the work goes on, not kept
        if not is_storage_fault(exc):
            raise
        note_unwritable(paths.history, exc, "the history folder",
                        "what you make now is not kept in AlbumStudio's history")
        return Services.open(paths, with_history=False)


def cmd_analyze(track: str, as_json: bool, tag_model: str | None = None,
                args: Any = None) -> int:
    from albumstudio.cli import analyze_captions
    from albumstudio.core.text import printable

    services = _services()
    with_captions = bool(getattr(args, "captions", False))
    if with_captions:
        analyze_captions.check(services.paths)
    captions = None
    line = ProgressLine()
    try:
        reading = services.tracks.read(track, tag_model, progress=line)
        if with_captions:
            captions = analyze_captions.captions_for(services, track, reading.description,
                                                     reading.analysis.duration, args, line)
    finally:
        line.end()
    info, content_hash, tags = reading.info, reading.content_hash, reading.release
    analysis, music_tags, named = reading.analysis, reading.music_tags, reading.named
    description = reading.description
    tempo = _tempo_words(reading.understood.analysis)
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
            "tempo": {"bpm": reading.understood.analysis.tempo_bpm,
                      "alternative_bpm": reading.understood.analysis.tempo_alternative_bpm,
                      "reason": reading.understood.analysis.tempo_reason, "words": tempo},
            "description_reasons": [{"phrase": p, "because": r}
                                    for p, r in reading.description_reasons()],
            "warnings": list(info.warnings),
        }
        if captions is not None:
            report["captions"] = captions.to_dict()
        print(json.dumps(_finite(report), indent=2, ensure_ascii=False))
        return 0
    lines = [
        f"duration     {analysis.duration:.2f} s ({info.format}, {info.sample_rate} Hz, "
        f"{info.channels} ch)",
        f"tempo        {tempo}",
        f"key          {analysis.key} {analysis.mode}",
        f"loudness     {analysis.loudness_lufs:.1f} LUFS, true peak {analysis.true_peak_dbtp:.1f} dBTP",
        f"energy       {analysis.energy:.2f}",
        f"brightness   {analysis.brightness_hz:.0f} Hz",
        f"onsets       {analysis.onset_density:.2f} /s",
        f"sections     {', '.join(f'{t:.1f}s' for t in analysis.section_times) or '-'}",
        f"tags         {', '.join(f'{n} {p:.2f}' for n, p in music_tags.top(5))}",
        f"description  {description}",
    ]
    if captions is not None:
        lines += analyze_captions.text_lines(captions)
    print("\n".join(lines))
    return 0


def _tempo_words(analysis: Any) -> str:
    """"68.0 BPM, or 136 double-time", or "no steady tempo"."""
    if analysis.tempo_bpm <= 0:
        return "no steady tempo"
    words = f"{analysis.tempo_bpm:.1f} BPM"
    other = analysis.tempo_alternative_bpm
    if other > 0:
        words += f", or {other:.0f} {'double' if other > analysis.tempo_bpm else 'half'}-time"
    return words


def _lora_files(items: list[str]) -> tuple[Any, ...]:
    from albumstudio.core.cover_options import LoraFile
    from albumstudio.core.errors import InputError

    loras = []
    for item in items:
        path, _, scale = item.rpartition(":") if ":" in item[2:] else (item, "", "")
        try:
            loras.append(LoraFile(path, float(scale)) if scale else LoraFile(item))
        except ValueError:
            raise InputError(f"'{item}' is not FILE or FILE:SCALE (a number such as 0.8).") from None
    return tuple(loras)


def cover_settings(args: argparse.Namespace) -> Any:
    """The artist's settings from the arguments, as the window's Cover tab would hold them: the
    engine's defaults, then each flag that applies to it, then ``--set`` (InputError for a flag
    the engine does not take)."""
    from dataclasses import fields, replace

    from albumstudio.core.cover_options import Condition, parse_option
    from albumstudio.core.errors import InputError

    registry = _cover_engines()
    spec = registry.get(args.engine)
    settings = registry.new_request(args.engine, seed=args.seed, variants=args.variants,
                                    image_path=args.image)
    if args.size is not None:
        settings = replace(settings, size=args.size)
    names = {f.name for f in fields(spec.options_type)}
    follows_picture = any(v is not None for v in (args.canny, args.seg, args.img2img))
    if follows_picture and "conditions" not in names:
        raise InputError(f"--canny, --seg and --img2img need --engine diffusion; the {args.engine} "
                         "engine uses the picture directly.")
    if follows_picture and not args.image:
        raise InputError("--canny, --seg and --img2img follow a picture; add --image IMG.")
    if not 1 <= args.variants <= 16:
        raise InputError("--variants must be between 1 and 16.")
    changes: dict[str, Any] = {}
    flags = {"layout": args.layout, "treatment": args.treatment, "model": args.model,
             "scheduler": args.scheduler, "guidance": args.guidance, "device": args.device,
             "loras": _lora_files(args.lora) if args.lora else None,
             "lcm": True if args.lcm else None}
    if follows_picture:
        flags["conditions"] = tuple(Condition(kind, weight) for kind, weight in
                                    (("canny", args.canny), ("seg", args.seg))
                                    if weight is not None)
        if args.img2img is not None:
            flags.update(mode="img2img", strength=args.img2img)
    for name, value in flags.items():
        if value is None:
            continue
        if name not in names:
            raise InputError(f"--{name} does not apply to the {args.engine} engine; leave it out "
                             "or choose another --engine.")
        changes[name] = value
    if args.lcm:  # as the window's fast-mode switch does
        changes.setdefault("scheduler", "lcm")
        changes.update(steps=4, guidance=args.guidance or 1.0)
    if args.steps is not None:
        if "steps" not in names:
            raise InputError(f"--steps does not apply to the {args.engine} engine.")
        changes["steps"] = args.steps
    for item in args.set:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in names:
            choices = ", ".join(sorted(n for n in names))
            raise InputError(f"'{item}' is not OPTION=VALUE for the {args.engine} engine; its "
                             f"options are: {choices}.")
        try:
            changes[name] = parse_option(spec.options_type, name, text)
        except ValueError as exc:
            raise InputError(f"--set {item}: {exc}.") from None
    return replace(settings, options=replace(settings.options, **changes))


def cmd_cover(args: argparse.Namespace) -> int:
    from albumstudio.services.covers import (
        check_outputs,
        output_bytes,
        output_request,
        save_cover,
    )

    outputs = check_outputs(args.out, args.variants, args.overwrite)
    settings = cover_settings(args)
    services = _services(with_history=not args.no_history)
    try:
        covers = services.covers
        release = {k: v for k, v in (("title", args.title), ("artist", args.artist))
                   if v is not None}
        line = ProgressLine()
        try:
            made, track_hash = services.plan_cover(
                args.track, settings, image=args.image, style=args.style, preset=args.preset,
                release=release, progress=line)
        finally:
            line.end()
        for warning in made.prompt.warnings:
            print(f"albumstudio: warning: {warning}", file=sys.stderr)
        if not covers.registry.get(args.engine).offline:  # a model reads the prompt
            print(f"prompt: {made.request.prompt}", file=sys.stderr)
        line = ProgressLine()
        try:
            record = covers.run(made.request, line, track_hash=track_hash,
                                record=not args.no_history)
        finally:
            line.end()
        for note in record.warnings():
            print(f"albumstudio: {note}", file=sys.stderr)
        seconds = record.timings.get("prepare", 0.0) + record.timings.get("generate", 0.0)
        for output, path in zip(record.outputs, outputs, strict=False):
            written = for_terminal(save_cover(output_bytes(output), path, args.overwrite,
                                              output_request(record, output)))
            print(f"{written} ({output.width}×{output.height}, seed {output.seed}, "
                  f"{seconds:.1f} s)")
        if record.id:
            print(f"kept in the history as entry {record.id}", file=sys.stderr)
        return 0
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    from albumstudio.core.process import prepare_process

    prepare_process()  # before numpy loads, when it has not yet
    parser = build_parser()
    args = parser.parse_args(argv)
    from albumstudio.core.errors import CancelledError, UserFacingError
    from albumstudio.services import prepare_environment

    prepare_environment()

    # decoders' own notes stay off the terminal, for the headless commands and the window alike
    restore = quiet_library_stderr() if args.command in ("analyze", "cover", "qr", "clip", "kit", "music",
                                                        None) \
        else None
    try:
        if args.command == "analyze":
            return cmd_analyze(args.track, args.json, args.tag_model, args)
        if args.command == "cover":
            return cmd_cover(args)
        if getattr(args, "run", None) is not None:
            return int(args.run(args))
        from albumstudio.app import run_gui

        return run_gui(exit_after_paint=args.exit_after_paint, track=args.open)
    except UserFacingError as exc:
        print(f"albumstudio: error: {exc.message}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, CancelledError):
        return 130
    except BrokenPipeError:  # `albumstudio history list | head`: the reader has gone
        _quiet_stdout()
        return 141  # as a process ended by SIGPIPE
    except Exception as exc:  # a bug: one line for the person, the traceback to the log
        where = _log_unexpected(args.command or "starting the window", exc)
        print(f"albumstudio: unexpected error ({type(exc).__name__}: {exc}); please report it"
              + (f" — the details are in {where}." if where else "."), file=sys.stderr)
        return 1
    finally:
        if restore is not None:
            restore()
        _print_storage_warnings()


def entry(argv: list[str] | None = None) -> int:
    """The process's entry point (pip's ``albumstudio`` scripts, ``python -m albumstudio``,
    the bundle): :func:`main`, then an exit without the interpreter's last collections.

    Python's finalisation runs full garbage collections over every object that the ~700
    modules an ``analyze`` imports have made: 0.11-0.15 s after the result is printed, on the
    2-core machine. Frozen (``gc.freeze``), those objects are left to the process's end;
    finalisation still runs (atexit, stream flushing, modules torn down by reference count),
    and by then the data folder's files and databases are closed. Tests call ``main``."""
    code = main(argv)
    import gc

    gc.freeze()
    return code


def quiet_library_stderr() -> Callable[[], None] | None:
    """Keep what C libraries print straight to the terminal (libmpg123's "Xing stream size
    off by more than 1 %", FFmpeg's notes) out of it: file descriptor 2 goes to /dev/null,
    while AlbumStudio's own messages (``sys.stderr``) keep the terminal through a copy of it.
    Returns what puts everything back (None when there was nothing to do: no real stderr, or
    a caller that has replaced ``sys.stderr`` itself)."""
    import os

    if sys.stderr is not sys.__stderr__ or sys.stderr is None:
        return None
    original = sys.stderr
    try:
        original.flush()
        saved = os.dup(2)
        terminal = os.fdopen(os.dup(2), "w", buffering=1, encoding=original.encoding,
                             errors="backslashreplace")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        return None
    sys.stderr = terminal

    def restore() -> None:
        try:
            terminal.flush()
            os.dup2(saved, 2)
            os.close(saved)
        except OSError:
            pass
        sys.stderr = original

    return restore


def _print_storage_warnings() -> None:
    """Caches or the history that could not be written: the results stood, say what was not kept."""
    from albumstudio.store.storage import take_warnings

    for warning in take_warnings():
        try:
            print(f"albumstudio: warning: {for_terminal(warning)}", file=sys.stderr)
        except (OSError, ValueError):
            return


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so Python's final flush does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _log_unexpected(doing: str, exc: BaseException) -> str:
    try:
        from albumstudio.store.logs import log_unexpected, start_log
        from albumstudio.store.paths import default_paths

        start_log(default_paths().logs)
        return log_unexpected(doing, exc)
    except Exception:  # noqa: BLE001 - the log is a help, never a second failure
        return ""
