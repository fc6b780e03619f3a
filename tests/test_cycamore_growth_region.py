"""cycamore:GrowthRegion: demand curves, the exact build decision, and the builds it orders."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from instsim import deploy_inst, dummy, growth_region, manager_inst, run_insts, source

from cycsrv.archetypes.cycamore.building import BuildOption, cheapest_builds
from cycsrv.kernel.symbolic import (
    ExponentialFunction,
    LinearFunction,
    PiecewiseFunction,
    basic_function,
    piecewise_demand,
)

# --- symbolic functions ----------------------------------------------------------------------


def test_basic_functions_parse_their_params():
    assert basic_function("linear", "2 3") == LinearFunction(2, 3)
    assert basic_function("lin", " 2   3 ")(4) == 11
    assert basic_function("exp", "1 0.5") == ExponentialFunction(1, 0.5, 0)
    assert basic_function("exponential", "2 1 3")(1) == pytest.approx(2 * math.e + 3)


@pytest.mark.parametrize("kind, params, match", [
    ("quadratic", "1 2", "not a function type"),
    ("linear", "1", "needs params 'm b'"),
    ("exp", "", "needs params 'a b"),
    ("linear", "one two", "not numbers"),
])
def test_bad_functions_are_refused(kind, params, match):
    with pytest.raises(ValueError, match=match):
        basic_function(kind, params)


def test_piecewise_is_zero_before_its_first_piece_and_later_pieces_continue():
    f = piecewise_demand([(2, ("linear", "1 10")), (5, ("linear", "2 100")), (7, ("exp", "1 0 0"))])
    assert [f(x) for x in (0, 1.9)] == [0, 0]
    assert f(2) == 10  # the first piece keeps its own intercept
    assert f(4) == 12
    assert f(5) == 13  # 100 is replaced by the previous piece's value at 5
    assert f(6) == 15
    assert f(7) == 17  # exp(0)=1 shifted to 17
    assert f(100) == 17


def test_piecewise_pieces_must_start_later_and_later():
    f = PiecewiseFunction()
    f.add(LinearFunction(0, 1), 3, continuous=False)
    with pytest.raises(ValueError, match="increasing"):
        f.add(LinearFunction(0, 1), 3, continuous=True)


# --- the build decision ----------------------------------------------------------------------


def brute_force_cost(options: list[BuildOption], demand: float) -> float:
    best = math.inf
    ranges = [range(math.ceil(demand / o.capacity) + 1) for o in options]
    for counts in itertools.product(*ranges):
        if sum(n * o.capacity for n, o in zip(counts, options, strict=True)) >= demand - 1e-9:
            best = min(best, sum(n * o.cost for n, o in zip(counts, options, strict=True)))
    return best


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 9), st.integers(0, 9)), min_size=1, max_size=3),
       st.integers(1, 25))
def test_build_decision_is_the_cheapest_cover(pairs, demand):
    options = [BuildOption(f"p{i}", cap, cost) for i, (cap, cost) in enumerate(pairs)]
    counts = cheapest_builds(options, demand)
    assert sum(n * o.capacity for n, o in zip(counts, options, strict=True)) >= demand
    assert sum(n * o.cost for n, o in zip(counts, options, strict=True)) == brute_force_cost(options, demand)


def test_build_decision_examples():
    small, big = BuildOption("small", 1.1, 1.1), BuildOption("big", 2, 2)
    assert cheapest_builds([small, big], 2) == [0, 1]
    assert cheapest_builds([small, big], 1) == [1, 0]
    assert cheapest_builds([small, big], 3.1) == [1, 1]
    assert cheapest_builds([small, big], 0) == [0, 0]
    assert cheapest_builds([small, big], -3) == [0, 0]
    cheap = BuildOption("cheap", 3, 1)
    assert cheapest_builds([small, cheap], 7) == [0, 3]


def test_equally_cheap_answers_favour_the_earliest_option():
    one, two = BuildOption("one", 1, 1), BuildOption("two", 2, 2)
    assert cheapest_builds([one, two], 2) == [2, 0]
    assert cheapest_builds([two, one], 2) == [1, 0]


def test_options_without_capacity_are_never_built_and_negative_costs_are_refused():
    assert cheapest_builds([BuildOption("none", 0, 0), BuildOption("some", 1, 5)], 2) == [0, 2]
    assert cheapest_builds([BuildOption("none", 0, 0)], 2) == [0]
    with pytest.raises(ValueError, match="'free' has a negative cost"):
        cheapest_builds([BuildOption("free", 1, -1)], 2)


# --- the region in a simulation --------------------------------------------------------------


def built(rows, prototype: str) -> list[int]:
    return [r["EnterTime"] for r in rows.table("AgentEntry") if r["Prototype"] == prototype]


FACILITIES = [source("Source1", "commodity1", 1.1), source("Source2", "commodity1", 2),
              source("Source3", "commodity2", 1), dummy("Sink")]


def test_orders_the_cheapest_builds_for_the_next_step():
    """Cyclus's TestGrowth1: demand t+2 for commodity1 and 3 from t=1 for commodity2."""
    region = growth_region({"commodity1": [(0, "linear", "1 2")], "commodity2": [(1, "linear", "0 3")]})
    rows = run_insts(FACILITIES, [manager_inst("M", ["Source1", "Source2", "Source3"], {"Sink": 1})], 4, region)
    assert built(rows, "Source2") == [1]  # t=0: 2 wanted, one 2-unit source is cheapest
    assert built(rows, "Source1") == [2, 3]  # t=1, t=2: under 1.1 missing each step
    assert built(rows, "Source3") == [2, 2, 2]  # t=1: 3 missing at once
    # t=3 still falls short: the order is recorded, but a build after the last step never happens
    assert [r["Prototype"] for r in rows.table("BuildSchedule") if r["BuildTime"] == 4] == ["Source1"]
    assert max(r["EnterTime"] for r in rows.table("AgentEntry")) == 3


def test_supply_from_a_deploy_inst_counts_and_a_manager_inst_builds_the_rest():
    """Cyclus's TestGrowth2: demand 5 from t=5; Source1 deployed at t=1 covers one unit."""
    region = growth_region({"commodity1": [(5, "linear", "0 5")]})
    facilities = [source("Source1", "commodity1", 1), source("Source2", "commodity1", 1), dummy("Sink")]
    rows = run_insts(facilities, [manager_inst("M", ["Source2"], {"Sink": 1}),
                                  deploy_inst("D", ["Source1"], [1], [1])], 10, region)
    assert built(rows, "Source1") == [1]
    assert built(rows, "Source2") == [6, 6, 6, 6]


def test_builds_go_to_the_manager_inst_and_decommissioned_supply_is_replaced():
    region = growth_region({"c": [(0, "linear", "0 2")]})
    rows = run_insts([source("Src", "c", 1, lifetime=3)], [manager_inst("M", ["Src"])], 8, region)
    # two at a time: built at 1, gone after 3, replacements ordered at 4 enter at 5
    assert built(rows, "Src") == [1, 1, 5, 5]
    inst = next(r["AgentId"] for r in rows.table("AgentEntry") if r["Prototype"] == "M")
    assert {r["ParentId"] for r in rows.table("AgentEntry") if r["Prototype"] == "Src"} == {inst}


def test_without_a_builder_nothing_is_ordered():
    region = growth_region({"c": [(0, "linear", "0 2")]})
    rows = run_insts([dummy("foobar")], [deploy_inst("D", ["foobar"], [1], [1])], 3, region)
    assert built(rows, "foobar") == [1]
    assert len(rows.table("AgentEntry")) == 3


def test_an_unknown_function_type_is_refused_naming_the_region():
    region = growth_region({"c": [(0, "cubic", "1 2")]})
    with pytest.raises(ValueError, match=r"'R'.*'c'.*'cubic' is not a function type"):
        run_insts([dummy("foobar")], [manager_inst("M", ["foobar"])], 2, region)


def test_a_search_too_large_to_finish_still_covers_the_demand():
    options = [BuildOption(f"p{i}", 10 + i * 1.37, 10 + i * 1.37) for i in range(6)]
    counts = cheapest_builds(options, 5000.5)
    built_capacity = sum(n * o.capacity for n, o in zip(counts, options, strict=True))
    assert 5000.5 <= built_capacity <= 5000.5 + 10


def test_identical_options_build_only_the_first():
    a, b = BuildOption("a", 2, 3), BuildOption("b", 2, 3)
    assert cheapest_builds([a, b], 5) == [3, 0]
