"""cycamore:Enrichment: SWU and feed arithmetic, SWU- and feed-limited bids, max_enrich, feed ranking, tails."""

from __future__ import annotations

import math

import pytest
from mocksim import agent_ids, facility, run_sim, sink, source, transactions

from cycsrv.archetypes.cycamore.enrichment_math import feed_qty, swu_required, tails_qty, value_func
from cycsrv.kernel.infile import InputError

RECIPES = """
<recipe><name>natu</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.00711</comp></nuclide><nuclide><id>U238</id><comp>0.99289</comp></nuclide></recipe>
<recipe><name>feed07</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.007</comp></nuclide><nuclide><id>U238</id><comp>0.993</comp></nuclide></recipe>
<recipe><name>dep</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.002</comp></nuclide><nuclide><id>U238</id><comp>0.998</comp></nuclide></recipe>
<recipe><name>u238</name><basis>mass</basis><nuclide><id>U238</id><comp>1</comp></nuclide></recipe>
<recipe><name>leu</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.04</comp></nuclide><nuclide><id>U238</id><comp>0.96</comp></nuclide></recipe>
<recipe><name>heu</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.2</comp></nuclide><nuclide><id>U238</id><comp>0.8</comp></nuclide></recipe>
"""


def enrichment(extra: str = "", feed_recipe: str = "natu") -> str:
    return facility("Enr", "Enrichment", f"<feed_commod>feed</feed_commod><feed_recipe>{feed_recipe}</feed_recipe>"
                                         "<product_commod>enr</product_commod><tails_commod>tails</tails_commod>"
                                         f"{extra}")


def buyer(name: str, recipe: str, qty: float, commod: str = "enr") -> str:
    """A Sink that wants `qty` kg of `recipe` once (its inventory holds exactly that)."""
    return facility(name, "Sink", f"<in_commods><val>{commod}</val></in_commods><recipe_name>{recipe}</recipe_name>"
                                  f"<max_inv_size>{qty}</max_inv_size>")


def run(facilities: list[str], duration: int):
    return run_sim(facilities, duration, recipes=RECIPES)


def test_separative_work_formulas():
    assert value_func(0.5) == 0
    f = feed_qty(1.0, 0.00711, 0.03, 0.003)
    t = tails_qty(1.0, 0.00711, 0.03, 0.003)
    assert f == pytest.approx(6.569, abs=1e-3) and f - t == pytest.approx(1.0)
    assert swu_required(1.0, 0.00711, 0.03, 0.003) == pytest.approx(3.4245, abs=1e-4)
    with pytest.raises(ValueError, match="higher than the acceptable range"):
        value_func(1.0)


def test_tails_of_each_enrichment_are_kept_and_shipped_separately():
    rows = run([enrichment("<initial_feed>100</initial_feed><max_feed_inventory>100</max_feed_inventory>",
                           "feed07"),
                buyer("B1", "leu", 0.5), buyer("B2", "leu", 0.5), sink("Tails", "tails")], 2)
    shipped = transactions(rows, sender="Enr")
    product = [t["Quantity"] for t in shipped if t["Commodity"] == "enr"]
    tails = [t["Quantity"] for t in shipped if t["Commodity"] == "tails"]
    assert product == [0.5, 0.5]
    assert len(tails) == 2 and sum(tails) == pytest.approx(8.25)
    feed = [r["Natural_Uranium"] for r in rows.table("Enrichments")]
    assert feed == pytest.approx([4.625, 4.625])


def test_swu_capacity_limits_the_product():
    rows = run([enrichment("<initial_feed>1000</initial_feed><max_feed_inventory>1000</max_feed_inventory>"
                           "<swu_capacity>195</swu_capacity>"), buyer("B", "heu", 10)], 1)
    delivered = sum(t["Quantity"] for t in transactions(rows, sender="Enr"))
    assert delivered == pytest.approx(195 / swu_required(1.0, 0.00711, 0.2, 0.003))
    assert sum(r["SWU"] for r in rows.table("Enrichments")) == pytest.approx(195)


def test_feed_inventory_limits_the_product():
    rows = run([enrichment("<initial_feed>10</initial_feed><max_feed_inventory>10</max_feed_inventory>"),
                buyer("B", "leu", 10)], 1)
    delivered = sum(t["Quantity"] for t in transactions(rows, sender="Enr"))
    assert delivered == pytest.approx(10 / feed_qty(1.0, 0.00711, 0.04, 0.003))
    assert sum(r["Natural_Uranium"] for r in rows.table("Enrichments")) == pytest.approx(10)


def test_requests_above_max_enrich_get_no_bid():
    rows = run([enrichment("<initial_feed>1000</initial_feed><max_enrich>0.19</max_enrich>"),
                buyer("B1", "leu", 1), buyer("B2", "heu", 1)], 1)
    ids = agent_ids(rows)
    assert [t["ReceiverId"] for t in transactions(rows, sender="Enr")] == [ids["B1"]]


@pytest.mark.parametrize(("order_prefs", "winner"), [(1, "Nat"), (0, "Dep")])
def test_feed_with_more_u235_is_preferred(order_prefs, winner):
    """Ranked, the natural feed wins; unranked, the equal preferences leave it to the solver's order."""
    rows = run([enrichment(f"<max_feed_inventory>1</max_feed_inventory><order_prefs>{order_prefs}</order_prefs>"),
                source("Nat", "feed", 1, "natu"), source("Dep", "feed", 1, "dep")], 1)
    ids = agent_ids(rows)
    assert [t["SenderId"] for t in transactions(rows, receiver="Enr")] == [ids[winner]]


def test_feed_without_u235_is_refused_unless_ranking_is_off():
    rows = run([enrichment("<max_feed_inventory>1</max_feed_inventory>"), source("S", "feed", 1, "u238")], 1)
    assert transactions(rows, receiver="Enr") == []
    rows = run([enrichment("<max_feed_inventory>1</max_feed_inventory><order_prefs>0</order_prefs>"),
                source("S", "feed", 1, "u238")], 1)
    assert len(transactions(rows, receiver="Enr")) == 1


def test_per_step_swu_and_feed_repeat_on_steps_without_trades():
    rows = run([enrichment("<initial_feed>100</initial_feed><max_feed_inventory>100</max_feed_inventory>"),
                buyer("B", "leu", 1)], 3)
    swu = [r["Value"] for r in rows.table("TimeSeriesEnrichmentSWU")]
    feed = [r["Value"] for r in rows.table("TimeSeriesEnrichmentFeed")]
    one = swu_required(1.0, 0.00711, 0.04, 0.003)
    assert swu == pytest.approx([one] * 3)  # Cycamore resets these only when it trades
    assert feed == [r["Value"] for r in rows.table("TimeSeriesdemandfeed")]
    supply = [r["Value"] for r in rows.table("TimeSeriessupplyenr")]
    assert supply[0] == 100 and math.isclose(supply[1], 100 - feed[0])


def test_out_of_range_max_enrich_is_refused_naming_the_variable():
    with pytest.raises(InputError, match=r"'Enr'.*max_enrich = 1.5 is outside the allowed range \[0, 1\]"):
        run([enrichment("<max_enrich>1.5</max_enrich>")], 1)
