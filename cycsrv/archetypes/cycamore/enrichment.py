"""cycamore:Enrichment: enriches uranium feed to the requested assay within SWU and feed limits."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.common import (
    FACILITY_ALL_PARENTS,
    FACILITY_PARENTS,
    LARGE,
    VERSION,
    latitude_var,
    longitude_var,
    record_position,
    record_time_series,
)
from cycsrv.archetypes.cycamore.enrichment_math import (
    U235,
    U238,
    assay_of,
    atom_frac,
    feed_qty,
    mass_frac,
    swu_required,
    uranium_mass_fracs,
    uranium_share,
)
from cycsrv.archetypes.cycamore.source import check_recipe
from cycsrv.kernel.agent import Agent, Facility, PrefMap
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, Request, RequestPortfolio, Trade
from cycsrv.kernel.resbuf import ResBuf, squash
from cycsrv.kernel.resources import Composition, Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar
from cycsrv.store.schema import DbType, TableSchema

ENRICHMENTS = TableSchema.of("Enrichments", ("AgentId", DbType.INT), ("Time", DbType.INT),
                             ("Natural_Uranium", DbType.DOUBLE), ("SWU", DbType.DOUBLE))


class Enrichment(Facility):
    """Enriches uranium to any requested assay, limited by its separative work and its feed.

The cascade itself is not modelled: for each product it works out the SWU and the feed needed
between the feed assay and `tails_assay`. Every time step it asks for `feed_commod` (of
`feed_recipe`) to fill its free feed space; with `order_prefs`, richer offers (by U235 mass fraction)
are preferred and offers without U235 are refused.

It bids on every request for `product_commod` whose target holds U238 and has an assay above
`tails_assay` and at most `max_enrich`; the offer is U235 and U238 only, at the requested assay.
What it ships in one step is capped by `swu_capacity` and by the feed on hand; when both cannot
cover every request, the requests are filled, whole then in part, in a fixed order. All feed not in
the product, other nuclides included, becomes tails, kept per enrichment and sold on `tails_commod`."""

    cpp_name = "cycamore::Enrichment"
    version = VERSION
    parents = FACILITY_PARENTS
    all_parents = FACILITY_ALL_PARENTS
    extra_annotations = {"niche": "enrichment facility"}

    latitude = latitude_var()
    longitude = longitude_var()
    feed_commod = StateVar("std::string", tooltip="feed commodity", uilabel="Feed Commodity",
                           uitype="incommodity", doc="Commodity it buys feed on (e.g. natural uranium).")
    feed_recipe = StateVar("std::string", tooltip="feed recipe", uilabel="Feed Recipe", uitype="inrecipe",
                           doc="Recipe of the requested feed, and of initial_feed.")
    product_commod = StateVar("std::string", tooltip="product commodity", uilabel="Product Commodity",
                              uitype="outcommodity",
                              doc="Commodity it sells enriched uranium on.")
    tails_commod = StateVar("std::string", tooltip="tails commodity", uilabel="Tails Commodity",
                            uitype="outcommodity", doc="Commodity it sells tails on.")
    # Cycamore's UI range is [0, 0.003]; Cyclus does not enforce it and any assay below 1 works.
    tails_assay = StateVar("double", default=0.003, tooltip="tails assay", uilabel="Tails Assay", uitype="range",
                           range=[0.0, 1.0],
                           doc="U235 fraction left in the tails, 0 to 1 (default 0.003); requests for product "
                               "at or below it get no bid.")
    initial_feed = StateVar("double", default=0.0, tooltip="starting feed (kg)",
                            uilabel="Initial Feed Inventory", range=[0.0, LARGE],
                            doc="Feed of feed_recipe it already holds when it is built (kg); default none.")
    max_feed_inventory = StateVar("double", default=LARGE, tooltip="feed storage limit (kg)",
                                  uilabel="Maximum Feed Inventory", uitype="range", range=[0.0, LARGE],
                                  doc="Most feed it holds (kg). Default: no limit.")
    max_enrich = StateVar("double", default=1.0, tooltip="highest product assay",
                          uilabel="Maximum Allowed Enrichment", uitype="range", range=[0.0, 1.0],
                          doc="Highest U235 mass fraction it makes, 0 to 1 (default 1, no limit); richer "
                              "requests get no bid.")
    order_prefs = StateVar("bool", default=True, userlevel=10, tooltip="rank feed by U235",
                           uilabel="Rank Feed by U235",
                           doc="True (default): feed offers are ranked by U235 content, richest first, and "
                               "offers without U235 are refused. False: the offers' own preferences stand.")
    swu_capacity = StateVar("double", default=LARGE, tooltip="SWU per step (kg SWU)",
                            uilabel="SWU Capacity", uitype="range", range=[0.0, LARGE],
                            doc="Separative work it can do per time step (kg SWU). Default: no limit.")
    inventory = Inventory(capacity="max_feed_inventory", doc="Feed")
    tails = Inventory(doc="Tails for sale, one material per enrichment")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.feed_buf: ResBuf[Material] = ResBuf(eps=ctx.eps_rsrc)
        self.tails_buf: ResBuf[Material] = ResBuf(eps=ctx.eps_rsrc)
        self.current_swu_capacity = 0.0
        # Only reset when the facility trades, so a step without trades repeats the last values.
        self.intra_timestep_swu = 0.0
        self.intra_timestep_feed = 0.0
        # composition id -> normalised (U235, U238) mass fractions; compositions never change, but
        # new ones arrive every step, so both id-keyed maps are emptied each tick
        self._fracs: dict[int, tuple[float, float]] = {}
        # request target composition id -> atoms of the product offered for it (None: no offer)
        self._offer_atoms: dict[int, dict[int, float] | None] = {}
        # (U235, U238) atom fractions of an offer -> its mass fractions, the same for every such offer
        self._offer_fracs: dict[tuple[float, float], tuple[float, float]] = {}

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"inventory": self.feed_buf.items(), "tails": self.tails_buf.items()}

    def build(self, parent: Agent | None) -> None:
        super().build(parent)
        self.feed_buf.capacity = self.max_feed_inventory
        if self.initial_feed > 0:
            ctx = self.context
            self.feed_buf.push(Material.create(self, self.initial_feed, ctx.get_recipe(self.feed_recipe)))

    def enter_notify(self) -> None:
        super().enter_notify()
        check_recipe(self, "feed_recipe", self.feed_recipe)
        self.feed_buf.capacity = self.max_feed_inventory
        record_position(self)

    # --- phases ---------------------------------------------------------------------------
    def tick(self) -> None:
        self.current_swu_capacity = self.swu_capacity
        self._fracs.clear()
        self._offer_atoms.clear()

    def _uranium(self, m: Material) -> tuple[float, float]:
        """Normalised (U235, U238) mass fractions of `m`'s composition, remembered for the step."""
        got = self._fracs.get(m.comp.id)
        if got is None:
            got = self._fracs[m.comp.id] = uranium_mass_fracs(m)
        return got

    def _assay(self, m: Material) -> float:
        """U235 / (U235 + U238) by mass in `m`."""
        return assay_of(*self._uranium(m))

    def _uranium_share(self, m: Material) -> float:
        """U235 + U238 mass fraction of `m`."""
        return uranium_share(*self._uranium(m), m.qty)

    def tock(self) -> None:
        record_time_series(self, "EnrichmentSWU", self.intra_timestep_swu)
        record_time_series(self, "EnrichmentFeed", self.intra_timestep_feed)
        record_time_series(self, "demand" + self.feed_commod, self.intra_timestep_feed)

    # --- feed -----------------------------------------------------------------------------
    def _squashed_feed(self) -> Material:
        """The whole feed inventory as one material (absorbing its pieces, as Cycamore does)."""
        buf = self.feed_buf
        m = buf.pop(buf.quantity(), self.context.eps_rsrc)
        buf.push(m)
        return m

    def feed_assay(self) -> float:
        """U235 mass assay of the whole feed inventory (0 when empty)."""
        if self.feed_buf.empty():
            return 0.0
        return self._assay(self._squashed_feed())

    def get_material_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        buf = self.feed_buf
        mat = Material.create_untracked(ctx, max(0.0, buf.capacity - buf.quantity()),
                                        ctx.get_recipe(self.feed_recipe))
        if mat.qty <= ctx.eps_rsrc:
            return []
        port = RequestPortfolio()
        port.add_request(mat, self, self.feed_commod)
        return [port]

    def adjust_material_prefs(self, prefs: PrefMap) -> None:
        """Rank feed offers by U235 content: more U235, higher preference; none at all, refused."""
        if not self.order_prefs:
            return
        for bids in prefs.values():
            ranked = sorted(bids, key=lambda b: mass_frac(b.offer, U235) * b.offer.qty / b.offer.qty)
            found_u235 = False
            for rank, bid in enumerate(ranked, start=1):
                pref = float(rank)
                if not found_u235:
                    if mass_frac(bid.offer, U235) * bid.offer.qty == 0:
                        pref = -1.0
                    else:
                        found_u235 = True
                bids[bid] = pref

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for _, m in responses:
            try:
                self.feed_buf.push(m)
            except ValueError as exc:
                raise ValueError(f"{self.prototype} (id {self.id}): {exc}") from None

    # --- product and tails ----------------------------------------------------------------
    def _product_atoms(self, target: Material) -> dict[int, float] | None:
        """U235/U238 atom fractions of the product offered for `target` (None: no offer), per composition."""
        key = target.comp.id
        if key in self._offer_atoms:
            return self._offer_atoms[key]
        atoms = None
        u235 = atom_frac(target, U235)
        u238 = atom_frac(target, U238)
        enrich = self._assay(target)
        max_enrich = self.max_enrich
        if (u238 > 0 and u235 / (u235 + u238) > self.tails_assay
                and (enrich < max_enrich or abs(enrich - max_enrich) < self.context.eps)):
            atoms = {U235: u235, U238: u238}
        self._offer_atoms[key] = atoms
        return atoms

    def _product_offer(self, target: Material, atoms: dict[int, float]) -> Material:
        """A new product offer (new composition, as Cycamore); its uranium fractions are worked out once."""
        ctx = self.context
        offer = Material.create_untracked(ctx, target.qty, Composition.from_atom(ctx, atoms))
        key = (atoms[U235], atoms[U238])
        known = self._offer_fracs.get(key)
        if known is None:
            self._offer_fracs[key] = self._uranium(offer)
        else:
            self._fracs[offer.comp.id] = known
        return offer

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        tails, feed = self.tails_buf, self.feed_buf
        record_time_series(self, "supply" + self.tails_commod, tails.quantity())
        record_time_series(self, "supply" + self.product_commod, feed.quantity())
        ports = []
        tails_reqs = requests.get(self.tails_commod)
        if tails_reqs is not None and tails.quantity() > 0:
            port = BidPortfolio()
            for req in tails_reqs:
                for m in tails.items():  # each enrichment's tails offered separately
                    port.add_bid(req, m, self)
            port.add_constraint(CapacityConstraint(tails.quantity()))
            ports.append(port)
        product_reqs = requests.get(self.product_commod)
        if product_reqs is not None and feed.quantity() > 0:
            port = BidPortfolio()
            for req in product_reqs:
                target: Material = req.target  # type: ignore[assignment]
                atoms = self._product_atoms(target)
                if atoms is not None:
                    port.add_bid(req, self._product_offer(target, atoms), self)
            x_f = self.feed_assay()
            x_t = self.tails_assay

            def swu(offer: Resource) -> float:
                return swu_required(offer.qty, x_f, self._assay(offer), x_t)  # type: ignore[arg-type]

            def natu(offer: Resource) -> float:
                return (feed_qty(offer.qty, x_f, self._assay(offer), x_t)  # type: ignore[arg-type]
                        / self._uranium_share(offer))  # type: ignore[arg-type]

            port.add_constraint(CapacityConstraint(self.swu_capacity, swu))
            port.add_constraint(CapacityConstraint(feed.quantity(), natu))
            ports.append(port)
        return ports

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        eps_rsrc = self.context.eps_rsrc
        self.intra_timestep_swu = 0.0
        self.intra_timestep_feed = 0.0
        responses = []
        for tr in trades:
            if tr.bid.request.commodity == self.tails_commod:
                tails = self.tails_buf
                response = tails.pop(min(tr.amt, tails.quantity()), eps_rsrc)
            else:
                response = self._enrich(tr.bid.offer, tr.amt)  # type: ignore[arg-type]
            responses.append((tr, response))
        if self.current_swu_capacity < -self.context.eps:
            raise ValueError(f"{self.prototype} (id {self.id}) is being asked to provide more than its SWU "
                             "capacity.")
        return responses

    def _enrich(self, offer: Material, qty: float) -> Material:
        """Make `qty` kg of `offer`'s composition from feed; the rest of the feed used becomes tails."""
        ctx = self.context
        buf = self.feed_buf
        if buf.empty():
            raise ValueError(f"{self.prototype} (id {self.id}) has no feed left to enrich {qty} kg")
        feed = self._squashed_feed()
        x_f = self._assay(feed)
        x_p = self._assay(offer)
        swu = swu_required(qty, x_f, x_p, self.tails_assay)
        natu_req = feed_qty(qty, x_f, x_p, self.tails_assay)
        feed_req = natu_req / self._uranium_share(feed)
        try:
            if abs(feed_req - buf.quantity()) < ctx.eps:
                r = squash(buf.pop_n(buf.count()))
            else:
                r = buf.pop(feed_req, ctx.eps_rsrc)
        except ValueError:
            raise ValueError(f"{self.prototype} (id {self.id}) tried to remove {feed_req} from its inventory of "
                             f"size {buf.quantity()}") from None
        product = r.extract_comp(qty, offer.comp)
        self.tails_buf.push(r)
        self.current_swu_capacity -= swu
        self.intra_timestep_swu += swu
        self.intra_timestep_feed += feed_req
        ctx.recorder.add(ENRICHMENTS, (self.id, ctx.time, feed_req, swu))
        return product


ARCHETYPE = Enrichment
