import threading
import time

from PySide6.QtCore import QThread

from albumstudio.core.jobs import StepClock, format_eta
from albumstudio.jobs.model_queue import ModelQueue


def test_requests_run_one_at_a_time_in_order(qtbot):
    queue = ModelQueue()
    order, running, overlap = [], [0], []
    lock = threading.Lock()

    def job(name):
        def fn(ctx):
            with lock:
                running[0] += 1
                overlap.append(running[0])
            time.sleep(0.05)
            order.append(name)
            with lock:
                running[0] -= 1
            return name
        return fn

    handles = [queue.submit(f"making {n}", job(n)) for n in "abc"]
    assert queue.pending() == 3
    with qtbot.waitSignal(handles[-1].finished, timeout=5000):
        pass
    assert order == ["a", "b", "c"] and max(overlap) == 1
    qtbot.waitUntil(lambda: queue.pending() == 0, timeout=2000)
    queue.shutdown()


def test_cancel_a_queued_request_and_shutdown_joins_the_running_one(qtbot):
    queue = ModelQueue()
    started = threading.Event()
    main = QThread.currentThread()
    slot_threads = []

    def long_job(ctx):
        started.set()
        while True:
            ctx.check_cancel()
            time.sleep(0.01)

    first = queue.submit("long", long_job)
    second = queue.submit("second", lambda ctx: "never")
    first.cancelled.connect(lambda: slot_threads.append(QThread.currentThread() == main))
    withdrawn = []
    second.cancelled.connect(lambda: withdrawn.append(True))
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert queue.pending() == 2
    second.cancel()  # waiting behind the running one: withdrawn at once, never runs
    assert withdrawn == [True] and second.state == "cancelled"
    assert queue.pending() == 1
    assert queue.shutdown(5000)
    assert first.state == "cancelled"
    qtbot.waitUntil(lambda: slot_threads == [True], timeout=2000)
    after = queue.submit("late", lambda ctx: 1)
    assert after.state == "cancelled"


def test_eta_ignores_the_first_step_and_counts_down():
    clock = StepClock(total_steps=10)
    assert clock.tick(1, now=100.0) is None  # the first step includes loading
    assert clock.tick(2, now=101.0) == 8.0
    assert clock.tick(6, now=105.0) == 4.0
    assert format_eta(None).startswith("estimating")
    assert format_eta(4.0) == "about 4 s left"
    assert format_eta(600) == "about 10 min left"
