"""The bundle's entry point: the same as ``albumstudio`` from pip (the window with no
subcommand, the headless commands with one).

One addition for file managers that hand the bundle a bare path (Windows' "Open with", a file
dropped on the executable, ``albumstudio song.wav``): a single argument that is an existing
file with an extension (no command has one) opens that track, as ``--open`` does.
"""

import os
import sys

from albumstudio.cli import entry


def arguments(argv: list[str]) -> list[str]:
    if len(argv) == 1 and not argv[0].startswith("-") and os.path.splitext(argv[0])[1] \
            and os.path.isfile(argv[0]):
        return ["--open", argv[0]]
    return argv


if __name__ == "__main__":
    sys.exit(entry(arguments(sys.argv[1:])))
