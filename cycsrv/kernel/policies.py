"""Material buy and sell policies (Cyclus toolkit `MatlBuyPolicy`, `MatlSellPolicy`).

A policy is a trader of its own whose `manager` is the facility that owns it: it fills (buy)
or empties (sell) one of the facility's buffers through the exchange, and the facility
itself need not trade at all. Register it with `start()` and remove it with `stop()`
(e.g. in the facility's `decommission`). The exchange orders traders by
(manager id, `trader_seq`), so give each policy of one facility a different `trader_seq`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cycsrv.kernel.agent import Agent
from cycsrv.kernel.exchange import DBL_MAX, BidPortfolio, CapacityConstraint, Request, RequestPortfolio, Trade
from cycsrv.kernel.packaging import UNPACKAGED, get_package, get_transport_unit
from cycsrv.kernel.random import FixedDist
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Composition, Material
from cycsrv.store.schema import DbType, TableSchema

if TYPE_CHECKING:
    from cycsrv.kernel.context import Context

BUY_POL_ACTIVE_DORMANT = TableSchema.of(
    "BuyPolActiveDormant", ("Agent", DbType.INT), ("Time", DbType.INT), ("Type", DbType.STRING),
    ("Length", DbType.INT))


class Trader:
    """What a non-agent trader needs for the exchange: a manager, an order key and no-op hooks.

    The hooks are the `Agent` defaults themselves, so the exchange can tell which ones a
    policy really implements."""

    trader_seq: int = 1
    get_material_requests = Agent.get_material_requests
    get_material_bids = Agent.get_material_bids
    get_material_trades = Agent.get_material_trades
    accept_material_trades = Agent.accept_material_trades
    adjust_material_prefs = Agent.adjust_material_prefs
    get_product_requests = Agent.get_product_requests
    get_product_bids = Agent.get_product_bids
    get_product_trades = Agent.get_product_trades
    accept_product_trades = Agent.accept_product_trades
    adjust_product_prefs = Agent.adjust_product_prefs

    def __init__(self, manager: Agent, name: str, trader_seq: int) -> None:
        if manager is None:
            raise ValueError(f"no manager set on policy {name!r}")
        self._manager = manager
        self.name = name
        self.trader_seq = trader_seq

    @property
    def manager(self) -> Agent:
        """The facility this policy trades for (transactions carry its id)."""
        return self._manager

    @property
    def context(self) -> Context:
        return self._manager.context

    @property
    def id(self) -> int:
        return self._manager.id

    @property
    def prototype(self) -> str:
        return self._manager.prototype

    def start(self) -> None:
        """Join the exchange (idempotent)."""
        self.context.register_trader(self)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Leave the exchange (idempotent)."""
        self.context.unregister_trader(self)  # type: ignore[arg-type]


class TotalInvTracker:
    """The total quantity held in several buffers, against one shared capacity."""

    def __init__(self, bufs: Sequence[ResBuf[Any]], max_inv_size: float = math.inf) -> None:
        self.bufs = list(bufs)
        self.max_inv_size = max_inv_size

    def quantity(self) -> float:
        return sum(b.quantity() for b in self.bufs)

    def capacity(self) -> float:
        return min(sum(b.capacity for b in self.bufs), self.max_inv_size)

    def space(self) -> float:
        return max(0.0, self.capacity() - self.quantity())

    def holds(self, buf: ResBuf[Any]) -> bool:
        return any(b is buf for b in self.bufs)


class MatlBuyPolicy(Trader):
    """Requests material to fill `buf` each step, with optional active/dormant cycles, random
    request sizes, (s,S) or (R,Q) inventory rules and a cumulative cap per cycle.

    Distributions have `sample()` and `max()` (see cycsrv.kernel.random). Active and dormant
    period lengths are recorded in `BuyPolActiveDormant` as they are drawn.
    """

    def __init__(self, manager: Agent, buf: ResBuf[Material], name: str, *,
                 tracker: TotalInvTracker | None = None, throughput: float = DBL_MAX,
                 active_dist: Any = None, dormant_dist: Any = None, size_dist: Any = None,
                 inv_policy: str | None = None, fill_behav: float = DBL_MAX, req_at: float = DBL_MAX,
                 quantize: float = -1.0, cumulative_cap: float = -1.0, trader_seq: int = 1) -> None:
        super().__init__(manager, name, trader_seq)
        self.buf = buf
        if tracker is None:
            tracker = TotalInvTracker([buf], buf.capacity)
        elif not tracker.holds(buf):
            raise ValueError("TotalInvTracker does not contain ResBuf used in buy policy")
        self.tracker = tracker
        self.throughput = throughput
        self.quantize = quantize
        self.fill_to = DBL_MAX
        self.req_at = DBL_MAX
        self.cumulative_cap = -1.0
        self.cycle_total_inv = 0.0
        if inv_policy is not None:
            self.req_at = min(req_at, buf.capacity)
            kind = inv_policy.lower()
            if kind == "ss":
                self.fill_to = min(fill_behav, buf.capacity)
            elif kind in ("rq", "qr"):
                self.quantize = fill_behav
                self.fill_to = min(req_at + fill_behav, buf.capacity)
            else:
                raise ValueError(f"invalid inventory policy {inv_policy!r}; use 'sS' or 'RQ'")
        if cumulative_cap > 0:
            self.cumulative_cap = min(cumulative_cap, buf.capacity)
        self.commods: dict[str, tuple[Composition, float]] = {}
        self.next_active_end = 0
        self.next_dormant_end = 0
        self.active_dist = active_dist if active_dist is not None else FixedDist(1)
        self.dormant_dist = dormant_dist if dormant_dist is not None else FixedDist(-1)
        self.size_dist = size_dist if size_dist is not None else FixedDist(1.0)
        if self.size_dist.max() > 1:
            raise ValueError("size distribution cannot have a max greater than 1")
        self._init_active_dormant()

    # --- configuration ----------------------------------------------------------------------
    def set(self, commod: str, comp: Composition, pref: float = 1.0) -> MatlBuyPolicy:
        """Request `commod` with target composition `comp` and preference `pref`."""
        self.commods[commod] = (comp, pref)
        return self

    def unset(self, commod: str) -> MatlBuyPolicy:
        self.commods.pop(commod, None)
        return self

    # --- behaviour ------------------------------------------------------------------------
    def use_cumulative_capacity(self) -> bool:
        return self.cumulative_cap > 0

    def total_available(self) -> float:
        return min(self.throughput, self.fill_to - self.buf.quantity(), self.buf.space(), self.tracker.space())

    def make_request(self) -> bool:
        return self.tracker.quantity() <= self.req_at

    def exclusive(self) -> bool:
        return self.quantize > 0

    def dormant(self, t: int) -> bool:
        return self.next_active_end <= t < self.next_dormant_end

    def _init_active_dormant(self) -> None:
        self._set_next_active_time()
        if self.dormant_dist.sample() < 0 or self.use_cumulative_capacity():
            self.next_dormant_end = -1
        else:
            self._set_next_dormant_time()

    def _set_next_active_time(self) -> None:
        t = self.context.time
        length = int(self.active_dist.sample())
        self.next_active_end = length + t
        self._record(t, "CumulativeCap" if self.use_cumulative_capacity() else "Active", length)

    def _set_next_dormant_time(self) -> None:
        if self.use_cumulative_capacity():
            length = int(self.dormant_dist.sample())
            start = self.context.time + 1
        elif self.next_dormant_end >= 0:
            length = int(self.dormant_dist.sample())
            start = max(self.next_active_end, 1)
        else:
            return
        self.next_dormant_end = length + start
        self._record(start, "Dormant", length)

    def _record(self, t: int, kind: str, length: int) -> None:
        self.context.recorder.add(BUY_POL_ACTIVE_DORMANT, (self._manager.id, t, kind, length))

    def _check_cycle_times(self) -> None:
        if self.context.time == self.next_dormant_end:
            if self.use_cumulative_capacity():
                self.next_dormant_end = -1
            else:
                self._set_next_active_time()
                self._set_next_dormant_time()

    def get_material_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        max_amt = self.cumulative_cap - self.cycle_total_inv if self.use_cumulative_capacity() else DBL_MAX
        amt = 0.0
        if self.make_request() and not self.dormant(ctx.time):
            amt = min(self.total_available() * self.size_dist.sample(), max_amt)
        self._check_cycle_times()
        if amt < ctx.eps:
            return []
        excl = self.exclusive()
        req_qty = self.quantize if excl else amt
        n_req = int(amt / self.quantize) if excl else 1
        ports = []
        for _ in range(n_req):
            port = RequestPortfolio()
            reqs = [port.add_request(Material.create_untracked(ctx, req_qty, comp), self, commod, pref, excl)
                    for commod, (comp, pref) in sorted(self.commods.items())]
            if reqs:
                port.add_mutual_requests(reqs)
                ports.append(port)
        return ports

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for _, m in responses:
            self.buf.push(m)
            if self.use_cumulative_capacity():
                self.cycle_total_inv += m.qty
        if self.use_cumulative_capacity() and self.cumulative_cap - self.cycle_total_inv < self.context.eps_rsrc:
            self._set_next_dormant_time()
            self.cycle_total_inv = 0.0


class MatlSellPolicy(Trader):
    """Offers what `buf` holds on its commodities, optionally in `quantize`-sized exclusive
    lots, packages and transport units."""

    def __init__(self, manager: Agent, buf: ResBuf[Material], name: str, *, throughput: float = DBL_MAX,
                 ignore_comp: bool = False, quantize: float = 0.0, package: str = UNPACKAGED,
                 transport_unit: str = "unrestricted", trader_seq: int = 2) -> None:
        super().__init__(manager, name, trader_seq)
        if quantize < 0 or throughput < 0:
            raise ValueError(f"policy {name!r}: quantize and throughput must be non-negative")
        self.buf = buf
        self.throughput = throughput
        self.ignore_comp = ignore_comp
        self.quantize = quantize
        self.commods: list[str] = []
        ctx = self.context
        self.package = get_package(ctx, package)
        if quantize > 0 and self.package.name != UNPACKAGED:
            if self.package.strategy not in ("first", "equal"):
                raise ValueError(f"package strategy {self.package.strategy!r} is not allowed for sell "
                                 "policies with a sell quantity")
            fill = self.package.fill_masses(ctx, quantize)
            if len(fill) != 1 or math.fmod(fill[0], quantize) > 0:
                raise ValueError(f"sell quantity {quantize} is not fully packagable based on fill min/max "
                                 f"values ({self.package.fill_min}, {self.package.fill_max})")
        self.transport_unit = get_transport_unit(ctx, transport_unit)
        if quantize > 0 and self.transport_unit.name != "unrestricted":
            n = len(self.package.fill_masses(ctx, quantize))
            if self.transport_unit.max_shippable_packages(n) != n:
                raise ValueError(f"sell quantity {quantize} packages cannot be shipped according to transport "
                                 f"unit fill min/max values ({self.transport_unit.fill_min}, "
                                 f"{self.transport_unit.fill_max})")

    def set(self, commod: str) -> MatlSellPolicy:
        """Offer on `commod` too."""
        if commod not in self.commods:
            self.commods.append(commod)
        return self

    def exclusive(self) -> bool:
        return self.quantize > 0

    def limit(self) -> float:
        """The most that can be sold this step."""
        held = self.buf.quantity()
        lim = self.quantize * math.floor(held / self.quantize) if self.exclusive() else held
        return min(self.throughput, lim)

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        ctx = self.context
        lim = self.limit()
        if self.buf.empty() or self.buf.quantity() < ctx.eps or lim < ctx.eps:
            return []
        port = BidPortfolio()
        port.add_constraint(CapacityConstraint(lim))
        excl = self.exclusive()
        front = self.buf.peek()
        for commod in sorted(self.commods):
            for req in requests.get(commod, ()):
                qty = min(req.target.qty, lim)
                if excl:
                    fills = [self.quantize] * math.floor(qty / self.quantize)
                else:
                    fills = self.package.fill_masses(ctx, qty)
                fills = fills[:self.transport_unit.max_shippable_packages(len(fills))]
                if not fills:
                    continue  # no bid reads the front's composition (no lazy decay), as in Cyclus
                comp = req.target.comp if self.ignore_comp else front.comp  # type: ignore[attr-defined]
                for fill in fills:
                    port.add_bid(req, Material.create_untracked(ctx, fill, comp), self, excl)
        return [port]

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        ctx = self.context
        shippable = self.transport_unit.max_shippable_packages(len(trades))
        responses = []
        for tr in trades:
            if shippable <= 0:
                continue
            mat = self.buf.pop(tr.amt, ctx.eps_rsrc)
            if self.package.name != mat.package:
                packaged = self.package.package(mat)
                if mat.qty > ctx.eps_rsrc:
                    self.buf.push(mat)
                if packaged:
                    trade_mat = packaged[0]
                    shippable -= 1
                else:
                    trade_mat = Material.create_untracked(ctx, 0.0, mat.comp)
            else:
                trade_mat = mat
            target = tr.request.target
            if self.ignore_comp and _almost_eq(target.comp.mass(), trade_mat.comp.mass(),  # type: ignore[attr-defined]
                                                ctx.eps_rsrc):
                trade_mat.transmute(target.comp)  # type: ignore[attr-defined]
            responses.append((tr, trade_mat))
        return responses


def _almost_eq(a: dict[int, float], b: dict[int, float], threshold: float) -> bool:
    """Cyclus's compmath::AlmostEq on normalised mass vectors."""
    from cycsrv.kernel.resources import normalize

    na, nb = normalize(a), normalize(b)
    return all(abs(na.get(k, 0.0) - nb.get(k, 0.0)) <= threshold for k in set(na) | set(nb))
