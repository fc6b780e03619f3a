"""cycamore:Reactor: ordering, batches, refuelling, retirement, side products, recipe and pref changes.

The transaction counts are the facts of Cycamore's own reactor unit tests (reactor_tests.cc).
"""

from __future__ import annotations

import pytest
from mocksim import agent_ids, run_sim, sink, source, transactions

from cycsrv.kernel.infile import InputError

RECIPES = """
<recipe><name>uox</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.04</comp></nuclide><nuclide><id>U238</id><comp>0.96</comp></nuclide></recipe>
<recipe><name>mox</name><basis>mass</basis><nuclide><id>U235</id><comp>0.7</comp></nuclide>
  <nuclide><id>U238</id><comp>100</comp></nuclide><nuclide><id>Pu239</id><comp>3.3</comp></nuclide></recipe>
<recipe><name>spentuox</name><basis>mass</basis><nuclide><id>U235</id><comp>0.8</comp></nuclide>
  <nuclide><id>U238</id><comp>100</comp></nuclide><nuclide><id>Pu239</id><comp>1</comp></nuclide></recipe>
<recipe><name>water</name><basis>atom</basis>
  <nuclide><id>O16</id><comp>1</comp></nuclide><nuclide><id>H1</id><comp>2</comp></nuclide></recipe>
"""


def reactor(config: str, *, fuels: tuple[tuple[str, str], ...] = (("uox", "waste"),), lifetime: int | None = None,
            name: str = "Rx") -> str:
    """A Reactor prototype burning each (incommod, outcommod) fuel (recipe = incommod, spent = spentuox)."""
    def vals(xs):
        return "".join(f"<val>{x}</val>" for x in xs)

    fuel = (f"<fuel_incommods>{vals(f[0] for f in fuels)}</fuel_incommods>"
            f"<fuel_inrecipes>{vals(f[0] for f in fuels)}</fuel_inrecipes>"
            f"<fuel_outcommods>{vals(f[1] for f in fuels)}</fuel_outcommods>"
            f"<fuel_outrecipes>{vals('spentuox' for _ in fuels)}</fuel_outrecipes>")
    life = f"<lifetime>{lifetime}</lifetime>" if lifetime is not None else ""
    return f"<facility><name>{name}</name>{life}<config><Reactor>{fuel}{config}</Reactor></config></facility>"


def cycle(cycle_time: int, refuel: int, core: int, batch: int, size: float = 1, extra: str = "") -> str:
    return (f"<cycle_time>{cycle_time}</cycle_time><refuel_time>{refuel}</refuel_time>"
            f"<assem_size>{size}</assem_size><n_assem_core>{core}</n_assem_core>"
            f"<n_assem_batch>{batch}</n_assem_batch>{extra}")


def run(facilities: list[str], duration: int):
    return run_sim(facilities, duration, recipes=RECIPES)


def power(rows) -> list[float]:
    return [r["Value"] for r in rows.table("TimeSeriesPower")]


def test_just_in_time_ordering_runs_every_step():
    rows = run([reactor(cycle(1, 0, 1, 1, 300)), source("Src", "uox")], 50)
    assert len(rows.table("Transactions")) == 50


def test_each_cycle_replaces_one_batch():
    rows = run([reactor(cycle(1, 0, 7, 3)), source("Src", "uox")], 50)
    assert len(rows.table("Transactions")) == 7 + 3 * 49


@pytest.mark.parametrize("duration", [49, 7])
def test_refuel_time_separates_cycles(duration):
    rows = run([reactor(cycle(4, 3, 1, 1)), source("Src", "uox")], duration)
    assert len(rows.table("Transactions")) == duration // 7 + 1


def test_no_power_after_retirement():
    rows = run([reactor(cycle(2, 2, 3, 1, extra="<power_cap>1000</power_cap>"), lifetime=7),
                source("Src", "uox")], 12)
    assert power(rows).count(1000) == 4
    assert power(rows).count(0) == 3


def test_zero_refuel_time_powers_through_the_last_step():
    rows = run([reactor(cycle(2, 0, 3, 1, extra="<power_cap>1000</power_cap>"), lifetime=6),
                source("Src", "uox")], 8)
    assert power(rows).count(1000) == 6


def test_two_fuels_fill_core_and_fresh_inventory():
    rows = run([reactor(cycle(1, 0, 3, 3, extra="<n_assem_fresh>3</n_assem_fresh>"),
                        fuels=(("uox", "waste"), ("mox", "waste"))),
                source("S1", "uox", 2), source("S2", "mox", 2)], 50)
    assert len(rows.table("Transactions")) == 3 * 50 + 3


def test_full_spent_storage_stops_the_reactor():
    rows = run([reactor(cycle(1, 0, 1, 1, extra="<n_assem_spent>3</n_assem_spent>")), source("Src", "uox")], 10)
    assert len(rows.table("Transactions")) == 4
    rows = run([reactor(cycle(1, 0, 1, 1, extra="<n_assem_spent>1</n_assem_spent><power_cap>100</power_cap>")),
                source("Src", "uox")], 3)
    assert power(rows)[-1] == 0
    assert "failed" in [r["Value"] for r in rows.table("ReactorEvents") if r["Event"] == "DISCHARGE"]


def test_fuel_shortage_stalls_the_cycle_until_a_full_core_arrives():
    """Only 3 assemblies ever arrive (a source living one step): one cycle, then no power."""
    rows = run([reactor(cycle(7, 0, 3, 3, extra="<power_cap>5</power_cap>")),
                source("Src", "uox", lifetime=1)], 20)
    assert len(rows.table("Transactions")) == 3
    assert power(rows) == [5] * 7 + [0] * 13
    events = [(r["Time"], r["Event"]) for r in rows.table("ReactorEvents")]
    assert (7, "CYCLE_END") in events and (7, "DISCHARGE") in events
    assert sum(1 for _, e in events if e == "CYCLE_START") == 1


def test_discharged_fuel_is_transmuted_to_the_spent_recipe():
    rows = run([reactor(cycle(4, 3, 1, 1)), source("Src", "uox"), sink("Snk", "waste")], 7)
    recipes = {r["Recipe"]: r["QualId"] for r in rows.table("Recipes")}
    sent = transactions(rows, sender="Rx")
    assert [t["QualId"] for t in sent] == [recipes["spentuox"]]


def test_spent_fuel_goes_out_on_the_outcommod_of_its_fuel():
    rows = run([reactor(cycle(1, 0, 3, 3), fuels=(("uox", "waste1"), ("mox", "waste2"))),
                source("S1", "uox", 1), source("S2", "mox", 2), sink("K1", "waste1"), sink("K2", "waste2")], 7)
    sent = transactions(rows, sender="Rx")
    assert sum(t["Commodity"] == "waste1" for t in sent) == 6
    assert sum(t["Commodity"] == "waste2" for t in sent) == 12


def test_negative_preference_stops_ordering():
    pref = ("<pref_change_times><val>25</val></pref_change_times><pref_change_commods><val>uox</val>"
            "</pref_change_commods><pref_change_values><val>-1</val></pref_change_values>")
    rows = run([reactor(cycle(1, 0, 1, 1, 300, pref)), source("Src", "uox")], 50)
    assert len(rows.table("Transactions")) == 25


def test_recipe_change_switches_requests_and_spent_recipes():
    change = ("<recipe_change_times><val>25</val><val>35</val></recipe_change_times>"
              "<recipe_change_commods><val>uox</val><val>uox</val></recipe_change_commods>"
              "<recipe_change_in><val>water</val><val>water</val></recipe_change_in>"
              "<recipe_change_out><val>spentuox</val><val>water</val></recipe_change_out>")
    rows = run([reactor(cycle(1, 0, 1, 1, 300, change)), source("Src", "uox"), sink("Snk", "waste")], 50)
    recipes = {r["Recipe"]: r["QualId"] for r in rows.table("Recipes")}
    received = {t["Time"]: t["QualId"] for t in transactions(rows, receiver="Rx")}
    sent = {t["Time"]: t["QualId"] for t in transactions(rows, sender="Rx")}
    assert received[24] == recipes["uox"] and received[26] == recipes["water"]
    assert sent[34] == recipes["spentuox"] and sent[36] == recipes["water"]


def test_retirement_stops_ordering_and_empties_the_reactor():
    rows = run([reactor(cycle(7, 0, 3, 1, 300, "<n_assem_fresh>1</n_assem_fresh><power_cap>1</power_cap>"),
                        lifetime=36), source("Src", "uox"), sink("Snk", "waste")], 50)
    n_recv = 6 * 1 + 2
    assert len(transactions(rows, receiver="Rx")) == n_recv
    assert len(transactions(rows, sender="Rx")) == n_recv
    assert sum(1 for v in power(rows) if v > 0) == 36 // 7 * 7 + min(36 % 7, 7)
    rid = agent_ids(rows)["Rx"]
    exits = [r for r in rows.table("AgentExit") if r["AgentId"] == rid]
    assert len(exits) == 1
    assert "RETIRED" in {r["Event"] for r in rows.table("ReactorEvents")}


def test_side_products_are_recorded_every_step():
    side = "<side_products><val>heat</val></side_products><side_product_quantity><val>10</val></side_product_quantity>"
    rows = run([reactor(cycle(1, 1, 7, 3, extra=side)), source("Src", "uox")], 10)
    values = [r["Value"] for r in rows.table("ReactorSideProducts")]
    assert values.count(10) == 5 and values.count(0) == 5


def test_position_is_recorded():
    rows = run([reactor(cycle(1, 0, 1, 1, extra="<latitude>30</latitude><longitude>20</longitude>")),
                source("Src", "uox")], 1)
    pos = [r for r in rows.table("AgentPosition") if r["Prototype"] == "Rx"]
    assert [(p["Latitude"], p["Longitude"]) for p in pos] == [(30.0, 20.0)]


def test_events_of_one_cycle():
    rows = run([reactor(cycle(2, 1, 1, 1, extra="<power_cap>3</power_cap>")), source("Src", "uox"),
                sink("Snk", "waste")], 5)
    events = [(r["Time"], r["Event"], r["Value"]) for r in rows.table("ReactorEvents")]
    assert events == [(0, "LOAD", "1 assemblies"), (0, "CYCLE_START", ""), (2, "TRANSMUTE", "1 assemblies"),
                      (2, "CYCLE_END", ""), (2, "DISCHARGE", "1 assemblies"), (2, "LOAD", "1 assemblies"),
                      (3, "CYCLE_START", "")]
    assert power(rows) == [3, 3, 0, 3, 3]
    assert [r["Value"] for r in rows.table("TimeSeriessupplywaste")] == [1]
    assert len(rows.table("TimeSeriesdemanduox")) == 2


def test_mismatched_change_lists_are_refused_naming_the_reactor():
    bad = "<pref_change_times><val>2</val></pref_change_times>"
    with pytest.raises((ValueError, InputError), match=r"Rx.*pref_change_commods"):
        run([reactor(cycle(1, 0, 1, 1, extra=bad)), source("Src", "uox")], 1)


def test_negative_assembly_count_is_refused_with_its_range():
    with pytest.raises(InputError, match=r"'Rx'.*n_assem_core = -1 is outside the allowed range"):
        run([reactor(cycle(1, 0, -1, 1)), source("Src", "uox")], 1)


def test_reactor_is_a_commodity_producer_of_its_power():
    from mocksim import agent

    rows = run([reactor(cycle(1, 0, 1, 1, extra="<power_cap>7</power_cap>")), source("Src", "uox")], 1)
    assert agent(rows, "Rx").commodity_production() == {"power": (7, 7)}


@pytest.mark.parametrize(("transmute_all", "n_spent"), [(False, 2), (True, 3)])
def test_retiring_mid_cycle_transmutes_half_the_core_or_all(transmute_all, n_spent):
    extra = f"<decom_transmute_all>{int(transmute_all)}</decom_transmute_all>"
    rows = run([reactor(cycle(10, 1, 3, 1, extra=extra), lifetime=3), source("Src", "uox"), sink("Snk", "waste")], 6)
    recipes = {r["Recipe"]: r["QualId"] for r in rows.table("Recipes")}
    sent = [t["QualId"] for t in transactions(rows, sender="Rx")]
    assert len(sent) == 3
    assert sent.count(recipes["spentuox"]) == n_spent
    transmuted = [r["Value"] for r in rows.table("ReactorEvents") if r["Event"] == "TRANSMUTE"]
    assert transmuted == [f"{n_spent} assemblies"]


def test_supply_is_recorded_once_per_fuel_entry_even_for_a_shared_outcommod():
    rows = run([reactor(cycle(1, 0, 2, 2), fuels=(("uox", "waste"), ("mox", "waste"))),
                source("S1", "uox", 1), source("S2", "mox", 1)], 2)
    supply = [(r["Time"], r["Value"]) for r in rows.table("TimeSeriessupplywaste")]
    assert supply == [(1, 2.0), (1, 2.0)]


def test_fuel_shortage_delays_the_next_cycle_until_the_core_is_full(tmp_path):
    """Cycamore's FuelShortage: 3 assemblies at t=0, 2 more at t=9, the last one at t=15."""
    from cycsrv.archetypes.cycamore import ARCHETYPES
    from cycsrv.kernel.simulation import Simulation

    if "DeployInst" not in ARCHETYPES:
        pytest.skip("needs cycamore DeployInst")
    from mocksim import Rows

    text = f"""<simulation>
  <control><duration>50</duration><startmonth>1</startmonth><startyear>2000</startyear></control>
  <archetypes><spec><lib>cycamore</lib><name>Reactor</name></spec><spec><lib>cycamore</lib><name>Source</name></spec>
    <spec><lib>cycamore</lib><name>DeployInst</name></spec><spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec></archetypes>
  {reactor(cycle(7, 0, 3, 3))}
  {source("First", "uox", lifetime=1)}{source("Second", "uox", 2, lifetime=1)}{source("Third", "uox")}
  <region><name>Reg</name><config><NullRegion/></config>
    <institution><name>Init</name><initialfacilitylist>
      <entry><prototype>Rx</prototype><number>1</number></entry><entry><prototype>First</prototype><number>1</number>
      </entry></initialfacilitylist><config><NullInst/></config></institution>
    <institution><name>Later</name><config><DeployInst><prototypes><val>Second</val><val>Third</val></prototypes>
      <build_times><val>9</val><val>15</val></build_times><n_build><val>1</val><val>1</val></n_build></DeployInst>
      </config></institution></region>
  {RECIPES}
</simulation>"""
    path = tmp_path / "input.xml"
    path.write_text(text)
    rows = Rows()
    sim = Simulation.from_file(path, backends=[rows])
    try:
        sim.run()
    finally:
        sim.close()
    times = [t["Time"] for t in rows.table("Transactions")]
    assert sum(t < 15 for t in times) == 5
    assert times.count(15) == 1
    assert sum(t < 21 for t in times) == 6
    assert times.count(22) == 3


def test_unknown_recipe_and_short_fuel_lists_are_refused_naming_the_reactor():
    bad = reactor(cycle(1, 0, 1, 1)).replace("<fuel_outrecipes><val>spentuox</val>", "<fuel_outrecipes><val>nope</val>")
    with pytest.raises(ValueError, match=r"Rx.*fuel_outrecipes 'nope' is not a recipe"):
        run([bad, source("Src", "uox")], 1)
    short = reactor(cycle(1, 0, 1, 1), fuels=(("uox", "waste"), ("mox", "waste"))).replace(
        "<val>spentuox</val><val>spentuox</val>", "<val>spentuox</val>")
    with pytest.raises(ValueError, match=r"Rx.*1 fuel_outrecipes values, expected 2"):
        run([short, source("Src", "uox")], 1)
