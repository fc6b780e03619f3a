"""cycamore:Source: throughput, lifetime inventory, recipes, supply TimeSeries, errors."""

from __future__ import annotations

import pytest
from mocksim import facility, run_sim, sink, source, transactions

from cycsrv.kernel.infile import InputError


def test_throughput_caps_each_step_and_supply_is_recorded_every_step():
    rows = run_sim([source("Src", "c", 2, "natu"), sink("Snk", "c", 5)], 3)
    assert [t["Quantity"] for t in transactions(rows)] == [2, 2, 2]
    assert [r["Value"] for r in rows.table("TimeSeriessupplyc")] == [2, 2, 2]


def test_inventory_size_is_a_lifetime_total():
    src = facility("Src", "Source", "<outcommod>c</outcommod><outrecipe>natu</outrecipe>"
                                    "<inventory_size>5</inventory_size><throughput>2</throughput>")
    rows = run_sim([src, sink("Snk", "c")], 5)
    assert [t["Quantity"] for t in transactions(rows)] == [2, 2, 1]
    assert [r["Value"] for r in rows.table("TimeSeriessupplyc")] == [2, 2, 1, 0, 0]


def test_without_a_recipe_the_source_ships_what_is_requested():
    snk = facility("Snk", "Sink", "<in_commods><val>c</val></in_commods><recipe_name>pu</recipe_name>"
                                  "<capacity>1</capacity>")
    rows = run_sim([source("Src", "c"), snk], 2)
    recipes = {r["Recipe"]: r["QualId"] for r in rows.table("Recipes")}
    assert [t["QualId"] for t in transactions(rows)] == [recipes["pu"], recipes["pu"]]


def test_with_a_recipe_the_source_ships_its_own_composition():
    snk = facility("Snk", "Sink", "<in_commods><val>c</val></in_commods><recipe_name>pu</recipe_name>"
                                  "<capacity>1</capacity>")
    rows = run_sim([source("Src", "c", recipe="natu"), snk], 1)
    recipes = {r["Recipe"]: r["QualId"] for r in rows.table("Recipes")}
    assert [t["QualId"] for t in transactions(rows)] == [recipes["natu"]]


def test_position_is_recorded():
    src = facility("Src", "Source", "<outcommod>c</outcommod><latitude>-0.01</latitude><longitude>0.01</longitude>")
    rows = run_sim([src], 1)
    (pos,) = rows.table("AgentPosition")
    assert (pos["Latitude"], pos["Longitude"]) == (-0.01, 0.01)


def test_negative_throughput_is_refused_with_the_range():
    src = facility("Src", "Source", "<outcommod>c</outcommod><throughput>-1</throughput>")
    with pytest.raises(InputError, match=r"'Src'.*throughput.*\[0, 1e299\]"):
        run_sim([src], 1)


def test_unknown_package_is_refused_naming_the_facility():
    src = facility("Src", "Source", "<outcommod>c</outcommod><package>crate</package>")
    with pytest.raises(ValueError, match=r"Src.*unknown package 'crate'"):
        run_sim([src], 1)


def test_source_is_a_commodity_producer_of_its_throughput():
    from mocksim import agent

    rows = run_sim([source("Src", "c", 2.5, "natu")], 1)
    assert agent(rows, "Src").commodity_production() == {"c": (2.5, 2.5)}


def test_unknown_recipe_is_refused_naming_the_variable():
    with pytest.raises(ValueError, match=r"Src.*outrecipe 'leu' is not a recipe of the input \(recipes: natu, pu\)"):
        run_sim([source("Src", "c", recipe="leu")], 1)
