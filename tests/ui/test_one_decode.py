"""A track dropped on the window is decoded once for its waveform, analysis and tags, and the
result is what the command line reads from the same file."""

import numpy as np

from albumstudio.services.tracks import TrackService
from albumstudio.store.paths import DataPaths
from tests.support.decodes import count_decodes
from tests.support.synth import music, write


def test_a_dropped_track_is_decoded_once_and_read_as_the_cli_reads_it(window, qtbot, tmp_path,
                                                                      monkeypatch):
    track = write(tmp_path / "once.mp3", music(14.0, sr=44100, bpm=126), 44100)
    decodes = count_decodes(monkeypatch)
    with qtbot.waitSignal(window.session.analysed, timeout=90000):
        window.open_path(str(track))
    qtbot.waitUntil(lambda: window.session.music_tags is not None, timeout=60000)
    assert window.session.peaks is not None and window.session.peaks.complete
    assert len(decodes) == 1

    # the command line's path: a fresh data folder, its own decode
    home = tmp_path / "cli-home"
    cli = TrackService(DataPaths(home / "data", home / "cache").ensure(), window.services.models)
    reading = cli.read(str(track))
    assert reading.analysis.to_dict() == window.session.analysis.to_dict()
    assert np.array_equal(np.array(reading.music_tags.taggram),
                          np.array(window.session.music_tags.taggram))
