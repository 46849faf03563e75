"""The Music tab through real signals: read a picture's attributes, edit them, generate with
the tiny MusicGen on the model queue (progress, Cancel), keep and save the clip (#16)."""

from __future__ import annotations

import pytest
import soundfile
from PIL import Image

from albumstudio.jobs.model_queue import ModelQueue
from albumstudio.jobs.runner import JobRunner
from albumstudio.services import Services
from albumstudio.store.paths import default_paths
from albumstudio.ui.panels.music_panel import MusicPanel
from tests.support.tiny_musicgen import build_tiny_musicgen


@pytest.fixture(scope="module")
def tiny_musicgen(tmp_path_factory) -> str:
    return str(build_tiny_musicgen(tmp_path_factory.mktemp("tiny-musicgen")))


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch):
    import torch
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    picture = tmp_path / "dusk.png"
    Image.new("RGB", (64, 64), (230, 120, 40)).save(picture)
    services = Services.open(default_paths().ensure())
    runner, queue = JobRunner(max_threads=1), ModelQueue()
    made = MusicPanel(queue, runner, services, lambda: str(picture), lambda: None)
    qtbot.addWidget(made)
    made.show()  # the model check runs when the tab is first shown
    made.licences_asked = []
    made.confirm_licence = lambda sentence: made.licences_asked.append(sentence) or True
    yield made
    made.close_playback()
    queue.shutdown()
    runner.shutdown()
    services.close()
    torch.set_num_threads(threads)


def _read_picture(panel, qtbot):
    with qtbot.waitSignal(panel.attributes_changed, timeout=20000):
        panel.read_button.click()


def _use_model(panel, qtbot, folder: str) -> None:
    panel.model.setText(folder)
    panel.check_model()
    qtbot.waitUntil(lambda: panel.model_ok, timeout=10000)


def test_without_musicgen_the_tab_says_so(panel, qtbot):
    qtbot.waitUntil(lambda: "not installed" in panel.model_state.text(), timeout=10000)
    assert "facebook/musicgen-small" in panel.model_state.text()
    _read_picture(panel, qtbot)
    assert panel.prompt.toPlainText() and not panel.generate_button.isEnabled()


def test_attributes_are_shown_with_reasons_and_editing_moves_the_prompt(panel, qtbot):
    _read_picture(panel, qtbot)
    attrs = panel.attributes
    assert attrs is not None and attrs.source == "picture"
    assert panel.genre.text() == attrs.genre and panel.tempo.value() == attrs.tempo
    assert "orange" in panel.reasons["key"].text() and panel.reasons["valence"].text()
    assert f"{attrs.tempo} BPM" in panel.prompt.toPlainText()
    with qtbot.waitSignal(panel.attributes_changed, timeout=2000) as edited:
        panel.tempo.setValue(97)
    assert edited.args[0].tempo == 97 and panel.reasons["tempo"].text() == "set by you"
    assert "97 BPM" in panel.prompt.toPlainText()
    panel.follow_melody.setChecked(True)  # no track is loaded: nothing to follow
    with qtbot.waitSignal(panel.problem, timeout=2000) as failed:
        panel.generate()
    assert "Open a track first" in failed.args[0].message and panel.handle is None
    panel.follow_melody.setChecked(False)
    panel.source_box.setCurrentIndex(1)  # the loaded track: there is none
    with qtbot.waitSignal(panel.problem, timeout=2000) as failed:
        panel.read_button.click()
    assert failed.args[0].message == "Open a track first."


def test_generate_with_progress_keeps_the_clip_and_saves_it(panel, qtbot, tiny_musicgen,
                                                           tmp_path):
    _use_model(panel, qtbot, tiny_musicgen)
    _read_picture(panel, qtbot)
    panel.seconds.setValue(1.5)
    panel.seed.setValue(5)
    reports = []
    assert panel.generate_button.isEnabled()
    with qtbot.waitSignal(panel.made, timeout=60000) as made:
        panel.generate_button.click()
        panel.handle.progress.connect(reports.append)
    record = made.args[0]
    assert len(panel.licences_asked) == 1 and "CC-BY-NC 4.0" in panel.licences_asked[0]
    assert reports and reports[-1].fraction == 1.0
    assert record.id and record.kind == "clip" and record.outputs[0].duration_s == 1.5
    assert panel.services.history.get(record.id).engine == "musicgen"
    assert "entry" in panel.status.text() and panel.play_button.isEnabled()
    qtbot.waitUntil(lambda: panel.device_checked, timeout=10000)
    problems = []
    panel.problem.connect(problems.append)
    if panel.play_button.isEnabled():  # a sound device: it plays (or says why in a sentence)
        panel.play_button.click()
        assert (panel.playback is not None and panel.play_button.text() == "Stop") or (
            len(problems) == 1 and "\n" not in problems[0].message and panel.playback is None)
    else:  # none (as on CI): Play is off and its tooltip says why
        assert panel.play_button.toolTip().startswith("Playback is off")
        panel.toggle_play()  # pressed anyway (a shortcut): one sentence, nothing half-open
        assert len(problems) == 1 and "\n" not in problems[0].message
        assert panel.playback is None
    panel.close_playback()
    assert panel.playback is None and panel.play_button.text() == "Play"
    out = panel.save(str(tmp_path / "dusk.flac"))
    assert soundfile.info(out).duration == pytest.approx(1.5)
    with qtbot.waitSignal(panel.made, timeout=60000):  # asked once only
        panel.generate_button.click()
    assert len(panel.licences_asked) == 1


def test_the_clip_plays_through_the_apps_playback_engine(panel, qtbot, tiny_musicgen,
                                                       monkeypatch):
    """The stream logic the sound device would pull, driven directly: the Music tab's clip
    comes out of the app's PlaybackEngine sample for sample, on both channels."""
    import io

    import numpy as np

    from albumstudio.audio import player

    opened = []

    class Device:  # the sound device: what AudioOutput does, minus PortAudio
        def __init__(self, engine):
            self.engine, self.closed = engine, False
            opened.append(self)

        @staticmethod
        def device_rate(device=None):
            return 32000

        @staticmethod
        def check_available(device=None):
            return True, ""

        def start(self):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setattr(player, "AudioOutput", Device)
    _use_model(panel, qtbot, tiny_musicgen)
    _read_picture(panel, qtbot)
    panel.seconds.setValue(1.0)
    with qtbot.waitSignal(panel.made, timeout=60000) as made:
        panel.generate_button.click()
    qtbot.waitUntil(lambda: panel.device_checked, timeout=10000)
    assert panel.play_button.isEnabled() and panel.play_button.toolTip() == "Play the clip"
    panel.play_button.click()
    assert panel.play_button.text() == "Stop" and len(opened) == 1
    engine = panel.playback[0]
    pulled = []
    for _ in range(40):  # the device's callback asks for 1024 frames at a time
        block = np.zeros((1024, 2), dtype=np.float32)
        engine.fill(block)
        pulled.append(block)
    heard = np.concatenate(pulled)
    output = made.args[0].outputs[0]
    clip, rate = soundfile.read(io.BytesIO(output.data or open(output.path, "rb").read()),
                                dtype="float32", always_2d=True)
    assert rate == 32000 and clip.shape == (32000, 1)
    assert np.allclose(heard[:32000, 0], clip[:, 0], atol=1e-6)
    assert np.array_equal(heard[:, 0], heard[:, 1])  # mono on both outputs
    assert not heard[32000:].any() and not engine.playing  # it stops at the end
    panel.play_button.click()
    assert opened[0].closed and panel.playback is None and panel.play_button.text() == "Play"


def test_cancel_stops_and_keeps_nothing(panel, qtbot, tiny_musicgen):
    _use_model(panel, qtbot, tiny_musicgen)
    _read_picture(panel, qtbot)
    panel.seconds.setValue(90.0)
    panel.generate_button.click()
    handle = panel.handle
    with qtbot.waitSignal(handle.progress, timeout=30000):
        pass
    assert panel.cancel_button.isEnabled()
    with qtbot.waitSignal(handle.cancelled, timeout=10000):
        panel.cancel_button.click()
    assert panel.handle is None and "Cancelled" in panel.status.text()
    assert panel.services.history.records(kind="clip") == []
    assert panel.generate_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_the_window_has_a_music_tab_reading_the_canvas_picture(window, qtbot, tmp_path):
    panel = window.music_panel
    tab = panel.parentWidget().parentWidget()
    assert window.tabs.tabText(window.tabs.indexOf(tab)) == "Music"
    assert not panel._model_checked_once  # nothing runs for the tab until it is opened
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: bool(panel.model_state.text()), timeout=10000)
    picture = tmp_path / "sea.png"
    Image.new("RGB", (64, 64), (20, 60, 160)).save(picture)
    with qtbot.waitSignal(window.reference.image_changed, timeout=20000):
        window.reference.open(str(picture))
    with qtbot.waitSignal(panel.attributes_changed, timeout=20000) as read:
        panel.read_button.click()
    assert read.args[0].source == "picture" and read.args[0].key.endswith("minor")
