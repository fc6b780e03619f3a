"""cycamore:DeployInst: scheduled builds, lifetime prototypes, decommissioning, producer accounting."""

from __future__ import annotations

import pytest
from instsim import deploy_inst, dummy, run_insts, source


def entries(rows, **where):
    return [r for r in rows.table("AgentEntry") if all(r[k] == v for k, v in where.items())]


def exits_at(rows, t: int) -> int:
    return sum(1 for r in rows.table("AgentExit") if r["ExitTime"] == t)


def test_builds_the_listed_numbers_at_the_listed_times():
    rows = run_insts([dummy("foobar")], [deploy_inst("D", ["foobar", "foobar"], [1, 3], [1, 7])], 5)
    assert len(entries(rows, Prototype="foobar", EnterTime=1)) == 1
    assert len(entries(rows, Prototype="foobar", EnterTime=3)) == 7
    assert {r["ParentId"] for r in entries(rows, Prototype="foobar")} == {entries(rows, Prototype="D")[0]["AgentId"]}


def test_lifetimes_one_two_and_forever():
    """Cycamore's FiniteLifetimes: lifetime 1 leaves at its build step, 2 one step later, -1 never."""
    rows = run_insts([dummy("foobar")], [deploy_inst("D", ["foobar"] * 3, [1, 1, 2], [1, 7, 3], [1, 2, -1])], 5)
    assert len(entries(rows, Prototype="foobar", EnterTime=1, Lifetime=1)) == 1
    assert len(entries(rows, Prototype="foobar", EnterTime=1, Lifetime=2)) == 7
    assert len(entries(rows, Prototype="foobar", EnterTime=2, Lifetime=-1)) == 3
    assert exits_at(rows, 1) == 1
    assert exits_at(rows, 2) == 7
    assert len(rows.table("AgentExit")) == 8


def test_lifetime_prototypes_are_registered_once_and_agents_keep_the_original_name():
    rows = run_insts([dummy("foobar", lifetime=3)],
                     [deploy_inst("D", ["foobar"] * 4, [1, 1, 2, 2], [1, 7, 3, 1], [1, 1, -1, 3])], 5)
    protos = [r["Prototype"] for r in rows.table("Prototypes")]
    assert protos.count("foobar_life_1") == 1
    assert protos.count("foobar_life_forever") == 1
    assert protos.count("foobar_life_3") == 0  # the prototype's own lifetime: no new prototype
    assert protos.count("foobar") == 1
    assert sorted(r["Lifetime"] for r in entries(rows, Prototype="foobar")) == [-1] * 3 + [1] * 8 + [3]
    assert {r["Prototype"] for r in entries(rows, ParentId=entries(rows, Prototype="D")[0]["AgentId"])} == {"foobar"}


def test_each_lifetime_entry_takes_an_agent_id_even_when_the_lifetime_is_unchanged():
    """Cyclus creates a clone per entry to compare lifetimes; the clone keeps its id."""
    rows = run_insts([dummy("foobar", lifetime=4)], [deploy_inst("D", ["foobar", "foobar"], [1, 1], [1, 1], [4, 4])],
                     3)
    inst = entries(rows, Prototype="D")[0]["AgentId"]
    assert sorted(r["AgentId"] for r in entries(rows, Prototype="foobar")) == [inst + 3, inst + 4]
    assert [r["Prototype"] for r in rows.table("Prototypes")].count("foobar_life_4") == 0


def test_without_lifetimes_no_ids_are_taken():
    rows = run_insts([dummy("foobar")], [deploy_inst("D", ["foobar"], [1], [2])], 3)
    inst = entries(rows, Prototype="D")[0]["AgentId"]
    assert sorted(r["AgentId"] for r in entries(rows, Prototype="foobar")) == [inst + 1, inst + 2]


def test_a_build_at_the_last_step_happens_and_one_after_it_never_does():
    rows = run_insts([dummy("a"), dummy("b")], [deploy_inst("D", ["a", "b"], [4, 5], [1, 1])], 5)
    assert [r["EnterTime"] for r in entries(rows, Prototype="a")] == [4]
    assert entries(rows, Prototype="b") == []


def test_scheduled_builds_are_recorded():
    rows = run_insts([dummy("foobar")], [deploy_inst("D", ["foobar"], [2], [3])], 4)
    sched = rows.table("BuildSchedule")
    assert [(r["Prototype"], r["BuildTime"]) for r in sched] == [("foobar", 2)] * 3


def test_position_is_recorded():
    rows = run_insts([dummy("foobar")], [deploy_inst("D", ["foobar"], [1], [1],
                                                     extra="<latitude>2.0</latitude><longitude>-20.0</longitude>")], 2)
    pos = [r for r in rows.table("AgentPosition") if r["Prototype"] == "D"]
    assert [(p["Latitude"], p["Longitude"]) for p in pos] == [(2.0, -20.0)]


@pytest.mark.parametrize("var", ["build_times", "n_build", "lifetimes"])
def test_lists_of_other_lengths_are_refused(var):
    args: dict = {"build_times": [1], "n_build": [1], "lifetimes": None}
    args[var] = [1, 2]
    with pytest.raises(ValueError, match=rf"'D' has 2 {var} vals, expected 1"):
        run_insts([dummy("foobar")], [deploy_inst("D", ["foobar"], **args)], 2)


def test_producing_children_count_as_supply_until_they_leave():
    rows = run_insts([source("Src", "c", 2.5, lifetime=2), dummy("foobar")],
                     [deploy_inst("D", ["Src", "Src", "foobar"], [1, 2, 1], [1, 1, 1])], 3)
    inst = next(a for a in rows.context.agents.values() if a.prototype == "D")
    # the first Src left at the end of step 2; the second is still there
    assert inst.producer_manager.supply("c") == 2.5
    assert inst.producer_manager.supply("other") == 0
    assert len(inst.producer_manager.producers) == 1


def test_unknown_prototypes_and_past_build_times_are_refused_naming_the_institution():
    with pytest.raises(ValueError, match=r"'D': cannot deploy unknown prototype 'nope'"):
        run_insts([dummy("foobar")], [deploy_inst("D", ["nope"], [1], [1])], 2)
    with pytest.raises(ValueError, match=r"'D': build time 0 of 'foobar' is not after"):
        run_insts([dummy("foobar")], [deploy_inst("D", ["foobar"], [0], [1])], 2)
