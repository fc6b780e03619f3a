"""cycamore:DeployInst — builds prototypes on a fixed schedule, with optional lifetimes."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.common import VERSION, latitude_var, longitude_var, record_position
from cycsrv.archetypes.cycamore.producers import ProducerManager
from cycsrv.kernel.agent import Agent, Institution
from cycsrv.kernel.statevar import StateVar


class DeployInst(Institution):
    """Builds facilities on a fixed schedule. Entry i of `prototypes`, `build_times`, `n_build` and
    (optionally) `lifetimes` says: build n_build[i] of prototypes[i] at build_times[i], each living
    lifetimes[i] steps. A prototype may appear any number of times. Built facilities belong to this
    institution and retire at the end of their lifetime."""

    cpp_name = "cycamore::DeployInst"
    version = VERSION
    parents = ("cyclus::Institution", "cyclus::toolkit::CommodityProducerManager", "cyclus::toolkit::Position")
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Ider", "cyclus::Institution",
                   "cyclus::StateWrangler", "cyclus::TimeListener",
                   "cyclus::toolkit::AgentManaged", "cyclus::toolkit::CommodityProducerManager",
                   "cyclus::toolkit::Position")

    prototypes = StateVar(["std::vector", "std::string"],
                          doc="Prototype of each scheduled build; the other lists line up with it.",
                          uitype=["oneormore", "prototype"], uilabel="Prototypes to Deploy")
    build_times = StateVar(["std::vector", "int"], uilabel="Deployment Times",
                           doc="Time step of each build (same order), after the institution's own entry.")
    n_build = StateVar(["std::vector", "int"], uilabel="Number to Deploy",
                       doc="How many facilities each build makes (same order).")
    lifetimes = StateVar(["std::vector", "int"], default=[], uilabel="Lifetimes",
                         doc="Lifetime in time steps of the facilities of each build (same order; -1: "
                             "forever), replacing the prototype's own. Empty: prototypes keep theirs. A "
                             "changed lifetime adds a prototype named <prototype>_life_<lifetime> (or "
                             "_life_forever) to the Prototypes table.")
    latitude = latitude_var()
    longitude = longitude_var()

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.producer_manager = ProducerManager()

    def build(self, parent: Agent | None) -> None:
        super().build(parent)
        ctx = self.context
        added: set[str] = set()
        for i, proto in enumerate(self.prototypes):
            if proto not in ctx.prototypes:
                raise ValueError(f"prototype {self.prototype!r}: cannot deploy unknown prototype {proto!r}")
            if i < len(self.build_times) and self.build_times[i] <= ctx.time:
                raise ValueError(f"prototype {self.prototype!r}: build time {self.build_times[i]} of {proto!r} "
                                 f"is not after the institution's own entry (step {ctx.time})")
            name = proto
            if len(self.lifetimes) == len(self.prototypes):
                clone = ctx.create_agent(proto)  # takes an agent id even if the lifetime is unchanged
                life = self.lifetimes[i]
                if clone.lifetime != life:
                    clone.lifetime = life
                    name = f"{proto}_life_forever" if life == -1 else f"{proto}_life_{life}"
                    if name not in added and name not in ctx.prototypes:
                        added.add(name)
                        ctx.add_prototype(name, clone)
            for _ in range(self.n_build[i]):
                ctx.sched_build(self, name, self.build_times[i])

    def enter_notify(self) -> None:
        super().enter_notify()
        n = len(self.prototypes)
        for var in ("build_times", "n_build"):
            if len(getattr(self, var)) != n:
                raise ValueError(f"prototype {self.prototype!r} has {len(getattr(self, var))} {var} vals, "
                                 f"expected {n}")
        if self.lifetimes and len(self.lifetimes) != n:
            raise ValueError(f"prototype {self.prototype!r} has {len(self.lifetimes)} lifetimes vals, expected {n}")
        record_position(self)

    def build_notify(self, child: Agent) -> None:
        self.producer_manager.register(child)

    def decom_notify(self, child: Agent) -> None:
        self.producer_manager.unregister(child)


ARCHETYPE = DeployInst
