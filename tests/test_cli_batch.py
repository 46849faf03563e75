"""`albumstudio batch`: a catalogue's kits from the command line; Ctrl+C stops it with nothing
half-written, a second run finishes the job, a third does nothing and says so; bad input and
a missing Ray are one sentence with exit code 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from albumstudio.cli import main
from albumstudio.services.batch import folder_state, leftover_temporaries
from tests.support.batch_catalogue import make_catalogue
from tests.test_cli import run_cli


def test_interrupted_then_finished_then_nothing_to_do(tmp_path, data_home):
    catalogue, expected = make_catalogue(tmp_path, rows=2)
    out = tmp_path / "kits"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ALBUMSTUDIO_HOME=str(data_home))
    proc = subprocess.Popen([sys.executable, "-m", "albumstudio", "batch", str(catalogue),
                             "--out", str(out), "--workers", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert first.startswith("[0/2] started  Label Band 0 - Song 0 (row 2)"), first
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "stopped;" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    assert not leftover_temporaries(out)
    assert all(folder_state(f) == "complete" for f in out.iterdir())

    result = run_cli("batch", catalogue, "--out", out, "--workers", "1", "--json",
                     env_home=data_home, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["done"]) + len(summary["skipped"]) == 2 and not summary["failed"]
    assert {"making the cover", "writing the folder"} <= set(summary["stages_s"])
    assert "done     Label Band 1 - Song 1" in result.stderr and "time left" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)

    again = run_cli("batch", catalogue, "--out", out, env_home=data_home)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (f"Nothing to do: all 2 releases are already complete in "
                                    f"{out}.")


def test_a_bad_catalogue_is_one_sentence_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "label.csv"
    bad.write_text("track,title,artist\nmissing.flac,T,A\n")
    assert main(["batch", str(bad), "--out", str(tmp_path / "kits")]) == 2
    err = capsys.readouterr().err
    assert "Row 2 of 'label.csv': the track 'missing.flac' does not exist." in err
    assert "Traceback" not in err and not (tmp_path / "kits").exists()


def test_a_missing_ray_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    catalogue, _ = make_catalogue(tmp_path, rows=1, seconds=1.0)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    assert main(["batch", str(catalogue), "--out", str(tmp_path / "kits"),
                 "--cluster", "local"]) == 2
    err = capsys.readouterr().err
    assert "Ray is not installed" in err and "pip install 'albumstudio[cluster]'" in err
    assert err.count("\n") == 1 and not (tmp_path / "kits").exists()


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_workers_must_be_a_positive_count(tmp_path, capsys, workers):
    catalogue, _ = make_catalogue(tmp_path, rows=1, seconds=1.0)
    assert main(["batch", str(catalogue), "--out", str(tmp_path / "k"), "--workers",
                 workers]) == 2
    assert "--workers must be a whole number from 1 to 256." in capsys.readouterr().err
