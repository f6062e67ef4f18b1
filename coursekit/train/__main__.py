"""``python -m coursekit.train --help``: the command-line trainer (see coursekit/train/cli.py)."""

import sys

from coursekit.train.cli import main

sys.exit(main())
