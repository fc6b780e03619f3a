"""The SQLite backend writes what Cyclus writes: same tables, FieldTypes, values and Boost XML blobs."""

from __future__ import annotations

import math
import signal
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from cycsrv.store.boostxml import boost_xml
from cycsrv.store.containers import CType, ctype_of
from cycsrv.store.schema import DbType, TableBatch, TableSchema
from cycsrv.store.sqlite import SqliteBackend

REFERENCE = Path("/work/shared/reference/outputs")
if not REFERENCE.is_dir():
    REFERENCE = Path(__file__).resolve().parent / "data" / "reference-outputs"
REFERENCE_FILES = ["cyclus__tests__input__inventory_compact.sqlite", "cycamore__input__greedy_recycle.sqlite",
                   "cycamore__tests__input__growth.sqlite"]
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference Cyclus outputs not available")


def decode_xml(element: Any, t: str | CType) -> Any:
    """A Boost XML element back into the Python value the kernel records."""
    if isinstance(t, str):
        text = element.text or ""
        return int(text) if t == "INT" else float(text) if t == "DOUBLE" else text
    if t.kind == "PAIR":
        return (decode_xml(element.find("first"), t.args[0]), decode_xml(element.find("second"), t.args[1]))
    items = element.findall("item")
    if t.kind == "MAP":
        return {decode_xml(i.find("first"), t.args[0]): decode_xml(i.find("second"), t.args[1]) for i in items}
    values = [decode_xml(i, t.args[0]) for i in items]
    return set(values) if t.kind == "SET" else values


def python_value(value: Any, dbtype: DbType) -> Any:
    """An SQLite value of a Cyclus file as the kernel would have recorded it."""
    if dbtype >= 10:
        return decode_xml(etree.fromstring(value).find("vect"), ctype_of(dbtype))
    if dbtype == DbType.UUID:
        return uuid.UUID(bytes=value)
    if dbtype == DbType.BOOL:
        return bool(value)
    if dbtype in (DbType.DOUBLE, DbType.FLOAT) and value is None:
        return math.nan
    return value


def read_reference(path: Path) -> tuple[uuid.UUID, list[TableBatch]]:
    """Every table of a Cyclus output as one batch each, in creation order."""
    db = sqlite3.connect(path)
    types: dict[str, list[tuple[str, DbType]]] = {}
    for table, field, code in db.execute("SELECT TableName, Field, Type FROM FieldTypes ORDER BY rowid"):
        types.setdefault(table, []).append((field, DbType(code)))
    (sim_id,) = db.execute("SELECT SimId FROM Info").fetchone()
    batches = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'FieldTypes' ORDER BY rowid"):
        fields = types[table][1:]  # SimId comes from the batch
        rows = [tuple(python_value(v, t) for v, (_, t) in zip(row[1:], fields, strict=True))
                for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
        batches.append(TableBatch(TableSchema.of(table, *fields), uuid.UUID(bytes=sim_id), rows))
    db.close()
    return uuid.UUID(bytes=sim_id), batches


def dump(path: Path) -> dict[str, Any]:
    db = sqlite3.connect(path)
    out = {
        "schema": db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY rowid").fetchall(),
        "fieldtypes": db.execute("SELECT * FROM FieldTypes ORDER BY rowid").fetchall(),
    }
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        out[name] = db.execute(f"SELECT * FROM {name} ORDER BY rowid").fetchall()
    db.close()
    return out


@needs_reference
@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_reference_output_written_back_is_identical(tmp_path: Path, name: str) -> None:
    """Re-recording every row of a real Cyclus output gives the same tables, types and bytes."""
    sim_id, batches = read_reference(REFERENCE / name)
    out = tmp_path / "out.sqlite"
    backend = SqliteBackend(str(out))
    # as the kernel does: several steps, tables appearing in first-seen order
    half = [TableBatch(b.schema, sim_id, b.rows[: (len(b.rows) + 1) // 2]) for b in batches]
    rest = [TableBatch(b.schema, sim_id, b.rows[(len(b.rows) + 1) // 2 :]) for b in batches]
    backend.notify(half)
    backend.notify(rest)
    backend.close()
    ours, reference = dump(out), dump(REFERENCE / name)
    assert ours.keys() == reference.keys()
    for key in reference:
        assert ours[key] == reference[key], key


@needs_reference
def test_every_reference_container_blob_is_reproduced() -> None:
    count = 0
    for path in sorted(REFERENCE.glob("*.sqlite")):
        db = sqlite3.connect(path)
        for table, field, code in db.execute("SELECT * FROM FieldTypes WHERE Type >= 10").fetchall():
            for (blob,) in db.execute(f'SELECT "{field}" FROM "{table}"'):
                value = python_value(blob, DbType(code))
                assert boost_xml(value, DbType(code)) == blob, (path.name, table, field)
                count += 1
        db.close()
    assert count > 100


def test_class_ids_follow_first_appearance() -> None:
    """An empty inner map assigns no id to its element type; the next new class takes the next id."""
    xml = boost_xml({"a": {}, "b": {"x": 1.0}}, DbType.MAP_STRING_MAP_STRING_DOUBLE).decode()
    assert xml.count("class_id=") == 4
    assert '<item class_id="3" tracking_level="0" version="0">\n\t\t\t\t<first>x</first>' in xml
    assert boost_xml(["a&<b>'\""], DbType.VECTOR_STRING).decode().count("<item>a&amp;&lt;b&gt;&apos;&quot;</item>") == 1
    assert "<item>" in boost_xml({3, 1}, DbType.SET_INT).decode() and "class_id" not in boost_xml({3, 1}, DbType.SET_INT).decode()


SCHEMA = TableSchema.of("TimeSeriesPower", ("AgentId", DbType.INT), ("Time", DbType.INT),
                        ("Value", DbType.DOUBLE), ("Units", DbType.STRING))
SIM = uuid.UUID("41600cbb-0859-4cd0-a84e-681c492c6812")


def test_nan_is_null_bools_are_ints_and_uuids_are_16_bytes(tmp_path: Path) -> None:
    schema = TableSchema.of("Info", ("ParentSimId", DbType.UUID), ("On", DbType.BOOL), ("X", DbType.DOUBLE))
    backend = SqliteBackend(str(tmp_path / "o.sqlite"))
    backend.notify([TableBatch(schema, SIM, [(uuid.UUID(int=0), True, math.nan), (SIM, False, 2.5)])])
    backend.close()
    db = sqlite3.connect(tmp_path / "o.sqlite")
    rows = db.execute("SELECT SimId, ParentSimId, \"On\", X, typeof(X) FROM Info").fetchall()
    assert rows == [(SIM.bytes, bytes(16), 1, None, "null"), (SIM.bytes, SIM.bytes, 0, 2.5, "real")]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_failed_notify_writes_nothing(tmp_path: Path) -> None:
    backend = SqliteBackend(str(tmp_path / "o.sqlite"))
    backend.notify([TableBatch(SCHEMA, SIM, [(1, 0, 1.0, "MWe")])])
    bad = TableBatch(TableSchema.of("Other", ("A", DbType.INT)), SIM, [(1, 2)])  # one value too many
    with pytest.raises(sqlite3.Error):
        backend.notify([TableBatch(SCHEMA, SIM, [(1, 1, 2.0, "MWe")]), bad])
    backend.notify([TableBatch(SCHEMA, SIM, [(1, 2, 3.0, "MWe")])])
    backend.close()
    db = sqlite3.connect(tmp_path / "o.sqlite")
    assert db.execute("SELECT Time FROM TimeSeriesPower").fetchall() == [(0,), (2,)]


def test_killed_writer_leaves_every_committed_step(tmp_path: Path) -> None:
    """kill -9 in the middle of writing: the file opens, is intact and holds whole steps only."""
    out = tmp_path / "o.sqlite"
    script = textwrap.dedent(f"""
        import sys, uuid
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from cycsrv.store.schema import DbType, TableBatch, TableSchema
        from cycsrv.store.sqlite import SqliteBackend
        schema = TableSchema.of("T", ("Step", DbType.INT), ("Value", DbType.DOUBLE))
        other = TableSchema.of("U", ("Step", DbType.INT))
        backend = SqliteBackend({str(out)!r})
        sim = uuid.uuid4()
        step = 0
        while True:
            backend.notify([TableBatch(schema, sim, [(step, i * 0.5) for i in range(500)]),
                            TableBatch(other, sim, [(step,)] * 100)])
            print(step, flush=True)
            step += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for _ in range(30):
            reported = int(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(out)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    count, steps, last = db.execute("SELECT count(*), count(DISTINCT Step), max(Step) FROM T").fetchone()
    assert last >= reported and steps == last + 1 and count == 500 * steps
    assert db.execute("SELECT count(*) FROM U").fetchone() == (100 * steps,)


def test_table_names_and_appending_to_an_existing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "o.sqlite")
    backend = SqliteBackend(path)
    backend.notify([TableBatch(SCHEMA, SIM, [(1, 0, 1.0, "MWe")]), TableBatch(TableSchema.of("Finish", ("EndTime", DbType.INT)), SIM, [])])
    assert backend.table_names() == ["TimeSeriesPower"]  # a table with no rows does not exist
    backend.close()
    again = SqliteBackend(path)
    other = uuid.uuid4()
    again.notify([TableBatch(SCHEMA, other, [(2, 0, 1.0, "MWe")]), TableBatch(TableSchema.of("Finish", ("EndTime", DbType.INT)), other, [(5,)])])
    assert again.table_names() == ["Finish", "TimeSeriesPower"]
    again.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM TimeSeriesPower").fetchone() == (2,)
    assert db.execute("SELECT count(*) FROM FieldTypes WHERE TableName = 'TimeSeriesPower'").fetchone() == (5,)
