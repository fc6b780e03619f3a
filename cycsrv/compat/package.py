"""What `import cyclus` gives a Python archetype running under cycsrv (see `compat.loader`)."""

from __future__ import annotations

from cycsrv import CYCLUS_VERSION

__version__ = CYCLUS_VERSION
