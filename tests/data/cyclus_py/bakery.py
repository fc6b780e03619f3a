"""Archetypes written against Cyclus's Python API (as a Cyclus user would), for cycsrv's tests.

Nothing here imports cycsrv: `cyclus.*` must resolve to cycsrv's stand-ins at load time.
"""

import json

from cyclus import lib
from cyclus import typesystem as ts
from cyclus.agents import Facility, Institution, Region
from cyclus.system import CY_LARGE_DOUBLE


class Oven(Facility):
    """Bakes at a heat level; reports what it was configured with."""

    flavor = ts.String(default="rye", doc="bread flavour", tooltip="flavour", uilabel="Flavour")
    heat = ts.Double(default=4.2, units="kW", range=[0.0, 100.0], doc="oven heat")
    trays = ts.Int(default=2)
    extras = ts.VectorString(default=[], doc="toppings")
    weights = ts.MapStringDouble(default={}, alias=[["weights", "entry"], "name", "kg"])

    def tick(self):
        print(f"flavor={self.flavor} heat={self.heat} trays={self.trays} extras={self.extras} "
              f"weights={sorted(self.weights.items())}")
        (self.context.new_datum("OvenLog")
            .add_val("Time", self.context.time, type=ts.INT)
            .add_val("Heat", self.heat, type=ts.DOUBLE)
            .add_val("Flavor", self.flavor, type="std::string")
            .add_val("Extras", self.extras, type=ts.VECTOR_STRING)
            .record())
        lib.record_time_series(lib.POWER, self, self.heat * self.trays)


class Probe:
    """Prints what Cyclus's agent interface says about the agent, as JSON."""

    def tick(self):
        parent = None if self.kind == "Region" else self.parent()
        info = {
            "id": self.id, "hash": hash(self), "str": str(self), "kind": self.kind, "spec": self.spec,
            "version": self.version, "prototype": self.prototype, "parent": self.parent_id,
            "parent_prototype": None if parent is None else parent.prototype,
            "enter_time": self.enter_time, "lifetime": self.lifetime, "exit_time": self.exit_time,
            "children": sorted(kid.id for kid in self.children), "schema": self.schema,
            "annotations": json.loads(self.annotations), "time": self.context.time, "dt": self.context.dt,
        }
        if parent is not None:
            info["family"] = [self.in_family_tree(parent), self.ancestor_of(parent), self.decendent_of(parent)]
        print("PROBE " + json.dumps(info))


class ProbeFacility(Probe, Facility):
    """A facility that reports itself."""

    label = ts.String(default="", doc="free text")


class ProbeInst(Probe, Institution):
    """An institution that reports itself."""


class ProbeRegion(Probe, Region):
    """A region that reports itself."""


class Baker(Facility):
    """Records how many loaves it makes each step in a time series of its own."""

    product = ts.String(doc="what the series is called")
    loaves = ts.Int(default=3)

    def tick(self):
        lib.record_time_series(self.product, self, self.loaves + self.context.time)


class Franchise(Institution):
    """Builds another shop whenever the loaves reported last step fall short of demand."""

    shop = ts.String(doc="prototype to build")
    series = ts.String(doc="time series it listens to")
    demand = ts.Double(doc="loaves wanted per step, growing by one each step")

    def enter_notify(self):
        super().enter_notify()
        if not hasattr(self, "supply"):
            self.supply = {}
        if self.listen not in lib.TIME_SERIES_LISTENERS[self.series]:
            lib.TIME_SERIES_LISTENERS[self.series].append(self.listen)

    def listen(self, agent, time, value, series):
        if agent.parent() is self:
            self.supply[time] = self.supply.get(time, 0) + value

    def tick(self):
        t = self.context.time
        if t > 0 and self.supply.get(t - 1, 0) < self.demand + t:
            self.context.schedule_build(self, self.shop)


class Flour(Facility):
    """Offers flour of a recipe, preferring (bid preference) larger requests."""

    commod = ts.String()
    recipe = ts.String()
    capacity = ts.Double(default=CY_LARGE_DOUBLE)
    made = ts.Int(default=0, internal=True)

    def get_material_bids(self, requests):
        comp = self.context.get_recipe(self.recipe)
        bids = [(req, ts.Material.create_untracked(min(req.target.quantity, self.capacity), comp))
                for req in requests.get(self.commod, ())]
        return {"bids": bids, "constraints": self.capacity} if bids else None

    def get_material_trades(self, trades):
        self.made += len(trades)
        return [(t, ts.Material.create(self, t.amt, self.context.get_recipe(self.recipe))) for t in trades]


class Pantry(Facility):
    """Asks for flour from two commodities with preferences, re-weights them, keeps what comes."""

    wants = ts.MapStringDouble(doc="commodity -> preference")
    qty = ts.Double(default=1.0)
    favourite = ts.String(default="", doc="supplier prototype whose bids get preference 10")
    store = ts.ResBufMaterialInv(capacity="qty")

    def get_material_requests(self):
        commods = []
        for commod in sorted(self.wants):
            commods.append({commod: ts.Material.create_untracked(self.qty, {"H1": 1.0}),
                            "preference": self.wants[commod]})
        return {"commodities": commods, "constraints": self.qty}

    def adjust_material_prefs(self, prefs):
        if not self.favourite:
            return None
        return {key: 10.0 for key in prefs if key[1].bidder.prototype == self.favourite}

    def accept_material_trades(self, responses):
        for trade, mat in responses.items():
            print(f"got {mat.quantity} of {trade.request.commodity} from {trade.bid.bidder.prototype} "
                  f"comp={mat.comp()}")
            if self.store.space < mat.quantity:
                self.store.pop()
            self.store.push(mat)


class Broken(Facility):
    """Fails in tick on the step given."""

    when = ts.Int(default=1)

    def tick(self):
        print(f"tick {self.context.time}")
        if self.context.time == self.when:
            raise ValueError("the oven caught fire")


class Stall(Facility):
    """Sells loaves (a product) to whoever asks for its commodity, up to `capacity` per step."""

    commod = ts.String()
    capacity = ts.Double(default=2.0)

    def get_product_bids(self, requests):
        reqs = requests.get(self.commod, ())
        offers = [{"request": req, "offer": ts.Product.create_untracked(req.target.quantity, "loaf"),
                   "preference": 2.0} for req in reqs if req.requester.prototype != self.prototype]
        return {"bids": offers, "constraints": [self.capacity]}

    def get_product_trades(self, trades):
        return {t: ts.Product.create(self, t.amt, "loaf") for t in trades}
