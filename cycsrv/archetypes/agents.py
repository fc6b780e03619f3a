"""The `agents` library shipped with Cyclus: Source, Sink, NullRegion, NullInst, KFacility,
Predator, Prey. Specs are `:agents:<Name>`."""

from __future__ import annotations

import math

from cycsrv.kernel.agent import Agent, Facility, Institution, PrefMap, Region
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, Request, RequestPortfolio, Trade
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Material, Product, Resource
from cycsrv.kernel.statevar import Inventory, StateVar

LARGE = 1e299
VERSION = "1.6"
_OUT = {"schematype": "token", "uitype": "outcommodity"}


def _check_capacity(agent: Agent, provided: float, capacity: float) -> None:
    if capacity - provided < -agent.context.eps:
        raise ValueError(f"{agent.prototype} (id {agent.id}) is being asked to provide {provided} "
                         f"but its capacity is {capacity}")


class Source(Facility):
    """Minimal supplier: offers `commod` to every requester, at most `capacity` per time step, made
    to `recipe_name` or, without one, to the composition each requester asks for."""

    cpp_name = "cyclus::Source"
    version = VERSION
    commod = StateVar("std::string", doc="Commodity this source offers.",
                      tooltip="source commodity", uilabel="Commodity", **_OUT)
    recipe_name = StateVar("std::string", default="", schematype="token", uitype="recipe",
                           doc="Recipe of the offered material. Empty: each requester gets the composition "
                               "it asked for.",
                           tooltip="offered recipe", uilabel="Recipe")
    capacity = StateVar("double", range=[0.0, LARGE], uitype="range", tooltip="source capacity",
                        doc="Most it supplies in one time step, summed over all its trades (kg of material).",
                        uilabel="Maximum Throughput")

    def build(self, parent: Agent | None) -> None:
        super().build(parent)
        if self.lifetime >= 0:
            self.context.sched_decom(self, self.exit_time)

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        reqs = requests.get(self.commod)
        if reqs is None:
            return []
        ctx = self.context
        port = BidPortfolio()
        cap = self.capacity
        if self.recipe_name:
            # one new offer per request, as Cyclus makes (each takes resource ids)
            recipe = ctx.get_recipe(self.recipe_name)
            add_bid = port.add_bid
            for req in reqs:
                qty = req.target.qty
                add_bid(req, Material(ctx, cap if cap < qty else qty, recipe), self)
        else:
            for req in reqs:
                port.add_bid(req, req.target, self)
        port.add_constraint(CapacityConstraint(cap))
        return [port]

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        responses = []
        provided = 0.0
        recipe = self.context.get_recipe(self.recipe_name) if self.recipe_name else None
        for tr in trades:
            provided += tr.amt
            comp = recipe if recipe is not None else tr.request.target.comp  # type: ignore[attr-defined]
            responses.append((tr, Material.create(self, tr.amt, comp)))
        _check_capacity(self, provided, self.capacity)
        return responses


class _Stockpiling(Facility):
    """A facility that keeps what it receives in one buffer of `max_inv_size` ("inventory")."""

    max_inv_size: float

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.inventory_buf: ResBuf = ResBuf()

    def enter_notify(self) -> None:
        super().enter_notify()
        self.inventory_buf.capacity = self.max_inv_size

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"inventory": self.inventory_buf.items()}

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for _, m in responses:
            self.inventory_buf.push(m)

    def accept_product_trades(self, responses: list[tuple[Trade, Product]]) -> None:
        for _, p in responses:
            self.inventory_buf.push(p)


class Sink(_Stockpiling):
    """Minimal consumer: every time step it asks for each of `in_commods`, at most `capacity` in
    total, and stores all it receives in one inventory."""

    cpp_name = "cyclus::Sink"
    version = VERSION
    in_commods = StateVar(["std::vector", "std::string"], alias=["in_commods", "val"],
                          doc="Commodities it requests, one request each per time step, all sharing `capacity`.",
                          tooltip=["in_commods", ""], uilabel=["Input Commodities", ""],
                          uitype=["oneormore", "incommodity"])
    recipe_name = StateVar("std::string", default="", uitype="recipe", tooltip="requested recipe",
                           doc="Recipe of the requested material. Empty: any composition will do.",
                           uilabel="Input Recipe")
    max_inv_size = StateVar("double", default=LARGE, doc="Most it can hold at once (kg); the default is "
                                                          "effectively no limit.",
                            tooltip="storage limit", uilabel="Maximum Inventory")
    capacity = StateVar("double", range=[0.0, LARGE], uitype="range", tooltip="sink capacity",
                        doc="Most it takes in one time step, over all its commodities (kg of material).",
                        uilabel="Maximum Throughput")
    inventory = Inventory(capacity="max_inv_size", resource="cyclus::Resource", doc="Everything received")

    def build(self, parent: Agent | None) -> None:
        super().build(parent)
        if self.lifetime >= 0:
            self.context.sched_decom(self, self.exit_time)

    def get_material_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        amt = self.capacity
        mat = Material.blank(ctx, amt)
        if self.recipe_name:
            mat = Material.create_untracked(ctx, amt, ctx.get_recipe(self.recipe_name))
        if not amt > ctx.eps:
            return []
        port = RequestPortfolio()
        port.add_constraint(CapacityConstraint(amt))
        for commod in self.in_commods:
            port.add_request(mat, self, commod)
        return [port]

    def get_product_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        amt = self.capacity
        if not amt > ctx.eps:
            return []
        port = RequestPortfolio()
        port.add_constraint(CapacityConstraint(amt))
        for commod in self.in_commods:
            port.add_request(Product.create_untracked(ctx, amt, ""), self, commod)
        return [port]



class NullRegion(Region):
    """Region that only holds institutions: it makes no deployment or trading decisions of its own."""

    cpp_name = "cyclus::NullRegion"
    version = VERSION
    corporate_income_tax_rate = StateVar(
        "double", default=0.0, range=[0.0, 1.0], units="Dimensionless",
        doc="Tax on income of the facilities under this region, as a fraction from 0 to 1 (0.21 is 21%).",
        tooltip="corporate_income_tax_rate", uilabel="Corporate Income Tax Rate")

    def enter_notify(self) -> None:
        """A NullRegion does not register for time steps (it never ticks), as in Cyclus."""


class NullInst(Institution):
    """Institution that only holds its facilities: it builds and retires nothing itself and has no
    parameters."""

    cpp_name = "cyclus::NullInst"
    version = VERSION


class KFacility(_Stockpiling):
    """Test facility that buys one commodity and sells another; after every time step both limits
    are multiplied by their k-factor, so they grow or shrink geometrically over time."""

    cpp_name = "cyclus::KFacility"
    version = VERSION
    in_commod = StateVar("std::string", schematype="token", uitype="incommodity", tooltip="input commodity",
                         doc="Commodity it buys.", uilabel="Input Commodity")
    recipe_name = StateVar("std::string", schematype="token", uitype="recipe", shape=[50],
                           tooltip="recipe", uilabel="Input Recipe",
                           doc="Recipe of the material it offers; what it buys may have any "
                               "composition.")
    out_commod = StateVar("std::string", tooltip="output commodity", uilabel="Output Commodity",
                          doc="Commodity it sells.", **_OUT)
    in_capacity = StateVar("double", tooltip="input commodity capacity", uilabel="Incoming Throughput",
                           doc="Most it buys per time step (kg of material); a huge value means no limit. "
                               "Multiplied by k_factor_in after each step.")
    out_capacity = StateVar("double", tooltip="output commodity capacity", uilabel="Outgoing Throughput",
                            doc="Most it sells per time step (kg of material); a huge value means no limit. "
                                "Multiplied by k_factor_out after each step.")
    current_capacity = StateVar("double", default=0.0, tooltip="current output capacity",
                                uilabel="Current Capacity",
                                doc="What is left to sell in the current time step; set back to "
                                    "out_capacity at every tick and tock.")
    max_inv_size = StateVar("double", default=LARGE, tooltip="storage limit",
                            doc="Most it can hold at once; the default is effectively no limit.",
                            uilabel="Maximum Inventory")
    k_factor_in = StateVar("double", tooltip="input k-factor", uilabel="Input K-Factor",
                           doc="Factor in_capacity is multiplied by at the end of each time step; 1 keeps "
                               "it constant.")
    k_factor_out = StateVar("double", tooltip="output k-factor", uilabel="Output K-Factor",
                            doc="Factor out_capacity is multiplied by at the end of each time step; 1 keeps "
                                "it constant.")
    inventory = Inventory(capacity="max_inv_size", resource="cyclus::Resource", doc="Everything bought")

    def _request_amt(self) -> float:
        return min(self.in_capacity, self.inventory_buf.space())

    def tick(self) -> None:
        self.current_capacity = self.out_capacity

    def tock(self) -> None:
        self.in_capacity *= self.k_factor_in
        self.out_capacity *= self.k_factor_out
        self.current_capacity = self.out_capacity

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        reqs = requests.get(self.out_commod)
        if reqs is None:
            return []
        ctx = self.context
        recipe = ctx.get_recipe(self.recipe_name)
        port = BidPortfolio()
        for req in reqs:
            port.add_bid(req, Material.create_untracked(ctx, min(req.target.qty, self.out_capacity), recipe),
                         self)
        port.add_constraint(CapacityConstraint(self.out_capacity))
        return [port]

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        recipe = self.context.get_recipe(self.recipe_name)
        provided = 0.0
        responses = []
        for tr in trades:
            self.current_capacity -= tr.amt
            provided += tr.amt
            responses.append((tr, Material.create(self, tr.amt, recipe)))
        if self.current_capacity < -self.context.eps:
            _check_capacity(self, provided, self.out_capacity)
        return responses

    def get_material_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        amt = self._request_amt()
        mat = Material.blank(ctx, amt)
        if not amt > ctx.eps:
            return []
        port = RequestPortfolio()
        port.add_constraint(CapacityConstraint(amt))
        port.add_request(mat, self, self.in_commod)
        return [port]

    def get_product_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        amt = self._request_amt()
        if not amt > ctx.eps:
            return []
        port = RequestPortfolio()
        port.add_constraint(CapacityConstraint(amt))
        port.add_request(Product.create_untracked(ctx, amt, ""), self, self.in_commod)
        return [port]



class Prey(Facility):
    """Lotka-Volterra test agent: each prey offers itself as one unit of product, breeds on a fixed
    schedule and is removed once eaten."""

    cpp_name = "cyclus::Prey"
    version = VERSION
    commod = StateVar("std::string", uilabel="Prey Commodity", doc="Commodity it offers itself on.", **_OUT)
    age = StateVar("int", default=0, tooltip="prey age", doc="Its age in time steps when it enters.",
                   uilabel="Prey Age")
    dead = StateVar("bool", default=False, tooltip="dead?", uilabel="Dead?",
                    doc="True once it has been eaten; it is decommissioned at the end of that step.")
    nchildren = StateVar("int", default=1, tooltip="number of children",
                         doc="New prey built each time it breeds.", uilabel="Number of Children")
    birth_freq = StateVar("int", default=1, tooltip="birth frequency",
                          doc="It breeds whenever its age is a multiple of this (time steps).",
                          uilabel="Birth Frequency")
    birth_and_death = StateVar("bool", default=True, tooltip="birth and death",
                               doc="Whether prey eaten in a time step may still breed in that step.",
                               uilabel="Breed When Dying?")

    def _give_birth(self) -> None:
        policy = self.birth_and_death if self.dead else True
        if self.age % self.birth_freq == 0 and policy:
            for _ in range(self.nchildren):
                self.context.sched_build(None, self.prototype)

    def tock(self) -> None:
        if self.dead:
            self.context.sched_decom(self)
        self._give_birth()
        self.age += 1

    def get_product_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        reqs = requests.get(self.commod)
        if reqs is None:
            return []
        port = BidPortfolio()
        for req in reqs:
            port.add_bid(req, Product.create_untracked(self.context, 1, ""), self)
        port.add_constraint(CapacityConstraint(1))
        return [port]

    def get_product_trades(self, trades: list[Trade]) -> list[tuple[Trade, Product]]:
        provided = 0.0
        responses = []
        for tr in trades:
            provided += tr.amt
            responses.append((tr, Product.create(self, tr.amt, "")))
        _check_capacity(self, provided, 1.0)
        if provided > 0:
            self.dead = True
        return responses


class Predator(Facility):
    """Lotka-Volterra test agent: a predator hunts prey (product units), breeds once it has eaten
    enough and is removed when it reaches its lifespan."""

    cpp_name = "cyclus::Predator"
    version = VERSION
    commod = StateVar("std::string", tooltip="predator commodity", doc="Commodity it requests prey on when it hunts.",
                      uilabel="Predator Commodity", **_OUT)
    prey = StateVar("std::string", schematype="token", uitype="incommodity", tooltip="predator's prey",
                    doc="Prototype of its prey, counted when hunt_factor is on.", uilabel="Prey Commodity")
    full = StateVar("double", default=1.0, tooltip="feast size", uilabel="Feast Size",
                    doc="Prey units it must eat before it breeds.")
    hunt_freq = StateVar("int", default=1, tooltip="hunting frequency", uilabel="Hunting Frequency",
                         doc="It hunts whenever its age is a multiple of this (time steps).")
    hunt_cap = StateVar("double", default=1.0, tooltip="hunting yield", uilabel="Hunting Yield",
                        doc="Prey units it asks for in one hunt.")
    success = StateVar("double", default=1.0, tooltip="hunting success fraction",
                       uilabel="Hunting Success Fraction",
                       doc="Share of the prey offered in a hunt that it catches, 0 to 1; the other "
                           "offers are refused.")
    consumed = StateVar("double", default=0.0, tooltip="prey consumed", uilabel="Prey Consumed",
                        doc="Prey units eaten since it last bred.")
    hunt_factor = StateVar("bool", default=False, tooltip="hunting success factor",
                           uilabel="Hunting Success Factor",
                           doc="If true and prey are fewer than predators, success is scaled down by "
                               "the prey/predator ratio.")
    age = StateVar("int", default=0, tooltip="predator age", uilabel="Predator Age",
                   doc="Its age in time steps when it enters.")
    lifespan = StateVar("int", default=1, tooltip="predator lifespan", uilabel="Predator Lifespan",
                        doc="Age (time steps) at which it dies.")
    dead = StateVar("bool", default=False, tooltip="dead?", uilabel="Predator Dead?",
                    doc="True once it has reached its lifespan.")
    nchildren = StateVar("double", default=1.0, tooltip="number of children",
                         uilabel="Number Predator Children",
                         doc="New predators built each time it breeds (the fraction is dropped).")
    birth_and_death = StateVar("bool", default=False, tooltip="birth and death",
                               uilabel="Breed When Dying?",
                               doc="Whether a predator that dies in a time step may still breed in that "
                                   "step.")

    def get_product_requests(self) -> list[RequestPortfolio]:
        if self.age % self.hunt_freq != 0:
            return []
        port = RequestPortfolio()
        port.add_request(Product.create_untracked(self.context, self.hunt_cap, ""), self, self.commod)
        return [port]

    def adjust_product_prefs(self, prefs: PrefMap) -> None:
        if not prefs:
            return
        req = next(iter(prefs))
        bids = sorted(prefs[req], key=lambda b: b.bidder.id)
        ctx = self.context
        nprey = ctx.n_prototypes[self.prey]
        npred = ctx.n_prototypes[self.prototype]
        factor = nprey / npred if (self.hunt_factor and nprey < npred) else 1.0
        n_drop = math.floor(len(prefs[req]) * (1 - self.success * factor))
        for b in bids[:n_drop]:
            prefs[req][b] = -1.0

    def accept_product_trades(self, responses: list[tuple[Trade, Product]]) -> None:
        for _, p in responses:
            self.consumed += p.qty

    def _give_birth(self) -> None:
        policy = self.birth_and_death if self.dead else True
        if self.consumed >= self.full and policy:
            for _ in range(int(self.nchildren)):
                self.context.sched_build(None, self.prototype)
            self.consumed = 0.0

    def tock(self) -> None:
        if self.age >= self.lifespan:
            self.dead = True
            self.context.sched_decom(self)
        self._give_birth()
        self.age += 1


ARCHETYPES: dict[str, type[Agent]] = {
    cls.__name__: cls for cls in (Source, Sink, NullRegion, NullInst, KFacility, Predator, Prey)
}
