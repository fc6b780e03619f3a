"""Container column types as trees, read from their `DbType` names.

`MAP_STRING_PAIR_DOUBLE_MAP_INT_DOUBLE` becomes
``CType("MAP", (STRING, CType("PAIR", (DOUBLE, CType("MAP", (INT, DOUBLE))))))``.
Both encoders of container values (Boost XML for SQLite, JSON text for Arrow) walk this tree,
so a value is written according to its declared C++ type, not its Python type.
"""

from __future__ import annotations

import functools

import attrs

from cycsrv.store.schema import DbType

#: Container kinds and how many type arguments each takes.
_ARITY = {"VECTOR": 1, "SET": 1, "LIST": 1, "PAIR": 2, "MAP": 2}
#: Scalar type names that may appear inside a container.
SCALARS = frozenset({"BOOL", "INT", "FLOAT", "DOUBLE", "STRING", "BLOB", "UUID"})


@attrs.frozen
class CType:
    """A container type: `kind` is VECTOR, SET, LIST, PAIR or MAP; `args` are its element types.

    Each element type is a scalar name (e.g. ``"DOUBLE"``) or a nested `CType`.
    """

    kind: str
    args: tuple[str | CType, ...]


def _parse(tokens: list[str], pos: int) -> tuple[str | CType, int]:
    token = tokens[pos]
    if token in SCALARS:
        return token, pos + 1
    arity = _ARITY.get(token)
    if arity is None:
        raise ValueError(f"unknown type token {token!r}")
    pos += 1
    args = []
    for _ in range(arity):
        arg, pos = _parse(tokens, pos)
        args.append(arg)
    return CType(token, tuple(args)), pos


@functools.cache
def ctype_of(dbtype: DbType) -> CType:
    """The type tree of a container `dbtype`; ValueError for a scalar type."""
    tree, end = _parse(dbtype.name.split("_"), 0)
    if not isinstance(tree, CType) or end != len(dbtype.name.split("_")):
        raise ValueError(f"{dbtype.name} is not a container type")
    return tree
