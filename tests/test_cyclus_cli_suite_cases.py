"""The facts Cyclus's own Python suite checks of its simulations, checked here without Cyclus.

Each case runs `cycsrv-cyclus -o OUT --input-file IN` as that suite does, in both of its
modes (`.sqlite` and `.h5`), and reads the output the way its helpers do: sqlite3 rows, or
PyTables arrays where string columns hold SHA-1 digests (`sha1array`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import tables
from conftest import INPUTS

from cycsrv.compat.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # PyTables: "variable length strings ..."

MODES = [".sqlite", ".h5"]


def sha1array(text: str) -> np.ndarray:
    h = int(hashlib.sha1(text.encode()).hexdigest(), 16)
    return np.array([(h >> (32 * i)) & 0xFFFFFFFF for i in range(4, -1, -1)], np.uint32)


class Output:
    """Tables of one output file as the Cyclus suite's helpers read them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.h5 = path.suffix == ".h5"

    def names(self) -> set[str]:
        if self.h5:
            with tables.open_file(str(self.path), mode="r") as f:
                return {n for n in f.root._v_children if not n.endswith(("Keys", "Vals"))}
        db = sqlite3.connect(self.path)
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def column(self, table: str, name: str) -> list:
        if self.h5:
            with tables.open_file(str(self.path), mode="r") as f:
                return list(f.get_node(f"/{table}")[:][name])
        db = sqlite3.connect(self.path)
        return [r[0] for r in db.execute(f"SELECT {name} FROM {table}")]

    def ids_where(self, column: str, value: str) -> list[int]:
        """AgentIds whose string `column` of AgentEntry is `value` (helper.find_ids)."""
        ids, cells = self.column("AgentEntry", "AgentId"), self.column("AgentEntry", column)
        if self.h5:
            return [int(i) for i, c in zip(ids, cells, strict=True) if (c == sha1array(value)).all()]
        return [i for i, c in zip(ids, cells, strict=True) if c == value]


def _run(tmp_path: Path, source: Path, suffix: str, edit=None) -> Output:
    text = source.read_text()
    if edit:
        text = edit(text)
    sim_input = tmp_path / source.name
    sim_input.write_text(text)
    out = tmp_path / f"cyclus_temp_1{suffix}"
    assert main(["-j", "1", "-o", str(out), "--input-file", str(sim_input)]) == 0
    return Output(out)


def _k_factors(*pairs: tuple[float, float]):
    """Replace the n-th KFacility's k_factor_in/out (test_minimal_cycle's change_k_factors)."""
    def edit(text: str) -> str:
        ins, outs = iter(p[0] for p in pairs), iter(p[1] for p in pairs)
        text = re.sub(r"<k_factor_in>[^<]*</k_factor_in>", lambda m: f"<k_factor_in>{next(ins)}</k_factor_in>", text)
        return re.sub(r"<k_factor_out>[^<]*</k_factor_out>", lambda m: f"<k_factor_out>{next(outs)}</k_factor_out>",
                      text)
    return edit


@pytest.mark.parametrize("suffix", MODES)
@pytest.mark.parametrize("k", [0.95, 1, 2])
def test_trivial_cycle_trades_with_itself_on_a_power_law(tmp_path, suffix, k):
    out = _run(tmp_path, INPUTS / "cyclus__tests__input__trivial_cycle.xml", suffix, _k_factors((k, k)))
    assert {"AgentEntry", "Resources", "Transactions", "Info"} <= out.names()
    (fac,) = out.ids_where("Spec", ":agents:KFacility")
    assert set(out.column("Transactions", "SenderId")) == {fac} == set(out.column("Transactions", "ReceiverId"))
    tids = out.column("Transactions", "TransactionId")
    assert list(tids) == list(range(len(tids)))
    quantities = out.column("Resources", "Quantity")
    assert quantities == pytest.approx([quantities[0] * k**i for i in range(len(quantities))], abs=1e-7)


@pytest.mark.parametrize("suffix", MODES)
@pytest.mark.parametrize(("ka", "kb"), [(1, 1), (0.95, 0.95), (2, 2)])
def test_minimal_cycle_alternates_between_two_facilities(tmp_path, suffix, ka, kb):
    out = _run(tmp_path, INPUTS / "cyclus__tests__input__minimal_cycle.xml", suffix, _k_factors((ka, ka), (kb, kb)))
    facs = out.ids_where("Spec", ":agents:KFacility")
    (a,), (b,) = out.ids_where("Prototype", "FacilityA"), out.ids_where("Prototype", "FacilityB")
    assert facs == [a, b]  # A is deployed first
    senders = np.array(out.column("Transactions", "SenderId"))
    receivers = np.array(out.column("Transactions", "ReceiverId"))
    duration = out.column("Info", "Duration")[0]
    assert len(senders) == 2 * duration
    assert set(zip(senders, receivers, strict=True)) == {(a, b), (b, a)}
    from_a, from_b = np.where(senders == a)[0], np.where(senders == b)[0]
    assert sorted([*from_a, *from_b]) == list(range(len(senders)))
    assert list(out.column("Transactions", "TransactionId")) == list(range(len(senders)))
    quantities = out.column("Resources", "Quantity")
    qa = [quantities[i] for i in from_a]
    qb = [quantities[i] for i in from_b]
    assert qa == pytest.approx([qa[0] * ka**j for j in range(len(qa))], abs=1e-7)
    assert qb == pytest.approx([qb[0] * kb**j for j in range(len(qb))], abs=1e-7)


@pytest.mark.parametrize(("ka", "kb"), [(0.95, 2), (2, 0.95)])
def test_minimal_cycle_with_unequal_factors_trades_every_step(tmp_path, ka, kb):
    # by step 49 one side requests 2**49 kg and the other has 0.081 kg to give, and asks for as
    # little: both trades of step t are still 0.95**t, neither more (the run would stop) nor rounded
    out = _run(tmp_path, INPUTS / "cyclus__tests__input__minimal_cycle.xml", ".sqlite", _k_factors((ka, ka), (kb, kb)))
    duration = out.column("Info", "Duration")[0]
    assert len(out.column("Transactions", "SenderId")) == 2 * duration
    quantity = dict(zip(out.column("Resources", "ResourceId"), out.column("Resources", "Quantity"), strict=True))
    traded = sorted(quantity[r] for r in out.column("Transactions", "ResourceId"))
    small = min(ka, kb)
    assert traded == pytest.approx(sorted(small**t for t in range(duration) for _ in "ab"), rel=1e-12)


@pytest.mark.parametrize("suffix", MODES)
def test_source_to_sink_trades_only_source_to_sink(tmp_path, suffix):
    out = _run(tmp_path, INPUTS / "cyclus__tests__input__source_to_sink.xml", suffix)
    (source,), (sink,) = out.ids_where("Spec", ":agents:Source"), out.ids_where("Spec", ":agents:Sink")
    assert set(out.column("Transactions", "SenderId")) == {source}
    assert set(out.column("Transactions", "ReceiverId")) == {sink}
    rids = set(out.column("Transactions", "ResourceId"))
    quantity = dict(zip(out.column("Resources", "ResourceId"), out.column("Resources", "Quantity"), strict=True))
    assert len({quantity[r] for r in rids}) == 1  # every trade the same amount


@pytest.mark.parametrize("suffix", MODES)
@pytest.mark.parametrize(("name", "table", "present"), [
    ("inventory", "ExplicitInventory", True), ("inventory_compact", "ExplicitInventoryCompact", True),
    ("inventory_false", "ExplicitInventory", False), ("inventory_compact_false", "ExplicitInventoryCompact", False),
])
def test_explicit_inventory_tables_follow_the_control_flags(tmp_path, suffix, name, table, present):
    out = _run(tmp_path, INPUTS / f"cyclus__tests__input__{name}.xml", suffix)
    assert (table in out.names()) is present
    if present and table == "ExplicitInventory":
        # one unit arrives each step, so the stock at step t is (t + 1) times the recipe's mass fraction
        time, quantity = out.column(table, "Time"), out.column(table, "Quantity")
        fractions = set(out.column("Compositions", "MassFrac"))
        for t, q in zip(time, quantity, strict=True):
            assert any(q == pytest.approx((t + 1) * f) for f in fractions), (t, q)


@pytest.mark.parametrize("suffix", MODES)
def test_null_sink_writes_no_transactions(tmp_path, suffix):
    out = _run(tmp_path, INPUTS / "cyclus__tests__input__null_sink.xml", suffix)
    assert {"AgentEntry", "Info"} <= out.names() and "Transactions" not in out.names()
    assert len(out.ids_where("Spec", ":agents:Sink")) == 1


@pytest.mark.parametrize("suffix", MODES)
def test_lotka_volterra_runs_with_both_species(tmp_path, suffix):
    out = _run(tmp_path, INPUTS / "cyclus__tests__input__lotka_volterra_determ.xml", suffix)
    assert out.ids_where("Prototype", "PredatorCommodity") or out.ids_where("Spec", ":agents:Predator")
    assert out.ids_where("Spec", ":agents:Prey")
