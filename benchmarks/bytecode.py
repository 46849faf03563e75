"""Bytecode for the app's modules before fresh processes are timed, as a user's install has.

Installing the wheel compiles every module it installs to bytecode (pip does), and the bundle
carries bytecode; a fresh process that a benchmark times must read ``.pyc`` files the same way.
Where ``PYTHONDONTWRITEBYTECODE`` is set (this machine sets it) and the package is an editable
checkout, every timed process otherwise compiled the ~70 of the app's modules it imports: about
0.2 s of CPU in a fresh ``albumstudio analyze``, some of it on the window's worker threads after
a drop. The "first run after install" figures still compile everything: they point
``PYTHONPYCACHEPREFIX`` at an empty folder.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def as_installed(*sources: Path) -> None:
    """Compile the ``albumstudio`` package of this checkout (and of each other copy given)."""
    for source in (ROOT, *sources):
        compileall.compile_dir(str(Path(source) / "albumstudio"), quiet=1)
