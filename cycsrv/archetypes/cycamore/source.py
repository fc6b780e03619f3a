"""cycamore:Source: offers one commodity up to a per-step throughput from a finite inventory."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.common import (
    LARGE,
    PRODUCER_ALL_PARENTS,
    PRODUCER_PARENTS,
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
    """Supplies one commodity from a stock that only goes down.

Each time step it offers up to `throughput` kg on `outcommod`, of `outrecipe` or, without one, of
whatever composition each requester asks for. Every kg shipped comes off `inventory_size`; at zero it
offers nothing more. Throughput and inventory have no limit by default. Offers can be packaged and
shipped in transport units."""

    cpp_name = "cycamore::Source"
    version = VERSION
    parents = PRODUCER_PARENTS
    all_parents = PRODUCER_ALL_PARENTS

    latitude = latitude_var()
    longitude = longitude_var()
    outcommod = StateVar("std::string", tooltip="output commodity",
                         doc="Commodity it offers material on.",
                         uilabel="Output Commodity", uitype="outcommodity")
    outrecipe = StateVar("std::string", default="", tooltip="offered recipe",
                         doc="Recipe of everything it ships, whatever was asked for. Empty (default): each "
                             "requester gets the composition it requested.", uilabel="Output Recipe",
                         uitype="outrecipe")
    inventory_size = StateVar("double", default=LARGE, uitype="range", range=[0.0, LARGE],
                              uilabel="Initial Inventory", units="kg",
                              tooltip="lifetime supply (kg)",
                              doc="Material it has left to supply (kg); each trade subtracts what it ships, "
                                  "and at 0 it stops offering. Default: no limit.")
    throughput = StateVar("double", default=LARGE, tooltip="supply per step", units="kg/(time step)",
                          uilabel="Maximum Throughput", uitype="range", range=[0.0, LARGE],
                          doc="Most it ships in one time step, over all requests (kg). Default: no limit.")
    package = StateVar("std::string", default="unpackaged", tooltip="output package",
                       doc="Package type it ships in; offers are cut to amounts that fill whole packages. "
                           "Default: unpackaged.", uilabel="Output Package Type", uitype="package")
    transport_unit = StateVar("std::string", default="unrestricted",
                              tooltip="output transport unit",
                              doc="Transport unit its packages ship in; offers are cut to package counts the "
                                  "unit can carry. Takes effect only with a package set. Default: no limit.",
                              uilabel="Output Transport Unit Type", uitype="transportunit")
    inventory = Inventory(doc="Held for sale")

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
