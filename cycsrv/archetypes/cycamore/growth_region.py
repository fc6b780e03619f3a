"""cycamore:GrowthRegion — orders new facilities when capacity falls short of a demand curve."""

from __future__ import annotations

import math

import attrs

from cycsrv.archetypes.cycamore.building import cheapest_builds
from cycsrv.archetypes.cycamore.common import VERSION, latitude_var, longitude_var, record_position
from cycsrv.kernel.agent import Agent, Region
from cycsrv.kernel.statevar import StateVar

DemandPieces = list[tuple[int, tuple[str, str]]]


@attrs.frozen
class BasicFunction:
    """`linear` (params "m b": m*x + b) or `exponential` (params "a b [c]": a*exp(b*x) + c)."""

    kind: str
    a: float
    b: float
    c: float = 0.0

    @classmethod
    def parse(cls, kind: str, params: str) -> BasicFunction:
        try:
            values = [float(v) for v in params.split()]
        except ValueError:
            raise ValueError(f"demand function parameters {params!r} are not numbers") from None
        if kind in ("lin", "linear") and len(values) >= 2:
            return cls("linear", values[0], values[1])
        if kind in ("exp", "exponential") and len(values) >= 2:
            return cls("exponential", values[0], values[1], values[2] if len(values) > 2 else 0.0)
        raise ValueError(f"{kind!r} with params {params!r} is not a demand function; use 'linear' (m b) or "
                         "'exponential' (a b [c])")

    def __call__(self, x: float) -> float:
        if self.kind == "linear":
            return self.a * x + self.b
        return self.a * math.exp(self.b * x) + self.c


@attrs.define
class PiecewiseFunction:
    """Pieces starting at increasing times; every piece after the first joins the previous one."""

    pieces: list[tuple[float, BasicFunction, float]] = attrs.field(factory=list)  # (start, f, yoffset)

    def add(self, start: float, f: BasicFunction) -> None:
        if self.pieces and start <= self.pieces[-1][0]:
            raise ValueError(f"demand pieces must start at increasing times ({start} after {self.pieces[-1][0]})")
        yoffset = self(start) - f(0) if self.pieces else 0.0
        self.pieces.append((start, f, yoffset))

    def __call__(self, x: float) -> float:
        if not self.pieces or x < self.pieces[0][0]:
            return 0.0
        chosen = self.pieces[0]
        for piece in self.pieces:
            if x >= piece[0]:
                chosen = piece
        start, f, yoffset = chosen
        return f(x - start) + yoffset


class GrowthRegion(Region):
    """A region that deploys agents in order to meet a prescribed demand for a commodity."""

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
        doc="Nameplate capacity demand functions. Each demand type must be for a commodity for which capacity can "
            "be built (e.g., 'power' from cycamore::Reactors). Demand functions are piecewise: each piece has a "
            "start time (inclusive) and a function type ('linear' with params 'm b', 'exponential' with "
            "'a b [c]').")
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
            f = PiecewiseFunction()
            for start, (kind, params) in pieces:
                try:
                    f.add(start, BasicFunction.parse(kind, params))
                except ValueError as exc:
                    raise ValueError(f"prototype {self.prototype!r}: growth demand for {commod!r}: {exc}") from None
            self.demand[commod] = f
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
