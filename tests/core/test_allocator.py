"""glibc keeps a chunk's freed arrays for the next chunk instead of faulting them in again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHUNKS = """
import resource, sys
import numpy as np
from albumstudio.core.allocator import keep_freed_blocks_for_reuse
ours = keep_freed_blocks_for_reuse() if sys.argv[1] == "ours" else False
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):  # the allocator's own warm-up
    arrays = [np.ones(4 << 20, np.float32) for _ in range(3)]
    del arrays
before = faults()
for _ in range(20):  # as the analysis's chunks: three 16 MB arrays made, used, freed
    arrays = [np.ones(4 << 20, np.float32) for _ in range(3)]
    del arrays
print(ours, faults() - before)
"""


def _faults(mode: str) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", CHUNKS, mode], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_chunks_are_reused_instead_of_faulted_in_again():
    ours, kept = _faults("ours")
    default, returned = _faults("default")
    assert ours == "True" and default == "False"
    # by default part of what is freed goes back to the kernel every time and is faulted in
    # again (about 1,000 pages a round here); kept, nothing is
    assert returned > 5_000
    assert kept < returned / 10


def test_the_persons_own_settings_are_left_alone():
    code = ("from albumstudio.core.allocator import keep_freed_blocks_for_reuse\n"
            "print(keep_freed_blocks_for_reuse())\n")
    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="131072")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"
