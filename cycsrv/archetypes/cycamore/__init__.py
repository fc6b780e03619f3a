"""Cycamore's twelve archetypes, specs `:cycamore:<Name>`.

Each module here defines one archetype class and names it in `ARCHETYPE`; this package
collects them into `ARCHETYPES` (name -> class) for the registry.
"""

from __future__ import annotations

import importlib
import pkgutil

from cycsrv.kernel.agent import Agent


def _collect() -> dict[str, type[Agent]]:
    found: dict[str, type[Agent]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cls = getattr(module, "ARCHETYPE", None)
        if cls is not None:
            found[cls.__name__] = cls
    return found


ARCHETYPES: dict[str, type[Agent]] = _collect()
