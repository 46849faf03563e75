"""Background jobs: a plain function runs on a worker thread and reports back by Qt signals.

A job function takes a :class:`JobContext` and returns its result. It reports progress (one
:class:`~albumstudio.core.jobs.Progress` type) and partial results through the context and
checks ``context.cancel`` (a ``threading.Event``) between steps. Signals are delivered on the
main thread (queued connections), so slots may touch widgets. A failure arrives as a
:class:`~albumstudio.core.errors.Problem`; an unexpected one also writes its traceback to the
log. Jobs that share a ``key`` supersede each other: the older one is cancelled and whatever it
still reports is dropped on the main thread, so callers never count generations.
Closing the window calls :meth:`JobRunner.shutdown`, which cancels and joins.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from albumstudio.core.errors import CancelledError, Problem, UserFacingError
from albumstudio.core.jobs import Progress
from albumstudio.store.logs import log_unexpected

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What a job function gets: cancel flag, progress and partial-result reporters."""

    cancel: threading.Event
    _progress: Callable[[object], None]
    _partial: Callable[[object], None]
    name: str = ""

    def progress(self, report: Progress | float, text: str = "") -> None:
        """Report a :class:`Progress` (or a fraction and a line of text)."""
        if not isinstance(report, Progress):
            report = Progress(float(report), text)
        self._progress(report)

    def partial(self, value: object) -> None:
        self._partial(value)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise CancelledError(self.name)


class JobHandle(QObject):
    """One submitted job; connect to its signals before control returns to the event loop.

    ``state`` follows the job record's statuses: queued, running, finished, failed, cancelled.
    """

    progress = Signal(object)  # Progress
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(object)  # Problem
    cancelled = Signal()
    done = Signal()  # after any of finished / failed / cancelled (superseded jobs too)
    # what the worker thread emits; relayed on the main thread unless the job was superseded
    _raw_progress = Signal(object)
    _raw_partial = Signal(object)
    _raw_end = Signal(str, object)

    def __init__(self, job_id: int, name: str, key: str | None) -> None:
        super().__init__()
        self.job_id = job_id
        self.name = name
        self.key = key
        self.cancel_event = threading.Event()
        self.state = "queued"
        self.superseded = False
        self._withdraw: Callable[[], None] | None = None
        self._raw_progress.connect(self._relay_progress)
        self._raw_partial.connect(self._relay_partial)
        self._raw_end.connect(self._relay_end)

    def _relay_progress(self, report: object) -> None:
        if not self.superseded:
            self.progress.emit(report)

    def _relay_partial(self, value: object) -> None:
        if not self.superseded:
            self.partial.emit(value)

    def _relay_end(self, state: str, value: object) -> None:
        if self.superseded:
            state = "cancelled"
        self.state = state
        if not self.superseded:
            if state == "finished":
                self.finished.emit(value)
            elif state == "failed":
                self.failed.emit(value)
            else:
                self.cancelled.emit()
        self.done.emit()

    def supersede(self) -> None:
        """A newer job with the same key replaces this one: cancel it and drop its results."""
        self.superseded = True
        self.cancel()

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
        ctx = JobContext(handle.cancel_event, handle._raw_progress.emit, handle._raw_partial.emit,
                         handle.name)
        handle.state = "running"
        end: tuple[str, object]
        try:
            if handle.cancel_event.is_set():
                raise CancelledError(handle.name)
            result = self.fn(ctx)
            if handle.cancel_event.is_set():
                raise CancelledError(handle.name)
        except CancelledError:
            end = ("cancelled", None)
        except (UserFacingError, MemoryError) as exc:
            end = ("failed", Problem.from_exception(exc, handle.name))
        except Exception as exc:  # a bug: the traceback goes to the log, one sentence to the person
            log.debug("job %s failed", handle.name, exc_info=True)
            end = ("failed", Problem.from_exception(exc, handle.name,
                                                    log_unexpected(handle.name, exc)))
        else:
            end = ("finished", result)
        handle.state = "cancelled" if handle.superseded else end[0]
        handle._raw_end.emit(*end)


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
            self.supersede_key(key)
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
        handle._relay_end("cancelled", None)

    def supersede_key(self, key: str) -> None:
        """Cancel the jobs with ``key`` and drop whatever they still report."""
        for handle, _ in list(self._active.values()):
            if handle.key == key and not handle.is_done:
                handle.supersede()

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
