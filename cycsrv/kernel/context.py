"""The simulation context: time, id counters, recipes, prototypes, schedules and registries.

Agents reach everything kernel-side through `agent.context`, as in Cyclus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cycsrv.kernel import tables
from cycsrv.kernel.recorder import Datum, Recorder
from cycsrv.kernel.resources import Composition
from cycsrv.kernel.snapshot import record_inventories, record_state

if TYPE_CHECKING:
    from cycsrv.kernel.agent import Agent
    from cycsrv.kernel.solvers.optimal import OptimalSolver

CYCLUS_YEAR = 31558200
CYCLUS_MONTH = CYCLUS_YEAR // 12


class Context:
    """Shared simulation state handed to every agent."""

    def __init__(self, recorder: Recorder, *, duration: int, dt: int, start_year: int, start_month: int,
                 eps: float = 1e-6, eps_rsrc: float = 1e-6, seed: int = 20160212,
                 decay: str = "manual") -> None:
        self.recorder = recorder
        self.duration = duration
        self.dt = dt
        self.start_year = start_year
        self.start_month = start_month
        self.eps = eps
        self.eps_rsrc = eps_rsrc
        self.seed = seed
        self.decay = decay
        self.time = 0
        self._rng: Any = None
        self.recipes: dict[str, Composition] = {}
        self.prototypes: dict[str, Agent] = {}
        self.packages: dict[str, Any] = {}
        self.transport_units: dict[str, Any] = {}
        self.build_queue: dict[int, list[tuple[str, Agent | None]]] = {}
        self.decom_queue: dict[int, list[Agent]] = {}
        self.agents: dict[int, Agent] = {}
        self.traders: list[Agent] = []
        self.time_listeners: list[Agent] = []
        self.n_prototypes: Counter[str] = Counter()
        self.n_specs: Counter[str] = Counter()
        self.kill_requested = False
        self._counted: set[Agent] = set()
        self._versions: set[str] = set()
        #: Traders per exchange hook, in query order; kept by `exchange.traders_for`,
        #: emptied whenever the set of traders changes.
        self.trader_cache: dict[str, list[Agent]] = {}
        #: The optimiser `<coin-or>` asks for (set by the simulation); None: the greedy solver.
        self.exchange_solver: OptimalSolver | None = None
        self._next_agent = 0
        self._next_state = 1
        self._next_obj = 1
        self._next_comp = 1
        self._next_product = 1
        self._next_transaction = 0
        self._product_qualities: dict[str, int] = {}

    @property
    def rng(self) -> Any:
        """The simulation's Mersenne Twister (numpy RandomState: boost's mt19937 stream), seeded
        from `<seed>`; made on first use so runs that draw nothing skip importing numpy."""
        if self._rng is None:
            import numpy as np

            self._rng = np.random.RandomState(self.seed)
        return self._rng

    def reseed(self) -> None:
        """Restart the random stream from `<seed>` (as Cyclus does when it re-creates a simulation)."""
        self._rng = None

    # --- ids ------------------------------------------------------------------------------
    def next_agent_id(self) -> int:
        i = self._next_agent
        self._next_agent = i + 1
        return i

    def next_state_id(self) -> int:
        i = self._next_state
        self._next_state = i + 1
        return i

    def next_obj_id(self) -> int:
        i = self._next_obj
        self._next_obj = i + 1
        return i

    def next_comp_id(self) -> int:
        i = self._next_comp
        self._next_comp = i + 1
        return i

    def next_transaction_id(self) -> int:
        i = self._next_transaction
        self._next_transaction = i + 1
        return i

    def product_quality_id(self, quality: str) -> int:
        """The QualId of a product quality; the first use writes a `Products` row."""
        qid = self._product_qualities.get(quality)
        if qid is None:
            qid = self._product_qualities[quality] = self._next_product
            self._next_product += 1
            self.recorder.add(tables.PRODUCTS, (qid, quality))
        return qid

    def next_ids(self) -> list[tuple[str, int]]:
        """The counters as Cyclus records them in `NextIds`."""
        return [("Agent", self._next_agent), ("Transaction", self._next_transaction),
                ("Composition", self._next_comp), ("ResourceState", self._next_state),
                ("ResourceObj", self._next_obj), ("Product", self._next_product)]

    def save_counters(self) -> tuple[int, ...]:
        return (self._next_agent, self._next_state, self._next_obj, self._next_comp, self._next_product,
                self._next_transaction)

    def restore_counters(self, saved: tuple[int, ...]) -> None:
        (self._next_agent, self._next_state, self._next_obj, self._next_comp, self._next_product,
         self._next_transaction) = saved

    # --- recipes and custom tables ------------------------------------------------------------
    def add_recipe(self, name: str, comp: Composition) -> None:
        self.recipes[name] = comp
        self.recorder.add(tables.RECIPES, (name, comp.id))

    def get_recipe(self, name: str) -> Composition:
        try:
            return self.recipes[name]
        except KeyError:
            raise KeyError(f"unknown recipe {name!r}") from None

    def new_composition(self, mass: Mapping[int, float]) -> Composition:
        """A new mass-basis composition (takes a QualId)."""
        return Composition.from_mass(self, mass)

    def new_datum(self, title: str) -> Datum:
        """Start a row of a custom table."""
        return self.recorder.new_datum(title)

    # --- time -----------------------------------------------------------------------------
    def calc_time_diff(self, year: int, month: int) -> int:
        """Steps from the simulation start to the start of `year`/`month`."""
        secs = (year * CYCLUS_YEAR + month * CYCLUS_MONTH) - (
            self.start_year * CYCLUS_YEAR + self.start_month * CYCLUS_MONTH)
        return int(secs / self.dt)

    # --- building and decommissioning -----------------------------------------------------
    def add_prototype(self, name: str, agent: Agent) -> None:
        """Register `agent` as prototype `name`, recording it as Cyclus's `AddPrototype` does:
        a state snapshot, a `Prototypes` row, and `AgentVersions` the first time a spec is seen."""
        if name in self.prototypes:
            raise KeyError(f"duplicate prototype name {name!r}")
        self.prototypes[name] = agent
        record_state(self.recorder, agent, self.time)
        record_inventories(self.recorder, agent, self.time)
        self.recorder.add(tables.PROTOTYPES, (name, agent.id, agent.spec))
        if agent.spec not in self._versions:
            self._versions.add(agent.spec)
            self.recorder.add(tables.AGENT_VERSIONS, (agent.spec, agent.version))

    def create_agent(self, prototype: str) -> Agent:
        """A new agent cloned from `prototype`."""
        try:
            proto = self.prototypes[prototype]
        except KeyError:
            raise KeyError(f"unknown prototype {prototype!r}") from None
        return proto.clone()

    def sched_build(self, parent: Agent | None, prototype: str, t: int = -1) -> None:
        """Build `prototype` under `parent` at the start of step `t` (default: next step)."""
        if t == -1:
            t = self.time + 1
        if t <= self.time:
            raise ValueError(f"cannot schedule a build for step {t}: builds must be in the future "
                             f"(now {self.time})")
        if prototype not in self.prototypes:
            raise KeyError(f"cannot schedule a build of unknown prototype {prototype!r}")
        self.build_queue.setdefault(t, []).append((prototype, parent))
        self.recorder.add(tables.BUILD_SCHEDULE,
                          (parent.id if parent is not None else -1, prototype, self.time, t))

    def sched_decom(self, agent: Agent, t: int = -1) -> None:
        """Decommission `agent` at the end of step `t` (default: this step)."""
        if t == -1:
            t = self.time
        if t < self.time:
            raise ValueError(f"cannot schedule a decommission in the past (step {t}, now {self.time})")
        for queued in self.decom_queue.values():
            if agent in queued:
                queued.remove(agent)
                break
        self.decom_queue.setdefault(t, []).append(agent)
        self.recorder.add(tables.DECOM_SCHEDULE, (agent.id, self.time, t))

    def kill_sim(self) -> None:
        """End the simulation after the current step."""
        self.kill_requested = True

    # --- registries -----------------------------------------------------------------------
    def add_agent(self, agent: Agent) -> None:
        self.agents[agent.id] = agent

    def remove_agent(self, agent: Agent) -> None:
        self.agents.pop(agent.id, None)
        if agent in self._counted:
            self._counted.discard(agent)
            self.n_prototypes[agent.prototype] -= 1
            self.n_specs[agent.spec] -= 1

    def register_agent(self, agent: Agent) -> None:
        """Count a live agent per prototype and spec (`n_prototypes`, `n_specs`)."""
        if agent not in self._counted:
            self._counted.add(agent)
            self.n_prototypes[agent.prototype] += 1
            self.n_specs[agent.spec] += 1

    def clear_registrations(self) -> None:
        """Forget every trader, time listener and live-agent count (before re-entering agents)."""
        self.traders.clear()
        self.trader_cache.clear()
        self.time_listeners.clear()
        self.n_prototypes.clear()
        self.n_specs.clear()
        self._counted.clear()

    def register_trader(self, trader: Agent) -> None:
        if trader not in self.traders:
            self.traders.append(trader)
            self.trader_cache.clear()

    def unregister_trader(self, trader: Agent) -> None:
        if trader in self.traders:
            self.traders.remove(trader)
            self.trader_cache.clear()

    def register_time_listener(self, agent: Agent) -> None:
        if agent not in self.time_listeners:
            self.time_listeners.append(agent)

    def unregister_time_listener(self, agent: Agent) -> None:
        if agent in self.time_listeners:
            self.time_listeners.remove(agent)
