"""The shapes every output table shares: column types, table schemas and row batches.

The recorder (kernel) produces `TableBatch`es; backends (memory, sqlite) consume them.
Every Cyclus table starts with a `SimId` column; it is not part of `TableSchema.fields`:
each batch carries the simulation id once and backends add the column themselves.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import attrs


class DbType(enum.IntEnum):
    """Cyclus's column type codes (`cyclus::DbTypes`), as written to the `FieldTypes` table."""

    BOOL = 0
    INT = 1
    FLOAT = 2
    DOUBLE = 3
    STRING = 4
    VL_STRING = 5
    BLOB = 6
    UUID = 7
    VECTOR_INT = 10
    VECTOR_DOUBLE = 14
    VECTOR_STRING = 16
    SET_INT = 26
    SET_STRING = 32
    LIST_INT = 42
    LIST_STRING = 48
    PAIR_INT_INT = 57
    MAP_INT_INT = 82
    MAP_INT_DOUBLE = 86
    MAP_INT_STRING = 88
    MAP_STRING_INT = 98
    MAP_STRING_DOUBLE = 102
    MAP_STRING_STRING = 104
    MAP_STRING_VECTOR_DOUBLE = 132
    MAP_STRING_MAP_INT_DOUBLE = 140
    MAP_STRING_PAIR_DOUBLE_MAP_INT_DOUBLE = 148
    MAP_STRING_PAIR_STRING_VECTOR_DOUBLE = 199
    MAP_STRING_VECTOR_PAIR_INT_PAIR_STRING_STRING = 165
    LIST_PAIR_INT_INT = 197
    MAP_INT_MAP_STRING_DOUBLE = 157
    MAP_STRING_MAP_STRING_DOUBLE = 281
    MAP_PAIR_STRING_STRING_INT = 273
    VECTOR_PAIR_PAIR_DOUBLE_DOUBLE_MAP_STRING_DOUBLE = 231


#: Cyclus types stored as single values; every other type is a container.
SCALARS = frozenset({DbType.BOOL, DbType.INT, DbType.FLOAT, DbType.DOUBLE, DbType.STRING, DbType.VL_STRING,
                     DbType.BLOB, DbType.UUID})


def is_container(dbtype: DbType) -> bool:
    """True for vector/set/list/map/pair types (stored as Boost XML BLOBs in SQLite)."""
    return dbtype not in SCALARS


@attrs.frozen
class Field:
    """One column: its name and Cyclus type."""

    name: str
    dbtype: DbType


@attrs.frozen(cache_hash=True)
class TableSchema:
    """A table's name and its columns after `SimId`, in Cyclus's column order."""

    name: str
    fields: tuple[Field, ...]

    @classmethod
    def of(cls, name: str, *fields: tuple[str, DbType]) -> TableSchema:
        """Build a schema from `(name, dbtype)` pairs."""
        return cls(name, tuple(Field(n, t) for n, t in fields))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@attrs.define
class TableBatch:
    """Rows appended to one table during one flush (normally one time step).

    `rows` are tuples of plain Python values in `schema.fields` order: int, float (NaN for
    a missing double), str, bytes, uuid.UUID, or list/set/dict/tuple for containers.
    """

    schema: TableSchema
    sim_id: uuid.UUID
    rows: list[tuple[Any, ...]] = attrs.field(factory=list)


class Backend(Protocol):
    """Where recorded rows go. The recorder calls `notify` once per flush, never per row."""

    def notify(self, batches: Sequence[TableBatch]) -> None:
        """Take the batches recorded since the last flush (one per table, first-seen order)."""

    def close(self) -> None:
        """Flush anything pending and release resources; called once at the end."""
