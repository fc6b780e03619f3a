"""A whole simulation: load an input, record the load phase, run the time steps.

`Simulation.from_file(path, backends=...)` parses and builds the initial agents (recording
what Cyclus's loader records); `run(on_step)` steps through time, flushing the recorder
after every step and then calling `on_step(t)`, the hook the server uses.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from cycsrv import CYCLUS_VERSION
from cycsrv.archetypes.registry import load_archetype
from cycsrv.kernel import tables
from cycsrv.kernel.agent import Agent
from cycsrv.kernel.config import read_config
from cycsrv.kernel.context import Context
from cycsrv.kernel.infile import InputError, PrototypeSpec, SimSpec, load_input
from cycsrv.kernel.nucdata import atomic_mass
from cycsrv.kernel.recorder import Recorder
from cycsrv.kernel.resources import Composition, normalize
from cycsrv.kernel.snapshot import record_inventories, record_state
from cycsrv.kernel.solvers import select_solver
from cycsrv.kernel.timer import record_finish, run_step
from cycsrv.store.schema import Backend

DBL_MAX = 1.7976931348623157e308
StepHook = Callable[[int], None]


class Simulation:
    """A loaded simulation, ready to run."""

    def __init__(self, spec: SimSpec, *, backends: Sequence[Backend] = (), sim_id: uuid.UUID | None = None) -> None:
        self.spec = spec
        c = spec.control
        self.recorder = Recorder(backends, sim_id)
        self.context = Context(
            self.recorder, duration=c.duration, dt=c.dt, start_year=c.startyear, start_month=c.startmonth,
            eps=c.tolerance_generic, eps_rsrc=c.tolerance_resource, seed=c.seed, decay=c.decay)
        self.duration = c.duration
        self.time = -1
        self.finished = False
        self.archetypes: dict[str, type[Agent]] = {}
        self._load()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, backends: Sequence[Backend] = (),
                  sim_id: uuid.UUID | None = None) -> Simulation:
        """Parse `path` and build the initial agents; raises `InputError` naming file and line."""
        return cls(load_input(path), backends=backends, sim_id=sim_id)

    # --- load phase -----------------------------------------------------------------------
    def _load(self) -> None:
        spec, ctx, add = self.spec, self.context, self.recorder.add
        c = spec.control
        add(tables.INPUT_FILES, (spec.input_text.encode(),))
        add(tables.INFO, (c.simhandle, c.startyear, c.startmonth, c.duration, c.seed, c.stride,
                          uuid.UUID(int=0), "init", -1, CYCLUS_VERSION, CYCLUS_VERSION.rsplit(".", 1)[0],
                          sqlite3.sqlite_version, "", "", "", ""))
        add(tables.DECAY_MODE, (c.decay,))
        add(tables.INFO_EXPLICIT_INV, (c.explicit_inventory, c.explicit_inventory_compact))
        add(tables.TIME_STEP_DUR, (c.dt,))
        add(tables.EPSILON, (c.tolerance_generic, c.tolerance_resource))
        add(tables.XMLPP_INFO, ("",))
        self._load_solver()
        for recipe in spec.recipes:
            values = dict(recipe.nuclides)
            if recipe.basis == "atom":
                values = {n: v * atomic_mass(n) for n, v in values.items()}
            comp = Composition.from_mass(ctx, normalize(values))
            comp.record(ctx)
            ctx.add_recipe(recipe.name, comp)
        add(tables.PACKAGES, ("unpackaged", 0.0, DBL_MAX, "first"))
        for p in spec.packages:
            add(tables.PACKAGES, (p.name, p.fill_min, p.fill_max, p.strategy))
            ctx.packages[p.name] = p
        for tu in spec.transport_units:
            add(tables.TRANSPORT_UNITS, (tu.name, tu.fill_min, tu.fill_max, tu.strategy))
            ctx.transport_units[tu.name] = tu
        self._load_archetypes()
        if spec.flat:
            self._load_flat()
        else:
            self._load_tree()
        self._snapshot(0)
        self._restore()
        self.recorder.flush()

    def _load_solver(self) -> None:
        c, add = self.spec.control, self.recorder.add
        if self.spec.commodities:
            prios = {cm.name: cm.solution_priority for cm in self.spec.commodities}
            top = max(prios.values())
            top = 0.0 if top < 1 else top
            for name in sorted(prios):
                add(tables.COMMOD_PRIORITY, (name, prios[name] if prios[name] >= 1 else top + 1))
        add(tables.SOLVER_INFO, (c.solver, c.allow_exclusive_orders))
        if c.solver == "coin-or":
            add(tables.COIN_SOLVER_INFO, (c.coin_timeout, c.coin_verbose, c.coin_mps))
        else:
            add(tables.GREEDY_SOLVER_INFO, (c.preconditioner,))
        self.context.exchange_solver = select_solver(c)  # None: greedy (kernel.exchange)

    def _load_archetypes(self) -> None:
        """Resolve every `<spec>`; like Cyclus, instantiating each unique spec once takes an id."""
        base = Path(self.spec.path).resolve().parent
        for ref in self.spec.archetypes:
            try:
                cls = load_archetype(ref.path, ref.lib, ref.name, base_dir=base)
            except KeyError as exc:
                loc = ref.location
                raise InputError(loc.file if loc else self.spec.path, loc.line if loc else 0,
                                 str(exc.args[0])) from None
            self.archetypes[ref.spec] = cls
        for _ in self.archetypes:
            self.context.next_agent_id()

    def _make_prototype(self, proto: PrototypeSpec) -> Agent:
        ctx = self.context
        try:
            spec = self.spec.archetype_ref(proto.archetype).spec
        except KeyError:
            raise InputError(proto.location.file, proto.location.line,
                             f"prototype {proto.name!r} uses archetype {proto.archetype!r}, which is not "
                             "listed in <archetypes>") from None
        cls = self.archetypes[spec]
        values = read_config(proto, cls.state_vars)
        agent = cls(ctx)
        agent.spec = spec
        agent.prototype = proto.name
        agent.lifetime = proto.lifetime
        agent.configure(values)
        record_state(self.recorder, agent, 0)  # the input's values, as Cyclus's InfileToDb writes them
        if proto.name in ctx.prototypes:
            raise InputError(proto.location.file, proto.location.line,
                             f"duplicate prototype name {proto.name!r}")
        ctx.add_prototype(proto.name, agent)
        return agent

    def _build_initial(self, prototype: str, parent: Agent | None) -> Agent:
        agent = self.context.create_agent(prototype)
        agent.build(parent)
        if parent is not None:
            parent.build_notify(agent)
        return agent

    def _load_tree(self) -> None:
        spec = self.spec
        for proto in spec.facilities:
            self._make_prototype(proto)
        for region in spec.regions:
            for inst in region.institutions:
                self._make_prototype(inst.prototype)
        for region in spec.regions:
            self._make_prototype(region.prototype)
        for region in spec.regions:
            r = self._build_initial(region.prototype.name, None)
            for inst in region.institutions:
                i = self._build_initial(inst.prototype.name, r)
                for name, number in inst.initial_facilities:
                    if name not in self.context.prototypes:
                        loc = inst.prototype.location
                        raise InputError(loc.file, loc.line, f"institution {inst.prototype.name!r} lists "
                                         f"unknown prototype {name!r} in its initialfacilitylist")
                    for _ in range(number):
                        self._build_initial(name, i)

    def _load_flat(self) -> None:
        for proto in self.spec.flat_prototypes:
            self._make_prototype(proto)
        pending = sorted(self.spec.flat_agents, key=lambda a: a.name)
        built: dict[str, Agent] = {}
        while pending:
            progress = False
            for a in list(pending):
                if a.parent is None or a.parent in built:
                    built[a.name] = self._build_initial(a.prototype, built.get(a.parent or ""))
                    pending.remove(a)
                    progress = True
            if not progress:
                names = ", ".join(f"{a.name} (parent {a.parent})" for a in pending)
                raise InputError(self.spec.path, 0, f"agents whose parent is never built: {names}")

    def _restore(self) -> None:
        """Cyclus re-creates the loaded simulation from its database: `EnterNotify` runs again on
        every initial agent in id order, with nothing recorded and ids unchanged."""
        ctx = self.context
        saved = ctx.save_counters()
        self.recorder.enabled = False
        ctx.clear_registrations()
        ctx.reseed()  # Cyclus reseeds when it re-creates the simulation, before EnterNotify
        try:
            for aid in sorted(ctx.agents):
                ctx.agents[aid].enter_notify()
        finally:
            self.recorder.enabled = True
            ctx.restore_counters(saved)

    # --- snapshots --------------------------------------------------------------------------
    def _snapshot(self, t: int) -> None:
        ctx, add = self.context, self.recorder.add
        add(tables.SNAPSHOTS, (t,))
        for aid in sorted(ctx.agents):
            agent = ctx.agents[aid]
            record_state(self.recorder, agent, t)
            record_inventories(self.recorder, agent, t)
        for name, next_id in ctx.next_ids():
            add(tables.NEXT_IDS, (t, name, next_id))

    # --- running ----------------------------------------------------------------------------
    def run(self, on_step: StepHook | None = None) -> None:
        """Run every time step; `on_step(t)` runs after step t's rows reach the backends.

        Any exception (from an agent or from `on_step`) ends the run early: `Finish` records
        EarlyTerm and the last completed step, rows are flushed, and the exception re-raised.
        """
        ctx = self.context
        c = self.spec.control
        t = -1
        thresholds = gc.get_threshold()
        # the exchange makes and drops many short-lived objects each step; collecting young
        # objects less often is ~10% faster and does not change results
        gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
        try:
            for t in range(self.duration):
                run_step(ctx, t, explicit_inventory=c.explicit_inventory,
                         compact=c.explicit_inventory_compact)
                self.time = t
                self.recorder.flush()
                if on_step is not None:
                    on_step(t)
                if ctx.kill_requested:
                    break
        except BaseException:
            self._finish(early=True, end_time=self.time)
            raise
        finally:
            gc.set_threshold(*thresholds)
        self._finish(early=ctx.kill_requested, end_time=t)

    def _finish(self, *, early: bool, end_time: int) -> None:
        if self.finished:
            return
        self.finished = True
        self.recorder.enabled = True
        record_finish(self.context, early, end_time)
        self._snapshot(end_time + 1)
        self.recorder.flush()

    def close(self) -> None:
        """Flush and close every backend."""
        self.recorder.close()
