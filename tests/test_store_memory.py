"""The in-memory backend: registry semantics, conditions, clear errors, snapshots."""

from __future__ import annotations

import math
import threading
import uuid

import pyarrow as pa
import pytest

from cycsrv.store.arrow import DBTYPE_KEY, batch_to_arrow, field_dbtype
from cycsrv.store.memory import Cond, MemoryBackend, parse_conds
from cycsrv.store.schema import DbType, TableBatch, TableSchema

SIM = uuid.UUID("41600cbb-0859-4cd0-a84e-681c492c6812")
POWER = TableSchema.of("TimeSeriesPower", ("AgentId", DbType.INT), ("Time", DbType.INT),
                       ("Value", DbType.DOUBLE), ("Units", DbType.STRING))
FINISH = TableSchema.of("Finish", ("EarlyTerm", DbType.BOOL), ("EndTime", DbType.INT))


def step(t: int) -> list[TableBatch]:
    return [TableBatch(POWER, SIM, [(10 + i, t, float(i * t), "MWe") for i in range(3)]),
            TableBatch(FINISH, SIM, [(False, t)])]


def test_store_everything_by_default() -> None:
    backend = MemoryBackend()
    assert backend.registry is True
    backend.notify(step(0))
    backend.notify(step(1))
    assert backend.tables() == ["TimeSeriesPower", "Finish"]
    result = backend.query("TimeSeriesPower")
    assert result.num_rows == 6
    assert result.index.to_pylist() == list(range(6))
    assert result.table.column("SimId").to_pylist() == [SIM.bytes] * 6


def test_registry_keeps_only_registered_tables_without_backfill() -> None:
    backend = MemoryBackend(registry=["Finish"])
    assert backend.registry == frozenset({"Finish"})
    backend.notify(step(0))
    assert backend.tables() == ["Finish"]
    backend.register(["TimeSeriesPower"])
    backend.notify(step(1))
    assert backend.query("TimeSeriesPower").table.column("Time").to_pylist() == [1, 1, 1]
    backend.deregister(["Finish"])
    assert backend.registry == frozenset({"TimeSeriesPower"})
    with pytest.raises(KeyError, match="Finish"):
        backend.query("Finish")


def test_deregister_while_storing_everything_switches_to_an_explicit_registry() -> None:
    backend = MemoryBackend()
    backend.notify(step(0))
    backend.deregister(["Finish"])
    assert backend.registry == frozenset({"TimeSeriesPower"})
    backend.notify(step(1))
    assert backend.tables() == ["TimeSeriesPower"]
    backend.register(["Finish"])
    backend.notify(step(2))
    assert backend.query("Finish").table.column("EndTime").to_pylist() == [2]


def test_set_registry_follows_membacks_assignment_rules() -> None:
    backend = MemoryBackend()
    backend.notify(step(0))
    backend.set_registry(["Finish"])  # from store-everything nothing is dropped
    assert backend.registry == frozenset({"Finish"}) and backend.tables() == ["TimeSeriesPower", "Finish"]
    backend.notify(step(1))
    assert backend.query("TimeSeriesPower").num_rows == 3 and backend.query("Finish").num_rows == 2
    backend.set_registry(["TimeSeriesPower"])  # Finish was registered and is not now: dropped
    assert backend.tables() == ["TimeSeriesPower"]
    backend.set_registry(True)
    assert backend.registry is True and backend.tables() == ["TimeSeriesPower"]
    backend.set_registry(None)
    assert backend.registry == frozenset() and backend.tables() == []


def test_empty_registry_stores_nothing() -> None:
    backend = MemoryBackend(registry=[])
    backend.notify(step(0))
    assert backend.tables() == []


def test_conditions_are_anded_and_keep_original_labels() -> None:
    backend = MemoryBackend()
    for t in range(3):
        backend.notify(step(t))
    result = backend.query("TimeSeriesPower", [["Time", ">=", 1], ["AgentId", "!=", 11], ["Value", "<", 3.5]])
    assert result.index.to_pylist() == [3, 5, 6]
    assert result.table.column("Value").to_pylist() == [0.0, 2.0, 0.0]
    assert backend.query("TimeSeriesPower", [["Units", "==", "MWe"], ["Time", "==", 2]]).index.to_pylist() == [6, 7, 8]
    assert backend.query("TimeSeriesPower", [("Value", "<=", 0)]).index.to_pylist() == [0, 1, 2, 3, 6]
    assert backend.query("Finish", [["EarlyTerm", "==", False]]).num_rows == 3
    assert backend.query("TimeSeriesPower", [["SimId", "==", str(SIM)]]).num_rows == 9
    assert backend.query("TimeSeriesPower", [["SimId", "!=", str(SIM)]]).num_rows == 0
    assert backend.query("TimeSeriesPower", [["Time", ">", 2**70]]).num_rows == 0


def test_nan_never_matches_an_ordering() -> None:
    backend = MemoryBackend()
    backend.notify([TableBatch(POWER, SIM, [(1, 0, math.nan, "x"), (2, 0, 1.0, "x")])])
    assert backend.query("TimeSeriesPower", [["Value", ">", 0]]).index.to_pylist() == [1]
    assert backend.query("TimeSeriesPower", [["Value", "!=", 1.0]]).index.to_pylist() == [0]


@pytest.mark.parametrize(("conds", "message"), [
    ("Time > 3", "list of"),
    ([["Time", ">"]], r"\[field, op, value\]"),
    ([["Time", "=~", 3]], "unknown condition operator '=~'; allowed: <, >, <=, >=, ==, !="),
    ([["Nope", ">", 3]], "unknown field 'Nope'; columns are: SimId, AgentId, Time, Value, Units"),
    ([["Time", ">", "3"]], "field 'Time' is INT; cannot compare it with '3'"),
    ([["Units", "==", 3]], "field 'Units' is STRING"),
    ([["Value", ">", True]], "field 'Value' is DOUBLE"),
    ([["SimId", "<", str(SIM)]], "only == and != apply"),
    ([["SimId", "==", "not-a-uuid"]], "UUID"),
])
def test_bad_conditions_say_what_is_wrong(conds: object, message: str) -> None:
    backend = MemoryBackend()
    backend.notify(step(0))
    with pytest.raises(ValueError, match=message):
        backend.query("TimeSeriesPower", conds)


def test_parse_conds_shapes() -> None:
    assert parse_conds(None) == []
    assert parse_conds([["Time", ">", 5], ("AgentId", "==", 12)]) == [Cond("Time", ">", 5), Cond("AgentId", "==", 12)]
    with pytest.raises(ValueError, match="column name"):
        parse_conds([[1, ">", 5]])


def test_unknown_table_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="'Nope' is not in the in-memory backend"):
        MemoryBackend().query("Nope")


def test_query_results_are_snapshots() -> None:
    backend = MemoryBackend()
    backend.notify(step(0))
    before = backend.query("TimeSeriesPower")
    backend.notify(step(1))
    assert before.num_rows == 3 and backend.query("TimeSeriesPower").num_rows == 6


def test_many_steps_query_the_same_after_merging() -> None:
    backend = MemoryBackend()
    for t in range(100):
        backend.notify(step(t))
    first = backend.query("TimeSeriesPower", [["Time", ">=", 98]])
    backend.notify(step(100))
    second = backend.query("TimeSeriesPower", [["Time", ">=", 98]])
    assert first.index.to_pylist() == list(range(294, 300))
    assert second.index.to_pylist() == list(range(294, 303))
    assert second.table.slice(0, 6).equals(first.table)


def test_changed_columns_are_refused() -> None:
    backend = MemoryBackend()
    backend.notify(step(0))
    other = TableSchema.of("Finish", ("EndTime", DbType.INT))
    with pytest.raises(ValueError, match="changed columns"):
        backend.notify([TableBatch(other, SIM, [(1,)])])


def test_queries_while_the_simulation_writes() -> None:
    backend = MemoryBackend()
    errors: list[BaseException] = []

    def write() -> None:
        for t in range(300):
            backend.notify(step(t))

    def read() -> None:
        try:
            for _ in range(300):
                if "TimeSeriesPower" in backend.tables():
                    result = backend.query("TimeSeriesPower", [["AgentId", "==", 10]])
                    assert result.index.to_pylist() == list(range(0, 3 * result.num_rows, 3))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert backend.query("TimeSeriesPower").num_rows == 900


def test_arrow_batches_carry_cyclus_types() -> None:
    schema = TableSchema.of("X", ("Comp", DbType.MAP_INT_DOUBLE), ("Ids", DbType.SET_INT), ("Parent", DbType.UUID))
    batch = batch_to_arrow(TableBatch(schema, SIM, [({922380000: 0.9929, 922350000: 0.0071}, {3, 1}, uuid.UUID(int=5))]))
    assert batch.schema.names == ["SimId", "Comp", "Ids", "Parent"]
    assert [field_dbtype(f) for f in batch.schema] == [DbType.UUID, DbType.MAP_INT_DOUBLE, DbType.SET_INT, DbType.UUID]
    assert batch.schema.field("Comp").metadata[DBTYPE_KEY] == b"86"
    assert batch.column(1).to_pylist() == ['{"922350000":0.0071,"922380000":0.9929}']
    assert batch.column(2).to_pylist() == ["[1,3]"]
    assert batch.column(3).type == pa.binary(16)
    assert batch_to_arrow(TableBatch(schema, SIM, [])).num_rows == 0


def test_set_registry_follows_memback_assignment() -> None:
    backend = MemoryBackend()
    backend.notify(step(0))
    backend.set_registry(["Finish"])  # from store-all: nothing dropped, only Finish grows
    assert backend.registry == frozenset({"Finish"})
    backend.notify(step(1))
    assert backend.query("TimeSeriesPower").table.column("Time").to_pylist() == [0, 0, 0]
    assert backend.query("Finish").table.column("EndTime").to_pylist() == [0, 1]
    backend.set_registry([])  # from an explicit registry: Finish is dropped
    with pytest.raises(KeyError):
        backend.query("Finish")
