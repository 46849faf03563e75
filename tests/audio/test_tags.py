import os

import numpy as np
from mutagen.flac import FLAC
from mutagen.id3 import TCON, TDRC, TIT2, TPE1
from mutagen.mp3 import EasyMP3
from mutagen.mp4 import MP4
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from albumstudio.audio.tags import read_tags
from albumstudio.core.track import ReleaseTags
from tests.audio.test_decode import write_m4a
from tests.support.synth import tone, write


def test_flac_vorbis_comments(tmp_path):
    path = write(tmp_path / "song.flac", tone(0.3), 44100)
    audio = FLAC(path)
    audio["title"] = "Night Drive"
    audio["artist"] = ["Ada", "Ben"]
    audio["album"] = "Motorway"
    audio["date"] = "2021-05-03"
    audio["genre"] = "Synthwave"
    audio.save()
    assert read_tags(str(path)) == ReleaseTags(
        title="Night Drive", artist="Ada, Ben", album="Motorway", year="2021", genre="Synthwave"
    )


def test_mp3_id3(tmp_path):
    path = write(tmp_path / "song.mp3", tone(0.5), 44100)
    audio = EasyMP3(path)
    audio.add_tags()
    audio["title"] = "Café au lait"
    audio["artist"] = "Zoë"
    audio["album"] = "Mornings"
    audio["date"] = "1999"
    audio["genre"] = "Jazz"
    audio.save()
    tags = read_tags(str(path))
    assert tags == ReleaseTags("Café au lait", "Zoë", "Mornings", "1999", "Jazz")


def test_ogg_vorbis_and_m4a(tmp_path):
    ogg = write(tmp_path / "song.ogg", tone(0.5), 44100)
    audio = OggVorbis(ogg)
    audio["title"], audio["artist"], audio["date"] = "Tide", "Sea", "released 2003"
    audio.save()
    assert read_tags(str(ogg)) == ReleaseTags(title="Tide", artist="Sea", year="2003")
    m4a = write_m4a(tmp_path / "song.m4a", tone(0.5))
    audio = MP4(m4a)
    audio["\xa9nam"], audio["\xa9ART"], audio["\xa9alb"] = "Glass", "Mirror", "Halls"
    audio["\xa9day"], audio["\xa9gen"] = "2018-01-01T00:00:00Z", "Ambient"
    audio.save()
    assert read_tags(str(m4a)) == ReleaseTags("Glass", "Mirror", "Halls", "2018", "Ambient")


def test_wav_with_raw_id3_frames(tmp_path):
    path = write(tmp_path / "song.wav", tone(0.2), 44100)
    audio = WAVE(path)
    audio.add_tags()
    audio.tags.add(TIT2(encoding=3, text="Raw"))
    audio.tags.add(TPE1(encoding=3, text="Frames"))
    audio.tags.add(TDRC(encoding=3, text="2010-02"))
    audio.tags.add(TCON(encoding=3, text="(17)"))
    audio.save()
    assert read_tags(str(path)) == ReleaseTags(title="Raw", artist="Frames", year="2010",
                                               genre="Rock")


def test_untagged_garbage_missing_and_folders_give_empty_tags(tmp_path):
    plain = write(tmp_path / "plain.wav", tone(0.2), 44100)
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    text = tmp_path / "notes.flac"
    text.write_text("fLaC but not really")
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    for target in (plain, garbage, text, empty, tmp_path / "missing.mp3", tmp_path):
        assert read_tags(str(target)) == ReleaseTags()


def test_non_utf8_and_long_names(tmp_path):
    path = write(tmp_path / "song.flac", tone(0.2), 44100)
    audio = FLAC(path)
    audio["title"] = "Odd name"
    audio["date"] = "2024"
    audio.save()
    for name in (os.fsdecode(b"caf\xe9.flac"), "y" * 235 + ".flac"):
        target = os.path.join(str(tmp_path), name)
        os.link(path, target)
        assert read_tags(target) == ReleaseTags(title="Odd name", year="2024")
