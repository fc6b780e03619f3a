"""State variables: how an archetype declares its configurable and persistent state.

A `StateVar` carries what Cyclus's `#pragma cyclus var` annotations carry: the Cyclus type,
the default, docs and UI hints. From it come the input parsing (`kernel/config.py`), the
`AgentState<spec>Info` columns, and the archetype's annotations.

Types are written the way Cyclus's annotations write them: a scalar is a string such as
``"double"`` or ``"std::string"``; a container is a list, e.g.
``["std::vector", "std::string"]`` or ``["std::map", "std::string", "double"]``, and nests:
``["std::map", "std::string", ["std::vector", "double"]]``.
"""

from __future__ import annotations

from typing import Any

import attrs

from cycsrv.store.schema import DbType

CyclusType = str | list[Any]

class _Required:
    """Marker type for "no default": the variable must be given in the input."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: Marker for "no default": the variable is required in the input.
REQUIRED: Any = _Required()

_SCALAR_DBTYPES: dict[str, DbType] = {
    "bool": DbType.BOOL,
    "int": DbType.INT,
    "float": DbType.FLOAT,
    "double": DbType.DOUBLE,
    "std::string": DbType.STRING,
    "cyclus::Blob": DbType.BLOB,
    "boost::uuids::uuid": DbType.UUID,
}

_SHORT = {"bool": "BOOL", "int": "INT", "float": "FLOAT", "double": "DOUBLE", "std::string": "STRING"}
_CONTAINERS = {"std::vector": "VECTOR", "std::set": "SET", "std::list": "LIST", "std::pair": "PAIR",
               "std::map": "MAP"}


def _type_name(t: CyclusType) -> str:
    if isinstance(t, str):
        return _SHORT[t]
    head, *args = t
    return "_".join([_CONTAINERS[head], *(_type_name(a) for a in args)])


def dbtype_of(t: CyclusType) -> DbType:
    """The `DbType` code of a Cyclus type, e.g. ``["std::vector", "std::string"]`` -> VECTOR_STRING."""
    if isinstance(t, str):
        return _SCALAR_DBTYPES[t]
    return DbType[_type_name(t)]


def python_default(t: CyclusType) -> Any:
    """The value a variable of type `t` has when nothing sets it (Cyclus's default construction)."""
    if isinstance(t, str):
        return {"bool": False, "int": 0, "float": 0.0, "double": 0.0, "std::string": ""}.get(t)
    head = t[0]
    if head == "std::map":
        return {}
    if head == "std::set":
        return set()
    if head == "std::pair":
        return (python_default(t[1]), python_default(t[2]))
    return []


@attrs.frozen
class StateVar:
    """One archetype state variable, as Cyclus annotates it.

    `default` is `REQUIRED` when the input must give a value. `internal` variables are never
    read from the input. `alias` is the XML element name (defaults to the attribute name); for
    containers it may be a list, as in Cyclus (e.g. ``["in_commods", "val"]``).
    """

    type: CyclusType
    default: Any = REQUIRED
    doc: str = ""
    alias: Any = None
    tooltip: Any = None
    uilabel: Any = None
    uitype: Any = None
    units: str | None = None
    range: Any = None
    categorical: Any = None
    schematype: Any = None
    userlevel: int | None = None
    internal: bool = False
    shape: list[int] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED and not self.internal

    @property
    def dbtype(self) -> DbType:
        return dbtype_of(self.type)


@attrs.frozen
class Inventory:
    """A resource buffer an archetype snapshots (`AgentStateInventories`, annotations).

    `capacity` is a number, the name of a state variable holding it, or None (unbounded).
    """

    capacity: float | str | None = None
    resource: str = "cyclus::Material"
    doc: str = ""
