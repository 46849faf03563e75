"""Tagged track copies: the cover and fields read back with mutagen, the original untouched."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import mutagen
import pytest

from albumstudio.core.errors import InputError
from albumstudio.export.track_tags import ReleaseFields, tagged_copy
from tests.support.synth import tone, write

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"
FIELDS = ReleaseFields(title="Nights", artist="Ané", album="Nights", genre="Ambient")


def make_track(folder: Path, suffix: str) -> Path:
    path = folder / f"track{suffix}"
    data = tone(1.0, sr=48000)
    if suffix in (".m4a",):
        import av
        import numpy as np

        with av.open(str(path), "w", format="ipod") as out:
            stream = out.add_stream("aac", rate=48000, layout="stereo")
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data.T), format="fltp",
                                               layout="stereo")
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return path
    formats = {".wav": ("WAV", None), ".aiff": ("AIFF", None), ".flac": ("FLAC", None),
               ".ogg": ("OGG", "VORBIS"), ".opus": ("OGG", "OPUS"),
               ".mp3": ("MP3", "MPEG_LAYER_III")}
    fmt, subtype = formats[suffix]
    return write(path, data, 48000, fmt, subtype)


def cover_in(path: Path) -> bytes:
    audio = mutagen.File(path)
    kind = type(audio).__name__
    if kind in ("MP3", "WAVE", "AIFF"):
        return bytes(audio.tags.getall("APIC")[0].data)
    if kind == "FLAC":
        return bytes(audio.pictures[0].data)
    if kind == "MP4":
        return bytes(audio.tags["covr"][0])
    from mutagen.flac import Picture

    return bytes(Picture(base64.b64decode(audio.tags["metadata_block_picture"][0])).data)


def title_in(path: Path) -> str:
    audio = mutagen.File(path, easy=type(mutagen.File(path)).__name__ in ("MP3", "MP4"))
    if type(audio).__name__ in ("WAVE", "AIFF"):
        return str(audio.tags["TIT2"])
    return str(audio.tags["title"][0])


@pytest.mark.parametrize("suffix", [".mp3", ".wav", ".aiff", ".flac", ".ogg", ".opus", ".m4a"])
def test_each_format_carries_the_cover_and_the_original_is_untouched(tmp_path, suffix):
    source = make_track(tmp_path, suffix)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "kit"
    out.mkdir()
    copy = tagged_copy(source, out / f"Ané - Nights{suffix}", JPEG, FIELDS)
    assert cover_in(copy) == JPEG
    assert title_in(copy) == "Nights"
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in out.iterdir()) == [copy.name]  # no temporary left


def test_a_failure_while_tagging_leaves_nothing(tmp_path, monkeypatch):
    import errno

    from albumstudio.export import track_tags

    source = make_track(tmp_path, ".flac")
    out = tmp_path / "kit"
    out.mkdir()

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(track_tags, "tag_file", full)
    with pytest.raises(OSError):
        tagged_copy(source, out / "x.flac", JPEG, FIELDS)
    assert list(out.iterdir()) == []


def test_a_file_that_cannot_carry_a_cover_is_a_sentence(tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    with pytest.raises(InputError, match="cannot carry a cover"):
        tagged_copy(source, tmp_path / "x.txt", JPEG, FIELDS)
