"""`python -m cycsrv.compat` runs Cyclus's command line on cycsrv (`cycsrv.compat.cli`)."""

import sys

from cycsrv.compat.cli import main

sys.exit(main())
