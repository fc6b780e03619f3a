"""`python -m cycsrv` runs the command-line interface."""

import sys

from cycsrv.cli import main

sys.exit(main())
