"""Orient JSON must equal pandas' `to_json` byte for byte for the frame Cyclus's MemBack would hold."""

from __future__ import annotations

import math
import operator
import uuid
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cycsrv.store.arrow import batch_to_arrow
from cycsrv.store.containers import CType, ctype_of
from cycsrv.store.memory import MemoryBackend, QueryResult
from cycsrv.store.orient import ORIENTS, render
from cycsrv.store.schema import DbType, TableBatch, TableSchema

SIM_ID = uuid.UUID("3f8b4570-e718-47f7-ae2d-61bcfb744948")
PANDAS_OPS = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}


def memback_value(value: Any, t: str | CType) -> Any:
    """A recorded value as MemBack hands it to pandas: std::map/std::set in key order."""
    if isinstance(t, str):
        return value
    if t.kind == "MAP":
        return {k: memback_value(v, t.args[1]) for k, v in sorted(value.items(), key=lambda kv: kv[0])}
    if t.kind == "PAIR":
        return (memback_value(value[0], t.args[0]), memback_value(value[1], t.args[1]))
    if t.kind == "SET":
        return sorted(value)  # a Python set's order is not deterministic for strings; cycsrv sorts
    return [memback_value(v, t.args[0]) for v in value]


def memback_frame(schema: TableSchema, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The DataFrame Cyclus's MemBack builds from these rows (`pd.DataFrame(res, columns=fields)`)."""
    converted = []
    for row in rows:
        values = [SIM_ID]
        for value, field in zip(row, schema.fields, strict=True):
            if field.dbtype >= 10:
                value = memback_value(value, ctype_of(field.dbtype))
            values.append(value)
        converted.append(values)
    return pd.DataFrame(converted, columns=["SimId", *schema.names])


def pandas_filter(df: pd.DataFrame, conds: list[list[Any]] | None) -> pd.DataFrame:
    """MemBack's `df[mask]`: the original row labels stay."""
    if not conds:
        return df
    mask = pd.Series(True, index=df.index)
    for field, op, value in conds:
        mask &= PANDAS_OPS[op](df[field], value)
    return df[mask]


def assert_same_as_pandas(schema: TableSchema, rows: list[tuple[Any, ...]], conds: Any = None) -> None:
    backend = MemoryBackend()
    backend.notify([TableBatch(schema, SIM_ID, rows)])
    result = backend.query(schema.name, conds)
    expected = pandas_filter(memback_frame(schema, rows), conds)
    for orient in ORIENTS:
        assert render(result, orient) == expected.to_json(orient=orient, default_handler=str), orient


# -- hypothesis strategies: values of any Cyclus type ------------------------------------------

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_ints = st.integers(-(2**31), 2**31 - 1)
_doubles = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e16, 1e-15, 1e-16, 5e-11, -1e-12, 0.5e-10, 1.5e-10, 1 / 3, 12345678901234.567, 1.7976931348623157e308])


def _values(t: str | CType) -> st.SearchStrategy[Any]:
    if isinstance(t, str):
        return {"INT": _ints, "DOUBLE": _doubles, "STRING": _text, "BOOL": st.booleans(),
                "UUID": st.uuids(), "BLOB": _text.map(str.encode)}[t]
    if t.kind == "MAP":
        return st.dictionaries(_values(t.args[0]), _values(t.args[1]), max_size=3)
    if t.kind == "PAIR":
        return st.tuples(_values(t.args[0]), _values(t.args[1]))
    if t.kind == "SET":
        return st.sets(_values(t.args[0]), max_size=3)
    return st.lists(_values(t.args[0]), max_size=3)


def value_strategy(dbtype: DbType) -> st.SearchStrategy[Any]:
    if dbtype >= 10:
        return _values(ctype_of(dbtype))
    return _values(dbtype.name)


COLUMN_TYPES = [DbType.INT, DbType.DOUBLE, DbType.STRING, DbType.BOOL, DbType.UUID, DbType.BLOB,
                DbType.VECTOR_DOUBLE, DbType.VECTOR_STRING, DbType.SET_INT, DbType.PAIR_INT_INT,
                DbType.MAP_INT_DOUBLE, DbType.MAP_STRING_VECTOR_PAIR_INT_PAIR_STRING_STRING,
                DbType.MAP_PAIR_STRING_STRING_INT, DbType.LIST_PAIR_INT_INT]
# pandas cuts column names at a NUL (C strings); Cyclus column names are identifiers anyway
_names = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=6).filter(
    lambda n: n not in ("index", "SimId"))


@st.composite
def tables(draw: st.DrawFn) -> tuple[TableSchema, list[tuple[Any, ...]], Any]:
    names = draw(st.lists(_names, min_size=1, max_size=5, unique=True))
    types = [draw(st.sampled_from(COLUMN_TYPES)) for _ in names]
    schema = TableSchema.of("T", *zip(names, types, strict=True))
    rows = draw(st.lists(st.tuples(*[value_strategy(t) for t in types]), min_size=1, max_size=12))
    conds = None
    numeric = [n for n, t in zip(names, types, strict=True) if t in (DbType.INT, DbType.DOUBLE)]
    if numeric and draw(st.booleans()):
        field = draw(st.sampled_from(numeric))
        conds = [[field, draw(st.sampled_from(list(PANDAS_OPS))), draw(st.integers(-3, 3))]]
    return schema, rows, conds


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_any_table_renders_as_pandas_does(table: tuple[TableSchema, list[tuple[Any, ...]], Any]) -> None:
    assert_same_as_pandas(*table)


# -- explicit edge cases -----------------------------------------------------------------------

TIMESERIES = TableSchema.of("TimeSeriesPower", ("AgentId", DbType.INT), ("Time", DbType.INT),
                            ("Value", DbType.DOUBLE), ("Units", DbType.STRING))


def test_filtered_rows_keep_their_labels() -> None:
    rows = [(9, 0, 1.5, "MWe"), (10, 0, math.nan, "MWe"), (11, 1, 2.0, "MWe")]
    assert_same_as_pandas(TIMESERIES, rows, [["AgentId", ">", 9]])
    backend = MemoryBackend()
    backend.notify([TableBatch(TIMESERIES, SIM_ID, rows)])
    split = render(backend.query("TimeSeriesPower", [["AgentId", ">", 9]]))
    assert '"index":[1,2]' in split and "[" + '"3f8b4570-e718-47f7-ae2d-61bcfb744948",10,0,null,"MWe"]' in split


def test_filter_to_no_rows_keeps_column_types() -> None:
    assert_same_as_pandas(TIMESERIES, [(1, 0, 1.0, "MWe")], [["Time", ">", 5]])


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e300, -1e-300, 5e-324, 1e16,
                                   1.0000000000000002e16, 0.99999999999, 123456789.123456789, -1e-12, 2.5e-10])
def test_awkward_doubles(value: float) -> None:
    assert_same_as_pandas(TIMESERIES, [(1, 0, value, "x"), (2, 1, 1.25, "y")])


@pytest.mark.parametrize("text", ["a/b", "\x7f", "é", "\U0001f600", "\x00\x01\x1f\n\t\b\f\r", '"\\', "\\u007f", "日本語"])
def test_awkward_strings(text: str) -> None:
    rows = [(1, 0, 1.0, text), (2, 0, 2.0, "plain")]
    assert_same_as_pandas(TIMESERIES, rows)
    # many rows with few distinct values take the format-once path
    assert_same_as_pandas(TIMESERIES, rows * 100)


def test_uuids_bytes_bools_and_containers() -> None:
    schema = TableSchema.of("AgentState_x_Info", ("Parent", DbType.UUID), ("Data", DbType.BLOB), ("On", DbType.BOOL),
                            ("Prefs", DbType.VECTOR_DOUBLE), ("Comp", DbType.MAP_INT_DOUBLE),
                            ("Streams", DbType.MAP_STRING_PAIR_DOUBLE_MAP_INT_DOUBLE))
    rows = [(uuid.UUID(int=0), b"<xml a='1'/>\x00", True, [1.0, 2.5], {922380000: 0.9929, 922350000: 0.0071},
             {"sep/stream": (1e100, {940000000: 0.99})}),
            (uuid.uuid4(), "caf\u00e9".encode(), False, [], {}, {})]
    assert_same_as_pandas(schema, rows * 40)


def test_large_table_matches_pandas() -> None:
    rows = [(i % 50, i // 20, i * 0.1 - 3.0, ("kWh", "MWe", "a/b")[i % 3]) for i in range(3000)]
    assert_same_as_pandas(TIMESERIES, rows, [["Value", ">=", 0.5]])


def test_unknown_orient_names_the_allowed_ones() -> None:
    empty = QueryResult(pa.Table.from_batches([batch_to_arrow(TableBatch(TIMESERIES, SIM_ID, []))]), pa.array([], pa.int64()))
    with pytest.raises(ValueError, match="split, records, index, columns, values, table"):
        render(empty, "rows")
