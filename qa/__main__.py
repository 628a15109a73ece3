"""`python -m qa ...` is the same as the `qa` console script."""

import sys

from qa.tools.cli import main

sys.exit(main())
