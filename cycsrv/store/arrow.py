"""Row batches as Arrow record batches: the in-memory form of recorded tables.

Column 0 is `SimId` (16 bytes); every field carries its Cyclus type code in its metadata under
``b"cyclus_dbtype"``, so renderers and backends know e.g. a UUID from a BLOB. Container values
are held as the JSON text pandas would print for them (see `jsontext.container_json`).
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import pyarrow as pa

from cycsrv.store.jsontext import container_json
from cycsrv.store.schema import DbType, TableBatch, TableSchema, is_container

#: Field metadata key holding the Cyclus `DbType` code of a column, as decimal text.
DBTYPE_KEY = b"cyclus_dbtype"
SIMID = "SimId"


#: Scalar Cyclus types and the Arrow type each becomes in memory.
_SCALAR_ARROW: dict[DbType, pa.DataType] = {
    DbType.BOOL: pa.bool_(),
    DbType.INT: pa.int64(),
    DbType.FLOAT: pa.float64(),
    DbType.DOUBLE: pa.float64(),
    DbType.STRING: pa.string(),
    DbType.VL_STRING: pa.string(),
    DbType.BLOB: pa.binary(),
    DbType.UUID: pa.binary(16),
}


def arrow_type(dbtype: DbType) -> pa.DataType:
    """The Arrow type a column of `dbtype` is held as in memory; containers are JSON text."""
    return _SCALAR_ARROW.get(dbtype, pa.string())


def arrow_field(name: str, dbtype: DbType) -> pa.Field:
    """The Arrow field of a column, its `DbType` in the metadata."""
    return pa.field(name, arrow_type(dbtype), metadata={DBTYPE_KEY: str(int(dbtype)).encode()})


def field_dbtype(field: pa.Field) -> DbType:
    """The `DbType` recorded in an Arrow field's metadata."""
    return DbType(int(field.metadata[DBTYPE_KEY]))


@functools.cache
def arrow_schema(schema: TableSchema) -> pa.Schema:
    """The Arrow schema of a table: `SimId` then the schema's fields."""
    fields = [arrow_field(SIMID, DbType.UUID)]
    fields += [arrow_field(f.name, f.dbtype) for f in schema.fields]
    return pa.schema(fields, metadata={b"table": schema.name.encode()})


def _uuid_bytes(value: Any) -> bytes:
    return value.bytes if isinstance(value, uuid.UUID) else bytes(value)


def _column(values: tuple[Any, ...], dbtype: DbType, type_: pa.DataType) -> pa.Array:
    if is_container(dbtype):
        return pa.array([container_json(v, dbtype) for v in values], type=type_)
    if dbtype == DbType.UUID:
        return pa.array([_uuid_bytes(v) for v in values], type=type_)
    if dbtype == DbType.BLOB:
        return pa.array([v.encode() if isinstance(v, str) else v for v in values], type=type_)
    return pa.array(values, type=type_)


def batch_to_arrow(batch: TableBatch) -> pa.RecordBatch:
    """`batch` as an Arrow record batch with `SimId` first."""
    schema = arrow_schema(batch.schema)
    n = len(batch.rows)
    sim_id = pa.Array.from_buffers(pa.binary(16), n, [None, pa.py_buffer(batch.sim_id.bytes * n)])
    columns: list[pa.Array] = [sim_id]
    if n:
        for values, field in zip(zip(*batch.rows, strict=True), batch.schema.fields, strict=True):
            columns.append(_column(values, field.dbtype, arrow_type(field.dbtype)))
    else:
        columns += [pa.array([], type=arrow_type(f.dbtype)) for f in batch.schema.fields]
    return pa.RecordBatch.from_arrays(columns, schema=schema)
