"""cycamore:ManagerInst: build options from its prototype list, supply of its producing children."""

from __future__ import annotations

import pytest
from instsim import dummy, growth_region, manager_inst, run_insts, source

from cycsrv.archetypes.cycamore.building import BuildOption


def inst_agent(rows, prototype: str = "M"):
    return next(a for a in rows.context.agents.values() if a.prototype == prototype)


def entry_ids(rows, prototype: str) -> list[int]:
    return [r["AgentId"] for r in rows.table("AgentEntry") if r["Prototype"] == prototype]


def test_each_listed_prototype_takes_an_agent_id_before_the_initial_facilities():
    """Cyclus clones every listed prototype in EnterNotify; the clones keep their ids."""
    rows = run_insts([source("A", "c", 1), source("B", "c", 2), dummy("Sink")],
                     [manager_inst("M", ["A", "B"], {"Sink": 1})], 2)
    (m,) = entry_ids(rows, "M")
    assert entry_ids(rows, "Sink") == [m + 3]


def test_only_commodity_producers_become_build_options():
    rows = run_insts([source("A", "c", 1), source("B", "d", 2), dummy("Sink")],
                     [manager_inst("M", ["Sink", "B", "A"])], 1)
    m = inst_agent(rows)
    assert m.options_for("c") == [BuildOption("A", 1, 1)]
    assert m.options_for("d") == [BuildOption("B", 2, 2)]
    assert m.options_for("e") == []


def test_initial_producing_children_are_supply_and_leave_it_when_decommissioned():
    rows = run_insts([source("A", "c", 1.5), source("Old", "c", 4, lifetime=2), dummy("Sink")],
                     [manager_inst("M", ["A"], {"A": 2, "Old": 1, "Sink": 1})], 3)
    m = inst_agent(rows)
    assert m.producer_manager.supply("c") == 3.0
    assert sorted(a.prototype for a in m.producer_manager.producers.values()) == ["A", "A"]
    assert [r["ExitTime"] for r in rows.table("AgentExit")] == [1]


def test_builds_only_when_a_growth_region_orders():
    alone = run_insts([source("A", "c", 1)], [manager_inst("M", ["A"])], 4)
    assert entry_ids(alone, "A") == []
    region = growth_region({"c": [(0, "linear", "0 1")]})
    grown = run_insts([source("A", "c", 1)], [manager_inst("M", ["A"])], 4, region)
    assert [r["EnterTime"] for r in grown.table("AgentEntry") if r["Prototype"] == "A"] == [1]
    assert inst_agent(grown).producer_manager.supply("c") == 1


def test_position_is_recorded_once():
    rows = run_insts([source("A", "c", 1)], [manager_inst("M", ["A"])], 2)
    assert [r["Prototype"] for r in rows.table("AgentPosition")].count("M") == 1


def test_an_unknown_prototype_is_refused_naming_the_institution():
    with pytest.raises(ValueError, match=r"'M': unknown prototype 'nope'"):
        run_insts([dummy("foobar")], [manager_inst("M", ["nope"])], 2)
