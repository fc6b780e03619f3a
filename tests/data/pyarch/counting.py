"""A user's own archetypes, written against cycsrv's Python archetype API (used by tests)."""

from cycsrv.kernel.agent import Facility
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, RequestPortfolio
from cycsrv.kernel.resources import Material
from cycsrv.kernel.statevar import StateVar


class Mine(Facility):
    """Offers `rate` kg per day of ore, scaled by the time step length."""

    commod = StateVar("std::string", doc="commodity offered")
    rate = StateVar("double", default=1.0, doc="kg per day", range=[0.0, 1e6], units="kg/day")
    recipe = StateVar("std::string", doc="recipe of the ore")

    def tick(self) -> None:
        self.available = self.rate * self.context.dt / 86400.0

    def get_material_bids(self, requests):
        port = BidPortfolio()
        recipe = self.context.get_recipe(self.recipe)
        for req in requests.get(self.commod, []):
            qty = min(req.target.qty, self.available)
            port.add_bid(req, Material.create_untracked(self.context, qty, recipe), self)
        port.add_constraint(CapacityConstraint(self.available))
        return [port] if port.bids else []

    def get_material_trades(self, trades):
        recipe = self.context.get_recipe(self.recipe)
        return [(t, Material.create(self, t.amt, recipe)) for t in trades]


class Stockpile(Facility):
    """Asks for as much as it can store each step and counts its ticks and tocks."""

    commod = StateVar("std::string", doc="commodity wanted")
    size = StateVar("double", default=1e9, doc="kg")
    ticks = StateVar("int", default=0, internal=True, doc="ticks seen")
    held = StateVar("double", default=0.0, internal=True, doc="kg held")

    def tick(self) -> None:
        self.ticks += 1

    def get_material_requests(self):
        port = RequestPortfolio()
        port.add_request(Material.blank(self.context, self.size - self.held), self, self.commod)
        return [port]

    def accept_material_trades(self, responses):
        for _, m in responses:
            self.held += m.qty
