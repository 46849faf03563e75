"""Read release fields (title, artist, album, year, genre) from a track's tags with mutagen."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from albumstudio.core.track import ReleaseTags

# easy keys first (ID3/MP4 "easy" wrappers, Vorbis comments), then raw ID3, ASF, MP4 and APEv2
_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "TIT2", "Title", "\xa9nam"),
    "artist": ("artist", "TPE1", "Author", "WM/AlbumArtist", "\xa9ART", "Artist", "albumartist",
               "TPE2", "aART"),
    "album": ("album", "TALB", "WM/AlbumTitle", "\xa9alb", "Album"),
    "year": ("date", "originaldate", "year", "TDRC", "TYER", "TDOR", "WM/Year", "\xa9day", "Year"),
    "genre": ("genre", "TCON", "WM/Genre", "\xa9gen", "Genre"),
}
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _texts(value: Any) -> list[str]:
    genres = getattr(value, "genres", None)  # ID3 TCON resolves "(17)" to "Rock"
    if genres:
        value = genres
    elif hasattr(value, "text"):
        value = value.text
    items: Iterable[Any] = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        text = " ".join(text.replace("\x00", " ").split())
        if text:
            out.append(text)
    return out


def _lookup(tags: Any, keys: tuple[str, ...]) -> list[str]:
    for key in keys:
        try:
            value = tags[key]
        except (KeyError, ValueError, TypeError, IndexError):
            continue
        texts = _texts(value)
        if texts:
            return texts
    return []


def read_tags(path: str) -> ReleaseTags:
    """Title, artist, album, year (4 digits) and genre from the tags; empty when unreadable."""
    try:
        import mutagen

        with open(path, "rb") as handle:
            audio = mutagen.File(handle, easy=True)
        tags = getattr(audio, "tags", None) if audio is not None else None
        if not tags:
            return ReleaseTags()
        fields = {name: _lookup(tags, keys) for name, keys in _KEYS.items()}
    except Exception:  # mutagen raises many kinds of errors on damaged files; tags are optional
        return ReleaseTags()
    year = ""
    for text in fields["year"]:
        match = _YEAR.search(text)
        if match:
            year = match.group(1)
            break
    return ReleaseTags(
        title=(fields["title"] or [""])[0],
        artist=", ".join(dict.fromkeys(fields["artist"])),
        album=(fields["album"] or [""])[0],
        year=year,
        genre=(fields["genre"] or [""])[0],
    )
