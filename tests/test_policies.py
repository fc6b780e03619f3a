"""Toolkit buy and sell policies: traders managed by a facility, request/bid shapes, cycles."""

from __future__ import annotations

import pytest
from mocksim import Rows

from cycsrv.kernel.agent import Facility, overrides
from cycsrv.kernel.context import Context
from cycsrv.kernel.exchange import Request, RequestPortfolio
from cycsrv.kernel.policies import MatlBuyPolicy, MatlSellPolicy, TotalInvTracker
from cycsrv.kernel.random import FixedDist
from cycsrv.kernel.recorder import Recorder
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Composition, Material


@pytest.fixture
def world():
    rows = Rows()
    recorder = Recorder([rows])
    ctx = Context(recorder, duration=10, dt=2629846, start_year=2000, start_month=1)
    fac = Facility(ctx)
    fac.prototype = "Fac"
    return ctx, fac, rows


def _comp(ctx: Context) -> Composition:
    return Composition.from_mass(ctx, {922350000: 1.0})


def test_default_buy_policy_requests_free_space_every_step(world):
    ctx, fac, _ = world
    buf: ResBuf[Material] = ResBuf(capacity=10)
    pol = MatlBuyPolicy(fac, buf, "in", throughput=4).set("b", _comp(ctx), 2.0).set("a", _comp(ctx))
    (port,) = pol.get_material_requests()
    assert [(r.commodity, r.target.qty, r.preference, r.exclusive) for r in port.requests] == [
        ("a", 4, 1.0, False), ("b", 4, 2.0, False)]
    assert port.qty == 4  # mutual: either commodity satisfies the same 4 kg
    buf.push(Material.create(fac, 8.0, _comp(ctx)))
    (port,) = pol.get_material_requests()
    assert port.requests[0].target.qty == 2


def test_requests_come_from_the_policy_and_trade_for_its_manager(world):
    ctx, fac, _ = world
    pol = MatlBuyPolicy(fac, ResBuf(), "in", throughput=1, trader_seq=3).set("a", _comp(ctx))
    (port,) = pol.get_material_requests()
    assert port.requests[0].requester is pol
    assert pol.manager is fac and (pol.manager.id, pol.trader_seq) == (fac.id, 3)
    assert overrides(pol, "get_material_requests") and not overrides(pol, "get_material_bids")


def test_start_and_stop_register_once(world):
    ctx, fac, _ = world
    pol = MatlBuyPolicy(fac, ResBuf(), "in")
    pol.start()
    pol.start()
    assert ctx.traders.count(pol) == 1
    pol.stop()
    pol.stop()
    assert pol not in ctx.traders


def test_active_and_dormant_periods(world):
    ctx, fac, rows = world
    pol = MatlBuyPolicy(fac, ResBuf(), "in", throughput=1, active_dist=FixedDist(2),
                        dormant_dist=FixedDist(3)).set("a", _comp(ctx))
    buying = []
    for t in range(12):
        ctx.time = t
        buying.append(bool(pol.get_material_requests()))
    assert [t for t, b in enumerate(buying) if b] == [0, 1, 5, 6, 10, 11]
    ctx.recorder.flush()
    assert rows.rows["BuyPolActiveDormant"][:4] == [(fac.id, 0, "Active", 2), (fac.id, 2, "Dormant", 3),
                                                   (fac.id, 5, "Active", 2), (fac.id, 7, "Dormant", 3)]


def test_rq_policy_makes_exclusive_whole_orders(world):
    ctx, fac, _ = world
    buf: ResBuf[Material] = ResBuf(capacity=10)
    pol = MatlBuyPolicy(fac, buf, "in", inv_policy="RQ", fill_behav=3, req_at=2).set("a", _comp(ctx))
    ports = pol.get_material_requests()
    assert len(ports) == 1  # fill to 2 + 3 = 5 -> one whole order of 3
    assert [(r.target.qty, r.exclusive) for r in ports[0].requests] == [(3, True)]
    buf.push(Material.create(fac, 2.5, _comp(ctx)))
    assert pol.get_material_requests() == []  # above the reorder point


def test_ss_policy_fills_to_the_top(world):
    ctx, fac, _ = world
    buf: ResBuf[Material] = ResBuf(capacity=10)
    pol = MatlBuyPolicy(fac, buf, "in", inv_policy="sS", fill_behav=8, req_at=3).set("a", _comp(ctx))
    buf.push(Material.create(fac, 3.0, _comp(ctx)))
    (port,) = pol.get_material_requests()
    assert port.requests[0].target.qty == 5


def test_policy_checks(world):
    _, fac, _ = world
    with pytest.raises(ValueError, match="max greater than 1"):
        MatlBuyPolicy(fac, ResBuf(), "in", size_dist=FixedDist(1.5))
    with pytest.raises(ValueError, match="does not contain"):
        MatlBuyPolicy(fac, ResBuf(), "in", tracker=TotalInvTracker([ResBuf()]))
    with pytest.raises(ValueError, match="inventory policy"):
        MatlBuyPolicy(fac, ResBuf(), "in", inv_policy="XY", fill_behav=1, req_at=1)


def test_tracker_shares_one_capacity_over_buffers():
    a: ResBuf[Material] = ResBuf()
    b: ResBuf[Material] = ResBuf()
    tracker = TotalInvTracker([a, b], 10)
    assert tracker.capacity() == 10 and tracker.space() == 10


def _requests(ctx: Context, requester, qty: float, commod: str = "out") -> dict[str, list[Request]]:
    port = RequestPortfolio()
    port.add_request(Material.blank(ctx, qty), requester, commod)
    return {commod: port.requests}


def test_sell_policy_offers_the_front_composition_up_to_the_buffer(world):
    ctx, fac, _ = world
    buf: ResBuf[Material] = ResBuf()
    pol = MatlSellPolicy(fac, buf, "out").set("out")
    assert pol.get_material_bids(_requests(ctx, fac, 5)) == []
    first = Material.create(fac, 2.0, _comp(ctx))
    buf.push(first)
    buf.push(Material.create(fac, 1.0, Composition.from_mass(ctx, {942390000: 1.0})))
    (port,) = pol.get_material_bids(_requests(ctx, fac, 5))
    assert [(b.offer.qty, b.offer.comp is first.comp, b.exclusive) for b in port.bids] == [(3, True, False)]
    assert [c.capacity for c in port.constraints] == [3]


def test_sell_policy_quantizes_into_exclusive_lots(world):
    ctx, fac, _ = world
    buf: ResBuf[Material] = ResBuf()
    pol = MatlSellPolicy(fac, buf, "out", quantize=2).set("out")
    buf.push(Material.create(fac, 5.0, _comp(ctx)))
    assert pol.limit() == 4
    (port,) = pol.get_material_bids(_requests(ctx, fac, 10))
    assert [(b.offer.qty, b.exclusive) for b in port.bids] == [(2, True), (2, True)]


def test_sell_policy_refuses_unpackageable_lots(world):
    ctx, fac, _ = world
    from cycsrv.kernel.infile import PackageSpec

    ctx.packages["crate"] = PackageSpec("crate", 1, 1.5, "first")
    with pytest.raises(ValueError, match="not fully packagable"):
        MatlSellPolicy(fac, ResBuf(), "out", quantize=2, package="crate")
    ctx.packages["bag"] = PackageSpec("bag", 1, 2, "uniform")
    with pytest.raises(ValueError, match="not allowed"):
        MatlSellPolicy(fac, ResBuf(), "out", quantize=2, package="bag")
