"""Copies of the artist's tracks with the cover and the release's fields in their tags.

The original is only read: it is copied to a temporary name beside the destination, the copy
is tagged with mutagen, and then moved into place with ``os.replace``. Formats: MP3 and
WAV/AIFF (ID3 with an APIC front cover), FLAC (a picture block and Vorbis comments), MP4/M4A
(``covr`` and the iTunes atoms) and Ogg Vorbis/Opus (``METADATA_BLOCK_PICTURE``).
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from albumstudio.core.errors import InputError
from albumstudio.core.text import display_name
from albumstudio.store.files import TEMP_PREFIX, UMASK

TAGGABLE = (".mp3", ".wav", ".aif", ".aiff", ".flac", ".m4a", ".mp4", ".ogg",
            ".oga", ".opus")


@dataclass(frozen=True)
class ReleaseFields:
    title: str = ""
    artist: str = ""
    album: str = ""
    genre: str = ""
    year: str = ""


def _picture(jpeg: bytes):  # type: ignore[no-untyped-def]
    from mutagen.flac import Picture

    pic = Picture()
    pic.type = 3  # front cover
    pic.mime = "image/jpeg"
    pic.desc = "Front cover"
    pic.data = jpeg
    return pic


def _id3(tags, jpeg: bytes, fields: ReleaseFields) -> None:  # type: ignore[no-untyped-def]
    from mutagen.id3 import APIC, TALB, TCON, TDRC, TIT2, TPE1

    tags.delall("APIC")
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Front cover", data=jpeg))
    for frame, value in ((TIT2, fields.title), (TPE1, fields.artist), (TALB, fields.album),
                         (TCON, fields.genre), (TDRC, fields.year)):
        if value:
            tags.setall(frame.__name__, [frame(encoding=3, text=[value])])


def _vorbis(tags, fields: ReleaseFields) -> None:  # type: ignore[no-untyped-def]
    for key, value in (("title", fields.title), ("artist", fields.artist),
                       ("album", fields.album), ("genre", fields.genre), ("date", fields.year)):
        if value:
            tags[key] = [value]


def tag_file(path: Path, jpeg: bytes, fields: ReleaseFields) -> None:
    """Embed the cover and the fields in ``path`` (in place: call it on a copy)."""
    import mutagen

    suffix = path.suffix.lower()
    if suffix == ".mp3":
        from mutagen.id3 import ID3, ID3NoHeaderError

        try:
            id3 = ID3(path)
        except ID3NoHeaderError:
            id3 = ID3()
        _id3(id3, jpeg, fields)
        id3.save(path, v2_version=4)
        return
    audio = mutagen.File(path)
    if audio is None:
        raise InputError(f"'{display_name(str(path))}' is not an audio file mutagen can tag.")
    kind = type(audio).__name__
    if kind in ("WAVE", "AIFF"):
        if audio.tags is None:
            audio.add_tags()
        _id3(audio.tags, jpeg, fields)
    elif kind == "FLAC":
        audio.clear_pictures()
        audio.add_picture(_picture(jpeg))
        if audio.tags is None:
            audio.add_tags()
        _vorbis(audio.tags, fields)
    elif kind in ("MP4",):
        from mutagen.mp4 import MP4Cover

        if audio.tags is None:
            audio.add_tags()
        audio.tags["covr"] = [MP4Cover(jpeg, imageformat=MP4Cover.FORMAT_JPEG)]
        for key, value in (("\xa9nam", fields.title), ("\xa9ART", fields.artist),
                           ("\xa9alb", fields.album), ("\xa9gen", fields.genre),
                           ("\xa9day", fields.year)):
            if value:
                audio.tags[key] = [value]
    elif kind in ("OggVorbis", "OggOpus", "OggFLAC"):
        if audio.tags is None:
            audio.add_tags()
        block = base64.b64encode(_picture(jpeg).write()).decode("ascii")
        audio.tags["metadata_block_picture"] = [block]
        _vorbis(audio.tags, fields)
    else:
        raise InputError(f"Tags with a cover cannot be written to {kind} files such as "
                         f"'{display_name(str(path))}'; convert it to FLAC, MP3 or M4A.")
    audio.save()


def tagged_copy(source: str | os.PathLike[str], target: Path, jpeg: bytes,
                fields: ReleaseFields) -> Path:
    """Copy ``source`` to ``target`` with the cover and ``fields`` embedded; the source is only
    read, and ``target`` appears whole or not at all (temporary name, then ``os.replace``)."""
    src = Path(source)
    if src.suffix.lower() not in TAGGABLE:
        raise InputError(f"'{display_name(str(src))}' cannot carry a cover in its tags; use "
                         "MP3, WAV, AIFF, FLAC, M4A, Ogg or Opus.")
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=f"{src.suffix.lower()}.tmp",
                                    dir=target.parent)
    os.close(fd)
    os.chmod(tmp_name, 0o666 & ~UMASK)  # a new file's usual permissions, not mkstemp's 0600
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(src, tmp)
        tagged = tmp.with_name(tmp.name[:-len(".tmp")])  # mutagen picks the format by name
        os.replace(tmp, tagged)
        tmp = tagged
        tag_file(tmp, jpeg, fields)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
