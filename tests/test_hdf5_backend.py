"""`-o out.h5`: Cyclus's Hdf5Back layout, read back the way Cyclus users read it (PyTables, h5py)."""

from __future__ import annotations

import hashlib
import math
import os
import signal
import struct
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import h5py
import numpy as np
import pytest
import tables
from conftest import INPUTS, CollectingBackend

from cycsrv.kernel.simulation import Simulation
from cycsrv.store.hdf5 import Hdf5Backend
from cycsrv.store.output import open_output
from cycsrv.store.schema import DbType, TableBatch, TableSchema

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # PyTables: "variable length strings ..."

SOURCE_TO_SINK = INPUTS / "cyclus__tests__input__source_to_sink.xml"
INVENTORY = INPUTS / "cyclus__tests__input__inventory_compact.xml"


def sha1array(text: str) -> np.ndarray:
    """How Cyclus's own tests (tests/helper.py) compute the cell of a string column."""
    h = int(hashlib.sha1(text.encode()).hexdigest(), 16)
    words = []
    for _ in range(5):
        h, w = divmod(h, 2**32)
        words.append(w)
    return np.array(words[::-1], np.uint32)


def words(data: bytes) -> tuple[int, ...]:
    return tuple(int(w) for w in sha1array_bytes(data))


def sha1array_bytes(data: bytes) -> np.ndarray:
    return np.array(struct.unpack(">5I", hashlib.sha1(data).digest()), np.uint32)


class Reader:
    """Decodes cells of a Cyclus HDF5 file back to Python values, from the file alone."""

    def __init__(self, f: h5py.File) -> None:
        self.f = f

    def string(self, cell: np.ndarray) -> str:
        return self.f["StringVals"][tuple(int(w) for w in cell)].decode()

    def cell(self, value, code: int):
        if code == 7:
            return uuid.UUID(bytes=bytes(value).ljust(16, b"\0"))
        if code == 0:
            return bool(value)
        if code == 1:
            return int(value)
        if code in (2, 3):
            return float(value)
        if code == 5:
            return self.string(value)
        if code == 6:
            return bytes(self.f["BlobVals"][tuple(int(w) for w in value)])
        if code == 19:
            items = self.f["VectorStringVals"][tuple(int(w) for w in value)]
            return [self.string(x) for x in np.asarray(items).reshape(-1, 5)]
        if code == 87:
            items = self.f["MapIntDoubleVals"][tuple(int(w) for w in value)]
            return {int(k): float(v) for k, v in zip(items["key"], items["val"], strict=True)}
        raise AssertionError(f"no decoder for type {code}")

    def rows(self, table: str) -> list[tuple]:
        ds = self.f[table]
        codes = list(ds.attrs["cyclus_dbtypes"])
        return [tuple(self.cell(row[i], c) for i, c in enumerate(codes)) for row in ds[:]]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(b, set):
        b = sorted(b)
    if isinstance(b, bool) or isinstance(a, bool):
        return bool(a) == bool(b)
    return a == b


def _run_both(path: Path, out: Path) -> tuple[CollectingBackend, uuid.UUID]:
    collected = CollectingBackend()
    sim = Simulation.from_file(path, backends=[collected, open_output(out)])
    sim.run()
    sim.close()
    return collected, sim.recorder.sim_id


@pytest.mark.parametrize("name", [SOURCE_TO_SINK, INVENTORY])
def test_every_table_holds_the_rows_recorded(tmp_path, name):
    out = tmp_path / "out.h5"
    collected, sim_id = _run_both(name, out)
    with h5py.File(out, "r") as f:
        reader = Reader(f)
        tables_in_file = {n for n in f if not n.endswith(("Keys", "Vals"))}
        assert tables_in_file == set(collected.rows)
        for table, rows in collected.rows.items():
            got = reader.rows(table)
            assert len(got) == len(rows), table
            for g, r in zip(got, rows, strict=True):
                assert g[0] == sim_id
                assert len(g) == len(r) + 1
                assert all(_same(a, b) for a, b in zip(g[1:], r, strict=True)), (table, g, r)


def test_pytables_reads_it_as_cyclus_tests_do(tmp_path):
    out = tmp_path / "cyclus_temp_1.h5"
    _run_both(SOURCE_TO_SINK, out)
    with tables.open_file(str(out), mode="r") as f:
        assert all(t in f.root for t in ["/AgentEntry", "/Resources", "/Transactions", "/Info"])
        entry = f.get_node("/AgentEntry")[:]
        info = f.get_node("/Info")[:]
        assert f.root.Info.cols.Duration[:][0] == 100 == info["Duration"][0]
        transactions = f.get_node("/Transactions")[:]
    specs = entry["Spec"]
    source = [aid for aid, spec in zip(entry["AgentId"], specs, strict=True) if (spec == sha1array(":agents:Source")).all()]
    sink = [aid for aid, spec in zip(entry["AgentId"], specs, strict=True) if (spec == sha1array(":agents:Sink")).all()]
    assert len(source) == len(sink) == 1
    assert set(transactions["SenderId"]) == set(source) and set(transactions["ReceiverId"]) == set(sink)
    assert entry.dtype["AgentId"] == np.dtype("<i4") and entry.dtype["SimId"] == np.dtype("S16")


def test_layout_bookkeeping_as_hdf5back_writes_it(tmp_path):
    out = tmp_path / "o.h5"
    _run_both(SOURCE_TO_SINK, out)
    with h5py.File(out, "r") as f:
        ds = f["AgentEntry"]
        assert ds.chunks == (1024,) and ds.maxshape == (None,)
        assert ds.attrs["CLASS"] == b"TABLE" and ds.attrs["TITLE"] == b"AgentEntry"
        names = ds.dtype.names
        assert [ds.attrs[f"FIELD_{i}_NAME"].decode() for i in range(len(names))] == list(names)
        # SimId UUID, AgentId INT, Kind/Spec/Prototype VL_STRING, then INTs
        assert list(ds.attrs["cyclus_dbtypes"]) == [7, 1, 5, 5, 5, 1, 1, 1]
        assert all(list(ds.attrs[f"shape{i}"]) == [-1] for i in range(len(names)))
        offsets = [ds.dtype.fields[n][1] for n in names]
        assert offsets == [0, 16, 20, 40, 60, 80, 84, 88] and ds.dtype.itemsize == 92  # packed, no padding
        # every string is stored once, under its digest, and listed in StringKeys
        keys = [tuple(int(w) for w in k) for k in f["StringKeys"][:]]
        assert len(keys) == len(set(keys))
        assert words(b":agents:Sink") in keys
        assert f["StringVals"].shape == (2**32 - 1,) * 5 and f["StringVals"].chunks == (1,) * 5
        assert f["StringVals"][words(b":agents:Sink")] == b":agents:Sink"
        # the input file is a blob, stored the same way
        data = f["InputFiles"][0]["Data"]
        assert bytes(f["BlobVals"][tuple(int(w) for w in data)]).startswith(b"<?xml")
        assert f["Info"].dtype["Duration"] == np.dtype("<i4")


def test_container_columns_and_their_digests(tmp_path):
    """Containers are stored once under the SHA-1 of their packed elements (Cyclus's Sha1::Update)."""
    schema = TableSchema.of("Custom", ("Flag", DbType.BOOL), ("Comp", DbType.MAP_INT_DOUBLE),
                            ("Names", DbType.VECTOR_STRING), ("Ints", DbType.VECTOR_INT), ("Pair", DbType.PAIR_INT_INT),
                            ("Nested", DbType.MAP_STRING_MAP_INT_DOUBLE), ("Ids", DbType.SET_INT))
    rows = [(True, {922350000: 0.05, 922380000: 0.95}, ["a", "bc"], [1, 2, 3], (4, 5),
             {"fuel": {1: 2.0}}, {3, 1, 2}),
            (False, {}, [], [], (0, 0), {}, set())]
    backend = Hdf5Backend(str(tmp_path / "c.h5"))
    sim_id = uuid.uuid4()
    backend.notify([TableBatch(schema, sim_id, rows)])
    backend.close()
    with h5py.File(tmp_path / "c.h5", "r") as f:
        ds = f["Custom"]
        assert list(ds.attrs["cyclus_dbtypes"]) == [7, 0, 87, 19, 11, 57, 147, 27]
        first = ds[0]
        assert first["Flag"] == 1 and ds.dtype["Flag"] == np.dtype("i1")
        assert tuple(first["Pair"]) == (4, 5)
        comp = tuple(int(w) for w in first["Comp"])
        assert comp == words(struct.pack("<id", 922350000, 0.05) + struct.pack("<id", 922380000, 0.95))
        items = f["MapIntDoubleVals"][comp]
        assert items.dtype.names == ("key", "val") and list(items["key"]) == [922350000, 922380000]
        assert tuple(int(w) for w in first["Ints"]) == words(struct.pack("<3i", 1, 2, 3))
        assert list(f["VectorIntVals"][words(struct.pack("<3i", 1, 2, 3))]) == [1, 2, 3]
        assert tuple(int(w) for w in first["Names"]) == words(b"abc")  # strings concatenated
        assert Reader(f).cell(first["Names"], 19) == ["a", "bc"]
        assert tuple(int(w) for w in first["Ids"]) == words(struct.pack("<3i", 1, 2, 3))  # sets in order
        nested = f["MapStringMapIntDoubleVals"][tuple(int(w) for w in first["Nested"])]
        assert len(nested) == 1 and Reader(f).string(nested[0]["key"]) == "fuel"
        inner = f["MapIntDoubleVals"][tuple(int(w) for w in nested[0]["val"])]
        assert list(inner["key"]) == [1] and list(inner["val"]) == [2.0]
        assert tuple(int(w) for w in ds[1]["Ints"]) == words(b"")
        assert len(f["VectorIntVals"][words(b"")]) == 0


def test_an_existing_file_is_appended_to_with_a_new_simid(tmp_path):
    out = tmp_path / "o.h5"
    _, first = _run_both(SOURCE_TO_SINK, out)
    _, second = _run_both(SOURCE_TO_SINK, out)
    with h5py.File(out, "r") as f:
        reader = Reader(f)
        sims = [r[0] for r in reader.rows("Info")]
        assert sims == [first, second]
        assert {r[0] for r in reader.rows("Transactions")} == {first, second}
        keys = [tuple(k) for k in f["StringKeys"][:]]
        assert len(keys) == len(set(keys))  # strings of the first run are reused, not repeated


def test_no_table_before_its_first_row(tmp_path):
    out = tmp_path / "null.h5"
    collected, _ = _run_both(INPUTS / "cyclus__tests__input__null_sink.xml", out)
    with h5py.File(out, "r") as f:
        assert "Transactions" not in f and "Resources" not in f
        assert set(collected.rows) == {n for n in f if not n.endswith(("Keys", "Vals"))}


CHILD = textwrap.dedent("""
    import random
    import sys
    import time
    from cycsrv.kernel.simulation import Simulation
    from cycsrv.store.hdf5 import Hdf5Backend

    def step_done(t):
        print(t, flush=True)
        time.sleep(random.uniform(0, 0.01))  # the kill lands anywhere in the next steps, not at this boundary

    sim = Simulation.from_file(sys.argv[1], backends=[Hdf5Backend(sys.argv[2])])
    sim.run(step_done)
""")


@pytest.mark.parametrize("steps_before_kill", [3, 40])
def test_a_killed_run_leaves_a_file_with_every_completed_step(tmp_path, steps_before_kill):
    out = tmp_path / "killed.h5"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(SOURCE_TO_SINK), str(out)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    done = -1
    for line in proc.stdout:
        done = int(line)
        if done >= steps_before_kill:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before the kill"
    with h5py.File(out, "r") as f:
        times = sorted(int(t) for t in f["Transactions"]["Time"])
        # one transaction per step: steps 0..k, none missing, at least every step reported done
        assert times == list(range(len(times))) and len(times) >= done + 1
        assert Reader(f).rows("AgentEntry")
    with tables.open_file(str(out), mode="r") as f:
        assert len(f.get_node("/Resources")[:]) >= done + 1
