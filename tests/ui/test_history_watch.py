"""Another AlbumStudio's entries are noticed by watching the history's files, not by polling;
our own writes never wake the gallery (#13)."""

from __future__ import annotations

from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import default_paths
from albumstudio.ui.gallery.history_watch import HistoryWatch


def test_only_another_connections_commits_are_reported(qtbot):
    folder = default_paths().ensure().history
    ours, theirs = HistoryStore(folder), HistoryStore(folder)
    try:
        watch = HistoryWatch(ours, poll_ms=600000)  # no poll within the test: the watcher only
        seen: list[int] = []
        watch.changed.connect(lambda: seen.append(1))
        ours.add("cover", b"\x89PNG ours", ".png")
        qtbot.wait(600)
        assert seen == []  # our own entry is already in our gallery
        theirs.add("cover", b"\x89PNG theirs", ".png")
        qtbot.waitUntil(lambda: len(seen) == 1, timeout=3000)
        theirs.add("cover", b"\x89PNG again", ".png")
        qtbot.waitUntil(lambda: len(seen) == 2, timeout=3000)
        watch.stop()
        theirs.add("cover", b"\x89PNG after", ".png")
        qtbot.wait(600)
        assert len(seen) == 2
    finally:
        theirs.close()
        ours.close()
