import os
import threading
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from albumstudio.audio import decode
from albumstudio.audio.decode import AUDIO_EXTENSIONS, decode_all, open_audio, probe
from albumstudio.core.errors import CancelledError, InputError
from tests.support.synth import music, tone, write


def write_m4a(path: Path, data: np.ndarray, sr: int = 44100) -> Path:
    """AAC in an MP4 container, written with PyAV (soundfile cannot write or read it)."""
    layout = "stereo" if data.shape[1] == 2 else "mono"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=sr, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data.T), format="fltp",
                                           layout=layout)
        frame.sample_rate = sr
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_mp3(path: Path, seconds: float = 10.0, sr: int = 44100) -> Path:
    return write(path, tone(seconds, sr), sr)


def truncate_half(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def assert_sentence(exc: pytest.ExceptionInfo, *phrases: str) -> str:
    message = str(exc.value)
    assert "\n" not in message and message.endswith(".")
    assert "Traceback" not in message and "Errno" not in message
    for phrase in phrases:
        assert phrase in message, message
    return message


def read_all(path: Path, block_frames: int = 65536) -> np.ndarray:
    with open_audio(str(path)) as reader:
        blocks = list(reader.blocks(block_frames))
    return np.concatenate(blocks) if blocks else np.zeros((0, 1), np.float32)


# --- good files -------------------------------------------------------------------------


def test_wav_probe_and_blocks_match_samples(tmp_path):
    path = write(tmp_path / "song.wav", music(2.0, sr=22050), 22050, subtype="FLOAT")
    info = probe(str(path))
    assert (info.sample_rate, info.channels, info.frames) == (22050, 2, 44100)
    assert (info.format, info.backend) == ("WAV", "soundfile")
    with open_audio(str(path)) as reader:
        blocks = list(reader.blocks(10000))
        again = np.concatenate(list(reader.blocks(10000)))
    assert all(b.dtype == np.float32 and b.shape[1] == 2 for b in blocks)
    assert [len(b) for b in blocks] == [10000] * 4 + [4100]
    expected, _ = sf.read(str(path), dtype="float32", always_2d=True)
    np.testing.assert_array_equal(np.concatenate(blocks), expected)
    np.testing.assert_array_equal(again, expected)


@pytest.mark.parametrize(
    ("name", "fmt", "subtype", "expected_format"),
    [("a.flac", None, None, "FLAC"), ("a.ogg", None, None, "Ogg Vorbis"),
     ("a.mp3", None, None, "MP3"), ("a.aiff", None, None, "AIFF"),
     ("UPPER.WAV", None, None, "WAV")],
)
def test_soundfile_formats(tmp_path, name, fmt, subtype, expected_format):
    path = write(tmp_path / name, tone(1.0, 44100), 44100, fmt=fmt, subtype=subtype)
    info = probe(str(path))
    assert (info.format, info.backend, info.channels) == (expected_format, "soundfile", 2)
    samples = read_all(path)
    assert abs(len(samples) - 44100) < 2048
    assert 0.4 < np.abs(samples[:, 0]).max() < 0.6


def test_m4a_aac_decodes_through_pyav(tmp_path):
    path = write_m4a(tmp_path / "song.m4a", tone(3.0, 44100))
    info = probe(str(path))
    assert (info.backend, info.format, info.sample_rate, info.channels) == ("pyav", "AAC", 44100, 2)
    assert abs(info.frames - 3 * 44100) < 4096
    samples = read_all(path, block_frames=5000)
    assert samples.dtype == np.float32 and samples.shape[1] == 2
    assert abs(len(samples) - 3 * 44100) < 4096
    middle = samples[44100:88200]
    assert 0.4 < np.abs(middle[:, 0]).max() < 0.6 and 0.2 < np.abs(middle[:, 1]).max() < 0.3


def test_aac_misnamed_mp3_falls_back_to_pyav(tmp_path):
    path = write_m4a(tmp_path / "song.m4a", tone(1.0, 44100))
    path = path.rename(tmp_path / "really-aac.mp3")
    assert probe(str(path)).backend == "pyav"
    assert len(read_all(path)) > 40000


def test_eight_channels_at_96k(tmp_path):
    data = tone(1.5, 96000, channels=8)
    path = write(tmp_path / "surround.wav", data, 96000, subtype="FLOAT")
    info = probe(str(path))
    assert (info.sample_rate, info.channels, info.frames) == (96000, 8, 144000)
    np.testing.assert_array_equal(read_all(path), data)
    mono, sr = decode_all(str(path), mono=True)
    assert sr == 96000 and mono.shape == (144000,)


def test_eight_khz_mono(tmp_path):
    data = tone(2.0, 8000, freq=300, channels=1)
    path = write(tmp_path / "phone.wav", data, 8000)
    info = probe(str(path))
    assert (info.sample_rate, info.channels, info.frames) == (8000, 1, 16000)
    samples, sr = decode_all(str(path))
    assert sr == 8000 and samples.shape == (16000, 1)
    resampled, sr = decode_all(str(path), target_sr=22050, mono=True)
    assert sr == 22050 and abs(len(resampled) - 2 * 22050) <= 2
    assert 0.45 < np.abs(resampled[1000:-1000]).max() < 0.55


def test_decode_all_resamples_stereo_while_streaming(tmp_path):
    path = write(tmp_path / "song.flac", tone(3.0, 44100), 44100)
    samples, sr = decode_all(str(path), target_sr=16000)
    assert sr == 16000 and samples.dtype == np.float32
    assert samples.shape[1] == 2 and abs(len(samples) - 48000) <= 2
    spectrum = np.abs(np.fft.rfft(samples[:16000, 0]))
    assert abs(np.argmax(spectrum) - 440) <= 1


def test_decode_all_cancel(tmp_path):
    path = write(tmp_path / "song.wav", tone(1.0), 44100)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        decode_all(str(path), cancel=cancel)


def test_truncated_mp3_decodes_what_exists(tmp_path):
    path = truncate_half(write_mp3(tmp_path / "cut.mp3", seconds=10.0))
    info = probe(str(path))
    assert info.frames == 441000  # libsndfile trusts the Xing header
    samples = read_all(path)
    assert 3.5 * 44100 < len(samples) < 6 * 44100
    assert 0.4 < np.abs(samples[-4410:, 0]).max() < 0.6  # real audio, not padding


def test_cut_short_flac_decodes_what_exists_and_is_not_blamed_on_the_drive(tmp_path):
    path = truncate_half(write(tmp_path / "cut.flac", music(20.0, 44100), 44100))
    samples = read_all(path)
    assert 8 * 44100 < len(samples) < 11 * 44100  # about half, minus at most one block
    assert np.abs(samples[-4410:]).max() > 0.05  # real audio up to the cut, not padding


def test_flac_cut_before_its_first_block_gets_its_own_sentence(tmp_path):
    whole = write(tmp_path / "whole.flac", music(5.0, 44100), 44100).read_bytes()
    path = tmp_path / "stub.flac"
    path.write_bytes(whole[:8300])  # the stream header and the start of the first frame
    with pytest.raises(InputError) as exc:
        read_all(path)
    assert_sentence(exc, "'stub.flac' ends before its audio does (the file is cut short or "
                         "damaged); export or copy it again.")


def test_non_utf8_and_long_names(tmp_path):
    data = tone(0.5, 22050)
    plain = write(tmp_path / "plain.wav", data, 22050, subtype="FLOAT")
    odd = os.path.join(str(tmp_path), os.fsdecode(b"caf\xe9 \xff.wav"))
    long = os.path.join(str(tmp_path), "x" * 236 + ".wav")
    assert len(os.fsencode(os.path.basename(long))) == 240
    for target in (odd, long):
        os.link(plain, target)
        assert probe(target).frames == 11025
        np.testing.assert_array_equal(decode_all(target)[0], data)
    m4a = os.path.join(str(tmp_path), os.fsdecode(b"\xe9t\xe9.m4a"))
    write_m4a(Path(tmp_path / "plain.m4a"), tone(0.5, 22050), 22050).rename(m4a)
    assert probe(m4a).backend == "pyav" and len(decode_all(m4a)[0]) > 10000
    with pytest.raises(InputError) as exc:
        probe(os.path.join(str(tmp_path), os.fsdecode(b"gone\xe9.wav")))
    assert_sentence(exc, "gone\ufffd.wav", "not found")


def test_extension_list():
    common = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".aiff", ".wma"}
    assert common <= AUDIO_EXTENSIONS
    assert all(ext == ext.lower() and ext.startswith(".") for ext in AUDIO_EXTENSIONS)
    assert ".txt" not in AUDIO_EXTENSIONS and ".png" not in AUDIO_EXTENSIONS


# --- bad inputs -------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as exc:
        probe(str(tmp_path / "nowhere.wav"))
    assert_sentence(exc, "'nowhere.wav'", "not found")


def test_folder(tmp_path):
    folder = tmp_path / "album.wav"
    folder.mkdir()
    with pytest.raises(InputError) as exc:
        open_audio(str(folder))
    assert_sentence(exc, "'album.wav'", "folder")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        probe(str(path))
    assert_sentence(exc, "'empty.mp3' is empty (0 bytes)")


@pytest.mark.parametrize("name", ["notes.txt", "cover.png", "noextension"])
def test_unsupported_extension(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(InputError) as exc:
        probe(str(path))
    assert_sentence(exc, f"'{name}'", "WAV, FLAC, MP3")


def test_no_read_permission(tmp_path, monkeypatch):
    path = write(tmp_path / "locked.wav", tone(0.2), 44100)
    path.chmod(0)
    if os.access(path, os.R_OK):  # running as root: simulate what a normal user gets

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(decode, "open", refuse, raising=False)
    try:
        with pytest.raises(InputError) as exc:
            probe(str(path))
    finally:
        path.chmod(0o644)
    assert_sentence(exc, "'locked.wav'", "permission")


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [("readme.mp3", b"This is not audio, just some notes.\n" * 50, "looks like text"),
     ("picture.wav", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "PNG image"),
     ("noise.flac", np.random.default_rng(1).bytes(20000), "damaged or not really an audio file"),
     ("noise.m4a", np.random.default_rng(2).bytes(20000), "damaged or not really an audio file")],
)
def test_non_audio_with_audio_extension(tmp_path, name, content, phrase):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        probe(str(path))
    assert_sentence(exc, f"'{name}'", phrase)


def test_corrupt_wav_header(tmp_path):
    path = write(tmp_path / "broken.wav", tone(0.5), 44100)
    data = bytearray(path.read_bytes())
    data[20:36] = b"\xff" * 16  # the fmt chunk body
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as exc:
        open_audio(str(path))
    assert_sentence(exc, "'broken.wav'", "damaged WAV header")


def test_container_without_audio_stream(tmp_path):
    path = tmp_path / "silent-film.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(3):
            image = np.full((32, 32, 3), i * 40, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(InputError) as exc:
        probe(str(path))
    assert_sentence(exc, "'silent-film.mp4'", "no audio stream")


def test_control_characters_in_name_stay_on_one_line(tmp_path):
    with pytest.raises(InputError) as exc:
        probe(str(tmp_path / "two\nlines.wav"))
    assert_sentence(exc, "two?lines.wav")


# --- files that go away while streaming -------------------------------------------------


def test_file_truncated_while_streaming(tmp_path):
    path = write(tmp_path / "shrinking.wav", tone(3.0), 44100)
    with open_audio(str(path)) as reader, pytest.raises(InputError) as exc:
        for i, _block in enumerate(reader.blocks(8192)):
            if i == 0:
                os.truncate(path, 1000)
    assert_sentence(exc, "'shrinking.wav' disappeared or became unreadable while loading")


class _FailingFile:
    """A real file whose reads fail with EIO after ``budget`` bytes, like an unplugged drive."""

    def __init__(self, raw, budget: int) -> None:
        self._raw, self._budget, self.spent = raw, budget, 0

    def _spend(self, size: int) -> None:
        if self.spent >= self._budget:
            raise OSError(5, "Input/output error")
        self.spent += size

    def read(self, size=-1):
        self._spend(size)
        return self._raw.read(size)

    def readinto(self, buffer):
        self._spend(len(buffer))
        return self._raw.readinto(buffer)

    def __getattr__(self, name):
        return getattr(self._raw, name)


@pytest.mark.parametrize("kind", ["wav", "m4a"])
def test_read_error_while_streaming(tmp_path, monkeypatch, kind):
    if kind == "wav":
        path = write(tmp_path / "drive.wav", tone(3.0), 44100)
    else:
        path = write_m4a(tmp_path / "drive.m4a", tone(6.0))
    real_open = open
    files: list[_FailingFile] = []

    def counting_open(p, mode="r"):
        files.append(_FailingFile(real_open(p, mode), budget=1 << 60))
        return files[-1]

    monkeypatch.setattr(decode, "open", counting_open, raising=False)
    with open_audio(str(path)) as reader:
        opened = files[0].spent
        list(reader.blocks(4096))
        budget = opened + (files[0].spent - opened) // 2  # fail halfway through the stream
    monkeypatch.setattr(decode, "open", lambda p, m="r": _FailingFile(real_open(p, m), budget),
                        raising=False)
    decoded = 0
    with open_audio(str(path)) as reader, pytest.raises(InputError) as exc:
        assert reader.info.backend == ("soundfile" if kind == "wav" else "pyav")
        for block in reader.blocks(4096):
            decoded += len(block)
    assert 0 < decoded < 3 * 44100
    assert_sentence(exc, "'drive.", "disappeared or became unreadable while loading")


def test_file_deleted_while_streaming_still_reads_open_handle(tmp_path):
    data = tone(2.0, 22050)
    path = write(tmp_path / "deleted.wav", data, 22050, subtype="FLOAT")
    got = []
    with open_audio(str(path)) as reader:
        for block in reader.blocks(4096):
            if not got:
                path.unlink()  # POSIX keeps an open file's data until it is closed
            got.append(block)
    np.testing.assert_array_equal(np.concatenate(got), data)
    with pytest.raises(InputError):
        probe(str(path))


def test_zero_frame_wav_decodes_to_input_error(tmp_path):
    path = write(tmp_path / "nothing.wav", np.zeros((0, 2), np.float32), 44100)
    assert probe(str(path)).frames == 0
    with pytest.raises(InputError) as exc:
        decode_all(str(path))
    assert_sentence(exc, "'nothing.wav' contains no audio")


@pytest.mark.parametrize("rate", [1, 8, 7999, 400_000])
def test_a_header_with_an_impossible_sample_rate_is_refused_before_anything_is_allocated(
        tmp_path, rate):
    """A 441 KB WAV declaring 1 Hz once asked the resampler for gigabytes (#11 item 2)."""
    import wave

    from albumstudio.audio.analysis import analyze_file
    from albumstudio.audio.decode import decode_all, probe
    from albumstudio.core.errors import InputError

    path = tmp_path / f"lying-{rate}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x01" * 220_000)
    for read in (probe, lambda p: decode_all(p, target_sr=22050), analyze_file):
        with pytest.raises(InputError) as caught:
            read(str(path))
        message = caught.value.message
        assert f"sample rate of {rate} Hz" in message and "\n" not in message
