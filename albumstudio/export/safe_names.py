"""Names that are safe on every desktop file system, and places that never overwrite.

:func:`safe_component` turns any title or artist into one path component: no separators, no
``..``, no control characters, no characters Windows refuses, no reserved device names (CON,
NUL, COM1 …), no trailing dots or spaces, Unicode in NFC, at most ``max_bytes`` in UTF-8.
:func:`unused_path` finds "Name (2)", "Name (3)" … beside a name already taken.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from albumstudio.core.errors import InputError
from albumstudio.core.text import display_name

MAX_COMPONENT_BYTES = 200  # under the 255-byte limit of ext4/APFS/NTFS, leaving room for " (12)"
_WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10)),
             "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"}


def _clip_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def is_reserved(name: str) -> bool:
    """True for Windows device names, with or without an extension ("nul.txt", "Com1 ")."""
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    return stem in _RESERVED


def safe_component(name: str, fallback: str = "untitled",
                   max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """One file or folder name made from ``name`` that every common file system accepts and
    that cannot climb out of its folder (see the module's words)."""
    text = unicodedata.normalize("NFC", name or "")
    chars = []
    for ch in text:
        if ch in _WINDOWS_FORBIDDEN or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            chars.append(" " if ch in "/\\" else "_" if ch not in "\t\n\r" else " ")
        else:
            chars.append(ch)
    # runs of white space become one space; words that are only dots ("..") go
    text = " ".join(w for w in "".join(chars).split() if w.strip("."))
    text = text.strip(" .")
    if not text or set(text) <= {".", "_", " "}:
        text = fallback
    if is_reserved(text):
        text = f"_{text}"
    stem, dot, ext = text.rpartition(".")
    if dot and stem and ext.isascii() and ext.isalnum() and len(ext) <= 8 < max_bytes // 2:
        text = _clip_bytes(stem, max_bytes - len(ext.encode("utf-8")) - 1).rstrip(" .") \
            + "." + ext
    else:
        text = _clip_bytes(text, max_bytes).rstrip(" .")
    return unicodedata.normalize("NFC", text) or fallback


def kit_folder_name(artist: str, title: str) -> str:
    """'Artist - Title' (either alone when the other is empty), safe as one folder name."""
    artist, title = artist.strip(), title.strip()
    joined = " - ".join(p for p in (artist, title) if p) or "Release"
    return safe_component(joined, fallback="Release")


def inside(folder: Path, name: str) -> Path:
    """``folder / name`` for a name that must stay inside ``folder`` (InputError otherwise)."""
    target = folder / name
    if name in ("", ".", "..") or os.sep in name or (os.altsep and os.altsep in name) \
            or target.resolve().parent != folder.resolve():
        raise InputError(f"'{display_name(name)}' is not a plain file name; choose another.")
    return target


def unused_path(target: Path, limit: int = 1000) -> Path:
    """``target`` when nothing is there, else "name (2).ext", "name (3).ext" … (folders keep
    any dot in their name: pass the folder's path and they are treated as having no suffix)."""
    if not os.path.lexists(target):
        return target
    is_dir = target.is_dir()
    stem, suffix = (target.name, "") if is_dir else (target.stem, target.suffix)
    for n in range(2, limit + 2):
        candidate = target.with_name(f"{stem} ({n}){suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise InputError(f"There are already {limit} copies of '{display_name(str(target))}'; "
                     "choose another folder.")
