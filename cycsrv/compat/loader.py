"""Make `import cyclus...` resolve to cycsrv's compat modules while an archetype module loads.

cycsrv never installs a top-level `cyclus` package. Instead, while the archetype registry
imports a user's module (and only then), a meta-path finder placed first on `sys.meta_path`
answers for `cyclus` and `cyclus.<sub>`: the names in `PROVIDED` map to `cycsrv.compat.<sub>`
modules, anything else under `cyclus.` is an ImportError naming what is missing. Entries a
real Cyclus left in `sys.modules` are set aside for that moment and put back afterwards, so a
real Cyclus installed in the same environment keeps importing normally everywhere else.
Archetype modules keep the compat modules they imported, so their code works after that.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

#: `cyclus.<name>` -> the cycsrv module that stands in for it.
PROVIDED: dict[str, str] = {
    "cyclus": "cycsrv.compat.package",
    "cyclus.agents": "cycsrv.compat.agents",
    "cyclus.typesystem": "cycsrv.compat.typesystem",
    "cyclus.lib": "cycsrv.compat.lib",
    "cyclus.system": "cycsrv.compat.system",
    "cyclus.pyagents": "cycsrv.compat.pyagents",
    "cyclus.nucname": "cycsrv.compat.nucname",
}

#: Parts of Cyclus's Python package that need its C++ library; importing them is an error.
NEEDS_CPP = ("cyclus.memback", "cyclus.jsoncpp", "cyclus.events", "cyclus.simstate", "cyclus.server",
             "cyclus.main", "cyclus.cycpp", "cyclus.gentypesystem")

_LOCK = threading.RLock()
_DEPTH = 0
_SAVED: dict[str, ModuleType] = {}


def _is_cyclus(name: str) -> bool:
    return name == "cyclus" or name.startswith("cyclus.")


class _Alias(importlib.abc.Loader):
    """Loads `cyclus.<x>` as the already-imported cycsrv module standing in for it."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the stand-in module is already executed."""


class CyclusFinder(importlib.abc.MetaPathFinder):
    """Answers for `cyclus` and `cyclus.*` while installed; leaves every other name alone."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not _is_cyclus(fullname):
            return None
        stand_in = PROVIDED.get(fullname)
        if stand_in is None:
            why = ("it needs Cyclus's C++ library" if fullname in NEEDS_CPP
                   else "it is not part of Cyclus's Python archetype API")
            raise ModuleNotFoundError(
                f"cycsrv does not provide {fullname} ({why}); Python archetypes may use "
                f"{', '.join(sorted(PROVIDED))}", name=fullname)
        return importlib.util.spec_from_loader(fullname, _Alias(stand_in),
                                               is_package=fullname == "cyclus")


_FINDER = CyclusFinder()


@contextmanager
def cyclus_modules() -> Iterator[None]:
    """While active, `import cyclus.agents` (etc.) gives cycsrv's implementation.

    Re-entrant; on the outermost exit the finder is removed, the `cyclus*` entries it made are
    dropped from `sys.modules` and any that were there before (a real Cyclus) are restored.
    """
    global _DEPTH
    with _LOCK:
        if _DEPTH == 0:
            for name in [n for n in sys.modules if _is_cyclus(n)]:
                _SAVED[name] = sys.modules.pop(name)
            sys.meta_path.insert(0, _FINDER)
        _DEPTH += 1
        try:
            yield
        finally:
            _DEPTH -= 1
            if _DEPTH == 0:
                sys.meta_path.remove(_FINDER)
                for name in [n for n in sys.modules if _is_cyclus(n)]:
                    del sys.modules[name]
                sys.modules.update(_SAVED)
                _SAVED.clear()
