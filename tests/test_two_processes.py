"""Two AlbumStudio processes started together on a fresh install (#11 item 1): nothing compiled
at run time is shared between them, so both analyses succeed, agree, and every later one does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.synth import music, write


def test_two_first_run_analyses_at_once_both_succeed_and_agree(tmp_path):
    track = write(tmp_path / "song.wav", music(12.0, 22050), 22050)
    for round_ in range(2):
        home = tmp_path / f"home-{round_}"  # a fresh install each round
        env = dict(os.environ, ALBUMSTUDIO_HOME=str(home))
        env.pop("NUMBA_CACHE_DIR", None)
        runs = [subprocess.Popen([sys.executable, "-m", "albumstudio", "analyze", "--json",
                                  str(track)], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        done = [run.communicate(timeout=240) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], [err[-400:] for _, err in done]
        first, second = (json.loads(out) for out, _ in done)
        assert first["analysis"] == second["analysis"]
        assert first["music_tags"]["top"] == second["music_tags"]["top"]
        assert not (home / "cache" / "numba").exists()  # nothing compiled, nothing to share
        again = subprocess.run([sys.executable, "-m", "albumstudio", "analyze", "--json",
                                str(track)], env=env, capture_output=True, text=True,
                               timeout=240)
        assert again.returncode == 0 and json.loads(again.stdout)["analysis"] == \
            first["analysis"]
