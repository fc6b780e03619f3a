"""cycamore:ManagerInst — owns facilities and builds more when a GrowthRegion orders them."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.building import BuildOption
from cycsrv.archetypes.cycamore.common import VERSION, latitude_var, longitude_var, record_position
from cycsrv.archetypes.cycamore.producers import ProducerManager, production
from cycsrv.kernel.agent import Agent, Institution
from cycsrv.kernel.statevar import StateVar


class ManagerInst(Institution):
    """Institution that owns the facilities listed under it in the input and builds more of its
    `prototypes` when its region orders capacity."""

    cpp_name = "cycamore::ManagerInst"
    version = VERSION
    parents = ("cyclus::Institution", "cyclus::toolkit::Builder", "cyclus::toolkit::CommodityProducerManager",
               "cyclus::toolkit::Position")
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Ider", "cyclus::Institution",
                   "cyclus::StateWrangler", "cyclus::TimeListener", "cyclus::toolkit::AgentManaged",
                   "cyclus::toolkit::Builder", "cyclus::toolkit::CommodityProducerManager",
                   "cyclus::toolkit::Position")

    latitude = latitude_var()
    longitude = longitude_var()
    prototypes = StateVar(["std::vector", "std::string"], tooltip="producer facility prototypes",
                          uilabel="Producer Prototype List", uitype=["oneormore", "prototype"],
                          doc="Prototypes it may build on a region's order; each must produce a commodity "
                              "(a Reactor, Source or Storage, for instance).")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.producer_manager = ProducerManager()
        #: prototype name -> a clone standing for it (what one more of it would produce)
        self.build_options: dict[str, Agent] = {}

    def enter_notify(self) -> None:
        super().enter_notify()
        for child in sorted(self.children, key=lambda a: a.id):
            self.producer_manager.register(child)
        for proto in self.prototypes:
            if proto not in self.context.prototypes:
                raise ValueError(f"prototype {self.prototype!r}: unknown prototype {proto!r} in prototypes")
            clone = self.context.create_agent(proto)  # takes an agent id, as Cyclus's CreateAgent does
            if production(clone) is not None:
                self.build_options[proto] = clone
        record_position(self)

    def options_for(self, commodity: str) -> list[BuildOption]:
        """What this institution could build that produces `commodity`."""
        out = []
        for proto, clone in self.build_options.items():
            caps = production(clone) or {}
            if commodity in caps:
                capacity, cost = caps[commodity]
                out.append(BuildOption(proto, capacity, cost))
        return out

    def build_notify(self, child: Agent) -> None:
        self.producer_manager.register(child)

    def decom_notify(self, child: Agent) -> None:
        self.producer_manager.unregister(child)


ARCHETYPE = ManagerInst
