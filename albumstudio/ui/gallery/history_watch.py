"""Another AlbumStudio writing to the same history: noticed by watching the database's files.

The history is SQLite in WAL mode, so another process's commit writes ``history.sqlite3-wal``
(and a checkpoint the database file). A :class:`QFileSystemWatcher` on the folder and those
files wakes us; ``PRAGMA data_version``, which changes only for other connections' commits,
then says whether there is anything new, so our own writes never cause a reload. Watchers can
miss events (some network file systems send none), so a slow poll stays as the fallback.
"""

from __future__ import annotations

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from albumstudio.core.errors import UserFacingError
from albumstudio.store.history import HistoryStore

SETTLE_MS = 150  # one commit touches the WAL several times: look once it has settled
FALLBACK_POLL_MS = 15000


class HistoryWatch(QObject):
    """Emits ``changed`` when another connection has committed to ``store``."""

    changed = Signal()

    def __init__(self, store: HistoryStore, parent: QObject | None = None,
                 poll_ms: int = FALLBACK_POLL_MS) -> None:
        super().__init__(parent)
        self.store = store
        self.seen = store.data_version()
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._touched)
        self.watcher.fileChanged.connect(self._touched)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.look)
        self.poll = QTimer(self, interval=poll_ms)
        self.poll.timeout.connect(self.look)
        self.poll.start()
        self._watch_files()

    def _watch_files(self) -> None:
        db = self.store.db_path
        wanted = [str(db.parent), *(str(p) for p in (db, db.with_name(db.name + "-wal"))
                                     if p.exists())]
        watched = set(self.watcher.files()) | set(self.watcher.directories())
        missing = [p for p in wanted if p not in watched]
        if missing:
            self.watcher.addPaths(missing)

    def _touched(self, _path: str) -> None:
        self._watch_files()  # the WAL is made anew after a checkpoint truncates it
        self._settle.start()

    def look(self) -> None:
        try:
            version = self.store.data_version()
        except UserFacingError:  # the history was closed with the window
            self.stop()
            return
        if version != self.seen:
            self.seen = version
            self.changed.emit()

    def stop(self) -> None:
        self.poll.stop()
        self._settle.stop()
        paths = self.watcher.files() + self.watcher.directories()
        if paths:
            self.watcher.removePaths(paths)
