"""Clips play in the gallery's detail pane (#13) through the app's playback engine: an audio
clip, and the sound of a video clip under its cover frame. The stream's callback is driven
directly (a stand-in stream on a stand-in device: this machine has no sound card), and without a
device the pane says why in one sentence, nothing raised."""

from __future__ import annotations

import numpy as np
import pytest
import sounddevice

from albumstudio.audio import player
from albumstudio.core.jobs import JobRecord, Output
from tests.audio.test_player import FakeStream, dominant_frequency
from tests.support.gallery import clip_record, history_made_by, mp4_bytes, select, wav_bytes

RATE = 22050


def _mp4_with_sound(path, freq: float = 440.0, seconds: float = 1.0, rate: int = 44100) -> bytes:
    import av

    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = container.add_stream("aac", rate=rate)
        audio.layout = "stereo"
        for _ in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 90, np.uint8), format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        t = np.arange(int(seconds * rate)) / rate
        tone = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        both = np.stack([tone, tone])
        for start in range(0, both.shape[1], 1024):
            block = av.AudioFrame.from_ndarray(np.ascontiguousarray(both[:, start:start + 1024]),
                                               format="fltp", layout="stereo")
            block.sample_rate = rate
            for packet in audio.encode(block):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)
    return path.read_bytes()


def _device(monkeypatch, rate: float) -> None:
    device = {"name": "Stand-in", "index": 3, "max_output_channels": 2,
              "max_input_channels": 0, "default_samplerate": rate}
    monkeypatch.setattr(sounddevice, "query_devices",
                        lambda device_=None, kind=None: [device] if kind is None else device)
    monkeypatch.setattr(sounddevice, "check_output_settings", lambda **kwargs: None)
    monkeypatch.setattr(sounddevice, "OutputStream", FakeStream)
    FakeStream.instances.clear()


@pytest.fixture
def gallery(open_gallery, tmp_path):
    def make(services):
        store = services.history
        return {
            "audio": store.record(clip_record("audio/wav", wav_bytes(2.0, RATE), 2.0, "Audio")),
            "video": store.record(clip_record("video/mp4", _mp4_with_sound(tmp_path / "s.mp4"),
                                              1.0, "Video")),
            "silent": store.record(clip_record("video/mp4", mp4_bytes(tmp_path / "q.mp4"), 0.5,
                                               "Silent")),
            "cover": store.record(JobRecord(
                kind="cover", engine="design", request={"title": "Still"}, request_version=2,
                status="finished",
                outputs=(Output("image/png", data=_png(), width=8, height=8),))),
        }

    return open_gallery(make)


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


def _callback_fill(frames: int) -> np.ndarray:
    stream = FakeStream.instances[-1]
    assert stream.active
    out = np.full((frames, 2), 7.0, np.float32)
    stream.kwargs["callback"](out, frames, None, None)
    return out


def test_an_audio_clip_plays_in_the_detail_pane(gallery, qtbot, monkeypatch):
    _device(monkeypatch, RATE)  # the clip's own rate: the samples come out as they are
    panel, made = gallery
    clip = panel.clip_player
    select(panel, made["audio"].id)
    assert clip.isVisible()
    qtbot.waitUntil(lambda: clip.play_button.isEnabled(), timeout=10000)
    assert clip.time_label.text() == "0:00.00 / 0:02.00"
    clip.play_button.click()
    assert clip.playing and clip.play_button.text() == "■ Stop"
    stream = FakeStream.instances[-1]
    assert stream.kwargs["samplerate"] == RATE and stream.kwargs["channels"] == 2
    import io

    import soundfile as sf

    wav, _ = sf.read(io.BytesIO(wav_bytes(2.0, RATE)), dtype="float32")
    heard = np.concatenate([_callback_fill(1024) for _ in range(8)])
    np.testing.assert_array_equal(heard[:, 0], heard[:, 1])
    np.testing.assert_allclose(heard[:, 0], wav[:len(heard)], atol=1e-6)
    qtbot.waitUntil(lambda: clip.time_label.text().startswith("0:00.37"), timeout=3000)
    clip.play_button.click()  # Stop: back to the start
    assert not clip.playing and clip.play_button.text() == "▶ Play"
    assert clip.time_label.text().startswith("0:00.00")
    clip.play_button.click()
    for _ in range(int(2.0 * RATE / 1024) + 2):  # to the end: the pane notices by itself
        _callback_fill(1024)
    qtbot.waitUntil(lambda: clip.play_button.text() == "▶ Play", timeout=3000)
    select(panel, made["cover"].id)  # a picture: the player goes and lets go of the device
    assert not clip.isVisible() and clip.engine is None and stream.closed == 1


def test_a_video_clip_plays_its_sound_under_its_cover_frame(gallery, qtbot, monkeypatch):
    _device(monkeypatch, 48000)  # resampled from the video's 44.1 kHz
    panel, made = gallery
    clip = panel.clip_player
    select(panel, made["video"].id)
    qtbot.waitUntil(lambda: clip.play_button.isEnabled(), timeout=10000)
    qtbot.waitUntil(lambda: panel.preview.pixmap() is not None
                    and not panel.preview.pixmap().isNull(), timeout=10000)  # the frame
    clip.play_button.click()
    heard = np.concatenate([_callback_fill(2048) for _ in range(10)])
    assert np.sqrt(np.mean(heard[4096:, 0] ** 2)) > 0.2
    assert abs(dominant_frequency(heard[4096:, 0], 48000) - 440.0) < 5.0
    select(panel, made["silent"].id)  # a video with no sound: said, not raised
    qtbot.waitUntil(lambda: bool(clip.reason), timeout=10000)
    assert not clip.play_button.isEnabled() and "\n" not in clip.message.text()


def test_without_a_sound_device_the_pane_says_why_and_nothing_breaks(gallery, qtbot,
                                                                    monkeypatch):
    monkeypatch.setattr(sounddevice, "query_devices", lambda *a, **k: [])  # as on this machine
    panel, made = gallery
    clip = panel.clip_player
    select(panel, made["audio"].id)
    qtbot.waitUntil(lambda: clip.message.text() == player.NO_OUTPUT_DEVICE, timeout=10000)
    assert clip.isVisible() and not clip.play_button.isEnabled()
    assert clip.play_button.toolTip() == player.NO_OUTPUT_DEVICE
    assert clip.time_label.text() == "0:00.00 / 0:02.00"  # the length still shows
    clip.toggle()  # nothing to play: nothing happens
    assert not clip.playing

    def no_portaudio():
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(player, "_import_sounddevice", no_portaudio)
    select(panel, made["video"].id)
    qtbot.waitUntil(lambda: clip.message.text() == player.PORTAUDIO_MISSING, timeout=10000)


def test_a_device_that_fails_when_play_starts_is_reported(gallery, qtbot, monkeypatch):
    _device(monkeypatch, RATE)

    class BusyStream(FakeStream):
        def start(self) -> None:
            raise sounddevice.PortAudioError("Error starting stream: Device unavailable", -9985)

    monkeypatch.setattr(sounddevice, "OutputStream", BusyStream)
    panel, made = gallery
    clip = panel.clip_player
    select(panel, made["audio"].id)
    qtbot.waitUntil(lambda: clip.play_button.isEnabled(), timeout=10000)
    clip.play_button.click()
    assert clip.message.text() == player.DEVICE_BUSY
    assert not clip.playing and not clip.play_button.isEnabled() and clip.engine is None
    assert BusyStream.instances[-1].closed == 1


def test_closing_the_window_lets_go_of_a_clip_playing_in_the_gallery(qtbot, monkeypatch,
                                                                     tmp_path):
    from albumstudio.ui.main_window import MainWindow

    _device(monkeypatch, RATE)

    def make(services):
        assert services.history is not None
        return services.history.record(clip_record("audio/wav", wav_bytes(2.0, RATE), 2.0,
                                                   "Audio"))

    paths, audio = history_made_by(make)
    window = MainWindow(paths)
    qtbot.addWidget(window)
    try:
        window.show()
        panel = window.gallery
        panel.dock.show()
        qtbot.waitUntil(lambda: len(panel.model.rows()) == 1, timeout=5000)
        select(panel, audio.id)
        qtbot.waitUntil(lambda: panel.clip_player.play_button.isEnabled(), timeout=10000)
        panel.clip_player.play_button.click()
        stream = FakeStream.instances[-1]
        assert stream.active
    finally:
        window.shutdown()
    assert not stream.active and stream.closed == 1 and panel.clip_player.engine is None


def test_a_clip_whose_file_has_gone_says_so_in_the_pane(gallery, qtbot, monkeypatch):
    import os

    _device(monkeypatch, RATE)
    panel, made = gallery
    os.unlink(made["audio"].outputs[0].path)
    clip = panel.clip_player
    select(panel, made["audio"].id)
    qtbot.waitUntil(lambda: bool(clip.reason), timeout=10000)
    assert "not found" in clip.message.text() and not clip.play_button.isEnabled()
    assert clip.engine is None and not FakeStream.instances
