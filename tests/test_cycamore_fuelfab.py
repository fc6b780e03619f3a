"""cycamore:FuelFab: reactivity weights, mixing ratios, inventories, throughput, top-up, input checks."""

from __future__ import annotations

import pytest
from mocksim import facility, run_sim, source, transactions

from cycsrv.archetypes.cycamore.fuelfab import (
    atom_to_mass_frac,
    cosi_weight,
    high_frac,
    low_frac,
    valid_weights,
)
from cycsrv.kernel.infile import InputError
from cycsrv.kernel.resources import Composition

RECIPES = """
<recipe><name>uox</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.04</comp></nuclide><nuclide><id>U238</id><comp>0.96</comp></nuclide></recipe>
<recipe><name>natu</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.007</comp></nuclide><nuclide><id>U238</id><comp>0.993</comp></nuclide></recipe>
<recipe><name>pustreambad</name><basis>mass</basis>
  <nuclide><id>Pu239</id><comp>1</comp></nuclide><nuclide><id>Pu240</id><comp>10</comp></nuclide>
  <nuclide><id>Pu241</id><comp>1</comp></nuclide><nuclide><id>Pu242</id><comp>1</comp></nuclide></recipe>
<recipe><name>pustream</name><basis>mass</basis>
  <nuclide><id>Pu239</id><comp>100</comp></nuclide><nuclide><id>Pu240</id><comp>10</comp></nuclide>
  <nuclide><id>Pu241</id><comp>1</comp></nuclide><nuclide><id>Pu242</id><comp>1</comp></nuclide></recipe>
"""


class _Ctx:
    """Just enough context to make compositions outside a simulation."""

    def __init__(self) -> None:
        self.n = 0

    def next_comp_id(self) -> int:
        self.n += 1
        return self.n


def comp(mass: dict[int, float]) -> Composition:
    return Composition.from_mass(_Ctx(), mass)  # type: ignore[arg-type]


def fuelfab(extra: str) -> str:
    return facility("FF", "FuelFab", f"<outcommod>fuel</outcommod><spectrum>thermal</spectrum>{extra}")


def streams(fill: float, fiss: float, throughput: float = 100) -> str:
    return (f"<fill_commods><val>natu</val></fill_commods><fill_recipe>natu</fill_recipe><fill_size>{fill}</fill_size>"
            "<fiss_commods><val>pustream</val></fiss_commods><fiss_recipe>pustream</fiss_recipe>"
            f"<fiss_size>{fiss}</fiss_size><throughput>{throughput}</throughput>")


def buyer(capacity: float, lifetime: int | None = None) -> str:
    life = f"<lifetime>{lifetime}</lifetime>" if lifetime is not None else ""
    return (f"<facility><name>B</name>{life}<config><Sink><in_commods><val>fuel</val></in_commods>"
            f"<recipe_name>uox</recipe_name><capacity>{capacity}</capacity></Sink></config></facility>")


def run(facilities: list[str], duration: int):
    return run_sim(facilities, duration, recipes=RECIPES)


def test_weights_put_u238_at_zero_and_pu239_at_one():
    assert cosi_weight(comp({942390000: 1}), "thermal") == pytest.approx(1.0)
    assert cosi_weight(comp({922380000: 1}), "thermal") == pytest.approx(0.0)
    assert cosi_weight(comp({942390000: 1}), "fission_spectrum_ave") == pytest.approx(1.0)
    natu, uox = cosi_weight(comp({922350000: 0.007, 922380000: 0.993}), "thermal"), \
        cosi_weight(comp({922350000: 0.04, 922380000: 0.96}), "thermal")
    assert 0 < natu < uox < 1


def test_mixing_fractions():
    assert valid_weights(0, 0.5, 1) and not valid_weights(0.6, 0.5, 1)
    assert high_frac(0, 0.25, 1) == 0.25 and low_frac(0, 0.25, 1) == 0.75
    assert high_frac(1, 1, 1) == 1 and high_frac(0, 1 - 1e-9, 1) == 1 and high_frac(0, 1e-9, 1) == 0
    with pytest.raises(ValueError, match="cannot meet target"):
        high_frac(0.6, 0.5, 1)
    same = comp({922380000: 1})
    assert atom_to_mass_frac(0.3, same, same) == pytest.approx(0.3)


def test_mixed_fuel_matches_the_requested_weight():
    """Cycamore's CorrectMixing regression values (10 kg of 4% UOX-equivalent from natu + Pu)."""
    rows = run([fuelfab(streams(100, 100)), source("P", "pustream"), source("N", "natu"), buyer(10, 2)], 3)
    sold = transactions(rows, sender="FF")
    assert len(sold) == 1 and sold[0]["Quantity"] == pytest.approx(10)
    refill = {t["Commodity"]: t["Quantity"] for t in transactions(rows, receiver="FF") if t["Time"] == 2}
    assert refill["natu"] == pytest.approx(9.7463873197, abs=1e-8)
    assert refill["pustream"] == pytest.approx(0.25361268029, abs=1e-8)
    recipes = {r["Recipe"]: r["QualId"] for r in rows.table("Recipes")}
    fractions = {r["NucId"]: r["MassFrac"] for r in rows.table("Compositions") if r["QualId"] == sold[0]["QualId"]}
    got = cosi_weight(comp(fractions), "thermal")
    uox = {r["NucId"]: r["MassFrac"] for r in rows.table("Compositions") if r["QualId"] == recipes["uox"]}
    assert got == pytest.approx(cosi_weight(comp(uox), "thermal"), rel=1e-5)


def test_every_inventory_fills_to_its_size():
    extra = (streams(3.9, 3.5, 1) + "<topup_commod>uox</topup_commod><topup_recipe>uox</topup_recipe>"
             "<topup_size>3.3</topup_size>")
    rows = run([fuelfab(extra), source("U", "uox", 1), source("P", "pustream", 1), source("N", "natu", 1)], 10)
    got: dict[str, float] = {}
    for t in transactions(rows, receiver="FF"):
        got[t["Commodity"]] = got.get(t["Commodity"], 0) + t["Quantity"]
    assert got == pytest.approx({"natu": 3.9, "pustream": 3.5, "uox": 3.3})


def test_throughput_caps_sales_and_zero_throughput_never_bids():
    rows = run([fuelfab(streams(100, 100, 3)), source("P", "pustream"), source("N", "natu"), buyer(10)], 3)
    assert [t["Quantity"] for t in transactions(rows, sender="FF")] == pytest.approx([3, 3])
    rows = run([fuelfab(streams(100, 100, 0)), source("P", "pustream"), source("N", "natu"), buyer(10)], 3)
    assert transactions(rows, sender="FF") == []


def test_straight_filler_is_sold_without_fissile_stock():
    """With nothing fissile on hand, filler alone meets a request of the filler's own weight."""
    ff = facility("FF", "FuelFab", streams(100, 0) + "<outcommod>fuel</outcommod><spectrum>thermal</spectrum>")
    snk = ("<facility><name>B</name><config><Sink><in_commods><val>fuel</val></in_commods>"
           "<recipe_name>natu</recipe_name><capacity>1</capacity></Sink></config></facility>")
    rows = run([ff, source("N", "natu"), snk], 3)
    assert [t["Quantity"] for t in transactions(rows, sender="FF")] == pytest.approx([1, 1])


def test_unknown_spectrum_is_refused_naming_the_facility():
    bad = facility("FF", "FuelFab", streams(1, 1) + "<outcommod>fuel</outcommod><spectrum>epithermal</spectrum>")
    with pytest.raises((ValueError, InputError), match=r"FF.*epithermal"):
        run([bad], 1)


def test_prefs_must_match_commodities():
    bad = fuelfab(streams(1, 1) + "<fiss_commod_prefs><val>1</val><val>2</val></fiss_commod_prefs>")
    with pytest.raises(ValueError, match=r"FF.*2 fiss_commod_prefs values, expected 1"):
        run([bad], 1)


def test_top_up_replaces_filler_when_the_fissile_stream_is_too_weak():
    """Cycamore's SwapTopup: a weak Pu stream plus a strong top-up meet the request; no filler is used."""
    extra = ("<fill_commods><val>natu</val></fill_commods><fill_recipe>natu</fill_recipe><fill_size>10000</fill_size>"
             "<fiss_commods><val>pustreambad</val></fiss_commods><fiss_recipe>pustreambad</fiss_recipe>"
             "<fiss_size>10000</fiss_size><topup_commod>pustream</topup_commod><topup_recipe>pustream</topup_recipe>"
             "<topup_size>10000</topup_size><throughput>10000</throughput>")
    rows = run([fuelfab(extra), source("P", "pustream"), source("PB", "pustreambad"), source("N", "natu"),
                buyer(10, 2)], 3)
    sold = transactions(rows, sender="FF")
    assert len(sold) == 1 and sold[0]["Quantity"] == pytest.approx(10, abs=1e-8)
    refill = [t["Commodity"] for t in transactions(rows, receiver="FF") if t["Time"] == 2]
    assert "natu" not in refill and refill.count("pustream") == 1
