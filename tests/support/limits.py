"""Run a few lines of Python in a child process whose address space is capped (RLIMIT_AS), so a
memory blow-up fails that child, and the test, instead of the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest


def run_limited(code: str, limit_bytes: int, *args: str,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -c code args…`` under an address-space limit of ``limit_bytes``."""
    if sys.platform != "linux":
        pytest.skip("RLIMIT_AS is enforced on Linux only")

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", code, *args], preexec_fn=cap, env=env,
                          capture_output=True, text=True, timeout=timeout)
