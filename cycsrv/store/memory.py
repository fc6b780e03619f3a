"""The in-memory backend: recorded tables kept as Arrow record batches, queried with conditions.

Mirrors Cyclus's `MemBack` (`cyclus/memback.pyx`): a registry says which tables to keep
(`True` keeps every table); registering does not backfill earlier steps; deregistering drops
a table's rows. A query filtered by conditions keeps each row's original position as its
label, as `df[mask]` does in MemBack, and that label shows in orient JSON.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cycsrv.store.arrow import batch_to_arrow, field_dbtype
from cycsrv.store.schema import DbType, TableBatch, TableSchema, is_container

#: Condition operators and the Arrow kernels that evaluate them.
OPS = {"<": pc.less, ">": pc.greater, "<=": pc.less_equal, ">=": pc.greater_equal, "==": pc.equal, "!=": pc.not_equal}

#: A table's record batches are merged into one by the first query after it has this many.
_COMPACT_AFTER = 32


@attrs.frozen
class Cond:
    """One condition ``[field, op, value]``; a query keeps rows where all conditions hold."""

    field: str
    op: str
    value: Any

@attrs.frozen
class QueryResult:
    """A table's rows (Arrow, `SimId` first) and the original row label of each row."""

    table: pa.Table
    index: pa.Array

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

def parse_conds(raw: Any, schema: pa.Schema | None = None) -> list[Cond]:
    """Conditions from their wire form ``[[field, op, value], ...]`` (None means none).

    Raises ValueError naming the problem: bad shape, unknown op, and, when the table's
    `schema` is given, an unknown field or a value of the wrong type for the column.
    """
    if raw is None:
        return []
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise ValueError(f"conds must be a list of [field, op, value] lists, got {raw!r}")
    conds = []
    for item in raw:
        if isinstance(item, Cond):
            cond = item
        else:
            if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 3:
                raise ValueError(f"each condition must be [field, op, value], got {item!r}")
            cond = Cond(*item)
        if not isinstance(cond.field, str):
            raise ValueError(f"condition field must be a column name, got {cond.field!r}")
        if cond.op not in OPS:
            raise ValueError(f"unknown condition operator {cond.op!r}; allowed: {', '.join(OPS)}")
        if schema is not None:
            _check_value(cond, schema)
        conds.append(cond)
    return conds

def _check_value(cond: Cond, schema: pa.Schema) -> None:
    index = schema.get_field_index(cond.field)
    if index < 0:
        raise ValueError(f"unknown field {cond.field!r}; columns are: {', '.join(schema.names)}")
    dbtype = field_dbtype(schema.field(index))
    value = cond.value
    if is_container(dbtype) or dbtype == DbType.BLOB:
        raise ValueError(f"field {cond.field!r} holds {dbtype.name} values, which conditions cannot compare")
    if dbtype == DbType.BOOL:
        ok = isinstance(value, bool)
    elif dbtype == DbType.INT:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif dbtype in (DbType.DOUBLE, DbType.FLOAT):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif dbtype == DbType.UUID:
        ok = isinstance(value, str) and _is_uuid(value)
        if ok and cond.op not in ("==", "!="):
            raise ValueError(f"field {cond.field!r} is a UUID; only == and != apply")
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ValueError(f"field {cond.field!r} is {dbtype.name}; cannot compare it with {value!r}")

def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True

def _mask(table: pa.Table, conds: list[Cond]) -> pa.ChunkedArray | pa.Array:
    masks = []
    for cond in conds:
        column = table.column(cond.field)
        value = cond.value
        if pa.types.is_fixed_size_binary(column.type):
            value = pa.scalar(uuid.UUID(value).bytes, type=column.type)
        elif pa.types.is_integer(column.type) and isinstance(value, int) and not -(2**63) <= value < 2**63:
            value = float(value)  # compare as double rather than overflow int64
        masks.append(OPS[cond.op](column, value))
    combined = masks[0]
    for m in masks[1:]:
        combined = pc.and_kleene(combined, m)
    return pc.fill_null(combined, False)

#: Pending rows of one table converted to Arrow as soon as this many pile up.
_CONVERT_ROWS = 5_000


class MemoryBackend:
    """Keeps recorded rows of registered tables in memory (`registry=True`: every table)."""

    def __init__(self, registry: bool | Iterable[str] = True) -> None:
        self._lock = threading.Lock()
        self._store_all = registry is True
        self._registry: frozenset[str] = frozenset() if registry is True or not registry else frozenset(registry)
        # per table: the record batches received, in order (dict order = first-seen order)
        self._batches: dict[str, list[pa.RecordBatch]] = {}
        # rows not yet turned into Arrow: converting many steps at once is far cheaper than
        # converting every step's handful of rows (done when queried or when enough pile up)
        self._pending: dict[str, TableBatch] = {}
        self._schemas: dict[str, TableSchema] = {}

    @property
    def registry(self) -> frozenset[str] | bool:
        """The registered table names, or True while every table is kept."""
        with self._lock:
            return True if self._store_all else self._registry

    def set_registry(self, value: bool | Iterable[str] | None) -> None:
        """Replace the registry as assigning `MemBack.registry` does.

        True keeps every table from now on (cached rows stay); False or None keeps nothing and
        empties the cache; names keep those tables and drop the rows of tables that were
        registered before but are not now (coming from store-everything nothing is dropped).
        """
        with self._lock:
            if value is True:
                self._store_all, self._registry = True, frozenset()
            elif value is None or value is False:
                self._store_all, self._registry = False, frozenset()
                self._batches.clear()
                self._pending.clear()
            else:
                new = frozenset(value)
                for name in self._registry - new:
                    self._drop(name)
                self._store_all, self._registry = False, new

    def register(self, names: Iterable[str]) -> None:
        """Keep `names` from the next step on (no backfill). Nothing changes while every table is kept."""
        with self._lock:
            if not self._store_all:
                self._registry = self._registry | frozenset(names)

    def deregister(self, names: Iterable[str]) -> None:
        """Stop keeping `names` and drop their rows.

        While every table is kept, this switches to an explicit registry of the tables that
        hold data, minus `names`.
        """
        names = frozenset(names)
        with self._lock:
            if self._store_all:
                self._store_all = False
                self._registry = frozenset(self._batches) | frozenset(self._pending)
            self._registry = self._registry - names
            for name in names:
                self._drop(name)

    def _drop(self, name: str) -> None:
        self._batches.pop(name, None)
        self._pending.pop(name, None)

    def _convert(self, name: str) -> None:
        """Turn a table's pending rows into an Arrow batch (caller holds the lock)."""
        pending = self._pending.pop(name, None)
        if pending is None:
            return
        self._batches.setdefault(name, []).append(batch_to_arrow(pending))

    def notify(self, batches: Sequence[TableBatch]) -> None:
        """Append the rows of registered tables."""
        with self._lock:
            if not self._store_all and not self._registry:
                return
            for b in batches:
                name = b.schema.name
                if not b.rows or not (self._store_all or name in self._registry):
                    continue
                known = self._schemas.setdefault(name, b.schema)
                if known != b.schema:
                    raise ValueError(f"table {name!r} changed columns: {known.names} -> {b.schema.names}")
                pending = self._pending.get(name)
                if pending is None:
                    self._pending[name] = TableBatch(b.schema, b.sim_id, list(b.rows))
                else:
                    pending.rows.extend(b.rows)
                    if len(pending.rows) >= _CONVERT_ROWS:
                        self._convert(name)

    def tables(self) -> list[str]:
        """Names of the tables holding rows, in first-seen order."""
        with self._lock:
            return list(self._batches) + [n for n in self._pending if n not in self._batches]

    def query(self, table: str, conds: Any = None) -> QueryResult:
        """The rows of `table` where every condition holds, with their original row labels.

        KeyError if the table holds no rows here; ValueError for bad conditions.
        """
        with self._lock:
            self._convert(table)
            batches = self._batches.get(table)
            batches = list(batches) if batches is not None else None
        if batches is None:
            raise KeyError(f"table {table!r} is not in the in-memory backend")
        data = pa.Table.from_batches(batches)
        if len(batches) > _COMPACT_AFTER:
            # one batch per step adds up; merge them once so later queries read contiguous columns
            data = data.combine_chunks()
            with self._lock:
                kept = self._batches.get(table)
                if kept is not None and all(a is b for a, b in zip(kept, batches, strict=False)):
                    kept[: len(batches)] = data.to_batches()
        parsed = parse_conds(conds, data.schema)
        if not parsed:
            return QueryResult(data, pa.array(np.arange(data.num_rows, dtype=np.int64)))
        mask = _mask(data, parsed)
        index = pa.array(np.flatnonzero(np.asarray(mask)).astype(np.int64))
        return QueryResult(data.filter(mask), index)

    def close(self) -> None:
        """Nothing to release; the rows stay queryable after the simulation ends."""
