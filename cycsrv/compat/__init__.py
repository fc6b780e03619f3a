"""What Cyclus users bring: archetypes written against Cyclus's Python API, run on cycsrv.

Importing this package lets the archetype registry load modules that `import cyclus.agents`,
`cyclus.typesystem`, `cyclus.lib`, `cyclus.system`, `cyclus.pyagents` or `cyclus.nucname`:
those names resolve to the modules here while (and only while) such a module is imported
(`loader.cyclus_modules`), so a real Cyclus installed alongside is never shadowed. Set
`agents.set_hook_errors("report")` to carry on past errors in archetype hooks, as Cyclus does.
"""

from __future__ import annotations

from cycsrv.archetypes import registry
from cycsrv.compat.loader import cyclus_modules

if cyclus_modules not in registry.IMPORT_HOOKS:
    registry.IMPORT_HOOKS.append(cyclus_modules)

__all__ = ["cyclus_modules"]
