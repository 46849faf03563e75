import sys

from albumstudio.cli import entry

sys.exit(entry())
