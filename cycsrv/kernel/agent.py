"""Agents: the archetype API. Regions own institutions, institutions own facilities.

An archetype is a subclass of `Facility`, `Institution` or `Region` that declares its state
as `StateVar` class attributes and overrides the phase hooks it needs (`tick`, `tock`,
`decision`, the trading hooks, `enter_notify`, ...). Instances hold the variables' values as
plain attributes. This is also the API for users' own Python archetypes, loaded from
`<spec><lib>module</lib><name>Class</name></spec>`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar

from cycsrv.kernel import tables
from cycsrv.kernel.statevar import REQUIRED, Inventory, StateVar, python_default

if TYPE_CHECKING:
    from cycsrv.kernel.context import Context
    from cycsrv.kernel.exchange import Bid, BidPortfolio, Request, RequestPortfolio, Trade
    from cycsrv.kernel.resources import Material, Product, Resource

PrefMap = dict["Request", dict["Bid", float]]


class Agent:
    """Base of every agent: identity, place in the tree, lifecycle and no-op hooks."""

    #: `AgentEntry.Kind`: "Region", "Inst", "Facility" (or "Agent").
    kind: ClassVar[str] = "Agent"
    #: annotation `entity`: "region", "institution", "facility" or "archetype".
    entity: ClassVar[str] = "archetype"
    #: annotation `name`, e.g. "cyclus::Source"; defaults to module.Class.
    cpp_name: ClassVar[str] = ""
    #: `AgentVersions.Version` for this archetype.
    version: ClassVar[str] = "0.0.0"
    #: annotation `parents` / `all_parents`.
    parents: ClassVar[tuple[str, ...]] = ()
    all_parents: ClassVar[tuple[str, ...]] = ()
    #: annotation extras such as `niche`, `tooltip`.
    extra_annotations: ClassVar[dict[str, Any]] = {}

    state_vars: ClassVar[dict[str, StateVar]] = {}
    inventories: ClassVar[dict[str, Inventory]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        svars: dict[str, StateVar] = {}
        invs: dict[str, Inventory] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, StateVar):
                    svars[name] = value
                elif isinstance(value, Inventory):
                    invs[name] = value
        cls.state_vars = svars
        cls.inventories = invs

    def __init__(self, ctx: Context) -> None:
        self.context = ctx
        self.id = ctx.next_agent_id()
        self.spec = ""
        self.prototype = ""
        self.lifetime = -1
        self.enter_time = -1
        self.parent: Agent | None = None
        self.children: list[Agent] = []
        self.alive = False
        for name, var in self.state_vars.items():
            default = var.default if var.default is not REQUIRED else python_default(var.type)
            setattr(self, name, copy.deepcopy(default))

    # --- identity -------------------------------------------------------------------------
    @property
    def parent_id(self) -> int:
        return self.parent.id if self.parent is not None else -1

    @property
    def exit_time(self) -> int:
        """Last step the agent lives through (-1 for forever)."""
        return -1 if self.lifetime == -1 else self.enter_time + self.lifetime - 1

    @property
    def manager(self) -> Agent:
        return self

    def state(self) -> dict[str, Any]:
        """Current values of the state variables, in declaration order."""
        return {name: getattr(self, name) for name in self.state_vars}

    def configure(self, values: dict[str, Any]) -> None:
        """Set state variables from parsed input values."""
        for name, value in values.items():
            setattr(self, name, value)

    def clone(self) -> Agent:
        """A new agent (new id) with this prototype's state (Cyclus's `Clone`)."""
        other = type(self)(self.context)
        other.spec = self.spec
        other.prototype = self.prototype
        other.lifetime = self.lifetime
        for name in self.state_vars:
            setattr(other, name, copy.deepcopy(getattr(self, name)))
        other.init_from(self)
        return other

    def init_from(self, other: Agent) -> None:
        """Copy archetype state that is not a state variable from prototype `other`."""

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        """Resources held per inventory name, for `AgentStateInventories` and snapshots."""
        return {}

    # --- lifecycle ------------------------------------------------------------------------
    def build(self, parent: Agent | None) -> None:
        """Enter the simulation under `parent` (Cyclus's `Agent::Build`)."""
        ctx = self.context
        self.parent = parent
        if parent is not None:
            parent.children.append(self)
        self.enter_time = ctx.time
        self.alive = True
        ctx.add_agent(self)
        self.enter_notify()
        ctx.recorder.add(tables.AGENT_ENTRY, (
            self.id, self.kind, self.spec, self.prototype, self.parent_id, self.lifetime, self.enter_time,
        ))

    def enter_notify(self) -> None:
        """Called when the agent enters the simulation; register for phases here."""
        self.context.register_agent(self)

    def build_notify(self, child: Agent) -> None:
        """A child of this agent was built."""

    def decom_notify(self, child: Agent) -> None:
        """A child of this agent is being decommissioned."""

    def decommission(self) -> None:
        """Leave the simulation: `AgentExit` row; children lose their parent."""
        ctx = self.context
        ctx.unregister_time_listener(self)
        ctx.recorder.add(tables.AGENT_EXIT, (self.id, ctx.time))
        ctx.remove_agent(self)
        self.alive = False
        if self.parent is not None and self in self.parent.children:
            self.parent.children.remove(self)
        for child in self.children:
            child.parent = None
        self.children = []

    # --- phases ---------------------------------------------------------------------------
    def tick(self) -> None:
        """Before the resource exchange."""

    def tock(self) -> None:
        """After the resource exchange."""

    def decision(self) -> None:
        """After tock, in agent id order."""

    # --- trading (no-op defaults; the exchange skips agents that keep them) ----------------
    def get_material_requests(self) -> list[RequestPortfolio]:
        return []

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        return []

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        return []

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        return None

    def adjust_material_prefs(self, prefs: PrefMap) -> None:
        return None

    def get_product_requests(self) -> list[RequestPortfolio]:
        return []

    def get_product_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        return []

    def get_product_trades(self, trades: list[Trade]) -> list[tuple[Trade, Product]]:
        return []

    def accept_product_trades(self, responses: list[tuple[Trade, Product]]) -> None:
        return None

    def adjust_product_prefs(self, prefs: PrefMap) -> None:
        return None


_OVERRIDES: dict[tuple[type, str], bool] = {}


def overrides(obj: object, hook: str) -> bool:
    """True when `obj`'s class defines `hook` itself rather than keeping Agent's no-op.

    The kernel skips agents that keep a no-op hook; the answer is cached per class.
    """
    key = (type(obj), hook)
    found = _OVERRIDES.get(key)
    if found is None:
        found = _OVERRIDES[key] = getattr(type(obj), hook) is not getattr(Agent, hook)
    return found


class Facility(Agent):
    """An agent that trades resources and ticks; lives under an institution."""

    kind = "Facility"
    entity = "facility"
    parents = ("cyclus::Facility",)
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Facility", "cyclus::Ider",
                   "cyclus::StateWrangler", "cyclus::TimeListener", "cyclus::Trader")

    trader_seq = 0

    def enter_notify(self) -> None:
        super().enter_notify()
        self.context.register_trader(self)
        self.context.register_time_listener(self)

    def check_decommission_condition(self) -> bool:
        """Whether the facility may be decommissioned now (e.g. a reactor with fuel may not)."""
        return True

    def decommission(self) -> None:
        if not self.check_decommission_condition():
            raise RuntimeError(f"cannot decommission {self.prototype} (id {self.id}): "
                               "its decommission condition is not met")
        self.context.unregister_trader(self)
        super().decommission()


class Institution(Agent):
    """Owns facilities; decommissions those whose lifetime has ended (in `tock`)."""

    kind = "Inst"
    entity = "institution"
    parents = ("cyclus::Institution",)
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Ider", "cyclus::Institution",
                   "cyclus::StateWrangler", "cyclus::TimeListener")

    def enter_notify(self) -> None:
        self.context.register_time_listener(self)

    def tock(self) -> None:
        ctx = self.context
        t = ctx.time
        for child in list(self.children):  # built in id order, so already sorted by id
            if child.lifetime != -1 and t >= child.exit_time:
                if not isinstance(child, Facility) or child.check_decommission_condition():
                    ctx.sched_decom(child, t)


class Region(Agent):
    """Owns institutions."""

    kind = "Region"
    entity = "region"
    parents = ("cyclus::Region",)
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Ider", "cyclus::Region",
                   "cyclus::StateWrangler", "cyclus::TimeListener")

    def enter_notify(self) -> None:
        self.context.register_time_listener(self)
