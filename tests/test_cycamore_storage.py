"""cycamore:Storage: residence time, throughput, discrete batches, active/dormant buying,
request sizes, inventory policies, cumulative cap, quantised selling and config errors.

Expected numbers marked "Cycamore" come from cycamore's storage_tests.cc.
"""

from __future__ import annotations

import pytest
from mocksim import agent, facility, run_sim, sink, source, transactions

from cycsrv.kernel.resources import Material

IN = "<in_commods><val>spent_fuel</val></in_commods><out_commods><val>dry_spent</val></out_commods>"


def _storage(extra: str = "", throughput: float | None = 1) -> str:
    thr = f"<throughput>{throughput}</throughput>" if throughput is not None else ""
    return facility("St", "Storage", IN + thr + extra)


def _run(extra: str, steps: int, *, src_cap: float | None = 5, seed: int | None = None, throughput=1):
    return run_sim([_storage(extra, throughput), source("Src", "spent_fuel", src_cap, "natu"),
                    sink("Out", "dry_spent")], steps, seed=seed)


def _receipts(rows) -> list[tuple[int, float]]:
    return [(t["Time"], round(t["Quantity"], 5)) for t in transactions(rows, receiver="St")]


def test_residence_time_holds_material_before_it_is_sold():
    """Cycamore ResidenceTime: residence 1, max_inv_size 10, 3 steps -> one shipment."""
    rows = run_sim([_storage("<residence_time>1</residence_time><max_inv_size>10</max_inv_size>", None),
                    source("Src", "spent_fuel", recipe="natu"), sink("Out", "dry_spent")], 3)
    assert _receipts(rows) == [(0, 10)]
    assert [(t["Time"], t["Quantity"]) for t in transactions(rows, sender="St")] == [(2, 10)]
    assert [r["Value"] for r in rows.table("TimeSeriessupplydry_spent")] == [0, 10, 0]
    assert [r["Value"] for r in rows.table("TimeSeriesdemandspent_fuel")] == [0, 0, 10]


def test_material_is_sellable_the_step_after_arrival_without_residence_time():
    rows = _run("", 3)
    assert [t["Time"] for t in transactions(rows, sender="St")] == [1, 2]


def test_throughput_limits_moves_to_stocks():
    rows = run_sim([_storage("<max_inv_size>10</max_inv_size>", 3), source("Src", "spent_fuel", 10, "natu")], 2)
    st = agent(rows, "St")
    assert _receipts(rows) == [(0, 3), (1, 3)]
    assert st.stocks_buf.quantity() == 6


def _ready_with_two_batches(discrete: bool):
    flag = "1" if discrete else "0"
    rows = run_sim([_storage(f"<discrete_handling>{flag}</discrete_handling>", 3)], 1)
    st = agent(rows, "St")
    ctx = st.context
    for _ in range(2):
        st.ready_buf.push(Material.create(st, 2.0, ctx.get_recipe("natu")))
    st._process(st.throughput)
    return st


def test_discrete_handling_moves_whole_batches_only():
    st = _ready_with_two_batches(True)
    assert [m.qty for m in st.stocks_buf.items()] == [2]
    assert [m.qty for m in st.ready_buf.items()] == [2]


def test_continuous_handling_splits_batches_to_use_the_throughput():
    st = _ready_with_two_batches(False)
    assert [m.qty for m in st.stocks_buf.items()] == [3]
    assert [m.qty for m in st.ready_buf.items()] == [1]


def test_default_buying_is_always_active_and_recorded_once():
    """Cycamore: dormant -1 over 3 steps -> 3 receipts; one BuyPolActiveDormant row ("Active", -1)."""
    rows = _run("<active_buying_frequency_type>Fixed</active_buying_frequency_type>"
                "<active_buying_val>1</active_buying_val><dormant_buying_val>-1</dormant_buying_val>", 3)
    assert [t for t, _ in _receipts(rows)] == [0, 1, 2]
    rows = _run("", 3)
    st_id = agent(rows, "St").id
    assert rows.table("BuyPolActiveDormant") == [{"Agent": st_id, "Time": 0, "Type": "Active", "Length": -1}]


def test_fixed_active_and_dormant_periods_alternate():
    """Cycamore ActiveDormant: active 1, dormant 1 over 2 steps -> 1 receipt."""
    cfg = "<active_buying_val>1</active_buying_val><dormant_buying_val>1</dormant_buying_val>"
    assert [t for t, _ in _receipts(_run(cfg, 2))] == [0]
    rows = _run("<active_buying_val>2</active_buying_val><dormant_buying_val>3</dormant_buying_val>", 12)
    assert [t for t, _ in _receipts(rows)] == [0, 1, 5, 6, 10, 11]
    assert [(r["Time"], r["Type"], r["Length"]) for r in rows.table("BuyPolActiveDormant")][:4] == [
        (0, "Active", 2), (2, "Dormant", 3), (5, "Active", 2), (7, "Dormant", 3)]


def test_fixed_buying_size_is_a_fraction_of_the_request():
    """Cycamore FixedBuyingSize: 0.5 -> 0.5 kg receipts."""
    rows = _run("<buying_size_type>Fixed</buying_size_type><buying_size_val>0.5</buying_size_val>", 2, src_cap=None)
    assert _receipts(rows) == [(0, 0.5), (1, 0.5)]


def test_uniform_buying_size_draws_what_cyclus_draws():
    """Cycamore UniformBuyingSize: 0.56393 then 0.68825 with the default seed."""
    rows = _run("<buying_size_type>Uniform</buying_size_type><buying_size_min>0.5</buying_size_min>"
                "<buying_size_max>0.7</buying_size_max>", 2, src_cap=None)
    assert _receipts(rows) == [(0, 0.56394), (1, 0.68825)]


def test_normal_buying_size_draws_what_cyclus_draws():
    """Cycamore NormalBuyingSize: 0.64083 then 0.32648 (boost's ziggurat normal)."""
    rows = _run("<buying_size_type>Normal</buying_size_type><buying_size_mean>0.5</buying_size_mean>"
                "<buying_size_stddev>0.1</buying_size_stddev>", 2, src_cap=None)
    assert _receipts(rows) == [(0, 0.64084), (1, 0.32649)]


RANDOM_PERIODS = ("<active_buying_frequency_type>Uniform</active_buying_frequency_type>"
                  "<active_buying_min>2</active_buying_min><active_buying_max>3</active_buying_max>"
                  "<dormant_buying_frequency_type>Normal</dormant_buying_frequency_type>"
                  "<dormant_buying_mean>5</dormant_buying_mean><dormant_buying_stddev>1</dormant_buying_stddev>")


def test_random_periods_are_seeded_and_repeatable():
    first = _receipts(_run(RANDOM_PERIODS, 20, seed=11))
    assert first == _receipts(_run(RANDOM_PERIODS, 20, seed=11))
    assert first != _receipts(_run(RANDOM_PERIODS, 20, seed=12))


BINOMIAL_PERIODS = ("<active_buying_frequency_type>Binomial</active_buying_frequency_type>"
                    "<active_buying_end_probability>0.2</active_buying_end_probability>"
                    "<dormant_buying_frequency_type>Binomial</dormant_buying_frequency_type>"
                    "<dormant_buying_end_probability>0.3</dormant_buying_end_probability>")


@pytest.mark.parametrize(("cfg", "expected"), [
    (RANDOM_PERIODS, [0, 1, 7, 8, 9]),  # Cycamore UniformActiveNormalDormant
    (BINOMIAL_PERIODS, [0, 1, 2, 3, 4, 5, 6, 10]),  # Cycamore BinomialActiveDormant
], ids=["uniform-normal", "binomial"])
def test_random_periods_match_cyclus(cfg, expected):
    assert [t for t, _ in _receipts(_run(cfg, 20))][:len(expected)] == expected


def test_disrupted_periods_draw_bernoulli_choices():
    cfg = ("<active_buying_frequency_type>FixedWithDisruption</active_buying_frequency_type>"
           "<active_buying_disruption_probability>0.4</active_buying_disruption_probability>"
           "<active_buying_val>2</active_buying_val><active_buying_disruption>5</active_buying_disruption>"
           "<dormant_buying_frequency_type>FixedWithDisruption</dormant_buying_frequency_type>"
           "<dormant_buying_disruption_probability>0.5</dormant_buying_disruption_probability>"
           "<dormant_buying_val>1</dormant_buying_val><dormant_buying_disruption>10</dormant_buying_disruption>")
    rows = _run(cfg, 30, seed=5)
    lengths = [(r["Type"], r["Length"]) for r in rows.table("BuyPolActiveDormant")]
    assert {n for k, n in lengths if k == "Active"} <= {2, 5}
    assert {n for k, n in lengths if k == "Dormant"} <= {1, 10}
    assert _receipts(rows) == _receipts(_run(cfg, 30, seed=5))


def test_reorder_point_alone_fills_up_to_max_inventory():
    """(s,S): buy only when holding <= reorder_point, then up to max_inv_size."""
    rows = run_sim([_storage("<max_inv_size>5</max_inv_size><reorder_point>2</reorder_point>", None),
                    source("Src", "spent_fuel", 5, "natu"), sink("Out", "dry_spent", 1)], 6)
    # holding 5, 4, 3, 2 at the requests of steps 1-4: buys again at step 4, up to 5 kg
    assert _receipts(rows) == [(0, 5), (4, 3)]


def test_reorder_quantity_makes_exclusive_fixed_orders():
    """(R,Q): whole orders of reorder_quantity kg when holding <= reorder_point."""
    rows = run_sim([_storage("<max_inv_size>10</max_inv_size><reorder_point>1</reorder_point>"
                             "<reorder_quantity>3</reorder_quantity>", None),
                    source("Src", "spent_fuel", 10, "natu"), sink("Out", "dry_spent", 1)], 6)
    assert _receipts(rows) == [(0, 3), (3, 3)]


def test_cumulative_cap_sends_the_buyer_dormant():
    rows = _run("<cumulative_cap>2.5</cumulative_cap><dormant_buying_val>2</dormant_buying_val>", 9)
    assert _receipts(rows) == [(0, 1), (1, 1), (2, 0.5), (5, 1), (6, 1), (7, 0.5)]
    kinds = [(r["Time"], r["Type"], r["Length"]) for r in rows.table("BuyPolActiveDormant")]
    # the cycle's active length is Cyclus's default of 1 (no active distribution in this mode)
    assert kinds == [(0, "CumulativeCap", 1), (3, "Dormant", 2), (8, "Dormant", 2)]


def test_sell_quantity_sells_whole_lots_only():
    rows = run_sim([_storage("<sell_quantity>2</sell_quantity>", 3), source("Src", "spent_fuel", 3, "natu"),
                    sink("Out", "dry_spent")], 4)
    sold = [(t["Time"], t["Quantity"]) for t in transactions(rows, sender="St")]
    # one exclusive 2 kg bid per whole lot held: 3 kg -> 1 lot, 4 kg -> 2 lots, 3 kg -> 1 lot
    assert sold == [(1, 2), (2, 2), (2, 2), (3, 2)]


@pytest.mark.parametrize(("cfg", "message"), [
    ("<out_commods><val>b</val></out_commods>", "St.*out_commods has 2 values, expected 1"),
    ("<active_buying_frequency_type>Uniform</active_buying_frequency_type>",
     "St.*Uniform needs both active_buying_min and active_buying_max"),
    ("<dormant_buying_frequency_type>Normal</dormant_buying_frequency_type>",
     "St.*Normal needs both dormant_buying_mean and dormant_buying_stddev"),
    ("<active_buying_min>3</active_buying_min><active_buying_max>2</active_buying_max>",
     "St.*active_buying_min is larger than active_buying_max"),
    ("<max_inv_size>5</max_inv_size><reorder_point>3</reorder_point><reorder_quantity>3</reorder_quantity>",
     r"St.*reorder_point \+ reorder_quantity"),
    ("<active_buying_frequency_type>Weekly</active_buying_frequency_type>",
     "St.*'Weekly' is not one of Fixed, Uniform"),
    ("<package>crate</package>", "St.*unknown package 'crate'"),
])
def test_bad_configuration_is_refused_with_a_clear_message(cfg, message):
    text = IN.replace("</out_commods>", "<val>b</val></out_commods>") if "out_commods" in cfg else IN
    fac = facility("St", "Storage", text + (cfg if "out_commods" not in cfg else ""))
    with pytest.raises(ValueError, match=message):
        run_sim([fac], 1)


def test_buying_size_range_is_checked_by_the_reader():
    from cycsrv.kernel.infile import InputError

    with pytest.raises(InputError, match=r"'St'.*buying_size_val = 1.5 is outside the allowed range \[0, 1\]"):
        _run("<buying_size_val>1.5</buying_size_val>", 1)


def test_storage_is_a_commodity_producer_of_its_output():
    rows = run_sim([_storage("", 4)], 1)
    assert agent(rows, "St").commodity_production() == {"dry_spent": (4, 1e10)}


def test_decommissioned_storage_stops_trading():
    st = _storage("").replace("<config>", "<lifetime>2</lifetime><config>")
    rows = run_sim([st, source("Src", "spent_fuel", 5, "natu"), sink("Out", "dry_spent")], 5)
    assert [t for t, _ in _receipts(rows)] == [0, 1]
    assert [t["Time"] for t in transactions(rows, sender="St")] == [1]
    assert all(t.manager.alive for t in rows.context.traders)


def test_buffers_follow_cycamore_change_capacity_walkthrough():
    """Cycamore ChangeCapacity: residence 10, throughput 300 -> 500 -> 400, continuous handling."""
    rows = run_sim([_storage("<residence_time>10</residence_time><max_inv_size>10000</max_inv_size>", 300)], 1)
    st = agent(rows, "St")
    ctx = st.context
    comp = ctx.get_recipe("natu")

    def step(t: int, add: float | None = None) -> tuple[float, float, float, float]:
        ctx.time = t
        if add is not None:
            st.inventory_buf.push(Material.create_untracked(ctx, add, comp))
        st.tock()
        return tuple(round(b.quantity(), 9) for b in (st.inventory_buf, st.processing_buf, st.ready_buf,
                                                       st.stocks_buf))  # type: ignore[return-value]

    assert step(0, 300) == (0, 300, 0, 0)
    st.throughput = 500
    assert step(2, 500) == (0, 800, 0, 0)
    assert step(3, 500) == (0, 1300, 0, 0)
    assert step(10) == (0, 1000, 0, 300)
    st.throughput = 400
    assert step(12) == (0, 500, 100, 700)
    assert step(13) == (0, 0, 200, 1100)
    assert step(14) == (0, 0, 0, 1300)


def _storage_times(cfg: str, steps: int, src_cap: float | None, *, extra: str = "", commod_out: bool = False):
    rows = run_sim([facility("St", "Storage", IN + cfg), source("Src", "spent_fuel", src_cap, "natu"),
                    sink("Out", "dry_spent")], steps, extra=extra)
    txs = transactions(rows, sender="St") if commod_out else transactions(rows, receiver="St")
    return [(t["Time"], t["Quantity"], t["PackageName"]) for t in txs]


def test_rq_inventory_matches_cycamore():
    """Cycamore RQ_Inventory: max 5, reorder point 2, quantity 3 -> orders of 3 kg at 0, 2, 4."""
    got = _storage_times("<max_inv_size>5</max_inv_size><reorder_point>2</reorder_point>"
                         "<reorder_quantity>3</reorder_quantity>", 5, 5)
    assert [(t, q) for t, q, _ in got] == [(0, 3), (2, 3), (4, 3)]


def test_ss_inventory_matches_cycamore():
    """Cycamore sS_Inventory: max 5, reorder point 2 -> 5 kg at 0, 2, 4."""
    got = _storage_times("<max_inv_size>5</max_inv_size><reorder_point>2</reorder_point>", 5, 5)
    assert [(t, q) for t, q, _ in got] == [(0, 5), (2, 5), (4, 5)]


def test_cumulative_cap_matches_cycamore():
    """Cycamore CCap_Inventory: throughput 1, cap 2, dormant 2 -> 1 kg at 0, 1, 4, 5, 8."""
    got = _storage_times("<throughput>1</throughput><cumulative_cap>2</cumulative_cap>"
                         "<dormant_buying_frequency_type>Fixed</dormant_buying_frequency_type>"
                         "<dormant_buying_val>2</dormant_buying_val>", 9, 5)
    assert [(t, q) for t, q, _ in got] == [(0, 1), (1, 1), (4, 1), (5, 1), (8, 1)]


def _package(lo: float, hi: float, strategy: str) -> str:
    return (f"<package><name>foo</name><fill_min>{lo}</fill_min><fill_max>{hi}</fill_max>"
            f"<strategy>{strategy}</strategy></package>")


@pytest.mark.parametrize(("strategy", "src_cap", "expected"), [
    ("first", 2, [(1, 2), (2, 2)]),  # Cycamore PackageExactly
    ("equal", 3, [(1, 1.5), (1, 1.5), (2, 1.5), (2, 1.5)]),  # PackageSplitEqual
    ("first", 3, [(1, 2), (1, 1), (2, 2), (2, 1)]),  # PackageSplitFirst
])
def test_sold_material_is_packaged_as_cycamore_does(strategy, src_cap, expected):
    got = _storage_times("<package>foo</package>", 3, src_cap, extra=_package(1, 2, strategy), commod_out=True)
    assert sorted(got, key=lambda r: (r[0], -r[1])) == [(t, q, "foo") for t, q in expected]


def test_small_batches_merge_into_packages():
    """Cycamore PackageMerge: 0.5 kg per step, packages of 1-2 kg -> 1 kg packages at 2 and 4."""
    got = _storage_times("<throughput>1</throughput><package>foo</package>", 5, 0.5,
                         extra=_package(1, 2, "first"), commod_out=True)
    assert got == [(2, 1, "foo"), (4, 1, "foo")]


def test_transport_unit_limits_packages_per_step():
    """Cycamore TransportUnit: 1 kg packages, units of exactly 2 -> 2 shipments at 1, 4 at 2."""
    extra = (_package(1, 1, "first") + "<transportunit><name>bar</name><fill_min>2</fill_min>"
             "<fill_max>2</fill_max><strategy>first</strategy></transportunit>")
    got = _storage_times("<throughput>3</throughput><package>foo</package><transport_unit>bar</transport_unit>",
                         3, None, extra=extra, commod_out=True)
    assert [t for t, _, _ in got] == [1, 1, 2, 2, 2, 2]
    assert {(q, p) for _, q, p in got} == {(1, "foo")}
