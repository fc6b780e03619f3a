"""cycamore:Separations: splits feed into element/nuclide streams by mass efficiencies, rest to leftover."""

from __future__ import annotations

import math

from cycsrv.archetypes.cycamore.common import (
    FACILITY_ALL_PARENTS,
    FACILITY_PARENTS,
    LARGE,
    VERSION,
    bid_until_covered,
    latitude_var,
    longitude_var,
    record_position,
    record_time_series,
)
from cycsrv.archetypes.cycamore.source import check_recipe
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, Request, RequestPortfolio, Trade
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Composition, Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar
from cycsrv.store.schema import DbType, TableSchema

SEPARATION_EVENTS = TableSchema.of("SeparationEvents", ("AgentId", DbType.INT), ("Time", DbType.INT),
                                   ("Event", DbType.STRING), ("Value", DbType.DOUBLE), ("Type", DbType.STRING))


def separate(ctx, effs: dict[int, float], mat: Material) -> Material:  # type: ignore[no-untyped-def]
    """The untracked material a stream with component efficiencies `effs` takes out of `mat`.

    A nuclide uses its own efficiency if listed, else its element's; unlisted nuclides stay behind.
    """
    sep: dict[int, float] = {}
    total = 0.0
    for nuc, qty in mat.comp.mass_scaled(mat.qty).items():
        eff = effs.get(nuc)
        if eff is None:
            eff = effs.get((nuc // 10000000) * 10000000)
            if eff is None:
                continue
        q = qty * eff
        sep[nuc] = q
        total += q
    return Material.create_untracked(ctx, total, Composition.from_mass(ctx, sep))


class Separations(Facility):
    """Splits feed into streams of chosen elements and nuclides, by mass.

Each output stream is a commodity with a storage limit and a list of components, an element (U, Pu,
...) or a single nuclide, each with an efficiency: the mass fraction of that component in the feed
that goes to the stream. A nuclide listed itself uses its own efficiency, otherwise its element's.
For any one component the efficiencies over all streams may add up to at most 1; what no stream
takes goes to the leftover stream, which is sold on `leftover_commod`.

Feed is bought into its own inventory and up to `throughput` kg is processed per time step. When a
stream's storage cannot take its share, only the part that fits everywhere is processed and the rest
of the feed waits for the next step."""

    cpp_name = "cycamore::Separations"
    version = VERSION
    parents = FACILITY_PARENTS
    all_parents = FACILITY_ALL_PARENTS
    extra_annotations = {"niche": "separations"}

    latitude = latitude_var()
    longitude = longitude_var()
    feed_commods = StateVar(["std::vector", "std::string"], uilabel="Feed Commodity List",
                            uitype=["oneormore", "incommodity"],
                            doc="Commodities it buys feed on, one or more; the order pairs them with "
                                "feed_commod_prefs.")
    feed_commod_prefs = StateVar(["std::vector", "double"], default=[], uilabel="Feed Commodity Preference List",
                                 doc="Preference of each feed_commods entry (same order); higher wins. Empty: "
                                     "1 for all.")
    feed_recipe = StateVar("std::string", default="", uilabel="Feed Commodity Recipe List", uitype="inrecipe",
                           doc="Recipe of the requested feed. Empty (default): any composition will do.")
    feedbuf_size = StateVar("double", uilabel="Maximum Feed Inventory", units="kg", range=[0.0, LARGE],
                            doc="Most unprocessed feed it holds (kg).")
    feed = Inventory(capacity="feedbuf_size", doc="Feed not yet processed")
    throughput = StateVar("double", default=LARGE, uilabel="Maximum Separations Throughput", uitype="range",
                          range=[0.0, LARGE], units="kg/(time step)",
                          doc="Most feed it processes in one time step (kg). Default: no limit.")
    leftover_commod = StateVar("std::string", default="default-waste-stream", uitype="outcommodity",
                               uilabel="Leftover Commodity",
                               doc="Commodity it sells the leftover on (what no stream takes); it must differ "
                                   "from every stream's commodity.")
    leftoverbuf_size = StateVar("double", default=LARGE, uilabel="Maximum Leftover Inventory", uitype="range",
                                range=[0.0, LARGE], units="kg",
                                doc="Most leftover material it holds (kg). Default: no limit.")
    leftover = Inventory(capacity="leftoverbuf_size", doc="Leftover for sale")
    streams_ = StateVar(
        ["std::map", "std::string", ["std::pair", "double", ["std::map", "int", "double"]]],
        alias=["streams", "commod", ["info", "buf_size", ["efficiencies", "comp", "eff"]]],
        uitype=["oneormore", "outcommodity", ["pair", "double", ["oneormore", "nuclide", "double"]]],
        uilabel="Separations Streams and Efficiencies",
        doc="The output streams, keyed by the commodity each is sold on. Per stream: buf_size, the most it "
            "stores in kg (negative: no limit), and efficiencies, pairs of comp (an element such as U or Pu, or "
            "a nuclide) and eff (the mass fraction of that component in the feed sent to this stream, 0 to 1). "
            "Over all streams the effs of one component may add up to at most 1. When a stream is full, "
            "processing shrinks to what fits.")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.feed_buf: ResBuf[Material] = ResBuf(eps=ctx.eps_rsrc)
        self.leftover_buf: ResBuf[Material] = ResBuf(eps=ctx.eps_rsrc)
        self.stream_bufs: dict[str, ResBuf[Material]] = {}

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        invs = {"leftover-inv-name": self.leftover_buf.items(), "feed-inv-name": self.feed_buf.items()}
        for name, buf in self.stream_bufs.items():
            invs[name] = buf.items()
        return invs

    def _error(self, message: str) -> ValueError:
        return ValueError(f"{self.prototype} (id {self.id}): {message}")

    def enter_notify(self) -> None:
        super().enter_notify()
        check_recipe(self, "feed_recipe", self.feed_recipe)
        eps = self.context.eps_rsrc
        self.feed_buf.capacity = self.feedbuf_size
        self.leftover_buf.capacity = self.leftoverbuf_size
        totals: dict[int, float] = {}
        for name in sorted(self.streams_):
            cap, effs = self.streams_[name]
            buf = self.stream_bufs.setdefault(name, ResBuf(eps=eps))
            if cap >= 0:
                buf.capacity = cap
            for comp, eff in effs.items():
                totals[comp] = totals.get(comp, 0.0) + eff
            record_position(self)  # once per stream, as Cycamore does
        over = sorted(c for c, total in totals.items() if total > 1)
        if over:
            raise self._error("the following nuclide(s) have a cumulative separation efficiency greater than 1: "
                              + ", ".join(str(c) for c in over))
        if not self.feed_commod_prefs:
            self.feed_commod_prefs = [1.0] * len(self.feed_commods)
        if len(self.feed_commod_prefs) != len(self.feed_commods):
            raise self._error(f"{len(self.feed_commod_prefs)} feed_commod_prefs values, expected "
                              f"{len(self.feed_commods)} (one per feed_commods entry)")

    def check_decommission_condition(self) -> bool:
        return self.leftover_buf.empty() and all(b.empty() for b in self.stream_bufs.values())

    # --- phases ---------------------------------------------------------------------------
    def _event(self, name: str, value: float, kind: str) -> None:
        ctx = self.context
        ctx.recorder.add(SEPARATION_EVENTS, (self.id, ctx.time, name, float(value), kind))

    def tick(self) -> None:
        ctx = self.context
        feed = self.feed_buf
        if feed.empty():
            return
        mat = feed.pop(min(self.throughput, feed.quantity()), ctx.eps_rsrc)
        orig = mat.qty
        self._event("Separating", orig, "feed")
        staged: dict[str, Material] = {}
        maxfrac = 1.0
        for name in sorted(self.streams_):
            staged[name] = s = separate(ctx, self.streams_[name][1], mat)
            space = self.stream_bufs[name].space()
            if s.qty == 0:
                frac = math.inf if space > 0 else math.nan
            else:
                frac = space / s.qty
            if frac < maxfrac:
                maxfrac = frac
        for name, s in staged.items():
            buf = self.stream_bufs[name]
            if s.qty > 0:
                qty = min(s.qty, mat.qty)
                buf.push(mat.extract_comp(qty * maxfrac, s.comp))
                self._event("Separated", qty * maxfrac, name)
            record_time_series(self, "supply" + name, buf.quantity())
        if maxfrac != 1:
            feed.push(mat.extract_qty((1 - maxfrac) * orig))
        if mat.qty > 0:
            self.leftover_buf.push(mat)
        record_time_series(self, "supply" + self.leftover_commod, self.leftover_buf.quantity())

    # --- trading --------------------------------------------------------------------------
    def get_material_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        feed = self.feed_buf
        prefs = self.feed_commod_prefs
        space = feed.space()
        record_time_series(self, "demand" + self.feed_commods[prefs.index(max(prefs))], space)
        t_exit = self.exit_time
        if t_exit >= 0 and feed.quantity() >= (t_exit - ctx.time) * self.throughput:
            return []  # enough feed for the rest of its life
        if space < ctx.eps_rsrc:
            return []
        if self.feed_recipe:
            m = Material.create_untracked(ctx, space, ctx.get_recipe(self.feed_recipe))
        else:
            m = Material.blank(ctx, space)
        port = RequestPortfolio()
        reqs = [port.add_request(m, self, commod, pref) for commod, pref in zip(self.feed_commods, prefs,
                                                                                 strict=False)]
        port.add_mutual_requests(reqs)
        return [port]

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for _, m in responses:
            self.feed_buf.push(m)

    def _bid_buffer(self, buf: ResBuf[Material], reqs: list[Request]) -> BidPortfolio:
        port = BidPortfolio()
        bid_until_covered(port, reqs, buf.items(), self, min_qty=self.context.eps_rsrc)
        port.add_constraint(CapacityConstraint(buf.quantity()))
        return port

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        eps = self.context.eps_rsrc
        ports = []
        for name, buf in sorted(self.stream_bufs.items()):
            reqs = requests.get(name)
            if not reqs or buf.quantity() < eps:
                continue
            ports.append(self._bid_buffer(buf, reqs))
        reqs = requests.get(self.leftover_commod)
        if reqs and self.leftover_buf.quantity() >= eps:
            ports.append(self._bid_buffer(self.leftover_buf, reqs))
        return ports

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        eps = self.context.eps_rsrc
        responses = []
        for tr in trades:
            commod = tr.request.commodity
            if commod == self.leftover_commod:
                buf = self.leftover_buf
            elif commod in self.stream_bufs:
                buf = self.stream_bufs[commod]
            else:
                raise self._error(f"invalid commodity {commod} on trade matched to prototype {self.prototype}")
            responses.append((tr, buf.pop(min(buf.quantity(), tr.amt), eps)))
        return responses


ARCHETYPE = Separations
