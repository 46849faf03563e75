"""``albumstudio music``: new music from a picture or a track with MusicGen, headless."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from albumstudio.core.text import for_terminal


def add_parser(sub: Any) -> None:
    from albumstudio.core.model_registry import default_model, model_with

    music = sub.add_parser(
        "music", help="new music from a picture or a track (MusicGen; CC-BY-NC 4.0 weights)")
    source = music.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", metavar="IMG", help="a picture: its colours, texture and caption")
    source.add_argument("--track", metavar="TRACK", help="a track: its tempo, key, figures and tags")
    music.add_argument("--seconds", type=float, default=10.0,
                       help="length in seconds (default 10; over 30 continues window by window)")
    music.add_argument("--model", metavar="ID_OR_PATH", default=None,
                       help="MusicGen model: a hub id in the local cache or a folder "
                            f"(default {default_model('musicgen')})")
    music.add_argument("--seed", type=int, default=0)
    music.add_argument("--guidance", type=float, default=3.0, help="guidance scale (default 3)")
    music.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"), default="auto")
    music.add_argument("--follow-melody", action="store_true",
                       help="with --track: follow the track's melody (needs --model "
                            f"{model_with('musicgen', 'melody')} or another MusicGen melody; "
                            "up to 30 s)")
    music.add_argument("--set", action="append", default=[], metavar="ATTRIBUTE=VALUE",
                       help="change an attribute before the prompt is made, e.g. tempo=96 or "
                            "genre='dub techno'; repeatable")
    music.add_argument("--prompt", metavar="TEXT", default=None,
                       help="your own prompt instead of the one made from the attributes")
    music.add_argument("--attributes-only", action="store_true",
                       help="print the attributes and the prompt, generate nothing (no model)")
    music.add_argument("--out", metavar="FILE", default=None, help="where to save (.wav, .flac, .mp3, .ogg or .opus)")
    music.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    music.add_argument("--json", action="store_true", help="print JSON instead of text")
    music.add_argument("--no-history", action="store_true",
                       help="do not keep the clip in AlbumStudio's history")
    music.set_defaults(run=cmd_music)


def _edits(items: list[str]) -> dict[str, str]:
    from albumstudio.core.errors import InputError

    edits: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"'{item}' is not ATTRIBUTE=VALUE (for example tempo=96).")
        edits[name.strip()] = value.strip()
    return edits


def cmd_music(args: argparse.Namespace) -> int:
    from albumstudio.cli import ProgressLine
    from albumstudio.cli import _services as open_services
    from albumstudio.core.errors import InputError, ModelMissingError
    from albumstudio.core.music_attributes import MusicRequest, check_request
    from albumstudio.services.music import check_clip_output, save_clip

    if not args.attributes_only:
        if not args.out:
            raise InputError("Say where the music goes with --out FILE (.wav, .flac, .mp3 or .opus), or add "
                             "--attributes-only to see the attributes alone.")
        check_clip_output(args.out, args.overwrite)
    edits = _edits(args.set)
    if args.follow_melody and not args.track:
        raise InputError("--follow-melody follows a track's melody; give the track with --track.")
    settings = {"seconds": args.seconds, "seed": args.seed, "guidance": args.guidance,
                "model": args.model or "", "device": args.device,
                "melody_path": args.track if args.follow_melody else ""}
    check_request(MusicRequest("-", **settings))  # fail fast, before the picture or track
    services = open_services(with_history=not args.no_history and not args.attributes_only)
    try:
        music = services.music
        if not args.attributes_only:
            problem = music.model_problem(args.model)
            if problem:
                raise ModelMissingError(problem)
        line = ProgressLine()
        try:
            source = (music.from_picture(args.image, progress=line) if args.image
                      else music.from_track(args.track, progress=line))
        finally:
            line.end()
        attributes = source.attributes.edited(**edits) if edits else source.attributes
        prompt = args.prompt if args.prompt is not None else music.prompt(attributes)
        request = music.request(attributes, prompt=prompt, **settings)
        if args.attributes_only:
            _print_attributes(attributes, prompt, source.words, args.json)
            return 0
        sentence = music.licence_to_acknowledge(args.model)
        if sentence:
            print(f"albumstudio: {for_terminal(sentence)}", file=sys.stderr)
            music.acknowledge(args.model)
        line = ProgressLine()
        try:
            record = music.generate(request, line, record=not args.no_history,
                                    track_hash=source.track_hash)
        finally:
            line.end()
        written = for_terminal(save_clip(record, args.out, args.overwrite))
        output = record.outputs[0]
        licence = next((n.text for n in record.notes if n.text.startswith("licence:")), "")
        if args.json:
            print(json.dumps({
                "file": written, "duration_s": output.duration_s, "seed": request.seed,
                "guidance": request.guidance, "model": record.models[0].id,
                "prompt": prompt, "attributes": attributes.to_dict(),
                "picture_words": source.words if source.kind == "picture" else "",
                "licence": licence.removeprefix("licence:").strip(),
                "notes": [n.to_dict() for n in record.notes], "history_entry": record.id or None,
            }, indent=2, ensure_ascii=False))
        else:
            print(f"{written} ({output.duration_s:g} s, seed {request.seed})")
            print(f"prompt: {for_terminal(prompt)}", file=sys.stderr)
            if licence:
                print(f"albumstudio: {licence}", file=sys.stderr)
            if record.id:
                print(f"kept in the history as entry {record.id}", file=sys.stderr)
        return 0
    finally:
        services.close()


def _print_attributes(attributes: Any, prompt: str, words: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({**attributes.to_dict(), "prompt": prompt, "words": words},
                         indent=2, ensure_ascii=False))
        return
    for name, entry in attributes.to_dict()["attributes"].items():
        value = entry["value"]
        shown = ", ".join(value) if isinstance(value, list) else value
        print(f"{name:<17}{for_terminal(str(shown) or '-')}  ({for_terminal(entry['reason'])})")
    print(f"prompt           {for_terminal(prompt)}")
