"""Background jobs: a plain function runs on a worker thread and reports back by Qt signals.

A job function takes a :class:`JobContext` and returns its result. It reports progress and
partial results through the context and checks ``context.cancel`` (a ``threading.Event``)
between steps. Signals are delivered on the main thread (queued connections), so slots may
touch widgets. Closing the window calls :meth:`JobRunner.shutdown`, which cancels and joins.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from albumstudio.core.errors import CancelledError, UserFacingError

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What a job function gets: cancel flag, progress and partial-result reporters."""

    cancel: threading.Event
    _progress: Callable[[float, str], None]
    _partial: Callable[[object], None]
    name: str = ""

    def progress(self, fraction: float, text: str = "") -> None:
        self._progress(float(fraction), text)

    def partial(self, value: object) -> None:
        self._partial(value)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise CancelledError(self.name)


class JobHandle(QObject):
    """One submitted job; connect to its signals before control returns to the event loop."""

    progress = Signal(float, str)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()  # after any of finished / failed / cancelled

    def __init__(self, job_id: int, name: str, key: str | None) -> None:
        super().__init__()
        self.job_id = job_id
        self.name = name
        self.key = key
        self.cancel_event = threading.Event()
        self.state = "queued"
        self._withdraw: Callable[[], None] | None = None

    def cancel(self) -> None:
        """Ask the job to stop; one still waiting in the queue is withdrawn at once."""
        self.cancel_event.set()
        if self.state == "queued" and self._withdraw is not None:
            self._withdraw()

    @property
    def is_done(self) -> bool:
        return self.state in ("finished", "failed", "cancelled")


class _Runnable(QRunnable):
    def __init__(self, handle: JobHandle, fn: Callable[[JobContext], object]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.handle = handle
        self.fn = fn
        self.queued = False  # handed to the pool

    def run(self) -> None:
        handle = self.handle
        ctx = JobContext(handle.cancel_event, handle.progress.emit, handle.partial.emit, handle.name)
        handle.state = "running"
        try:
            if handle.cancel_event.is_set():
                raise CancelledError(handle.name)
            result = self.fn(ctx)
            if handle.cancel_event.is_set():
                raise CancelledError(handle.name)
        except CancelledError:
            handle.state = "cancelled"
            handle.cancelled.emit()
        except UserFacingError as exc:
            handle.state = "failed"
            handle.failed.emit(exc.message)
        except MemoryError:
            handle.state = "failed"
            handle.failed.emit(f"Ran out of memory while {handle.name}; close other programs and try again.")
        except Exception as exc:  # a bug: log the traceback, show one sentence
            log.exception("job %s failed", handle.name)
            handle.state = "failed"
            handle.failed.emit(f"Something went wrong while {handle.name} ({type(exc).__name__}: {exc}).")
        else:
            handle.state = "finished"
            handle.finished.emit(result)
        handle.done.emit()


class JobRunner(QObject):
    """Runs short CPU jobs on its own QThreadPool; jobs sharing a ``key`` replace each other."""

    _live: weakref.WeakSet[JobRunner] = weakref.WeakSet()

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, max_threads))
        self._ids = itertools.count(1)
        self._active: dict[int, tuple[JobHandle, _Runnable]] = {}
        self._closed = False
        JobRunner._live.add(self)

    def submit(self, name: str, fn: Callable[[JobContext], object],
               key: str | None = None) -> JobHandle:
        """Queue ``fn``; ``name`` reads as 'while <name>' in error messages."""
        if key is not None:
            self.cancel_key(key)
        handle = JobHandle(next(self._ids), name, key)
        if self._closed:  # the window is closing: nothing new starts
            handle.state = "cancelled"
            return handle
        runnable = _Runnable(handle, fn)
        self._active[handle.job_id] = (handle, runnable)
        handle.done.connect(lambda jid=handle.job_id: self._active.pop(jid, None))
        handle._withdraw = lambda jid=handle.job_id: self._withdraw(jid)
        # start on the next turn of the event loop, so the caller's connections are in place
        # before the job can emit anything (a cross-thread emit with no receiver is lost)
        QTimer.singleShot(0, self, lambda: self._start(handle.job_id))
        return handle

    def _start(self, job_id: int) -> None:
        entry = self._active.get(job_id)
        if entry is not None and entry[0].state == "queued" and not self._closed:
            entry[1].queued = True
            self.pool.start(entry[1])

    def _withdraw(self, job_id: int) -> None:
        """Take a job that has not started out of the queue and report it cancelled (main thread)."""
        entry = self._active.get(job_id)
        if entry is None:
            return
        handle, runnable = entry
        if handle.state != "queued" or (runnable.queued and not self.pool.tryTake(runnable)):
            return  # it is starting or running: it will see the cancel flag
        handle.state = "cancelled"
        handle.cancelled.emit()
        handle.done.emit()

    def cancel_key(self, key: str) -> None:
        for handle, _ in list(self._active.values()):
            if handle.key == key:
                handle.cancel()

    def cancel_all(self) -> None:
        for handle, _ in list(self._active.values()):
            handle.cancel()

    def active_count(self) -> int:
        return sum(1 for handle, _ in self._active.values() if not handle.is_done)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel everything and wait for the workers; True when all stopped in time."""
        self._closed = True
        self.cancel_all()
        self.pool.clear()
        stopped = self.pool.waitForDone(timeout_ms)
        for handle, _ in self._active.values():
            if handle.state == "queued":  # never started: it will not run now
                handle.state = "cancelled"
        return bool(stopped)

    @classmethod
    def running_anywhere(cls) -> int:
        """Worker threads still busy in any live runner (tests use this to catch leaks)."""
        import shiboken6

        # a deleted pool joined its threads in its destructor
        return sum(r.pool.activeThreadCount() for r in list(cls._live)
                   if shiboken6.isValid(r) and shiboken6.isValid(r.pool))
