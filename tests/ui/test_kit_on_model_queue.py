"""File › Export Release Kit… runs the kit on the window's model queue: the kit may run the
super-resolution model, and model jobs run one at a time there (not beside a cover being made)."""

from tests.support import synth


def test_the_window_makes_its_kit_on_the_model_queue(window, qtbot, tmp_path):
    track = synth.write(tmp_path / "song.wav", synth.music(5.0, sr=22050), 22050)
    with qtbot.waitSignal(window.session.loaded, timeout=30000):
        window.open_path(str(track))
    window.export_kit()
    dialog = window.kit_dialog
    assert dialog.runner is window.model_queue
    dialog.reject()
