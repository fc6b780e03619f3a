"""Dynamic resource exchange: portfolios, preferences, the greedy solver, trade execution.

One exchange per resource type per time step (materials, then products). Traders are asked
for request portfolios, then for bids on the requests by commodity; requesters (and their
institution and region) adjust preferences; the greedy solver matches; suppliers send and
requesters accept. Ordering follows Cyclus (see research/cyclus-kernel.md §5) with agent id
ascending wherever Cyclus iterates pointer-ordered containers.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from cycsrv.kernel import tables
from cycsrv.kernel.resources import Resource

if TYPE_CHECKING:
    from cycsrv.kernel.agent import Trader
    from cycsrv.kernel.context import Context

DBL_MAX = 1.7976931348623157e308
DEFAULT_PREF = 1.0
NAN = float("nan")

Converter = Callable[[Resource], float]


class CapacityConstraint:
    """A capacity on a portfolio: the sum of `converter(offer)` over its matches stays within it.

    Bid constraints are upper bounds (supply); request constraints describe demand.
    """

    __slots__ = ("capacity", "converter")

    def __init__(self, capacity: float, converter: Converter | None = None) -> None:
        if not capacity > 0:
            raise ValueError(f"capacity is not positive ({capacity}); a capacity constraint needs > 0")
        self.capacity = capacity
        self.converter = converter

    def unit_capacity(self, offer: Resource) -> float:
        """Constraint units used per unit of `offer` traded."""
        if self.converter is None:
            return 1.0
        return self.converter(offer) / offer.qty


class Request:
    """A trader's demand for `target.qty` of `commodity`, with a preference."""

    __slots__ = ("commodity", "exclusive", "portfolio", "preference", "requester", "target")

    def __init__(self, target: Resource, requester: Trader, commodity: str, preference: float,
                 exclusive: bool, portfolio: RequestPortfolio) -> None:
        self.target = target
        self.requester = requester
        self.commodity = commodity
        self.preference = preference
        self.exclusive = exclusive
        self.portfolio = portfolio


class Bid:
    """A trader's offer against one request. A NaN preference means "use the request's"."""

    __slots__ = ("bidder", "exclusive", "offer", "portfolio", "preference", "request")

    def __init__(self, request: Request, offer: Resource, bidder: Trader, preference: float,
                 exclusive: bool, portfolio: BidPortfolio) -> None:
        self.request = request
        self.offer = offer
        self.bidder = bidder
        self.preference = preference
        self.exclusive = exclusive
        self.portfolio = portfolio


class RequestPortfolio:
    """Requests from one trader that share a demand quantity and constraints."""

    __slots__ = ("coeffs", "constraints", "qty", "requests")

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.constraints: list[CapacityConstraint] = []
        self.coeffs: dict[Request, float] = {}
        self.qty = 0.0

    def add_request(self, target: Resource, requester: Trader, commodity: str = "",
                    preference: float = DEFAULT_PREF, exclusive: bool = False) -> Request:
        if self.requests and self.requests[0].requester is not requester:
            raise KeyError("insertion error: requesters do not match")
        r = Request(target, requester, commodity, preference, exclusive, self)
        self.requests.append(r)
        self.coeffs[r] = 1.0
        self.qty += target.qty
        return r

    def add_mutual_requests(self, requests: Sequence[Request]) -> None:
        """Declare that any one of `requests` satisfies the same demand."""
        mean = sum(r.target.qty for r in requests) / len(requests)
        for r in requests:
            q = r.target.qty
            self.coeffs[r] = q / mean
            self.qty -= q
        self.qty += mean

    def add_constraint(self, constraint: CapacityConstraint) -> None:
        self.constraints.append(constraint)


class BidPortfolio:
    """Bids from one trader that share capacity constraints."""

    __slots__ = ("bids", "constraints")

    def __init__(self) -> None:
        self.bids: list[Bid] = []
        self.constraints: list[CapacityConstraint] = []

    def add_bid(self, request: Request, offer: Resource, bidder: Trader, exclusive: bool = False,
                preference: float = NAN) -> Bid:
        if offer.qty <= 0:
            raise ValueError(f"bid quantity must be positive, got {offer.qty}")
        if self.bids and self.bids[0].bidder is not bidder:
            raise KeyError("insertion error: bidders do not match")
        b = Bid(request, offer, bidder, preference, exclusive, self)
        self.bids.append(b)
        return b

    def add_constraint(self, constraint: CapacityConstraint) -> None:
        self.constraints.append(constraint)


class Trade:
    """A matched amount between a request and a bid."""

    __slots__ = ("amt", "bid", "request")

    def __init__(self, request: Request, bid: Bid, amt: float) -> None:
        self.request = request
        self.bid = bid
        self.amt = amt


#: What each resource type asks traders: (requests, bids, trades, accept, adjust prefs).
MATERIAL_HOOKS = ("get_material_requests", "get_material_bids", "get_material_trades",
                  "accept_material_trades", "adjust_material_prefs")

PRODUCT_HOOKS = ("get_product_requests", "get_product_bids", "get_product_trades",
                 "accept_product_trades", "adjust_product_prefs")


def _ordered_bits(x: float) -> int:
    i = struct.unpack("<q", struct.pack("<d", x))[0]
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def float_distance(a: float, b: float) -> int:
    """Number of representable doubles between `a` and `b` (boost::math::float_distance)."""
    return abs(_ordered_bits(a) - _ordered_bits(b))


class _Group:
    __slots__ = ("caps", "nodes", "qty", "weight")

    def __init__(self, qty: float, caps: list[float]) -> None:
        self.qty = qty
        self.caps = caps
        self.nodes: list[_Node] = []
        self.weight = 0.0


class _Node:
    __slots__ = ("agent_id", "arcs", "avg_pref", "exclusive", "group", "item", "matched", "qty", "weight")

    def __init__(self, group: _Group, item: Any, qty: float, exclusive: bool, agent_id: int) -> None:
        self.group = group
        self.item = item
        self.qty = qty
        self.exclusive = exclusive
        self.agent_id = agent_id
        self.arcs: list[_Arc] = []
        self.matched = 0.0
        self.avg_pref = 0.0
        self.weight = 0.0


class _Arc:
    __slots__ = ("excl_val", "exclusive", "pref", "u", "u_ucaps", "v", "v_ucaps")

    def __init__(self, u: _Node, v: _Node, pref: float, u_ucaps: list[float], v_ucaps: list[float]) -> None:
        self.u = u
        self.v = v
        self.pref = pref
        self.u_ucaps = u_ucaps
        self.v_ucaps = v_ucaps
        ue, ve = u.exclusive, v.exclusive
        self.exclusive = ue or ve
        if ue and ve:
            self.excl_val = u.qty if float_distance(u.qty, v.qty) <= 2 else 0.0
        elif ue:
            self.excl_val = u.qty if (v.qty >= u.qty or float_distance(u.qty, v.qty) <= 2) else 0.0
        elif ve:
            self.excl_val = v.qty if (v.qty <= u.qty or float_distance(u.qty, v.qty) <= 2) else 0.0
        else:
            self.excl_val = 0.0


def _node_cap(n: _Node, ucaps: list[float], use_max: bool) -> float:
    remaining = n.qty - n.matched
    if not ucaps:
        return remaining
    caps = n.group.caps
    best = None
    for cap, ucap in zip(caps, ucaps):
        if cap == DBL_MAX:
            c = DBL_MAX
        elif ucap == 0.0:
            c = math.inf
        else:
            c = cap / ucap
        if best is None or (c > best if use_max else c < best):
            best = c
    return remaining if best is None or best > remaining else best


def _update(n: _Node, ucaps: list[float], qty: float, eps: float) -> None:
    caps = n.group.caps
    for i, ucap in enumerate(ucaps):
        if caps[i] != DBL_MAX:
            caps[i] -= qty * ucap
    if n.qty - qty < -eps:
        raise ValueError(f"a bid or request was matched beyond its quantity ({qty} > {n.qty})")
    n.matched += qty


def greedy_solve(groups: list[_Group], eps: float) -> list[tuple[_Arc, float]]:
    """Cyclus's greedy heuristic: groups by preference weight, arcs by preference then ids."""
    for g in groups:
        for n in g.nodes:
            if n.arcs:
                n.avg_pref = sum(a.pref for a in n.arcs) / len(n.arcs)
            p = n.avg_pref
            n.weight = 1.0 * (1.0 + p / (1.0 + p))
        g.nodes.sort(key=lambda n: -n.weight)
        g.weight = sum(n.weight for n in g.nodes) / len(g.nodes) if g.nodes else 0.0
    groups = sorted(groups, key=lambda g: -g.weight)

    matches: list[tuple[_Arc, float]] = []
    for g in groups:
        nodes = sorted(g.nodes, key=lambda n: (-n.avg_pref, -n.agent_id))
        target = g.qty
        match = 0.0
        for u in nodes:
            if match > target:
                break
            arcs = sorted(u.arcs, key=lambda a: (-a.pref, -a.u.agent_id, -a.v.agent_id))
            for a in arcs:
                if match > target:
                    break
                remain = target - match
                v = a.v
                cap = min(_node_cap(u, a.u_ucaps, True), _node_cap(v, a.v_ucaps, False))
                tomatch = remain if remain < cap else cap
                if a.exclusive:
                    tomatch = 0.0 if float_distance(tomatch, a.excl_val) >= 2 else a.excl_val
                if tomatch > eps:
                    _update(u, a.u_ucaps, tomatch, eps)
                    _update(v, a.v_ucaps, tomatch, eps)
                    matches.append((a, tomatch))
                    match += tomatch
    return matches


def _overrides(obj: object, name: str) -> bool:
    """True when `obj`'s class defines trading hook `name` itself (not the no-op default)."""
    from cycsrv.kernel.agent import Agent

    return getattr(type(obj), name) is not getattr(Agent, name)


def run_exchange(ctx: Context, traders: Iterable[Trader], hooks: tuple[str, ...]) -> None:
    """One complete exchange for one resource type."""
    req_name, bid_name, trade_name, accept_name, adjust_name = hooks
    traders = [t for t in traders]
    requesters_ports: list[RequestPortfolio] = []
    for t in traders:
        if _overrides(t, req_name):
            requesters_ports.extend(getattr(t, req_name)())
    commod_requests: dict[str, list[Request]] = {}
    for rp in requesters_ports:
        for r in rp.requests:
            commod_requests.setdefault(r.commodity, []).append(r)
    bid_ports: list[BidPortfolio] = []
    for t in traders:
        if _overrides(t, bid_name):
            bid_ports.extend(getattr(t, bid_name)(commod_requests))

    # preferences: requester -> request -> bid -> pref
    prefs: dict[Trader, dict[Request, dict[Bid, float]]] = {}
    for bp in bid_ports:
        for b in bp.bids:
            r = b.request
            pref = b.preference if not math.isnan(b.preference) else r.preference
            prefs.setdefault(r.requester, {}).setdefault(r, {})[b] = pref
    if not prefs:
        return
    for requester in sorted(prefs, key=lambda t: t.manager.id):
        pmap = prefs[requester]
        if _overrides(requester, adjust_name):
            getattr(requester, adjust_name)(pmap)
        agent = requester.manager.parent
        while agent is not None:
            if _overrides(agent, adjust_name):
                getattr(agent, adjust_name)(pmap)
            agent = agent.parent

    # translate to the exchange graph
    groups: list[_Group] = []
    req_nodes: dict[Request, _Node] = {}
    for rp in requesters_ports:
        g = _Group(rp.qty, [c.capacity for c in rp.constraints] + [rp.qty])
        for r in rp.requests:
            n = _Node(g, r, r.target.qty, r.exclusive, r.requester.manager.id)
            g.nodes.append(n)
            req_nodes[r] = n
        groups.append(g)
    for bp in bid_ports:
        bg = _Group(0.0, [c.capacity for c in bp.constraints])
        bcons = bp.constraints
        for b in bp.bids:
            r = b.request
            offer = b.offer
            v = _Node(bg, b, offer.qty, b.exclusive, b.bidder.manager.id)
            bg.nodes.append(v)
            pref = prefs[r.requester][r][b]
            if pref < 0:
                continue
            if pref == 0:
                raise ValueError("0-valued preferences have been deprecated; use a negative preference "
                                 "to refuse a bid")
            u = req_nodes[r]
            rp = r.portfolio
            u_ucaps = [c.unit_capacity(offer) for c in rp.constraints]
            u_ucaps.append(rp.coeffs[r])
            v_ucaps = [c.unit_capacity(offer) for c in bcons]
            arc = _Arc(u, v, pref, u_ucaps, v_ucaps)
            u.arcs.append(arc)
            v.arcs.append(arc)

    matches = greedy_solve(groups, ctx.eps)
    if not matches:
        return
    execute_trades(ctx, [Trade(a.u.item, a.v.item, qty) for a, qty in matches], prefs,
                   trade_name, accept_name)


def execute_trades(ctx: Context, trades: list[Trade], prefs: dict[Trader, dict[Request, dict[Bid, float]]],
                   trade_name: str, accept_name: str) -> None:
    """Suppliers send, `Transactions` rows are written, requesters accept."""
    by_supplier: dict[Trader, list[Trade]] = {}
    for tr in trades:
        by_supplier.setdefault(tr.bid.bidder, []).append(tr)
    by_requester: dict[Trader, list[tuple[Trade, Resource]]] = {}
    by_pair: dict[tuple[Trader, Trader], list[tuple[Trade, Resource]]] = {}
    for supplier in sorted(by_supplier, key=_trader_key):
        for tr, rsrc in getattr(supplier, trade_name)(by_supplier[supplier]):
            requester = tr.request.requester
            by_requester.setdefault(requester, []).append((tr, rsrc))
            by_pair.setdefault((supplier, requester), []).append((tr, rsrc))
    add = ctx.recorder.add
    eps_rsrc = ctx.eps_rsrc
    time = ctx.time
    for (supplier, requester) in sorted(by_pair, key=lambda p: (_trader_key(p[0]), _trader_key(p[1]))):
        for tr, rsrc in by_pair[(supplier, requester)]:
            if rsrc.qty > eps_rsrc:
                bid = tr.bid
                bidpref = bid.preference if not math.isnan(bid.preference) else tr.request.preference
                adjpref = prefs.get(requester, {}).get(tr.request, {}).get(bid, bidpref)
                add(tables.TRANSACTIONS, (
                    ctx.next_transaction_id(), supplier.manager.id, requester.manager.id, rsrc.state_id,
                    tr.request.commodity, time, 1.0 / bidpref, 1.0 / adjpref,
                ))
    for requester in sorted(by_requester, key=_trader_key):
        getattr(requester, accept_name)(by_requester[requester])


def _trader_key(t: Trader) -> tuple[int, int]:
    return (t.manager.id, t.trader_seq)
