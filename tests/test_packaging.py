"""Packages and transport units: fill masses per strategy, shippable packages, packaged ids."""

from __future__ import annotations

import pytest
from mocksim import run_sim, sink, transactions

from cycsrv.kernel.context import Context
from cycsrv.kernel.packaging import (
    UNPACKAGED,
    Package,
    TransportUnit,
    get_package,
    get_transport_unit,
    package_extract,
)
from cycsrv.kernel.recorder import Recorder
from cycsrv.kernel.resources import Composition, Material


def make_ctx(seed: int = 20160212) -> Context:
    return Context(Recorder([]), duration=1, dt=2629846, start_year=2000, start_month=1, seed=seed)


def test_unpackaged_gives_the_whole_quantity():
    assert Package(UNPACKAGED).fill_masses(make_ctx(), 7.25) == [7.25]


def test_first_fills_max_packages_then_a_partial_one_above_min():
    ctx = make_ctx()
    assert Package("p", 3, 4, "first").fill_masses(ctx, 5) == [4]
    assert Package("p", 3, 4, "first").fill_masses(ctx, 11) == [4, 4, 3]
    assert Package("p", 3, 4, "first").fill_masses(ctx, 2) == []


def test_equal_splits_evenly_when_every_piece_fits():
    ctx = make_ctx()
    masses = Package("p", 3, 4, "equal").fill_masses(ctx, 10)
    assert masses == pytest.approx([10 / 3] * 3)
    # 13 kg: floor(13/3)=4 >= ceil(13/4)=4 -> four equal packages of 3.25
    assert Package("p", 3, 4, "equal").fill_masses(ctx, 13) == pytest.approx([3.25] * 4)
    # 5 kg cannot be split into pieces within [4.5, 5.5] twice: one full package
    assert Package("p", 2.6, 4, "equal").fill_masses(ctx, 5) == [4]


def test_random_strategies_stay_in_limits_and_repeat_with_the_seed():
    for strategy in ("uniform", "normal"):
        a = Package("p", 1, 2, strategy).fill_masses(make_ctx(7), 20)
        b = Package("p", 1, 2, strategy).fill_masses(make_ctx(7), 20)
        c = Package("p", 1, 2, strategy).fill_masses(make_ctx(8), 20)
        assert a == b != c
        assert all(1 <= m <= 2 for m in a)
        assert sum(a) == pytest.approx(20)


def test_uniform_fill_masses_are_boost_uniform_draws():
    masses = Package("p", 0.5, 0.7, "uniform").fill_masses(make_ctx(), 1.3)
    # the first two uniform draws of Cyclus's default seed (see cycamore's UniformBuyingSize test)
    assert masses[:2] == pytest.approx([0.56393, 0.68825], abs=1e-5)


def test_transport_unit_limits():
    unrestricted = TransportUnit("unrestricted")
    assert unrestricted.max_shippable_packages(0) == 0
    assert unrestricted.max_shippable_packages(17) == 17
    first = TransportUnit("t", 2, 2, "first")
    assert first.max_shippable_packages(3) == 2
    assert first.max_shippable_packages(1) == 0
    equal = TransportUnit("t", 3, 5, "equal")
    assert equal.max_shippable_packages(8) == 8  # two units of 4
    assert equal.max_shippable_packages(2) == 0
    hybrid = TransportUnit("t", 2, 5, "hybrid")
    assert hybrid.max_shippable_packages(12) == 12  # units of 4, 4, 4
    assert hybrid.max_shippable_packages(11) == 11  # units of 3, 4, 4


def test_unknown_names_are_refused_with_the_known_ones():
    ctx = make_ctx()
    with pytest.raises(KeyError, match=r"unknown package 'crate'.*unpackaged"):
        get_package(ctx, "crate")
    with pytest.raises(KeyError, match=r"unknown transport unit 'truck'.*unrestricted"):
        get_transport_unit(ctx, "truck")


def test_package_extract_records_the_piece_without_a_new_state_id():
    ctx = make_ctx()

    class Maker:
        id = 5
        context = ctx

    m = Material.create(Maker(), 10.0, Composition.from_mass(ctx, {922350000: 1.0}))  # type: ignore[arg-type]
    before = m.state_id
    piece = package_extract(m, 4.0, "crate")
    assert piece.package == "crate" and piece.qty == 4.0 and m.qty == 6.0
    assert piece.state_id == before + 1  # made with a new id, recorded without bumping
    assert m.state_id == before + 2  # the rest gets a new state


def _packaged_source(throughput: float) -> str:
    return ("<facility><name>Src</name><config><Source><outcommod>commod</outcommod><outrecipe>natu</outrecipe>"
            f"<throughput>{throughput}</throughput><package>crate</package>{{tu}}</Source></config></facility>")


def test_source_ships_one_first_package_per_step():
    """Cycamore SourceTest.Package: package (3, 4, first), throughput 5, 3 steps -> 3 packages."""
    src = _packaged_source(5).format(tu="")
    pkg = "<package><name>crate</name><fill_min>3</fill_min><fill_max>4</fill_max><strategy>first</strategy></package>"
    rows = run_sim([src, sink("Snk", "commod")], 3, extra=pkg)
    tx = transactions(rows)
    assert len(tx) == 3
    assert all(t["PackageName"] == "crate" and t["Quantity"] == 4 for t in tx)
    assert sum(1 for r in rows.table("Resources") if r["PackageName"] == "crate") == 3


def test_source_ships_what_a_transport_unit_carries():
    """Cycamore SourceTest.TransportUnit: package (3, 4, equal) + unit (2, 2), throughput 10, 2 steps -> 4."""
    src = _packaged_source(10).format(tu="<transport_unit>truck</transport_unit>")
    extra = ("<package><name>crate</name><fill_min>3</fill_min><fill_max>4</fill_max><strategy>equal</strategy>"
             "</package><transportunit><name>truck</name><fill_min>2</fill_min><fill_max>2</fill_max>"
             "<strategy>first</strategy></transportunit>")
    rows = run_sim([src, sink("Snk", "commod")], 2, extra=extra)
    tx = transactions(rows)
    assert len(tx) == 4
    assert [t["Time"] for t in tx] == [0, 0, 1, 1]
    assert all(t["Quantity"] == pytest.approx(10 / 3) for t in tx)
    assert sum(1 for r in rows.table("Resources") if r["PackageName"] == "crate") == 4


def test_equal_with_no_minimum_fills_maximum_packages_as_cyclus_does():
    # Cyclus converts qty/0 to an int (INT_MIN on x86), so "equal" falls back to full packages
    assert Package("p", 0, 4, "equal").fill_masses(make_ctx(), 10) == [4, 4, 2]
