"""Without a display (or with an X library missing) the window refuses in one sentence, exit 2,
before Qt can abort the process."""

from __future__ import annotations

import os
import subprocess
import sys

from albumstudio import app


def test_no_display_is_one_sentence_and_exit_2(data_home):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["ALBUMSTUDIO_HOME"] = str(data_home)
    result = subprocess.run([sys.executable, "-m", "albumstudio"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    err = result.stderr.strip()
    assert err.startswith("albumstudio: error: There is no display") and "\n" not in err
    assert "albumstudio analyze" in err and "Aborted" not in err


def test_the_display_check_names_missing_libraries_and_spares_other_platforms(monkeypatch):
    assert app.display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert app.display_problem({}, "darwin") is None
    assert app.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    monkeypatch.setattr(app, "_loadable", lambda soname: soname != "libxcb-cursor.so.0")
    message = app.display_problem({"DISPLAY": ":0"}, "linux")
    assert message is not None and "install libxcb-cursor0" in message
    monkeypatch.setattr(app, "_loadable", lambda soname: True)
    assert app.display_problem({"DISPLAY": ":0"}, "linux") is None


def test_a_closed_pipe_ends_the_cli_quietly(data_home):
    from albumstudio.store.history import HistoryStore
    from albumstudio.store.paths import default_paths

    store = HistoryStore(default_paths().ensure().history)
    for seed in range(300):  # far more JSON than a pipe holds
        store.add("cover", f"png {seed}".encode(), ".png", width=8, height=8, seed=seed,
                  engine="design", request={"version": 2, "seed": seed})
    store.close()
    env = dict(os.environ, ALBUMSTUDIO_HOME=str(data_home))
    result = subprocess.run(
        ["bash", "-c", "set -o pipefail; "
         f"'{sys.executable}' -m albumstudio history list --json --limit 300 | head -c 1"],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout == "["
    assert result.stderr == ""  # no traceback, no "Exception ignored"
    assert result.returncode == 141  # as a process ended by SIGPIPE


def test_library_noise_stays_out_of_the_terminal_and_our_sentences_reach_it(data_home,
                                                                           tmp_path):
    script = tmp_path / "noisy.py"
    script.write_text(
        "import os, sys\n"
        "from albumstudio import cli\n"
        "def noisy(track, as_json, tag_model=None, args=None):\n"
        "    os.write(2, b'Note: Xing stream size off by more than 1%\\n')  # as libmpg123 does\n"
        "    print('albumstudio: warning: the file is truncated', file=sys.stderr)\n"
        "    return 0\n"
        "cli.cmd_analyze = noisy\n"
        "sys.exit(cli.main(['analyze', 'song.mp3']))\n")
    env = dict(os.environ, ALBUMSTUDIO_HOME=str(data_home))
    result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    assert "Xing" not in result.stderr
    assert result.stderr == "albumstudio: warning: the file is truncated\n"
