"""What `import cyclus` gives a Python archetype running under cycsrv (see `compat.loader`)."""

from __future__ import annotations

import importlib
from types import ModuleType

from cycsrv import CYCLUS_VERSION
from cycsrv.compat.loader import PROVIDED

__version__ = CYCLUS_VERSION


def __getattr__(name: str) -> ModuleType:
    """`from cyclus import lib` (etc.): the stand-in submodule."""
    target = PROVIDED.get(f"cyclus.{name}")
    if target is None:
        raise AttributeError(f"module 'cyclus' has no attribute {name!r}")
    return importlib.import_module(target)
