"""The recorder: rows accumulate per table and go to the backends as one batch per table.

Cyclus records "datums" one at a time; here rows are appended to a per-table list and handed
to every backend at each `flush` (the kernel flushes once per time step), so backends only
ever see batches. Tables appear in first-recorded order, as Cyclus creates them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import attrs

from cycsrv.store.schema import Backend, DbType, Field, TableBatch, TableSchema


class Recorder:
    """Buffers rows per table and hands them to backends on `flush`."""

    def __init__(self, backends: Sequence[Backend] = (), sim_id: uuid.UUID | None = None) -> None:
        self.sim_id = sim_id or uuid.uuid4()
        self.backends: list[Backend] = list(backends)
        # rows per table name, in first-recorded order; keyed by name because hashing an
        # attrs schema on every row is measurably slow
        self._pending: dict[str, tuple[TableSchema, list[tuple[Any, ...]]]] = {}
        self._custom: dict[str, TableSchema] = {}
        self.enabled = True

    def add(self, schema: TableSchema, row: tuple[Any, ...]) -> None:
        """Queue one row of `schema` (values in field order, without SimId)."""
        if not self.enabled:
            return
        entry = self._pending.get(schema.name)
        if entry is None:
            entry = self._pending[schema.name] = (schema, [])
        entry[1].append(row)

    def new_datum(self, title: str) -> Datum:
        """Start a row of a custom table (an archetype's own table, e.g. `ReactorEvents`)."""
        return Datum(self, title)

    def schema_for(self, title: str, fields: tuple[Field, ...]) -> TableSchema:
        """The schema of custom table `title`; the first datum of a title fixes its columns."""
        schema = self._custom.get(title)
        if schema is None:
            schema = self._custom[title] = TableSchema(title, fields)
        return schema

    def flush(self) -> None:
        """Hand everything recorded since the last flush to every backend."""
        if not self._pending:
            return
        batches = [TableBatch(schema, self.sim_id, rows) for schema, rows in self._pending.values()]
        self._pending = {}
        for backend in self.backends:
            backend.notify(batches)

    def close(self) -> None:
        """Flush and close every backend."""
        self.flush()
        for backend in self.backends:
            backend.close()


@attrs.define
class Datum:
    """A row being built field by field, as with Cyclus's `Datum::AddVal(...)->Record()`."""

    recorder: Recorder
    title: str
    fields: list[Field] = attrs.field(factory=list)
    values: list[Any] = attrs.field(factory=list)

    def add_val(self, name: str, value: Any, dbtype: DbType) -> Datum:
        self.fields.append(Field(name, DbType(dbtype)))
        self.values.append(value)
        return self

    def record(self) -> None:
        schema = self.recorder.schema_for(self.title, tuple(self.fields))
        self.recorder.add(schema, tuple(self.values))
