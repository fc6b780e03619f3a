"""`cyclus.system`: the limits Cyclus was built with, as archetypes read them."""

from __future__ import annotations

import sys

PY_VERSION_TUPLE = sys.version_info[:3]

#: Cyclus's "effectively infinite" values (its CMake defaults), used as capacity defaults.
CY_LARGE_DOUBLE = 1e299
CY_LARGE_INT = 2147483647
