"""``python -m lib evaluate ...``: see :mod:`lib.cli`."""

import sys

from lib.cli import main

sys.exit(main())
