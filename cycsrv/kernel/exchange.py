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
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING

from cycsrv.kernel import tables
from cycsrv.kernel.agent import overrides
from cycsrv.kernel.resources import Resource

if TYPE_CHECKING:
    from cycsrv.kernel.agent import Agent, Trader
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
    """A trader's offer against one request. A NaN preference means "use the request's".

    During solving a bid is also the supply node of the exchange graph (`matched`).
    """

    __slots__ = ("bidder", "exclusive", "matched", "offer", "portfolio", "preference", "request")

    def __init__(self, request: Request, offer: Resource, bidder: Trader, preference: float,
                 exclusive: bool, portfolio: BidPortfolio) -> None:
        self.request = request
        self.offer = offer
        self.bidder = bidder
        self.preference = preference
        self.exclusive = exclusive
        self.portfolio = portfolio
        self.matched = 0.0


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

    __slots__ = ("bids", "caps", "constraints")

    def __init__(self) -> None:
        self.bids: list[Bid] = []
        self.constraints: list[CapacityConstraint] = []
        self.caps: list[float] = []  # remaining capacities while solving

    def add_bid(self, request: Request, offer: Resource, bidder: Trader, exclusive: bool = False,
                preference: float = NAN) -> Bid:
        if offer.qty <= 0:
            raise ValueError(f"bid quantity must be positive, got {offer.qty}")
        bids = self.bids
        if bids and bids[0].bidder is not bidder:
            raise KeyError("insertion error: bidders do not match")
        b = Bid(request, offer, bidder, preference, exclusive, self)
        bids.append(b)
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
    """A request portfolio while solving: target quantity and remaining capacities."""

    __slots__ = ("caps", "nodes", "qty", "weight")

    def __init__(self, qty: float, caps: list[float]) -> None:
        self.qty = qty
        self.caps = caps
        self.nodes: list[_Node] = []
        self.weight = 0.0


class _Node:
    """A request while solving, with its arcs to bids."""

    __slots__ = ("agent_id", "arcs", "avg_pref", "exclusive", "group", "matched", "qty", "request", "weight")

    def __init__(self, group: _Group, request: Request, agent_id: int) -> None:
        self.group = group
        self.request = request
        self.qty = request.target.qty
        self.exclusive = request.exclusive
        self.agent_id = agent_id
        self.arcs: list[_Arc] = []
        self.matched = 0.0
        self.avg_pref = 0.0
        self.weight = 0.0


#: Unit capacities of an arc against its portfolio's constraints, one per constraint; None
#: when every one is 1.0 (no converters: the common case, solved without dividing).
UnitCaps = list[float] | None

#: An arc request -> bid: (pref, bidder id, bid, request unit caps, bid unit caps, exclusive amount).
#: The exclusive amount is None for a non-exclusive arc, 0.0 for an exclusive arc that can
#: never be matched.
_Arc = tuple[float, int, Bid, UnitCaps, UnitCaps, "float | None"]


def _exclusive_amount(u: _Node, bid: Bid, vqty: float) -> float | None:
    ue, ve = u.exclusive, bid.exclusive
    if not (ue or ve):
        return None
    uq = u.qty
    if ue and ve:
        return uq if float_distance(uq, vqty) <= 2 else 0.0
    if ue:
        return uq if (vqty >= uq or float_distance(uq, vqty) <= 2) else 0.0
    return vqty if (vqty <= uq or float_distance(uq, vqty) <= 2) else 0.0


def _cap(remaining: float, caps: list[float], ucaps: UnitCaps, use_max: bool) -> float:
    """How much more a node can take given its group's remaining capacities."""
    if ucaps is None:
        if not caps:
            return remaining
        # c = cap / 1.0 = cap for every constraint (DBL_MAX included)
        unit_best = max(caps) if use_max else min(caps)
        return remaining if unit_best > remaining else unit_best
    best = None
    for cap, ucap in zip(caps, ucaps, strict=True):
        if cap == DBL_MAX:
            c = DBL_MAX
        elif ucap == 0.0:
            c = math.inf
        else:
            c = cap / ucap
        if best is None or (c > best if use_max else c < best):
            best = c
    return remaining if best is None or best > remaining else best


def _consume(caps: list[float], ucaps: UnitCaps, qty: float) -> None:
    """Take `qty` (times each unit capacity) off every bounded remaining capacity."""
    if ucaps is None:
        for i, cap in enumerate(caps):
            if cap != DBL_MAX:
                caps[i] = cap - qty
        return
    for i, ucap in enumerate(ucaps):
        if caps[i] != DBL_MAX:
            caps[i] -= qty * ucap


#: Arcs are tried by preference, then bidder id, both descending (a stable reverse sort).
_arc_order = itemgetter(0, 1)
_arc_pref = itemgetter(0)


def greedy_solve(groups: list[_Group], eps: float) -> list[tuple[Request, Bid, float]]:
    """Cyclus's greedy heuristic: groups by preference weight, arcs by preference then ids."""
    for g in groups:
        for n in g.nodes:
            if n.arcs:
                n.avg_pref = sum(map(_arc_pref, n.arcs)) / len(n.arcs)
            p = n.avg_pref
            n.weight = 1.0 * (1.0 + p / (1.0 + p))
        g.nodes.sort(key=lambda n: -n.weight)
        g.weight = sum(n.weight for n in g.nodes) / len(g.nodes) if g.nodes else 0.0
    groups = sorted(groups, key=lambda g: -g.weight)

    matches: list[tuple[Request, Bid, float]] = []
    for g in groups:
        nodes = sorted(g.nodes, key=lambda n: (-n.avg_pref, -n.agent_id)) if len(g.nodes) > 1 else g.nodes
        target = g.qty
        match = 0.0
        gcaps = g.caps
        for u in nodes:
            if target - match <= eps:
                # Cyclus keeps looping while match <= target, but every further amount would
                # be at most the remainder, i.e. not above eps: nothing more can match.
                break
            # ties on preference: same requester, so the higher bidder id goes first
            u.arcs.sort(key=_arc_order, reverse=True)
            for _pref, _bidder, bid, u_ucaps, v_ucaps, excl in u.arcs:
                remain = target - match
                if remain <= eps:
                    break
                vremain = bid.offer.qty - bid.matched
                if vremain <= eps and excl is None:
                    continue  # an exhausted bid: its capacity is at most vremain
                vcap = _cap(vremain, bid.portfolio.caps, v_ucaps, False)
                if vcap <= eps and excl is None:
                    continue  # an exhausted supplier: the amount could not exceed eps
                ucap = _cap(u.qty - u.matched, gcaps, u_ucaps, True)
                cap = ucap if ucap < vcap else vcap
                tomatch = remain if remain < cap else cap
                if excl is not None:
                    tomatch = 0.0 if float_distance(tomatch, excl) >= 2 else excl
                if tomatch > eps:
                    if u.qty - tomatch < -eps or bid.offer.qty - tomatch < -eps:
                        raise ValueError(f"a bid or request was matched beyond its quantity ({tomatch})")
                    _consume(gcaps, u_ucaps, tomatch)
                    _consume(bid.portfolio.caps, v_ucaps, tomatch)
                    u.matched += tomatch
                    bid.matched += tomatch
                    matches.append((u.request, bid, tomatch))
                    match += tomatch
    return matches


def _has_converter(constraints: list[CapacityConstraint]) -> bool:
    """True when some constraint's unit capacity depends on the offer."""
    for c in constraints:
        if c.converter is not None:
            return True
    return False


def _add_arcs(bp: BidPortfolio, prefs: dict[Request, dict[Bid, float]],
              req_nodes: dict[Request, tuple[_Node, UnitCaps, bool]]) -> None:
    """Turn the bids of `bp` into arcs of their requests' nodes (refused bids make none)."""
    bcons = bp.constraints
    bp.caps = [c.capacity for c in bcons]
    per_offer = _has_converter(bcons)
    bidder_id = bp.bids[0].bidder.manager.id  # one bidder per portfolio (add_bid checks)
    for b in bp.bids:
        r = b.request
        offer = b.offer
        b.matched = 0.0
        rp_map = prefs.get(r)
        pref = b.preference
        if rp_map is not None:
            pref = rp_map[b]
        elif pref != pref:  # NaN: the request's preference (as _initial_pref)
            pref = r.preference
        if pref <= 0:
            if pref < 0:
                continue
            raise ValueError("0-valued preferences have been deprecated; use a negative preference "
                             "to refuse a bid")
        u, u_ucaps, u_per_offer = req_nodes[r]
        if u_per_offer:
            rp = r.portfolio
            u_ucaps = [c.unit_capacity(offer) for c in rp.constraints]
            u_ucaps.append(rp.coeffs[r])
        v_ucaps = [c.unit_capacity(offer) for c in bcons] if per_offer else None
        excl = _exclusive_amount(u, b, offer.qty) if u.exclusive or b.exclusive else None
        u.arcs.append((pref, bidder_id, b, u_ucaps, v_ucaps, excl))


def _adjusters(requester: Trader, adjust_name: str) -> list[Agent]:
    """Who adjusts `requester`'s preferences, in Cyclus's order: itself, then its ancestors."""
    found: list[Agent] = [requester] if overrides(requester, adjust_name) else []
    agent = requester.manager.parent
    while agent is not None:
        if overrides(agent, adjust_name):
            found.append(agent)
        agent = agent.parent
    return found


def _adjusted_prefs(req_ports: list[RequestPortfolio], bid_ports: list[BidPortfolio],
                    adjust_name: str) -> dict[Request, dict[Bid, float]]:
    """Preferences (request -> bid -> pref) of the requests whose requester or an ancestor
    adjusts them, after adjusting. Other bids keep their initial preference (`_initial_pref`)."""
    adjusters: dict[Trader, list[Agent]] = {}
    for rp in req_ports:
        if rp.requests:
            requester = rp.requests[0].requester  # one requester per portfolio (add_request checks)
            if requester not in adjusters:
                adjusters[requester] = _adjusters(requester, adjust_name)
    if not any(adjusters.values()):
        return {}
    by_requester: dict[Trader, dict[Request, dict[Bid, float]]] = {}
    prefs: dict[Request, dict[Bid, float]] = {}
    for bp in bid_ports:
        for b in bp.bids:
            r = b.request
            rp_map = prefs.get(r)
            if rp_map is None:
                requester = r.requester
                if not adjusters[requester]:
                    continue
                rp_map = prefs[r] = {}
                by_requester.setdefault(requester, {})[r] = rp_map
            rp_map[b] = _initial_pref(b)
    for requester in sorted(by_requester, key=trader_key):
        pmap = by_requester[requester]
        for agent in adjusters[requester]:
            getattr(agent, adjust_name)(pmap)
        prefs.update(pmap)
    return prefs


def _initial_pref(b: Bid) -> float:
    """A bid's preference before adjustment: its own, or its request's when NaN."""
    pref = b.preference
    return b.request.preference if pref != pref else pref


def run_exchange(ctx: Context, hooks: tuple[str, ...]) -> None:
    """One complete exchange for one resource type."""
    req_name, bid_name, trade_name, accept_name, adjust_name = hooks
    req_ports: list[RequestPortfolio] = []
    for t in traders_for(ctx, req_name):
        req_ports.extend(getattr(t, req_name)())
    if not req_ports:
        return
    commod_requests: dict[str, list[Request]] = {}
    for rp in req_ports:
        for r in rp.requests:
            commod_requests.setdefault(r.commodity, []).append(r)
    bid_ports: list[BidPortfolio] = []
    for t in traders_for(ctx, bid_name):
        bid_ports.extend(getattr(t, bid_name)(commod_requests))

    if not any(bp.bids for bp in bid_ports):
        return
    prefs = _adjusted_prefs(req_ports, bid_ports, adjust_name)

    # <coin-or>: the optimiser (kernel.solvers, set on the context by the simulation) matches
    optimiser = ctx.exchange_solver
    if optimiser is not None:
        found = optimiser(ctx, req_ports, bid_ports, prefs)
        if found:
            execute_trades(ctx, [Trade(r, b, qty) for r, b, qty in found], prefs, trade_name, accept_name)
        return

    # translate to the exchange graph
    groups: list[_Group] = []
    req_nodes: dict[Request, tuple[_Node, UnitCaps, bool]] = {}
    for rp in req_ports:
        g = _Group(rp.qty, [c.capacity for c in rp.constraints] + [rp.qty])
        per_offer = _has_converter(rp.constraints)
        ones = [1.0] * len(rp.constraints)
        for r in rp.requests:
            n = _Node(g, r, r.requester.manager.id)
            g.nodes.append(n)
            coeff = rp.coeffs[r]
            req_nodes[r] = (n, None if coeff == 1.0 else [*ones, coeff], per_offer)
        groups.append(g)
    for bp in bid_ports:
        if bp.bids:
            _add_arcs(bp, prefs, req_nodes)

    matches = greedy_solve(groups, ctx.eps)
    if not matches:
        return
    execute_trades(ctx, [Trade(r, b, qty) for r, b, qty in matches], prefs, trade_name, accept_name)


def execute_trades(ctx: Context, trades: list[Trade], prefs: dict[Request, dict[Bid, float]],
                   trade_name: str, accept_name: str) -> None:
    """Suppliers send, `Transactions` rows are written, requesters accept."""
    by_supplier: dict[Trader, list[Trade]] = {}
    for tr in trades:
        by_supplier.setdefault(tr.bid.bidder, []).append(tr)
    by_requester: dict[Trader, list[tuple[Trade, Resource]]] = {}
    sent: list[tuple[Trader, dict[Trader, list[tuple[Trade, Resource]]]]] = []
    for supplier in sorted(by_supplier, key=trader_key):
        to_requester: dict[Trader, list[tuple[Trade, Resource]]] = {}
        for tr, rsrc in getattr(supplier, trade_name)(by_supplier[supplier]):
            requester = tr.request.requester
            by_requester.setdefault(requester, []).append((tr, rsrc))
            to_requester.setdefault(requester, []).append((tr, rsrc))
        sent.append((supplier, to_requester))
    # rows by (supplier, requester) in trader order, once every supplier has sent
    for supplier, to_requester in sent:
        for requester in sorted(to_requester, key=trader_key):
            _record_transactions(ctx, supplier, requester, to_requester[requester], prefs)
    for requester in sorted(by_requester, key=trader_key):
        getattr(requester, accept_name)(by_requester[requester])


def _record_transactions(ctx: Context, supplier: Trader, requester: Trader,
                         sent: list[tuple[Trade, Resource]], prefs: dict[Request, dict[Bid, float]]) -> None:
    """`Transactions` rows of what `supplier` sent `requester` (nothing for empty resources)."""
    add = ctx.recorder.add
    eps_rsrc = ctx.eps_rsrc
    supplier_id = supplier.manager.id
    requester_id = requester.manager.id
    for tr, rsrc in sent:
        if rsrc.qty > eps_rsrc:
            bid = tr.bid
            bidpref = bid.preference if not math.isnan(bid.preference) else tr.request.preference
            adjpref = prefs.get(tr.request, {}).get(bid, bidpref)
            add(tables.TRANSACTIONS, (
                ctx.next_transaction_id(), supplier_id, requester_id, rsrc.state_id,
                tr.request.commodity, ctx.time, 1.0 / bidpref, 1.0 / adjpref,
            ))


def trader_key(t: Trader) -> tuple[int, int]:
    """Cyclus's trader order: by managing agent id, then (for several traders per agent) creation."""
    return (t.manager.id, t.trader_seq)


def traders_for(ctx: Context, hook: str) -> list[Agent]:
    """Traders that implement exchange `hook`, in Cyclus's query order (cached in the context
    until the set of traders changes)."""
    found = ctx.trader_cache.get(hook)
    if found is None:
        found = ctx.trader_cache[hook] = [t for t in sorted(ctx.traders, key=trader_key) if overrides(t, hook)]
    return found
