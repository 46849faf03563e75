import sys

from albumstudio.cli import main

sys.exit(main())
