"""What to open when files are dropped on the window (one track at a time)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from albumstudio.core.formats import READABLE_LIST, has_audio_extension
from albumstudio.core.text import display_name


@dataclass(frozen=True)
class DropChoice:
    path: str | None = None
    note: str = ""  # said next to a successful open
    error: str = ""  # said instead of opening


def choose_track(paths: list[str], remote_count: int = 0) -> DropChoice:
    """Pick the first audio file among dropped paths and say plainly what happened to the rest."""
    if not paths:
        if remote_count:
            return DropChoice(error="Only files on this computer can be opened; save the track locally first.")
        return DropChoice(error="Nothing that could be opened was dropped; drop an audio file.")
    if len(paths) == 1 and os.path.isdir(paths[0]):
        return DropChoice(error=f"'{display_name(paths[0])}' is a folder; drop a single audio file from it.")
    tracks = [p for p in paths if not os.path.isdir(p) and has_audio_extension(p)]
    if not tracks:
        if len(paths) == 1:
            return DropChoice(path=paths[0])  # let the decoder say exactly what is wrong
        return DropChoice(
            error=f"None of the {len(paths)} dropped items is an audio file AlbumStudio reads "
                  f"({READABLE_LIST})."
        )
    chosen = tracks[0]
    if len(paths) > 1:
        return DropChoice(
            path=chosen,
            note=f"{len(paths)} items were dropped; opened '{display_name(chosen)}' "
                 "(AlbumStudio works on one track at a time).",
        )
    return DropChoice(path=chosen)
