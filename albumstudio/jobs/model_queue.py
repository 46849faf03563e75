"""The serial model queue: model work runs one request at a time on one worker QThread.

Generation needs the whole GPU (or every CPU core), so requests queue instead of competing;
they run in submission order. Each request is an ordinary job (see ``runner.py``): progress,
previews through ``partial``, a cancel flag checked within one diffusion step, and
``shutdown`` cancels everything queued or running and joins the worker.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from albumstudio.jobs.runner import JobContext, JobHandle, JobRunner


class ModelQueue(QObject):
    queue_changed = Signal(int)  # requests waiting or running

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = JobRunner(max_threads=1, parent=self)
        self._handles: list[JobHandle] = []

    def submit(self, name: str, fn: Callable[[JobContext], object],
               key: str | None = None) -> JobHandle:
        """Queue ``fn`` behind the requests already waiting; connect to the handle right away.
        A request with a ``key`` supersedes the waiting or running one with the same key."""
        handle = self.runner.submit(name, fn, key=key)
        if not handle.is_done:
            self._handles.append(handle)
            handle.done.connect(lambda h=handle: self._forget(h))
        self.queue_changed.emit(self.pending())
        return handle

    def _forget(self, handle: JobHandle) -> None:
        if handle in self._handles:
            self._handles.remove(handle)
        self.queue_changed.emit(self.pending())

    def pending(self) -> int:
        return sum(1 for h in self._handles if not h.is_done)

    def cancel_all(self) -> None:
        for handle in list(self._handles):
            handle.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel what is queued and running, then join the worker thread."""
        stopped = self.runner.shutdown(timeout_ms)
        self._handles.clear()
        return stopped
