"""cycamore:Source: offers one commodity up to a per-step throughput from a finite inventory."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.common import (
    LARGE,
    VERSION,
    latitude_var,
    longitude_var,
    record_position,
    record_time_series,
)
from cycsrv.kernel.agent import Agent, Facility
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, Request, Trade
from cycsrv.kernel.packaging import get_package, get_transport_unit
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Composition, Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar


def check_names(agent: Agent, package: str, transport_unit: str | None = None) -> None:
    """Fail early, naming the facility, when `package`/`transport_unit` are not defined."""
    ctx = agent.context
    try:
        get_package(ctx, package)
        if transport_unit is not None:
            get_transport_unit(ctx, transport_unit)
    except KeyError as exc:
        raise ValueError(f"{agent.prototype} (id {agent.id}): {exc.args[0]}") from None


def check_recipe(agent: Agent, var: str, recipe: str) -> None:
    """Fail early, naming the facility and variable, when `recipe` is not in the input."""
    known = agent.context.recipes
    if recipe and recipe not in known:
        names = ", ".join(sorted(known)) or "none"
        raise ValueError(f"{agent.prototype} (id {agent.id}): {var} {recipe!r} is not a recipe of the input "
                         f"(recipes: {names})")


class Source(Facility):
    """This facility acts as a source of material with a fixed throughput (per
time step) capacity and a lifetime capacity defined by a total inventory
size.  It offers its material as a single commodity. If a composition
recipe is specified, it provides that single material composition to
requesters.  If unspecified, the source provides materials with the exact
requested compositions.  The inventory size and throughput both default to
infinite.  Supplies material results in corresponding decrease in
inventory, and when the inventory size reaches zero, the source can provide
no more material.
"""

    cpp_name = "cycamore::Source"
    version = VERSION
    parents = ("cyclus::Facility", "cyclus::toolkit::CommodityProducer", "cyclus::toolkit::Position")
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Facility", "cyclus::Ider",
                   "cyclus::StateWrangler", "cyclus::TimeListener", "cyclus::Trader",
                   "cyclus::toolkit::AgentManaged", "cyclus::toolkit::CommodityProducer",
                   "cyclus::toolkit::Position")

    latitude = latitude_var()
    longitude = longitude_var()
    outcommod = StateVar("std::string", tooltip="source output commodity",
                         doc="Output commodity on which the source offers material.",
                         uilabel="Output Commodity", uitype="outcommodity")
    outrecipe = StateVar("std::string", default="", tooltip="name of material recipe to provide",
                         doc="Name of composition recipe that this source provides regardless of requested "
                             "composition. If empty, source creates and provides whatever compositions are "
                             "requested.", uilabel="Output Recipe", uitype="outrecipe")
    inventory_size = StateVar("double", default=LARGE, uitype="range", range=[0.0, LARGE],
                              uilabel="Initial Inventory", units="kg",
                              tooltip="Total amount of material this source can supply over its lifetime",
                              doc="Total amount of material this source has remaining. Every trade decreases "
                                  "this value by the supplied material quantity.  When it reaches zero, the "
                                  "source cannot provide any  more material.")
    throughput = StateVar("double", default=LARGE, tooltip="per time step throughput", units="kg/(time step)",
                          uilabel="Maximum Throughput", uitype="range", range=[0.0, LARGE],
                          doc="amount of commodity that can be supplied at each time step")
    package = StateVar("std::string", default="unpackaged", tooltip="name of package to provide material in",
                       doc="Name of package that this source provides. Offers will only bemade in packagable "
                           "quantities of material.", uilabel="Output Package Type", uitype="package")
    transport_unit = StateVar("std::string", default="unrestricted",
                              tooltip="name of transport unit to ship packages in",
                              doc="Name of transport unit that this source uses to ship packages of material. "
                                  "Offers will only be made in shippable quantities of packages. Optional if "
                                  "packaging is used, but use of transport units requires packaging type to "
                                  "also be set", uilabel="Output Transport Unit Type", uitype="transportunit")
    inventory = Inventory(doc="Material buffer")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.inventory_buf: ResBuf[Material] = ResBuf(eps=ctx.eps_rsrc)

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"inventory": self.inventory_buf.items()}

    def commodity_production(self) -> dict[str, tuple[float, float]]:
        """Cyclus's CommodityProducer view, for supply-driven deployment: commodity -> (capacity, cost)."""
        return {self.outcommod: (self.throughput, self.throughput)}

    def enter_notify(self) -> None:
        super().enter_notify()
        check_names(self, self.package, self.transport_unit)
        check_recipe(self, "outrecipe", self.outrecipe)
        record_position(self)

    def build(self, parent: Agent | None) -> None:
        super().build(parent)
        ctx = self.context
        blank = Composition.from_mass(ctx, {})  # made even when a recipe is used, as in Cycamore
        comp = ctx.get_recipe(self.outrecipe) if self.outrecipe else blank
        self.inventory_buf.push(Material.create(self, self.inventory_size, comp))

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        ctx = self.context
        max_qty = min(self.throughput, self.inventory_buf.quantity())
        record_time_series(self, "supply" + self.outcommod, max_qty)
        reqs = requests.get(self.outcommod)
        if max_qty < ctx.eps or not reqs:
            return []
        pkg = get_package(ctx, self.package)
        tu = get_transport_unit(ctx, self.transport_unit)
        recipe = ctx.get_recipe(self.outrecipe) if self.outrecipe else None
        port = BidPortfolio()
        for req in reqs:
            target = req.target
            fills = pkg.fill_masses(ctx, min(target.qty, max_qty))
            fills = fills[:tu.max_shippable_packages(len(fills))]
            for fill in fills:
                comp = recipe if recipe is not None else target.comp  # type: ignore[attr-defined]
                port.add_bid(req, Material.create_untracked(ctx, fill, comp), self)
        port.add_constraint(CapacityConstraint(max_qty))
        return [port]

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        ctx = self.context
        pkg = get_package(ctx, self.package)
        shippable = get_transport_unit(ctx, self.transport_unit).max_shippable_packages(len(trades))
        responses = []
        for tr in trades:
            if shippable <= 0:
                continue
            m = self.inventory_buf.pop(tr.amt)
            packaged = pkg.package(m)
            if m.qty > ctx.eps:
                self.inventory_buf.push(m)
            if packaged:
                response = packaged[0]
                shippable -= 1
            else:
                response = Material.create_untracked(ctx, 0.0, m.comp)
            target = tr.request.target
            if not self.outrecipe and response.comp is not target.comp:  # type: ignore[attr-defined]
                response.transmute(target.comp)  # type: ignore[attr-defined]
            responses.append((tr, response))
        return responses


ARCHETYPE = Source
