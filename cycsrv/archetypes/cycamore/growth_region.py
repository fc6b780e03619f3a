"""cycamore:GrowthRegion — orders new facilities when capacity falls short of a demand curve."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.building import cheapest_builds
from cycsrv.archetypes.cycamore.common import VERSION, latitude_var, longitude_var, record_position
from cycsrv.kernel.agent import Agent, Region
from cycsrv.kernel.statevar import StateVar
from cycsrv.kernel.symbolic import PiecewiseFunction, piecewise_demand


class GrowthRegion(Region):
    """Region that has facilities built whenever the installed capacity of a commodity falls below
    a demand curve; its institutions (e.g. ManagerInst) do the building."""

    cpp_name = "cycamore::GrowthRegion"
    version = VERSION
    parents = ("cyclus::Region", "cyclus::toolkit::Position")
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Ider", "cyclus::Region", "cyclus::StateWrangler",
                   "cyclus::TimeListener", "cyclus::toolkit::Position")

    commodity_demand = StateVar(
        ["std::map", "std::string", ["std::vector", ["std::pair", "int", ["std::pair", "std::string", "std::string"]]]],
        alias=["growth", "commod", ["piecewise_function", ["piece", "start", ["function", "type", "params"]]]],
        uitype=["oneormore", "string", ["oneormore", ["pair", "int", ["pair", "string", "string"]]]],
        uilabel="Growth Demand Curves",
        doc="Capacity demand per commodity, each a commodity some buildable prototype produces (a "
            "Reactor's power_name, say). A curve is a list of pieces, each from its start time step on: "
            "'linear' with params 'm b' (m*t + b) or 'exponential' with 'a b [c]' (a*exp(b*t) + c), t counted "
            "from the piece's start; later pieces continue from where the curve stands. Each step, capacity "
            "short of the curve is ordered at least cost.")
    latitude = latitude_var()
    longitude = longitude_var()

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.demand: dict[str, PiecewiseFunction] = {}
        self.managers: dict[int, Agent] = {}
        self.builders: dict[int, Agent] = {}

    def enter_notify(self) -> None:
        super().enter_notify()
        for child in self.children:
            self._register(child)
        self.demand = {}
        for commod, pieces in self.commodity_demand.items():
            try:
                self.demand[commod] = piecewise_demand(pieces)
            except ValueError as exc:
                raise ValueError(f"prototype {self.prototype!r}: growth demand for {commod!r}: {exc}") from None
        record_position(self)

    def _register(self, agent: Agent) -> None:
        if hasattr(agent, "producer_manager"):
            self.managers[agent.id] = agent
        if hasattr(agent, "build_options"):
            self.builders[agent.id] = agent

    def decom_notify(self, child: Agent) -> None:
        self.managers.pop(child.id, None)
        self.builders.pop(child.id, None)

    def supply(self, commodity: str) -> float:
        return sum(self.managers[i].producer_manager.supply(commodity) for i in sorted(self.managers))

    def tick(self) -> None:
        t = self.context.time
        for commod in sorted(self.demand):
            unmet = self.demand[commod](t) - self.supply(commod)
            if unmet > 0:
                self.order_builds(commod, unmet)

    def order_builds(self, commodity: str, unmet: float) -> None:
        """Schedule the cheapest set of builds (next step) that covers `unmet`."""
        choices = [(self.builders[i], option) for i in sorted(self.builders)
                   for option in self.builders[i].options_for(commodity)]  # type: ignore[attr-defined]
        counts = cheapest_builds([option for _, option in choices], unmet)
        for (builder, option), n in zip(choices, counts, strict=True):
            for _ in range(n):
                self.context.sched_build(builder, option.prototype)


ARCHETYPE = GrowthRegion
