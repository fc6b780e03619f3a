"""The optimisation exchange solver (`<coin-or>`): Cyclus's program solved by HiGHS.

Contended supply goes where the optimum puts it (not where the greedy heuristic does), exclusive
requests get whole assemblies (a MILP), the coin-or reference inputs still match real Cyclus,
`<mps>`/`<verbose>` do what Cyclus's do, and a bad preference is a clear error.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from conftest import FLOWS, INPUTS
from flowsummary import compare, summarize
from mocksim import Rows, run_sim
from portfolios import Offer, Trader

from cycsrv.kernel.exchange import BidPortfolio, RequestPortfolio
from cycsrv.kernel.simulation import Simulation
from cycsrv.kernel.solvers.highs import HighsOptions, HighsSolver, SolverError
from cycsrv.kernel.solvers.program import PreferenceError, build_program

COIN = "<solver><config><coin-or/></config></solver>"
RECIPES = """
<recipe><name>fuel</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.04</comp></nuclide><nuclide><id>U238</id><comp>0.96</comp></nuclide></recipe>
<recipe><name>spent</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.01</comp></nuclide><nuclide><id>U238</id><comp>0.99</comp></nuclide></recipe>
"""


def _vals(xs) -> str:
    return "".join(f"<val>{x}</val>" for x in xs)


def source(name: str, commod: str, throughput: float) -> str:
    return (f"<facility><name>{name}</name><config><Source><outcommod>{commod}</outcommod>"
            f"<outrecipe>fuel</outrecipe><throughput>{throughput}</throughput></Source></config></facility>")


def sink(name: str, commods: list[str], prefs: list[float] | None = None, capacity: float = 10) -> str:
    p = f"<in_commod_prefs>{_vals(prefs)}</in_commod_prefs>" if prefs else ""
    return (f"<facility><name>{name}</name><config><Sink><in_commods>{_vals(commods)}</in_commods>{p}"
            f"<capacity>{capacity}</capacity></Sink></config></facility>")


def reactor(name: str, commods: list[str], prefs: list[float]) -> str:
    """A one-assembly (10 kg) reactor refuelled every step: one exclusive request per fuel."""
    n = len(commods)
    return (f"<facility><name>{name}</name><config><Reactor>"
            f"<fuel_incommods>{_vals(commods)}</fuel_incommods><fuel_inrecipes>{_vals(['fuel'] * n)}</fuel_inrecipes>"
            f"<fuel_outcommods>{_vals(['waste'] * n)}</fuel_outcommods>"
            f"<fuel_outrecipes>{_vals(['spent'] * n)}</fuel_outrecipes><fuel_prefs>{_vals(prefs)}</fuel_prefs>"
            "<cycle_time>1</cycle_time><refuel_time>0</refuel_time><assem_size>10</assem_size>"
            "<n_assem_core>1</n_assem_core><n_assem_batch>1</n_assem_batch></Reactor></config></facility>")


def run(facilities: list[str], duration: int, solver: str = "") -> Rows:
    """Run one of each facility for `duration` steps, with `solver` (a <solver> element) in <control>."""
    return run_sim(facilities, duration, recipes=RECIPES, control=solver)


def trades(rows: Rows) -> list[tuple[int, str, str, float]]:
    """(time, sender prototype, receiver prototype, kg) per transaction, in row order."""
    proto = {r["AgentId"]: r["Prototype"] for r in rows.table("AgentEntry")}
    qty = {r["ResourceId"]: r["Quantity"] for r in rows.table("Resources")}
    return [(t["Time"], proto[t["SenderId"]], proto[t["ReceiverId"]], qty[t["ResourceId"]])
            for t in rows.table("Transactions")]


CONTENDED = [source("SrcX", "X", 10), source("SrcY", "Y", 10), sink("A", ["X", "Y"], [1.1, 1.0]), sink("B", ["X"])]


def test_contended_supply_goes_to_the_optimum(tmp_path):
    rows = run(CONTENDED, 3, COIN)
    assert trades(rows) == [(t, s, r, 10.0) for t in range(3) for s, r in (("SrcX", "B"), ("SrcY", "A"))]
    assert rows.of("SolverInfo", "Solver") == ["coin-or"]
    assert rows.of("SolverInfo", "ExclusiveOrders") == [True]
    assert [(r["Timeout"], r["Verbose"], r["Mps"]) for r in rows.table("CoinSolverInfo")] == [(-1.0, False, False)]
    assert rows.table("GreedySolverInfo") == []


def test_greedy_stays_the_default(tmp_path):
    rows = run(CONTENDED, 3)
    assert trades(rows) == [(t, "SrcX", "A", 10.0) for t in range(3)]
    assert rows.of("SolverInfo", "Solver") == ["greedy"]
    assert rows.context.exchange_solver is None


def test_exclusive_requests_get_whole_assemblies_where_they_serve_most(tmp_path):
    # R1 prefers A but takes B; R2 takes only A: the optimum feeds both, one whole assembly each
    fac = [source("SrcA", "A", 10), source("SrcB", "B", 10), reactor("R1", ["A", "B"], [2, 1]), reactor("R2", ["A"], [1])]
    assert trades(run(fac, 2, COIN)) == [
        (t, s, r, 10.0) for t in range(2) for s, r in (("SrcA", "R2"), ("SrcB", "R1"))]
    assert trades(run(fac, 2)) == [(t, "SrcA", "R1", 10.0) for t in range(2)]


def test_exclusivity_is_what_keeps_assemblies_whole(tmp_path):
    # 15 kg per step for two 10 kg assemblies: the MILP ships one whole assembly; with exclusive
    # orders off the same program is an LP and splits the supply 10 + 5
    fac = [source("SrcA", "A", 15), reactor("R1", ["A"], [1]), reactor("R2", ["A"], [1])]
    milp = trades(run(fac, 2, COIN))
    assert sorted(q for t, _, _, q in milp if t == 0) == [10.0]
    lp = trades(run(fac, 2, "<solver><config><coin-or/></config>"
                    "<allow_exclusive_orders>0</allow_exclusive_orders></solver>"))
    assert sorted(q for t, _, _, q in lp if t == 0) == [5.0, 10.0]


@pytest.mark.parametrize(("name", "exact_except"), [
    ("cycamore__input__recycle", []),
    # three identical Sources: which serves which Sink follows the order Cyclus keeps agents in
    # memory (pointer order), not their ids; flows, entries and exits match
    ("cycamore__tests__input__dynamic_capacitated", ["Transactions"]),
])
def test_coin_or_references_still_match_cyclus(name, exact_except, run_input, monkeypatch):
    steps: list[int] = []
    solve = HighsSolver.solve

    def counted(self, prog, step):
        steps.append(step)
        return solve(self, prog, step)

    monkeypatch.setattr(HighsSolver, "solve", counted)
    out = run_input(INPUTS / f"{name}.xml")
    assert steps, "the optimiser never ran"
    ref = json.loads((FLOWS / f"{name}.json").read_text())
    problems, exact = compare(ref, summarize(str(out)))
    assert not problems, "\n".join(problems)
    assert [e.split()[0] for e in exact] == exact_except


BAD_PREFS = '''
from cycsrv.archetypes.agents import Sink


class SetPrefSink(Sink):
    """Sets every bid's preference to the module's PREF."""

    def adjust_material_prefs(self, prefs):
        for bids in prefs.values():
            for bid in bids:
                bids[bid] = float(self.prototype.split("_")[1])
'''


def _bad_pref_input(pref: str, solver: str) -> str:
    return f'''<simulation>
  <control><duration>2</duration><startmonth>1</startmonth><startyear>2020</startyear>{solver}</control>
  <archetypes><spec><lib>agents</lib><name>Source</name></spec>
    <spec><lib>badprefs</lib><name>SetPrefSink</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec><spec><lib>agents</lib><name>NullRegion</name></spec>
  </archetypes>
  <facility><name>src</name><config><Source><commod>c</commod><recipe_name>r</recipe_name>
    <capacity>1</capacity></Source></config></facility>
  <facility><name>snk_{pref}</name><config><SetPrefSink><in_commods><val>c</val></in_commods>
    <capacity>1</capacity></SetPrefSink></config></facility>
  <region><name>reg</name><config><NullRegion/></config>
    <institution><name>i</name><config><NullInst/></config>
      <initialfacilitylist><entry><prototype>src</prototype><number>1</number></entry>
        <entry><prototype>snk_{pref}</prototype><number>1</number></entry></initialfacilitylist>
    </institution></region>
  <recipe><name>r</name><basis>mass</basis><nuclide><id>U238</id><comp>1</comp></nuclide></recipe>
</simulation>'''


def _run_bad_pref(tmp_path: Path, pref: str, solver: str = COIN) -> list[tuple]:
    (tmp_path / "badprefs.py").write_text(BAD_PREFS)
    path = tmp_path / "in.xml"
    path.write_text(_bad_pref_input(pref, solver))
    rows = Rows()
    sim = Simulation.from_file(path, backends=[rows])
    try:
        sim.run()
    finally:
        sim.close()
    return rows.table("Transactions")


def test_zero_preference_is_refused_as_cyclus_refuses_it(tmp_path):
    with pytest.raises(ValueError, match="0-valued preferences have been deprecated"):
        _run_bad_pref(tmp_path, "0")


def test_nan_preference_is_the_optimisers_clear_error(tmp_path):
    with pytest.raises(PreferenceError, match=r"nonpositive \(nan\).*optimization solver"):
        _run_bad_pref(tmp_path, "nan")


def test_negative_preference_refuses_the_bid(tmp_path):
    assert _run_bad_pref(tmp_path, "-1") == []
    assert len(_run_bad_pref(tmp_path, "2")) == 2


def test_mps_writes_each_steps_problem_where_cyclus_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(CONTENDED, 2, "<solver><config><coin-or><mps>1</mps></coin-or></config></solver>")
    written = sorted(p.name for p in tmp_path.glob("exchng_*.mps"))
    assert written == ["exchng_0.mps", "exchng_1.mps"]
    text = (tmp_path / "exchng_0.mps").read_text()
    assert "ROWS" in text and "COLUMNS" in text and "RHS" in text


def test_verbose_sends_highs_log_to_the_run_log(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="cycsrv.solver"):
        rows = run(CONTENDED, 1, "<solver><config><coin-or><verbose>1</verbose>"
                   "<timeout>20</timeout></coin-or></config></solver>")
    assert [(r["Timeout"], r["Verbose"]) for r in rows.table("CoinSolverInfo")] == [(20.0, True)]
    messages = [r.getMessage() for r in caplog.records if r.name == "cycsrv.solver"]
    assert any("total variables" in m for m in messages)
    assert any("HiGHS" in m or "Objective" in m or "optimal" in m.lower() for m in messages)


def test_a_time_limit_without_a_solution_is_a_clear_error(tmp_path):
    # HiGHS checks its time limit before the first simplex iteration: an LP never starts
    with pytest.raises(SolverError, match=r"step 0: .*no feasible solution within the 1e-12 s .*<timeout>"):
        run(CONTENDED, 1, "<solver><config><coin-or><timeout>1e-12</timeout></coin-or></config></solver>")


def test_quiet_by_default(tmp_path, caplog, capfd):
    with caplog.at_level(logging.DEBUG, logger="cycsrv.solver"):
        run(CONTENDED, 1, COIN)
    assert [r for r in caplog.records if r.name == "cycsrv.solver"] == []
    assert "HiGHS" not in capfd.readouterr().out


def test_program_follows_cyclus_formulation():
    from cycsrv.kernel.exchange import CapacityConstraint

    req = RequestPortfolio()
    rq = req.add_request(Offer(10.0), Trader(5), "X", preference=2.0, exclusive=True)
    bids = BidPortfolio()
    bidder = Trader(3)
    bids.add_bid(rq, Offer(10.0), bidder)
    bids.add_bid(rq, Offer(10.0), bidder, preference=0.5)
    bids.add_constraint(CapacityConstraint(25.0))
    prog = build_program([req], [bids], {}, exclusive_orders=True)
    # two binary arc columns scaled by the 10 kg exclusive amount, then one unmet-demand column
    assert prog.num_cols == 3 and list(prog.integer_cols) == [0, 1]
    assert list(prog.cost[:2]) == [10.0 / 2.0, 10.0 / 0.5]
    assert math.isclose(prog.pseudo_cost, 1.1 * 20.0)  # 1.1 x the dearest arc
    assert list(prog.col_upper) == [1.0, 1.0, math.inf]
    # supply capacity row, request quantity row (with the faux column), exclusivity row
    assert list(prog.row_lower) == [0.0, 10.0, 0.0]
    assert list(prog.row_upper) == [25.0, math.inf, 1.0]
    assert list(prog.row_starts) == [0, 2, 5]
    assert list(prog.row_index) == [0, 1, 0, 1, 2, 0, 1]
    assert list(prog.row_value) == [10.0, 10.0, 10.0, 10.0, 1.0, 1.0, 1.0]
    values = HighsSolver(HighsOptions()).solve(prog, 0)
    assert list(values) == [1.0, 0.0, 0.0]  # the preferred bid, as a whole assembly
