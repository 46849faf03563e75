import threading

from PySide6.QtCore import QThread

from albumstudio.core.errors import InputError
from albumstudio.jobs.runner import JobContext, JobRunner
from albumstudio.jobs.track_jobs import warm_up_analysis


def test_result_progress_and_partials_arrive_on_the_main_thread(qtbot):
    runner = JobRunner()
    main = QThread.currentThread()
    seen = []

    def job(ctx):
        ctx.progress(0.5, "half")
        ctx.partial("p")
        return 42

    handle = runner.submit("counting", job)
    handle.progress.connect(lambda f, t: seen.append(("progress", f, t, QThread.currentThread() == main)))
    handle.partial.connect(lambda v: seen.append(("partial", v, QThread.currentThread() == main)))
    with qtbot.waitSignal(handle.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [42]
    assert ("progress", 0.5, "half", True) in seen and ("partial", "p", True) in seen
    runner.shutdown()


def test_user_errors_pass_through_and_bugs_become_one_sentence(qtbot):
    runner = JobRunner()

    def bad_input(ctx):
        raise InputError("'x.wav' is empty (0 bytes); choose another file.")

    def bug(ctx):
        raise KeyError("oops")

    h1 = runner.submit("reading", bad_input)
    with qtbot.waitSignal(h1.failed, timeout=5000) as b1:
        pass
    h2 = runner.submit("reading 'x.wav'", bug)
    with qtbot.waitSignal(h2.failed, timeout=5000) as b2:
        pass
    assert b1.args == ["'x.wav' is empty (0 bytes); choose another file."]
    assert b2.args[0].startswith("Something went wrong while reading 'x.wav' (KeyError")
    assert "\n" not in b2.args[0]
    runner.shutdown()


def test_same_key_cancels_the_older_job_and_shutdown_joins(qtbot):
    runner = JobRunner(max_threads=2)
    started = threading.Event()

    def slow(ctx):
        started.set()
        while not ctx.cancel.wait(0.01):
            pass
        ctx.check_cancel()

    first = runner.submit("first", slow, key="track")
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(first.cancelled, timeout=5000):
        runner.submit("second", lambda ctx: "done", key="track")
    runner.submit("forever", slow)
    assert runner.shutdown(5000)
    assert runner.active_count() == 0


def test_warm_up_runs_the_analysis_once():
    warm_up_analysis(JobContext(threading.Event(), lambda f, t: None, lambda v: None))


def test_preload_tagger_loads_the_model():
    from albumstudio.jobs.track_jobs import preload_tagger

    preload_tagger(JobContext(threading.Event(), lambda f, t: None, lambda v: None))
    import sys

    assert "torch" in sys.modules
