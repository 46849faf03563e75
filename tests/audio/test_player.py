"""Playback: the stream logic driven through fill() (no sound card here) and the device wrapper."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import sounddevice
import soundfile as sf

from albumstudio.audio import player
from albumstudio.audio.player import (
    ArraySource,
    AudioOutput,
    PlaybackEngine,
    PlaybackUnavailable,
    SoundFileSource,
    downmix_matrix,
    open_source,
)
from albumstudio.core.errors import InputError, UserFacingError
from tests.support import synth

SR = 44100


def render(engine: PlaybackEngine, blocks: int, block: int = 512) -> np.ndarray:
    out = []
    for _ in range(blocks):
        buf = np.full((block, engine.out_channels), 7.0, dtype=np.float32)
        engine.fill(buf)
        out.append(buf)
    return np.concatenate(out)


def one_sentence(text: str) -> bool:
    body = text.rstrip(".")
    return text.endswith(".") and ". " not in body and "\n" not in text and len(text) < 200


def dominant_frequency(signal: np.ndarray, rate: int) -> float:
    """Frequency from interpolated zero crossings (rising edges) of a clean sine."""
    s = signal.astype(np.float64)
    idx = np.nonzero((s[:-1] < 0) & (s[1:] >= 0))[0]
    crossings = idx + (-s[idx] / (s[idx + 1] - s[idx]))
    return (len(crossings) - 1) / ((crossings[-1] - crossings[0]) / rate)


def test_array_source_reads_and_shortens_at_end() -> None:
    data = synth.tone(0.1, SR, channels=2)
    src = ArraySource(data, SR)
    assert (src.sample_rate, src.channels, src.frames) == (SR, 2, len(data))
    np.testing.assert_array_equal(src.read(100, 50), data[100:150])
    assert src.read(len(data) - 10, 50).shape == (10, 2)
    assert src.read(len(data) + 5, 50).shape == (0, 2)
    assert ArraySource(data[:, 0], SR).channels == 1


def test_open_source_reads_a_wav_with_a_non_utf8_name(tmp_path) -> None:
    data = synth.tone(0.5, SR, channels=2)
    path = os.path.join(str(tmp_path), os.fsdecode(b"take-\xff\xfe.wav"))
    with open(path, "wb") as f:
        sf.write(f, data, SR, format="WAV", subtype="FLOAT")
    src = open_source(path)
    try:
        assert isinstance(src, SoundFileSource)
        assert (src.sample_rate, src.channels, src.frames) == (SR, 2, len(data))
        np.testing.assert_array_equal(src.read(1000, 256), data[1000:1256])
        assert src.read(len(data) - 3, 100).shape == (3, 2)
    finally:
        src.close()
    src.close()


@pytest.mark.skipif(importlib.util.find_spec("albumstudio.audio.decode") is None,
                    reason="albumstudio.audio.decode (the PyAV decoder) is not written yet")
def test_open_source_decodes_an_m4a_into_memory_and_rejects_a_missing_file(tmp_path) -> None:
    av = pytest.importorskip("av")
    path = tmp_path / "clip.m4a"
    data = synth.tone(1.0, SR, freq=440.0, channels=2)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=SR, layout="stereo")
        planar = np.ascontiguousarray(data.T)
        for i in range(0, planar.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar[:, i:i + 1024]),
                                               format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = SR, i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    src = open_source(str(path))
    assert isinstance(src, ArraySource)
    assert (src.sample_rate, src.channels) == (SR, 2)
    assert abs(src.frames - SR) < 4096
    engine = PlaybackEngine(src, 48000)
    engine.seek(0.3)
    engine.play()
    out = render(engine, 8, 1024)
    assert abs(dominant_frequency(out[500:, 0], 48000) - 440.0) < 4.4
    with pytest.raises(InputError):
        open_source(str(tmp_path / "gone.wav"))


def test_seek_at_the_same_rate_gives_the_source_samples_exactly() -> None:
    data = synth.tone(3.0, SR, channels=2)
    engine = PlaybackEngine(ArraySource(data, SR), SR)
    engine.seek(1.5)
    engine.play()
    out = render(engine, 5, 512)
    start = int(1.5 * SR)
    np.testing.assert_array_equal(out, data[start:start + len(out)])
    assert engine.position_seconds == pytest.approx(1.5 + len(out) / SR, abs=1e-9)
    assert engine.playing


def test_resampling_after_a_seek_keeps_pitch_phase_and_position() -> None:
    freq, out_rate = 1000.0, 48000
    data = synth.tone(3.0, SR, freq=freq, channels=2)
    engine = PlaybackEngine(ArraySource(data, SR), out_rate)
    engine.seek(1.0)
    engine.play()
    blocks = []
    for k in range(1, 9):
        blocks.append(render(engine, 1, 1024))
        assert engine.position_seconds == pytest.approx(1.0 + k * 1024 / out_rate, abs=1e-6)
    out = np.concatenate(blocks)
    assert abs(dominant_frequency(out[300:, 0], out_rate) - freq) < 0.01 * freq
    t = 1.0 + np.arange(len(out)) / out_rate
    expected = 0.5 * np.sin(2 * np.pi * freq * t)
    assert np.abs(out[300:, 0] - expected[300:]).max() < 1e-2  # no latency offset
    np.testing.assert_allclose(out[300:, 1], out[300:, 0] / 2, atol=1e-5)


def test_mono_source_plays_identically_on_both_outputs() -> None:
    data = synth.tone(1.0, SR, channels=1)
    engine = PlaybackEngine(ArraySource(data, SR), SR)
    engine.play()
    out = render(engine, 4)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])
    np.testing.assert_array_equal(out[:, 0], data[:len(out), 0])


def test_eight_channels_downmix_to_stereo_without_clipping() -> None:
    loud = np.full((SR, 8), 0.99, dtype=np.float32)
    engine = PlaybackEngine(ArraySource(loud, SR), SR)
    engine.play()
    out = render(engine, 4)
    assert out.shape[1] == 2
    assert np.abs(out).max() <= 0.99 + 1e-6
    assert out.min() > 0.3
    rng = np.random.default_rng(1)
    noise = rng.uniform(-1, 1, (SR, 8)).astype(np.float32)
    engine = PlaybackEngine(ArraySource(noise, SR), SR)
    engine.play()
    out = render(engine, 8)
    assert np.abs(out).max() <= 1.0 and np.abs(out).std() > 0.05
    for channels in (3, 4, 5, 6, 7, 8, 11):
        matrix = downmix_matrix(channels, 2)
        assert matrix is not None and np.abs(matrix).sum(axis=0).max() <= 1.0 + 1e-6


def test_volume_half_halves_and_changes_ramp_without_nan() -> None:
    data = synth.tone(2.0, SR, channels=2)
    full = PlaybackEngine(ArraySource(data, SR), SR)
    half = PlaybackEngine(ArraySource(data, SR), SR)
    half.volume = 0.5
    full.play()
    half.play()
    np.testing.assert_allclose(render(half, 4), render(full, 4) * 0.5, atol=1e-7)
    half.volume = 0.0
    ramped = render(half, 2)
    assert np.isfinite(ramped).all() and np.abs(ramped).max() <= 0.5
    np.testing.assert_array_equal(render(half, 2), 0.0)
    half.volume = 3.0
    assert half.volume == 1.0
    with pytest.raises(ValueError):
        half.volume = float("nan")


def test_paused_fills_zeros_and_resumes_where_it_stopped() -> None:
    data = synth.tone(2.0, SR, channels=2)
    engine = PlaybackEngine(ArraySource(data, SR), SR)
    np.testing.assert_array_equal(render(engine, 2), 0.0)
    engine.play()
    first = render(engine, 3)
    engine.pause()
    position = engine.position_seconds
    np.testing.assert_array_equal(render(engine, 3), 0.0)
    assert engine.position_seconds == position and not engine.playing
    engine.play()
    second = render(engine, 3)
    np.testing.assert_array_equal(np.concatenate([first, second]), data[:len(first) * 2])
    engine.stop()
    assert engine.position_seconds == 0.0 and not engine.playing


def test_loop_region_wraps_to_its_start() -> None:
    data = synth.tone(3.0, SR, channels=2)
    engine = PlaybackEngine(ArraySource(data, SR), SR)
    engine.set_loop(1.0, 1.25)
    assert engine.loop == (1.0, 1.25)
    engine.play()
    chunks = []
    for _ in range(60):
        chunks.append(render(engine, 1, 1000))
        assert 1.0 <= engine.position_seconds < 1.25
    out = np.concatenate(chunks)
    region = data[SR:SR + SR // 4]
    expected = np.concatenate([region] * (len(out) // len(region) + 1))[:len(out)]
    np.testing.assert_array_equal(out, expected)
    engine.clear_loop()
    assert engine.loop is None
    render(engine, 40, 1000)
    assert engine.position_seconds > 1.25


def test_loop_with_resampling_stays_inside_the_region() -> None:
    engine = PlaybackEngine(ArraySource(synth.tone(2.0, SR, channels=1), SR), 48000)
    engine.seek(0.2)
    engine.set_loop(0.5, 0.6)
    engine.play()
    for _ in range(100):
        out = render(engine, 1, 480)
        assert 0.5 <= engine.position_seconds < 0.6
        assert np.isfinite(out).all()
    assert engine.playing
    with pytest.raises(ValueError):
        engine.set_loop(0.5, 0.5)


@pytest.mark.parametrize("out_rate", [SR, 48000])
def test_end_of_track_stops_once_and_play_restarts(out_rate: int) -> None:
    data = synth.tone(1.0, SR, channels=2)
    calls = []
    engine = PlaybackEngine(ArraySource(data, SR), out_rate, on_finished=lambda: calls.append(1))
    engine.seek(0.9)
    engine.play()
    out = render(engine, 12, 1024)
    assert not engine.playing and calls == [1]
    assert engine.position_seconds == pytest.approx(1.0)
    played = round(0.1 * out_rate)
    assert np.abs(out[:played - 50]).max() > 0.1
    np.testing.assert_array_equal(out[played + 2:], 0.0)
    render(engine, 3)
    assert calls == [1]
    engine.play()
    assert engine.position_seconds == 0.0
    if out_rate == SR:
        np.testing.assert_array_equal(render(engine, 1), data[:512])


def test_a_failing_source_stops_playback_instead_of_raising() -> None:
    class Broken(ArraySource):
        def read(self, start: int, frames: int) -> np.ndarray:
            raise OSError("drive gone")

    calls = []
    engine = PlaybackEngine(Broken(np.zeros((SR, 2)), SR), SR, on_finished=lambda: calls.append(1))
    engine.play()
    np.testing.assert_array_equal(render(engine, 2), 0.0)
    assert not engine.playing and calls == [1] and one_sentence(engine.error)


def test_fill_and_ui_calls_from_two_threads() -> None:
    engine = PlaybackEngine(ArraySource(synth.tone(2.0, SR, channels=2), SR), 48000)
    engine.play()
    failures: list[BaseException] = []

    def audio_thread() -> None:
        try:
            for _ in range(200):
                buf = np.empty((256, 2), dtype=np.float32)
                engine.fill(buf)
                assert np.isfinite(buf).all()
        except BaseException as exc:  # reported on the main thread
            failures.append(exc)

    worker = threading.Thread(target=audio_thread)
    worker.start()
    for k in range(200):
        engine.seek((k % 10) * 0.15)
        engine.volume = (k % 5) / 4
        if k % 50 == 0:
            engine.set_loop(0.2, 0.4)
        elif k % 50 == 25:
            engine.clear_loop()
        engine.play()
    worker.join()
    assert not failures


def _fake_devices(monkeypatch, default_rate: float = 48000.0) -> None:
    device = {"name": "Fake", "index": 3, "max_output_channels": 2, "max_input_channels": 0,
              "default_samplerate": default_rate}
    monkeypatch.setattr(sounddevice, "query_devices",
                        lambda device_=None, kind=None: [device] if kind is None else device)
    monkeypatch.setattr(sounddevice, "check_output_settings", lambda **kwargs: None)


def test_check_available_reports_a_sentence() -> None:
    ok, why = AudioOutput.check_available()
    assert isinstance(ok, bool) and isinstance(why, str)
    assert (ok and why == "") or (not ok and one_sentence(why))


def test_check_available_when_querying_fails(monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise sounddevice.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sounddevice, "query_devices", broken)
    ok, why = AudioOutput.check_available()
    assert not ok and one_sentence(why) and why.startswith("Playback is off")


def test_check_available_without_portaudio_or_devices(monkeypatch) -> None:
    def no_portaudio():
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(player, "_import_sounddevice", no_portaudio)
    assert AudioOutput.check_available() == (False, player.PORTAUDIO_MISSING)
    with pytest.raises(PlaybackUnavailable):
        AudioOutput(functools.partial(PlaybackEngine, ArraySource(np.zeros((10, 2)), SR))).start()
    monkeypatch.undo()
    monkeypatch.setattr(sounddevice, "query_devices", lambda *a, **k: [])
    assert AudioOutput.check_available() == (False, player.NO_OUTPUT_DEVICE)
    _fake_devices(monkeypatch)
    assert AudioOutput.check_available() == (True, "")
    for text in (player.PORTAUDIO_MISSING, player.SOUNDDEVICE_MISSING, player.NO_OUTPUT_DEVICE,
                 player.QUERY_FAILED, player.DEVICE_BUSY, player.BAD_SAMPLE_RATE,
                 player.OPEN_FAILED):
        assert one_sentence(text), text


def test_start_with_a_failing_stream_raises_and_leaves_no_thread(monkeypatch) -> None:
    _fake_devices(monkeypatch)

    def busy(**kwargs):
        raise sounddevice.PortAudioError("Error opening OutputStream: Device unavailable", -9985)

    monkeypatch.setattr(sounddevice, "OutputStream", busy)
    threads = threading.active_count()
    output = AudioOutput(functools.partial(PlaybackEngine, ArraySource(np.zeros((SR, 2)), SR)))
    with pytest.raises(PlaybackUnavailable) as caught:
        output.start()
    assert isinstance(caught.value, UserFacingError)
    assert str(caught.value) == player.DEVICE_BUSY
    output.close()
    output.close()
    assert threading.active_count() == threads and not output.active

    def refuse(**kwargs):
        raise sounddevice.PortAudioError("Invalid sample rate", -9997)

    monkeypatch.setattr(sounddevice, "check_output_settings", refuse)
    with pytest.raises(PlaybackUnavailable, match="sample rates"):
        output.start()
    output.close()
    assert threading.active_count() == threads


class FakeStream:
    instances: list[FakeStream] = []

    def __init__(self, **kwargs) -> None:
        self.kwargs, self.active, self.closed = kwargs, False, 0
        FakeStream.instances.append(self)

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        self.closed += 1


def test_output_builds_the_engine_for_the_device_rate(monkeypatch) -> None:
    _fake_devices(monkeypatch, default_rate=44100.0)
    accepted = []

    def only_48k(**kwargs):
        if kwargs["samplerate"] != 48000:
            raise sounddevice.PortAudioError("Invalid sample rate", -9997)
        accepted.append(kwargs)

    monkeypatch.setattr(sounddevice, "check_output_settings", only_48k)
    monkeypatch.setattr(sounddevice, "OutputStream", FakeStream)
    FakeStream.instances.clear()
    source = ArraySource(synth.tone(1.0, 22050, channels=1), 22050)
    with AudioOutput(functools.partial(PlaybackEngine, source)) as output:
        output.start()
        output.start()
        assert output.active and len(FakeStream.instances) == 1
        stream = FakeStream.instances[0]
        assert stream.kwargs["samplerate"] == 48000 and stream.kwargs["channels"] == 2
        assert stream.kwargs["dtype"] == "float32" and stream.kwargs["device"] == 3
        engine = output.engine
        assert engine is not None and engine.out_rate == 48000
        engine.play()
        buf = np.zeros((1024, 2), dtype=np.float32)
        stream.kwargs["callback"](buf, 1024, None, None)
        assert np.abs(buf).max() > 0.1
        output.stop()
        assert not output.active
    assert stream.closed == 1
    output.close()
    assert stream.closed == 1


def test_device_rate_then_an_engine_passed_as_is(monkeypatch) -> None:
    _fake_devices(monkeypatch, default_rate=44100.0)
    monkeypatch.setattr(sounddevice, "OutputStream", FakeStream)
    FakeStream.instances.clear()
    rate = AudioOutput.device_rate()
    assert rate == 44100
    engine = PlaybackEngine(ArraySource(np.zeros((SR, 1)), 22050), out_rate=rate)
    output = AudioOutput(engine)
    output.start()
    assert output.engine is engine and FakeStream.instances[0].kwargs["samplerate"] == 44100
    output.close()
    monkeypatch.setattr(sounddevice, "query_devices", lambda *a, **k: [])
    with pytest.raises(PlaybackUnavailable):
        AudioOutput.device_rate()


def test_importing_the_player_loads_neither_sounddevice_nor_soxr() -> None:
    code = ("import sys, albumstudio.audio.player; "
            "print('sounddevice' in sys.modules, 'soxr' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.split() == ["False", "False"]
