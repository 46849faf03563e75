"""Highlight clips in every format, read back and measured: length, loudness, true peak."""

import numpy as np
import pytest

from albumstudio.audio.clip_levels import CEILING_DBTP, TARGET_LUFS, cut, limit, measure, normalise
from albumstudio.core.clip import AudioClipOptions, ClipRequest
from albumstudio.core.errors import InputError
from albumstudio.engines.clip_audio import run
from albumstudio.export.audio_export import format_of, read_back, write_clip
from tests.support.clip_song import song

SR = 44100


@pytest.fixture(scope="module")
def track():
    return song(SR, seconds=40.0)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg"])
def test_every_format_reads_back_at_length_loudness_and_peak(track, fmt):
    seconds = 12.0
    result = run(ClipRequest("highlight", "song.wav", 30.0, seconds, AudioClipOptions(fmt)),
                 track, SR)
    decoded, rate = read_back(result.data, "." + fmt)
    assert rate == (48000 if fmt == "ogg" else SR)
    # the decoders trim the encoders' priming and padding (LAME header, Opus pre-skip and
    # end granule), so every format decodes to the requested length within one frame
    assert abs(decoded.shape[0] - round(seconds * rate)) <= 1
    lufs, peak = measure(decoded, rate)
    assert lufs == pytest.approx(TARGET_LUFS, abs=0.5)
    assert peak <= CEILING_DBTP
    assert result.duration_s == pytest.approx(seconds, abs=1 / rate)
    assert result.figures["lufs"] == pytest.approx(lufs, abs=1e-3)


def test_a_quiet_peaky_clip_is_raised_and_limited():
    rng = np.random.default_rng(3)
    quiet = 0.02 * rng.standard_normal((5 * SR, 2))
    quiet[::4410] = 0.9  # sparse spikes: the gain alone would push them far over the ceiling
    out, levels = normalise(quiet, SR)
    lufs, peak = measure(out, SR)
    assert levels.gain_db > 10 and levels.limited_db > 3
    assert lufs == pytest.approx(TARGET_LUFS, abs=0.1) and peak <= CEILING_DBTP


def test_the_limiter_never_lets_a_sample_over_and_leaves_quiet_parts_alone():
    t = np.arange(SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 220 * t))[:, None].repeat(2, axis=1)
    x[SR // 2] = 1.5
    out, deepest = limit(x, SR, -1.0)
    assert np.abs(out).max() <= 10 ** (-1.0 / 20)
    assert deepest > 4
    assert np.array_equal(out[: SR // 4], x[: SR // 4])  # far from the spike: untouched


def test_fades_start_and_end_in_silence(track):
    clip = cut(track, SR, 10.0, 5.0)
    assert clip.shape == (5 * SR, 2)
    assert np.abs(clip[0]).max() < 0.01 and np.abs(clip[-1]).max() < 0.01


def test_silence_and_near_silence_cannot_be_normalised():
    with pytest.raises(InputError, match="The selection is silent"):
        normalise(np.zeros((SR, 2)), SR)
    hiss = 5e-4 * np.random.default_rng(0).standard_normal((SR, 2))
    with pytest.raises(InputError, match=r"nearly silent \(-[5-6]\d LUFS\)"):
        normalise(hiss, SR)


def test_an_unknown_extension_is_one_sentence_and_writes_nothing(tmp_path):
    target = tmp_path / "clip.aiff"
    with pytest.raises(InputError, match=r"^Clips are saved as WAV, FLAC, MP3 or Ogg Opus .*"
                                         r"not '\.aiff'; rename the file\.$"):
        write_clip(b"data", str(target))
    assert list(tmp_path.iterdir()) == []
    assert format_of("x.OPUS") == ".opus"


def test_an_existing_file_is_kept_without_overwrite(tmp_path):
    target = tmp_path / "clip.wav"
    target.write_bytes(b"mine")
    with pytest.raises(InputError, match="already exists"):
        write_clip(b"new", str(target))
    assert target.read_bytes() == b"mine"
    write_clip(b"new", str(target), overwrite=True)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.wav"]  # no temporary left


@pytest.mark.parametrize(("rate", "channels", "fmt", "out_rate"), [
    (48000, 1, "mp3", 48000), (22050, 1, "mp3", 44100), (96000, 2, "flac", 96000),
    (22050, 6, "ogg", 48000), (32000, 2, "wav", 32000)])
def test_other_rates_and_channel_counts(rate, channels, fmt, out_rate):
    t = np.arange(4 * rate) / rate
    lanes = [np.sin(2 * np.pi * (220 + 110 * k) * t) * (0.3 + 0.1 * np.sin(2 * np.pi * t))
             for k in range(channels)]
    samples = np.stack(lanes, axis=1).astype(np.float32)
    result = run(ClipRequest("highlight", "x", 0.5, 3.0, AudioClipOptions(fmt)), samples, rate)
    decoded, got = read_back(result.data, "." + fmt)
    assert got == out_rate and abs(decoded.shape[0] - 3 * out_rate) <= 1
    assert decoded.shape[1] == (min(channels, 2) if fmt in ("mp3", "ogg") else channels)
    lufs, peak = measure(decoded, got)
    assert abs(lufs - TARGET_LUFS) <= 0.5 and peak <= CEILING_DBTP
