"""Archetype lookup by spec (`path:lib:name`) and their annotations (JSON metadata).

Built-in libraries (`agents`, `cycamore`) are always available. A user's Python module is
imported only when an input file lists it in `<archetypes>`: a spec sent by a websocket
client is looked up, never imported.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

from cycsrv.kernel.agent import Agent
from cycsrv.kernel.statevar import REQUIRED, Inventory, StateVar

#: Context managers every import of a user's archetype module runs inside; `cycsrv.compat`
#: adds one that lets modules written for Cyclus `import cyclus.agents` (and the rest).
IMPORT_HOOKS: list[Callable[[], AbstractContextManager[Any]]] = []


def split_spec(spec: str) -> tuple[str, str, str]:
    """`"path:lib:name"` -> (path, lib, name); lib defaults to name, as in Cyclus."""
    parts = spec.split(":")
    if len(parts) == 1:
        path, lib, name = "", "", parts[0]
    elif len(parts) == 2:
        path, (lib, name) = "", parts
    elif len(parts) == 3:
        path, lib, name = parts
    else:
        raise KeyError(f"malformed archetype spec {spec!r}; expected 'path:lib:name'")
    return path, lib or name, name


def make_spec(path: str, lib: str, name: str) -> str:
    return f"{path}:{lib or name}:{name}"


def builtin_libraries() -> dict[str, Mapping[str, type[Agent]]]:
    """The archetype libraries shipped with cycsrv, by library name."""
    from cycsrv.archetypes import agents

    libs: dict[str, Mapping[str, type[Agent]]] = {"agents": agents.ARCHETYPES}
    try:
        from cycsrv.archetypes import cycamore
    except ImportError:  # pragma: no cover - the cycamore package is always shipped
        return libs
    libs["cycamore"] = getattr(cycamore, "ARCHETYPES", {})
    return libs


def builtin(spec: str) -> type[Agent]:
    """A built-in archetype class by spec; KeyError if there is none."""
    path, lib, name = split_spec(spec)
    archetypes = builtin_libraries().get(lib)
    if path or archetypes is None or name not in archetypes:
        raise KeyError(f"unknown archetype {spec!r}")
    return archetypes[name]


def load_archetype(path: str, lib: str, name: str, *, base_dir: Path | None = None) -> type[Agent]:
    """The archetype named in an input file's `<spec>`: built in, or a class in a Python module.

    Python modules are imported from `path` (relative to `base_dir`, the input's directory)
    or the normal import path. Only input files reach this function.
    """
    lib = lib or name
    try:
        return builtin(make_spec(path, lib, name))
    except KeyError:
        known = builtin_libraries().get(lib)
        if known is not None and not path:
            raise KeyError(f"archetype library {lib!r} has no archetype {name!r}; it has: "
                           f"{', '.join(sorted(known))}") from None
    search = [str((base_dir or Path.cwd()) / path)] if path else [str(base_dir or Path.cwd())]
    added = [p for p in search if p not in sys.path]
    sys.path[:0] = added
    try:
        with ExitStack() as stack:
            for hook in IMPORT_HOOKS:
                stack.enter_context(hook())
            module = importlib.import_module(lib)
    except ImportError as exc:
        hint = ""
        if exc.name and exc.name.partition(".")[0] == "cyclus" and not IMPORT_HOOKS:
            hint = "; archetypes written for Cyclus need `import cycsrv.compat` first (the command line does it)"
        raise KeyError(f"archetype library {lib!r} not found ({exc}){hint}") from None
    finally:
        for p in added:
            sys.path.remove(p)
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Agent)):
        raise KeyError(f"{lib}.{name} is not an archetype (a subclass of cycsrv Facility, Institution or Region)")
    return cls


def _var_annotation(name: str, var: StateVar, index: int) -> dict[str, Any]:
    shape = var.shape if var.shape is not None else (
        [-1] if isinstance(var.type, str) else [-1] * _depth(var.type))
    out: dict[str, Any] = {
        "alias": var.alias if var.alias is not None else name,
        "doc": var.doc,
        "index": index,
        "shape": shape,
        "tooltip": var.tooltip if var.tooltip is not None else name,
        "type": var.type,
        "uilabel": var.uilabel if var.uilabel is not None else name,
    }
    if var.default is not REQUIRED:
        out["default"] = sorted(var.default) if isinstance(var.default, set) else var.default
    for key in ("range", "categorical", "schematype", "uitype", "units", "userlevel"):
        value = getattr(var, key)
        if value is not None:
            out[key] = value
    if var.internal:
        out["internal"] = True
    return out


def _depth(t: Any) -> int:
    if isinstance(t, str):
        return 1
    return 1 + sum(_depth(a) for a in t[1:])


def annotations_of(cls: type[Agent]) -> dict[str, Any]:
    """The annotations Cyclus publishes for an archetype: doc, entity, parents, vars."""
    members: list[tuple[str, StateVar | Inventory]] = []
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, (StateVar, Inventory)) and all(n != name for n, _ in members):
                members.append((name, value))
    out_vars: dict[str, Any] = {}
    for index, (name, value) in enumerate(members):
        if isinstance(value, StateVar):
            out_vars[name] = _var_annotation(name, value, index)
        else:
            out_vars[name] = {"capacity": value.capacity, "index": index, "shape": [-1, -1],
                              "type": ["cyclus::toolkit::ResBuf", value.resource], "doc": value.doc}
    doc = " ".join((cls.__doc__ or "").split())
    result: dict[str, Any] = {
        "all_parents": sorted(cls.all_parents),
        "doc": doc,
        "entity": cls.entity,
        "name": cls.cpp_name or f"{cls.__module__}.{cls.__qualname__}",
        "parents": list(cls.parents),
        "vars": dict(sorted(out_vars.items())),
    }
    result.update(cls.extra_annotations)
    return dict(sorted(result.items()))


def annotations(spec: str, loaded: Mapping[str, type[Agent]] | None = None) -> dict[str, Any]:
    """Annotations for `spec`: a built-in archetype or one the loaded input listed.

    Raises KeyError for anything else; never imports a module.
    """
    if loaded and spec in loaded:
        return annotations_of(loaded[spec])
    return annotations_of(builtin(spec))


def list_builtin() -> list[str]:
    """Specs of every built-in archetype, sorted."""
    return sorted(make_spec("", lib, name) for lib, arch in builtin_libraries().items() for name in arch)
