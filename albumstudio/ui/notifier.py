"""The one place the window tells the artist something went wrong (or right).

A :class:`~albumstudio.core.errors.Problem` shows as one sentence with the button for its
action ("Choose another file…", "Models…", "Show the log"); plain notices fade after a while.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from albumstudio.core.errors import Problem

NOTICE_MS = 12000


class Notifier(QWidget):
    action_requested = Signal(str)  # the problem's action

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.hide()
        self.close_button = QPushButton("Dismiss")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.close_button)
        self.problem: Problem | None = None
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.hide)
        self.close_button.clicked.connect(self.hide)
        self.action.clicked.connect(self._act)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_problem(self, problem: Problem | str) -> None:
        """An error: stays until dismissed or replaced."""
        if not isinstance(problem, Problem):
            problem = Problem(str(problem))
        self.problem = problem
        self._show(problem.message, "errorBanner", 0)
        label = problem.action_label
        self.action.setText(label)
        self.action.setVisible(bool(label))

    def show_notice(self, message: str) -> None:
        """Something to know that is not a failure: fades after a while."""
        self.problem = None
        self.action.hide()
        self._show(message, "infoBanner", NOTICE_MS)

    def _show(self, message: str, name: str, timeout_ms: int) -> None:
        self.label.setText(message)
        self.setObjectName(name)
        self.label.setObjectName(name)
        for widget in (self, self.label):
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.show()
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def _act(self) -> None:
        if self.problem is not None and self.problem.action:
            self.action_requested.emit(self.problem.action)


class StorageWatch(QObject):
    """Brings the storage warnings (a cache or the history that cannot be written, noted on
    any thread by albumstudio.store.storage) to ``show`` on the main thread, once each."""

    noted = Signal(str)

    def __init__(self, show: Callable[[str], None], parent: QObject | None = None) -> None:
        from albumstudio.store.storage import set_listener, take_warnings

        super().__init__(parent)
        self.noted.connect(show)  # queued when emitted from a worker thread
        self._take = take_warnings
        set_listener(self.noted.emit)
        QTimer.singleShot(0, self.flush)  # those noted before the window existed

    def flush(self) -> None:
        for warning in self._take():
            self.noted.emit(warning)

    def stop(self) -> None:
        from albumstudio.store.storage import set_listener

        set_listener(None)


def action_handlers(choose_file: Callable[[], None], choose_picture: Callable[[], None],
                    open_models: Callable[[], None],
                    show_log: Callable[[], None]) -> dict[str, Callable[[], None]]:
    from albumstudio.core.errors import (
        ACTION_CHOOSE_FILE,
        ACTION_CHOOSE_PICTURE,
        ACTION_OPEN_MODELS,
        ACTION_SHOW_LOG,
    )

    return {ACTION_CHOOSE_FILE: choose_file, ACTION_CHOOSE_PICTURE: choose_picture,
            ACTION_OPEN_MODELS: open_models, ACTION_SHOW_LOG: show_log}
