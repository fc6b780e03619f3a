"""The file backend: Cyclus's SQLite output layout, readable by Cyclus users' scripts and cymetric.

Layout as Cyclus's `SqliteBack` writes it: a `FieldTypes(TableName, Field, Type)` table created
at open and filled with each table's `DbType` codes; tables created lazily, in first-seen order,
``SimId BLOB`` first; INT/BOOL as INTEGER, DOUBLE/FLOAT as REAL, STRING as TEXT, everything else
as BLOB (UUIDs as 16 big-endian bytes, containers as Boost XML archives, see `boostxml`).
NaN doubles become NULL (SQLite stores a bound NaN as NULL).

Unlike Cyclus (journal in memory, no syncing), each `notify` is one transaction in WAL mode
with ``synchronous=NORMAL``: a killed process leaves a file that opens, passes
``PRAGMA integrity_check`` and holds every step committed before the kill.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from cycsrv.store.boostxml import boost_xml
from cycsrv.store.schema import DbType, TableBatch, TableSchema, is_container

_SQL_TYPES = {
    DbType.INT: "INTEGER",
    DbType.BOOL: "INTEGER",
    DbType.DOUBLE: "REAL",
    DbType.FLOAT: "REAL",
    DbType.STRING: "TEXT",
    DbType.VL_STRING: "TEXT",
}
_FIELD_TYPES_SQL = "CREATE TABLE FieldTypes(TableName TEXT,Field TEXT,Type INTEGER)"


def sql_type(dbtype: DbType) -> str:
    """The SQLite column type Cyclus declares for `dbtype`."""
    return _SQL_TYPES.get(dbtype, "BLOB")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create_sql(schema: TableSchema, quote: bool) -> str:
    name = _quoted if quote else str
    columns = ", ".join(["SimId BLOB", *(f"{name(f.name)} {sql_type(f.dbtype)}" for f in schema.fields)])
    return f"CREATE TABLE {name(schema.name)} ({columns})"


def _uuid_bytes(value: Any) -> bytes:
    return value.bytes if isinstance(value, uuid.UUID) else bytes(value)


def _blob_bytes(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _converter(dbtype: DbType) -> Callable[[Any], Any] | None:
    """How a Python value of `dbtype` becomes an SQLite value, or None if it binds as is."""
    if is_container(dbtype):
        return lambda v: boost_xml(v, dbtype)
    if dbtype == DbType.UUID:
        return _uuid_bytes
    if dbtype == DbType.BLOB:
        return _blob_bytes
    return None


class SqliteBackend:
    """Writes recorded tables to the SQLite file at `path` (appending if it exists, as Cyclus does).

    Thread-safe: `notify` runs in the simulation thread while `table_names` may be called from
    the server's thread. Like Cyclus, a table exists once it has a row (a run where nothing
    traded has no `Transactions` table).
    """

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        existing = [r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        if "FieldTypes" not in existing:
            self._db.execute(_FIELD_TYPES_SQL)
        self._tables: set[str] = {name for name in existing if name != "FieldTypes"}
        self._inserts: dict[tuple[TableSchema, uuid.UUID], tuple[str, list[tuple[int, Callable[[Any], Any]]]]] = {}
        self._closed = False

    def _create(self, schema: TableSchema) -> None:
        # Cyclus writes names bare (that text is what sqlite_master keeps); quote them only
        # when SQLite cannot read them bare (keywords, punctuation)
        try:
            self._db.execute(_create_sql(schema, quote=False))
        except sqlite3.OperationalError as exc:
            if "syntax error" not in str(exc) and "unrecognized token" not in str(exc):
                raise
            self._db.execute(_create_sql(schema, quote=True))
        types = [(schema.name, "SimId", int(DbType.UUID))]
        types += [(schema.name, f.name, int(f.dbtype)) for f in schema.fields]
        self._db.executemany("INSERT INTO FieldTypes VALUES (?, ?, ?)", types)
        self._tables.add(schema.name)

    def _insert(self, schema: TableSchema, sim_id: uuid.UUID) -> tuple[str, list[tuple[int, Callable[[Any], Any]]]]:
        key = (schema, sim_id)
        plan = self._inserts.get(key)
        if plan is None:
            if schema.name not in self._tables:
                self._create(schema)
            # SimId is the same for the whole batch: bind it as a literal so rows go in untouched
            marks = ", ".join(["?"] * len(schema.fields))
            sql = f"INSERT INTO {_quoted(schema.name)} VALUES (X'{sim_id.hex}'{', ' if marks else ''}{marks})"
            converters = [(i, c) for i, f in enumerate(schema.fields) if (c := _converter(f.dbtype))]
            plan = self._inserts[key] = (sql, converters)
        return plan

    def notify(self, batches: Sequence[TableBatch]) -> None:
        """Write `batches` in one transaction; tables are created on their first non-empty batch."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"SQLite backend {self.path} is closed")
            db = self._db
            db.execute("BEGIN")
            try:
                for batch in batches:
                    if not batch.rows:
                        continue
                    sql, converters = self._insert(batch.schema, batch.sim_id)
                    rows: Any = batch.rows
                    if converters:
                        rows = [_convert(row, converters) for row in rows]
                    db.executemany(sql, rows)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def table_names(self) -> list[str]:
        """Names of the tables in the file, sorted, without `FieldTypes` (as Cyclus's `Tables()`)."""
        with self._lock:
            return sorted(self._tables)

    def close(self) -> None:
        """Checkpoint the write-ahead log back into the file and close it; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            # leave an ordinary single-file database behind, as Cyclus does
            self._db.execute("PRAGMA journal_mode=DELETE")
            self._db.close()


def _convert(row: tuple[Any, ...], converters: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    out = list(row)
    for i, convert in converters:
        out[i] = convert(out[i])
    return out
