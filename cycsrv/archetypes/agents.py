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
    """A minimum implementation source facility that provides a commodity with a given capacity"""

    cpp_name = "cyclus::Source"
    version = VERSION
    commod = StateVar("std::string", doc="commodity that the source facility supplies",
                      tooltip="source commodity", uilabel="Commodity", **_OUT)
    recipe_name = StateVar("std::string", default="", schematype="token", uitype="recipe",
                           doc="Recipe name for source facility's commodity.If empty, source supplies "
                               "material with requested compositions.",
                           tooltip="commodity recipe name", uilabel="Recipe")
    capacity = StateVar("double", range=[0.0, LARGE], uitype="range", tooltip="source capacity",
                        doc="amount of commodity that can be supplied at each time step",
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
    """A minimum implementation sink facility that accepts specified amounts of commodities from other agents"""

    cpp_name = "cyclus::Sink"
    version = VERSION
    in_commods = StateVar(["std::vector", "std::string"], alias=["in_commods", "val"],
                          doc="commodities that the sink facility accepts ",
                          tooltip=["in_commods", ""], uilabel=["List of Input Commodities", ""],
                          uitype=["oneormore", "incommodity"])
    recipe_name = StateVar("std::string", default="", uitype="recipe", tooltip="input/request recipe name",
                           doc="Name of recipe to request. If empty, sink requests material no particular "
                               "composition.", uilabel="Input Recipe")
    max_inv_size = StateVar("double", default=LARGE, doc="total maximum inventory size of sink facility",
                            tooltip="sink maximum inventory size", uilabel="Maximum Inventory")
    capacity = StateVar("double", range=[0.0, LARGE], uitype="range", tooltip="sink capacity",
                        doc="capacity the sink facility can accept at each time step",
                        uilabel="Maximum Throughput")
    inventory = Inventory(capacity="max_inv_size", resource="cyclus::Resource")

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
    """A region that owns the simulation's institutions but exhibits null behavior. No parameters are given when using the null region."""

    cpp_name = "cyclus::NullRegion"
    version = VERSION
    corporate_income_tax_rate = StateVar(
        "double", default=0.0, range=[0.0, 1.0], units="Dimensionless",
        doc="Income Tax Rate for all facilities belonging to this region as decimal (1% --> 0.01)",
        tooltip="corporate_income_tax_rate", uilabel="Corporate Income Tax Rate as decimal")

    def enter_notify(self) -> None:
        """A NullRegion does not register for time steps (it never ticks), as in Cyclus."""


class NullInst(Institution):
    """An instition that owns facilities in the simulation but exhibits null behavior. No parameters are given when using the null institution."""

    cpp_name = "cyclus::NullInst"
    version = VERSION


class KFacility(_Stockpiling):
    """A facility designed for integration tests that both provides and consumes commodities. It changes its request and offer amounts based on a power law with respect to time."""

    cpp_name = "cyclus::KFacility"
    version = VERSION
    in_commod = StateVar("std::string", schematype="token", uitype="incommodity", tooltip="input commodity",
                         doc="commodity that the k-facility consumes", uilabel="Input Commodity")
    recipe_name = StateVar("std::string", schematype="token", uitype="recipe", shape=[50],
                           tooltip="in-commodity recipe name", uilabel="Input Recipe",
                           doc="recipe name for the k-facility's in-commodity")
    out_commod = StateVar("std::string", tooltip="output commodity", uilabel="Output Commodity",
                          doc="commodity that the k-facility supplies", **_OUT)
    in_capacity = StateVar("double", tooltip="input commodity capacity", uilabel="Incoming Throughput",
                           doc="number of commodity units that can be taken at each timestep (infinite "
                               "capacity can be represented by a very large number)")
    out_capacity = StateVar("double", tooltip="output commodity capacity", uilabel="Outgoing Throughput",
                            doc="number of commodity units that can be supplied at each timestep "
                                "(infinite capacity can be represented by a very large number)")
    current_capacity = StateVar("double", default=0.0, tooltip="current output capacity",
                                uilabel="Current Capacity",
                                doc="number of output commodity units that can be supplied at the current "
                                    "time step (infinite capacity can be represented by a very large number )")
    max_inv_size = StateVar("double", default=LARGE, tooltip="k-facility maximum inventory size",
                            doc="total maximum inventory size of the k-facility", uilabel="Maximum Inventory")
    k_factor_in = StateVar("double", tooltip="input k-factor", uilabel="Input K-Factor",
                           doc="conversion factor that governs the behavior of the k-facility's input "
                               "commodity capacity")
    k_factor_out = StateVar("double", tooltip="output k-factor", uilabel="Output K-Factor",
                            doc="conversion factor that governs the behavior of the k-facility's output "
                                "commodity capacity")
    inventory = Inventory(capacity="max_inv_size", resource="cyclus::Resource")

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
    """A facility that represents prey in the Lotka-Volterra integration tests"""

    cpp_name = "cyclus::Prey"
    version = VERSION
    commod = StateVar("std::string", uilabel="Prey Commodity", **_OUT)
    age = StateVar("int", default=0, tooltip="prey age", doc="age of prey at start of simulation",
                   uilabel="Prey Age")
    dead = StateVar("bool", default=False, tooltip="dead?", doc="flag for whether prey is currently dead",
                    uilabel="Dead?")
    nchildren = StateVar("int", default=1, tooltip="number of children",
                         doc="number of children born at each birthing instance", uilabel="Number of Children")
    birth_freq = StateVar("int", default=1, tooltip="birth frequency",
                          doc="number of time steps between birth of children", uilabel="Birth Frequency")
    birth_and_death = StateVar("bool", default=True, tooltip="birth and death",
                               doc="whether or not simultaneous birth and death are allowed (i.e., can a "
                                   "facility give birth and die in the same time step?)",
                               uilabel="Simultaneous Birth and Death?")

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
    """A facility that represents predators in the Lotka-Volterra integration tests"""

    cpp_name = "cyclus::Predator"
    version = VERSION
    commod = StateVar("std::string", tooltip="predator commodity", doc="commodity that the predator supplies",
                      uilabel="Predator Commodity", **_OUT)
    prey = StateVar("std::string", schematype="token", uitype="incommodity", tooltip="predator's prey",
                    doc="prey that the predator hunts", uilabel="Prey Commodity")
    full = StateVar("double", default=1.0, tooltip="feast size", uilabel="Feast Size",
                    doc="how many units of prey a predator consumes until it is satisfied")
    hunt_freq = StateVar("int", default=1, tooltip="hunting frequency", uilabel="Hunting Frequency",
                         doc="how often a predator needs to hunt")
    hunt_cap = StateVar("double", default=1.0, tooltip="hunting yield", uilabel="Hunting Yield",
                        doc="how many units of prey a predator can catch during a hunt")
    success = StateVar("double", default=1.0, tooltip="hunting success fraction",
                       uilabel="Hunting Success Fraction",
                       doc="fraction of hunting success on a scale from 0 to 1")
    consumed = StateVar("double", default=0.0, tooltip="prey consumed", uilabel="Prey Consumed",
                        doc="how many units of prey consumed per time step")
    hunt_factor = StateVar("bool", default=False, tooltip="hunting success factor",
                           uilabel="Hunting Success Factor",
                           doc="whether or not to base hunting success on relative predator/prey populations")
    age = StateVar("int", default=0, tooltip="predator age", uilabel="Predator Age",
                   doc="age of predator at beginning of simulation")
    lifespan = StateVar("int", default=1, tooltip="predator lifespan", uilabel="Predator Lifespan",
                        doc="how long a predator lives")
    dead = StateVar("bool", default=False, tooltip="dead?", uilabel="Predator Dead?",
                    doc="flag for whether predator is currently dead")
    nchildren = StateVar("double", default=1.0, tooltip="number of children",
                         uilabel="Number Predator Children",
                         doc="number of predator children born at each birthing instance")
    birth_and_death = StateVar("bool", default=False, tooltip="birth and death",
                               uilabel="Simultaneous Birth and Death?",
                               doc="whether or not simultaneous birth and death are allowed (i.e., can a "
                                   "facility give birth and die in the same time step?)")

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
