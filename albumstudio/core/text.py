"""Small text helpers for showing paths and durations to people."""

from __future__ import annotations

import os


def printable(text: str) -> str:
    """A path or name with undecodable bytes (surrogate escapes) shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def for_terminal(text: str) -> str:
    """``text`` safe to print: undecodable bytes as U+FFFD, control characters (an escape
    sequence in a file name could recolour or rewrite the terminal) as visible escapes."""
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode()
                   for ch in printable(text))


def display_name(path: str | os.PathLike[str], limit: int = 60) -> str:
    """The file's base name, safe to show (undecodable bytes replaced) and elided in the middle."""
    name = os.path.basename(os.fspath(path).rstrip(os.sep)) or os.fspath(path)
    name = printable(name)
    if len(name) > limit:
        keep = (limit - 1) // 2
        name = name[:keep] + "…" + name[-(limit - 1 - keep):]
    return name


def title_from_file(path: str | os.PathLike[str]) -> str:
    """A title made from a file's name when its tags have none: "03 - night_drive.wav" →
    "night drive" (track numbers and separators dropped, nothing else guessed)."""
    import re

    stem = printable(os.path.splitext(os.path.basename(os.fspath(path)))[0])
    stem = re.sub(r"[_]+", " ", stem)
    stem = re.sub(r"^\s*\d{1,3}\s*[-.)]\s*(?=\S)", "", stem)  # "03 - ", "01. ": a track number
    return " ".join(stem.split())[:200]


def format_time(seconds: float, precise: bool = False) -> str:
    """'3:07' (or '3:07.25' when precise); hours appear only when needed."""
    seconds = max(0.0, float(seconds))
    whole = int(seconds)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    text = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    if precise:
        text += f".{int(round((seconds - whole) * 100)) % 100:02d}"
    return text


def path_problem(path: str, kind: str) -> str | None:
    """One sentence when ``path`` is plainly not a file to open ('a single <kind>'), else None."""
    name = display_name(path)
    if os.path.isdir(path):
        return f"'{name}' is a folder; open or drop a single {kind}."
    if not os.path.exists(path):
        return f"'{name}' does not exist any more; it may have been moved or deleted."
    return None
