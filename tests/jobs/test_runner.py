import threading
from pathlib import Path

from PySide6.QtCore import QThread

from albumstudio.core.errors import InputError
from albumstudio.jobs.runner import JobRunner
from albumstudio.services.tracks import warm_up_analysis


def test_result_progress_and_partials_arrive_on_the_main_thread(qtbot):
    runner = JobRunner()
    main = QThread.currentThread()
    seen = []

    def job(ctx):
        ctx.progress(0.5, "half")
        ctx.partial("p")
        return 42

    handle = runner.submit("counting", job)
    handle.progress.connect(lambda p: seen.append(("progress", p.fraction, p.text,
                                                   QThread.currentThread() == main)))
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
    assert b1.args[0].message == "'x.wav' is empty (0 bytes); choose another file."
    assert b1.args[0].action == ""
    assert b2.args[0].message.startswith("Something went wrong while reading 'x.wav' (KeyError")
    assert "\n" not in b2.args[0].message
    runner.shutdown()


def test_a_bug_writes_its_traceback_to_the_log_and_says_where(qtbot, tmp_path):
    from albumstudio.core.errors import ACTION_SHOW_LOG
    from albumstudio.store.logs import start_log, stop_log

    log = start_log(tmp_path / "logs")
    try:
        runner = JobRunner()

        def bug(ctx):
            raise KeyError("oops")

        handle = runner.submit("making the cover", bug)
        with qtbot.waitSignal(handle.failed, timeout=5000) as blocker:
            pass
        problem = blocker.args[0]
        assert problem.action == ACTION_SHOW_LOG and problem.log_path == str(log)
        assert f"The details are in {log}." in problem.message
        text = log.read_text()
        assert "Traceback" in text and "KeyError: 'oops'" in text and "making the cover" in text
        runner.shutdown()
    finally:
        stop_log()


def test_a_superseded_job_reports_nothing_even_when_it_finishes(qtbot):
    """The runner drops the results of superseded jobs, so no caller counts generations."""
    runner = JobRunner(max_threads=2)
    release = threading.Event()
    seen = []

    def old(ctx):
        ctx.progress(0.5, "old")
        release.wait(5)
        return "old result"  # finishes although superseded: never looks at the cancel flag

    first = runner.submit("first", old, key="track")
    for name in ("progress", "finished", "failed", "cancelled"):
        getattr(first, name).connect(lambda *a, n=name: seen.append(("first", n)))
    qtbot.waitUntil(lambda: first.state == "running", timeout=5000)
    second = runner.submit("second", lambda ctx: "new result", key="track")
    second.finished.connect(lambda value: seen.append(("second", value)))
    with qtbot.waitSignal(first.done, timeout=5000):
        release.set()
    qtbot.waitUntil(lambda: ("second", "new result") in seen, timeout=5000)
    assert [e for e in seen if e[0] == "first" and e[1] != "progress"] == []
    assert first.superseded and first.state == "cancelled"
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
    with qtbot.waitSignal(first.done, timeout=5000):
        runner.submit("second", lambda ctx: "done", key="track")
    assert first.state == "cancelled" and first.superseded
    runner.submit("forever", slow)
    assert runner.shutdown(5000)
    assert runner.active_count() == 0


def test_warm_up_runs_the_analysis_once():
    warm_up_analysis(threading.Event())


def test_preload_tagger_loads_the_model():
    from albumstudio.core.model_cache import ModelCache
    from albumstudio.services.tracks import TrackService
    from albumstudio.store.paths import DataPaths

    models = ModelCache()
    TrackService(DataPaths(Path("unused-data"), Path("unused-cache")), models).preload_tagger()
    assert [k.role for k in models.loaded()] == ["tagger"]
    import sys

    assert "torch" in sys.modules
