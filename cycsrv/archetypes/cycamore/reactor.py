"""cycamore:Reactor: whole-assembly fuel cycles with static burnup, refuelling and retirement."""

from __future__ import annotations

import itertools
import math

from cycsrv.archetypes.cycamore.common import (
    PRODUCER_ALL_PARENTS,
    PRODUCER_PARENTS,
    VERSION,
    bid_until_covered,
    latitude_var,
    longitude_var,
    record_position,
    record_time_series,
)
from cycsrv.archetypes.cycamore.source import check_recipe
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, Request, RequestPortfolio, Trade
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar
from cycsrv.store.schema import DbType, TableSchema

REACTOR_EVENTS = TableSchema.of("ReactorEvents", ("AgentId", DbType.INT), ("Time", DbType.INT),
                                ("Event", DbType.STRING), ("Value", DbType.STRING))
# TimeSeries tables written every step, resolved once (common.record_time_series writes the same tables).
POWER = TableSchema.of("TimeSeriesPower", ("AgentId", DbType.INT), ("Time", DbType.INT), ("Value", DbType.DOUBLE),
                       ("Units", DbType.STRING))
SUPPLY_POWER = TableSchema.of("TimeSeriessupplyPOWER", ("AgentId", DbType.INT), ("Time", DbType.INT),
                              ("Value", DbType.DOUBLE), ("Units", DbType.STRING))
REACTOR_SIDE_PRODUCTS = TableSchema.of("ReactorSideProducts", ("AgentId", DbType.INT), ("Time", DbType.INT),
                                       ("Product", DbType.STRING), ("Value", DbType.DOUBLE))


class Reactor(Facility):
    """Reactor with fixed burnup, recipe to recipe.

Fuel comes as whole assemblies of `assem_size` kg, stays in the core for a cycle and, when
discharged, is switched at once from its fresh recipe to its spent recipe (no depletion is computed).

Each fuel type is one position in the fuel_* lists: the commodity it is bought on, its fresh and spent
recipes, the commodity its spent fuel is sold on, and its request preference. Preferences and recipe
pairs can change at given times (pref_change_*, recipe_change_*).

Assemblies are never split or merged, and each request is for exactly one assembly. A cycle runs
`cycle_time` steps; then `n_assem_batch` assemblies go from the core to spent storage and, at least
`refuel_time` steps later, the next cycle starts as soon as the core is full again. Beside the core it
keeps up to `n_assem_fresh` fresh assemblies (0: orders just in time) and up to `n_assem_spent` spent
ones; with spent storage full, the discharge waits for room. Spent fuel is offered every step.

Each operating step yields `power_cap` MWe and any side products. When its lifetime is over it empties
the core, sells its spent fuel and is decommissioned once nothing is left; a core stopped mid-cycle
first has half its assemblies (rounded up), or all with `decom_transmute_all`, turned to spent fuel."""

    cpp_name = "cycamore::Reactor"
    version = VERSION
    parents = PRODUCER_PARENTS
    all_parents = PRODUCER_ALL_PARENTS
    extra_annotations = {"niche": "reactor"}

    latitude = latitude_var()
    longitude = longitude_var()
    fuel_incommods = StateVar(["std::vector", "std::string"], uitype=["oneormore", "incommodity"],
                              uilabel="Fresh Fuel Commodity List",
                              doc="Commodities it buys fresh fuel on, one per fuel type; the other fuel_* "
                                  "lists follow this order.")
    fuel_inrecipes = StateVar(["std::vector", "std::string"], uitype=["oneormore", "inrecipe"],
                              uilabel="Fresh Fuel Recipe List",
                              doc="Fresh-fuel recipe requested on each fuel_incommods entry (same order).")
    fuel_prefs = StateVar(["std::vector", "double"], default=[], uilabel="Fresh Fuel Preference List",
                          doc="Request preference of each fuel_incommods entry (same order); higher wins. "
                              "Empty (default): 1 for all.")
    fuel_outcommods = StateVar(["std::vector", "std::string"], uitype=["oneormore", "outcommodity"],
                               uilabel="Spent Fuel Commodity List",
                               doc="Commodity spent fuel is offered on, per fuel_incommods entry (same "
                                   "order): an assembly is sold by the type it was bought as.")
    fuel_outrecipes = StateVar(["std::vector", "std::string"], uitype=["oneormore", "outrecipe"],
                               uilabel="Spent Fuel Recipe List",
                               doc="Spent-fuel recipe per fuel_incommods entry (same order): the composition "
                                   "an assembly of that type takes when it leaves the core.")
    recipe_change_times = StateVar(["std::vector", "int"], default=[],
                                   uilabel="Recipe Change Times",
                                   doc="Time steps at which a fuel type's fresh/spent recipe pair changes, one "
                                       "per change; recipe_change_commods, _in and _out line up with it.")
    recipe_change_commods = StateVar(["std::vector", "std::string"], default=[],
                                     uilabel="Recipe Change Commodities",
                                     uitype=["oneormore", "incommodity"],
                                     doc="Per recipe change: the fuel_incommods entry whose recipes change.")
    recipe_change_in = StateVar(["std::vector", "std::string"], default=[], uilabel="Changed Fresh Fuel Recipe",
                                uitype=["oneormore", "inrecipe"],
                                doc="Per recipe change: the fresh-fuel recipe requested from then on.")
    recipe_change_out = StateVar(["std::vector", "std::string"], default=[], uilabel="Changed Spent Fuel Recipe",
                                 uitype=["oneormore", "outrecipe"],
                                 doc="Per recipe change: the spent-fuel recipe from then on, also for "
                                     "assemblies of that type already loaded.")
    # Cycamore's UI ranges for assem_size [1, 1e5], n_assem_core [1, 3], n_assem_fresh [0, 3] and
    # power_cap [0, 2000] are hints Cyclus never enforces (its own inputs use 0.1 kg assemblies and
    # 10-assembly cores), so only the physically required bounds are checked here.
    assem_size = StateVar("double", uilabel="Assembly Mass", uitype="range", units="kg", range=[0.0, 1e299],
                          doc="Mass of one assembly (kg): the unit fuel is bought, loaded and discharged "
                              "in.")
    n_assem_batch = StateVar("int", uilabel="Assemblies per Batch", range=[0, 2147483647],
                             doc="Assemblies taken out of the core at the end of each cycle and replaced "
                                 "before the next; the batch fraction is n_assem_batch / n_assem_core.")
    n_assem_core = StateVar("int", default=3, uilabel="Assemblies in Core", uitype="range",
                            range=[0, 2147483647],
                            doc="Assemblies in a full core; a cycle starts only with the core full.")
    n_assem_fresh = StateVar("int", default=0, uilabel="Minimum Fresh Fuel Inventory", uitype="range",
                             range=[0, 2147483647], units="assemblies",
                             doc="Fresh assemblies it tries to keep in stock besides the core; 0 (default) "
                                 "buys just in time for each reload.")
    n_assem_spent = StateVar("int", default=1000000000, uilabel="Maximum Spent Fuel Inventory", uitype="range",
                             range=[0, 1000000000], units="assemblies",
                             doc="Spent assemblies it can store; when full, the next discharge, and so the "
                                 "next cycle, waits for room.")
    cycle_time = StateVar("int", default=18, uilabel="Cycle Length", units="time steps", range=[0, 2147483647],
                          doc="Operating time of one cycle in time steps, refuelling not included.")
    refuel_time = StateVar("int", default=1, uilabel="Refueling Outage Duration", units="time steps",
                           range=[0, 2147483647],
                           doc="Shortest outage between the end of a cycle and the start of the next, in "
                               "time steps.")
    cycle_step = StateVar("int", default=0, uilabel="Steps Into Current Cycle", units="time steps",
                          range=[0, 2147483647],
                          doc="Time steps since the current cycle began; the model advances it. Give it only "
                              "to start a reactor part way through a cycle.")
    power_cap = StateVar("double", default=0.0, uilabel="Nominal Reactor Power", uitype="range", units="MWe",
                         range=[0.0, 1e299],
                         doc="Electric power produced in every operating step (MWe); none while "
                             "refuelling or waiting for fuel.")
    power_name = StateVar("std::string", default="power", uilabel="Power Commodity Name",
                          doc="Commodity name its power capacity is reported under, for institutions "
                              "that deploy to meet a power demand curve.")
    side_products = StateVar(["std::vector", "std::string"], default=[],
                             uilabel="Side Products",
                             doc="Names of other products it makes while operating (e.g. process heat), one "
                                 "per entry.")
    side_product_quantity = StateVar(["std::vector", "double"], default=[],
                                     uilabel="Side Product Quantities",
                                     doc="Amount of each side_products entry (same order) made per operating "
                                         "step.")
    hybrid_ = StateVar("bool", default=True, internal=True,
                       doc="Set by the model: true when side_products are given.")
    decom_transmute_all = StateVar("bool", default=False,
                                   uilabel="Transmute Whole Core at Retirement",
                                   doc="When it retires mid-cycle: true turns every core assembly into spent "
                                       "fuel, false (default) only half of them, rounded up.")
    pref_change_times = StateVar(["std::vector", "int"], default=[], uilabel="Preference Change Times",
                                 doc="Time steps at which a fuel type's request preference changes, one per "
                                     "change; pref_change_commods and _values line up with it.")
    pref_change_commods = StateVar(["std::vector", "std::string"], default=[],
                                   uilabel="Preference Change Commodities",
                                   uitype=["oneormore", "incommodity"],
                                   doc="Per preference change: the fuel_incommods entry it applies to.")
    pref_change_values = StateVar(["std::vector", "double"], default=[], uilabel="Changed Fresh Fuel Preference",
                                  doc="Per preference change: the new preference.")
    keep_packaging = StateVar("bool", default=True, uilabel="Keep Packaging", uitype="bool",
                              tooltip="keep packaging",
                              doc="True (default): received fuel keeps its package type. False: it is "
                                  "unpackaged as it arrives. No effect on unpackaged fuel.")
    fresh = Inventory(capacity="n_assem_fresh * assem_size", doc="Fresh assemblies not yet loaded")
    core = Inventory(capacity="n_assem_core * assem_size", doc="Assemblies in the core")
    spent = Inventory(capacity="n_assem_spent * assem_size", doc="Discharged assemblies for sale")
    discharged = StateVar("bool", default=False, internal=True,
                          doc="Set by the model: whether this cycle's batch has left the core.")
    res_indexes = StateVar(["std::map", "int", "int"], default={}, internal=True,
                           doc="Set by the model: fuel type index of each assembly it holds.")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        eps = ctx.eps_rsrc
        self.fresh_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.core_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.spent_buf: ResBuf[Material] = ResBuf(eps=eps)
        self._uniq_outcommods: list[str] = []

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"fresh": self.fresh_buf.items(), "core": self.core_buf.items(), "spent": self.spent_buf.items()}

    def commodity_production(self) -> dict[str, tuple[float, float]]:
        """Cyclus's CommodityProducer view: power and each side product -> (capacity, cost)."""
        out = {self.power_name: (self.power_cap, self.power_cap)}
        for name, qty in zip(self.side_products, self.side_product_quantity, strict=False):
            out[name] = (qty, qty)
        return out

    # --- set-up ---------------------------------------------------------------------------
    def _error(self, message: str) -> ValueError:
        return ValueError(f"{self.prototype} (id {self.id}): {message}")

    def enter_notify(self) -> None:
        super().enter_notify()
        size = self.assem_size
        for buf, n in ((self.fresh_buf, self.n_assem_fresh), (self.core_buf, self.n_assem_core),
                       (self.spent_buf, self.n_assem_spent)):
            buf.capacity = n * size
            buf.keep_packaging = self.keep_packaging
        if not self.fuel_prefs:
            self.fuel_prefs = [1.0] * len(self.fuel_outcommods)
        if not self.side_products:
            self.hybrid_ = False
        problems = []
        n = len(self.recipe_change_times)
        for name in ("recipe_change_commods", "recipe_change_in", "recipe_change_out"):
            if len(getattr(self, name)) != n:
                problems.append(f"{len(getattr(self, name))} {name} values, expected {n} (one per "
                                "recipe_change_times entry)")
        n = len(self.pref_change_times)
        for name in ("pref_change_commods", "pref_change_values"):
            if len(getattr(self, name)) != n:
                problems.append(f"{len(getattr(self, name))} {name} values, expected {n} (one per "
                                "pref_change_times entry)")
        n = len(self.fuel_incommods)
        for name in ("fuel_inrecipes", "fuel_outcommods", "fuel_outrecipes", "fuel_prefs"):
            if len(getattr(self, name)) != n:
                problems.append(f"{len(getattr(self, name))} {name} values, expected {n} (one per "
                                "fuel_incommods entry)")
        if problems:
            raise self._error("; ".join(problems))
        for name in ("fuel_inrecipes", "fuel_outrecipes", "recipe_change_in", "recipe_change_out"):
            for recipe in getattr(self, name):
                check_recipe(self, name, recipe)
        self._uniq_outcommods = sorted(set(self.fuel_outcommods))
        record_position(self)

    def check_decommission_condition(self) -> bool:
        return self.core_buf.empty() and self.spent_buf.empty()

    def retired(self) -> bool:
        exit_time = self.exit_time
        return exit_time != -1 and self.context.time > exit_time

    # --- phases ---------------------------------------------------------------------------
    def tick(self) -> None:
        ctx = self.context
        t = ctx.time
        lifetime = self.lifetime
        if lifetime != -1 and t >= self.enter_time + lifetime:  # retired: past exit_time
            self._tick_retired(t)
            return

        step, cycle = self.cycle_step, self.cycle_time
        if step >= cycle:
            if step == cycle:
                self._transmute(self.n_assem_batch)
                self._event("CYCLE_END", "")
            if not self.discharged:
                self.discharged = self._discharge()
            self._load()

        if self.pref_change_times:
            for i, change_t in enumerate(self.pref_change_times):
                if change_t == t:
                    commod = self.pref_change_commods[i]
                    if commod in self.fuel_incommods:
                        self.fuel_prefs[self.fuel_incommods.index(commod)] = self.pref_change_values[i]
        if self.recipe_change_times:
            for i, change_t in enumerate(self.recipe_change_times):
                if change_t == t:
                    commod = self.recipe_change_commods[i]
                    if commod in self.fuel_incommods:
                        j = self.fuel_incommods.index(commod)
                        self.fuel_inrecipes[j] = self.recipe_change_in[i]
                        self.fuel_outrecipes[j] = self.recipe_change_out[i]

    def _tick_retired(self, t: int) -> None:
        self._event("RETIRED", "")
        if t == self.exit_time + 1:
            n = self.n_assem_core if self.decom_transmute_all else math.ceil(self.n_assem_core / 2.0)
            self._transmute(n)
        core = self.core_buf
        while core.count() > 0 and self._discharge():
            pass
        fresh, spent = self.fresh_buf, self.spent_buf
        while fresh.count() > 0 and spent.space() >= self.assem_size:
            spent.push(fresh.pop_front())
        if self.check_decommission_condition():
            self.context.sched_decom(self, t)

    def tock(self) -> None:
        t = self.context.time
        lifetime = self.lifetime
        if lifetime != -1 and t >= self.enter_time + lifetime:
            return
        full = len(self.core_buf._items) == self.n_assem_core  # hot path: the deque's length directly
        step = self.cycle_step
        if full and self.discharged and step >= self.cycle_time + self.refuel_time:
            self.discharged = False
            step = self.cycle_step = 0
        if step == 0 and full:
            self._event("CYCLE_START", "")
        operating = full and 0 <= step < self.cycle_time
        # TimeSeriesPower and TimeSeriessupplyPOWER get the same row: full capacity while operating
        add = self.context.recorder.add
        row = (self.id, t, float(self.power_cap) if operating else 0.0, "")
        add(POWER, row)
        add(SUPPLY_POWER, row)
        if self.hybrid_:
            self._record_side_products(t, operating)
        if step > 0 or full:
            self.cycle_step = step + 1

    def _record_side_products(self, t: int, operating: bool) -> None:
        """A hybrid reactor's side products this step: their full quantities while operating."""
        add = self.context.recorder.add
        for name, qty in zip(self.side_products, self.side_product_quantity, strict=False):
            add(REACTOR_SIDE_PRODUCTS, (self.id, t, name, float(qty) if operating else 0.0))

    # --- assemblies -----------------------------------------------------------------------
    def _event(self, name: str, value: str) -> None:
        ctx = self.context
        ctx.recorder.add(REACTOR_EVENTS, (self.id, ctx.time, name, value))

    def _index(self, m: Material) -> int:
        # Cyclus's res_indexes[obj_id] inserts index 0 for an unknown assembly.
        return self.res_indexes.setdefault(m.obj_id, 0)

    def _outcommod(self, m: Material) -> str:
        i = self._index(m)
        if i >= len(self.fuel_outcommods):
            raise KeyError(f"{self.prototype} (id {self.id}): no outcommod for material object")
        return self.fuel_outcommods[i]

    def _transmute(self, n: int) -> None:
        """Transmute the `n` oldest core assemblies to their spent recipes (kept at the front)."""
        old = list(itertools.islice(self.core_buf, n))  # Cycamore pops and re-pushes them: same order
        self._event("TRANSMUTE", f"{len(old)} assemblies")
        get_recipe = self.context.get_recipe
        for m in old:
            i = self._index(m)
            if i >= len(self.fuel_outrecipes):
                raise KeyError(f"{self.prototype} (id {self.id}): no outrecipe for material object")
            m.transmute(get_recipe(self.fuel_outrecipes[i]))

    def _discharge(self) -> bool:
        """Move a batch from the core to spent storage; False when spent storage lacks room."""
        core, spent = self.core_buf, self.spent_buf
        npop = min(self.n_assem_batch, core.count())
        if self.n_assem_spent - spent.count() < npop:
            self._event("DISCHARGE", "failed")
            return False
        self._event("DISCHARGE", f"{npop} assemblies")
        spent.push_all(core.pop_n(npop))
        mapped = self._peek_spent()
        for commod in self.fuel_outcommods:  # once per entry, duplicates included, as Cycamore
            record_time_series(self, "supply" + commod, sum(m.qty for m in mapped.get(commod, ())))
        return True

    def _load(self) -> None:
        n = min(self.n_assem_core - self.core_buf.count(), self.fresh_buf.count())
        if n <= 0:
            return
        self._event("LOAD", f"{n} assemblies")
        self.core_buf.push_all(self.fresh_buf.pop_n(n))

    def _peek_spent(self) -> dict[str, list[Material]]:
        """Spent assemblies by outcommod, oldest first."""
        mapped: dict[str, list[Material]] = {}
        for m in self.spent_buf:
            mapped.setdefault(self._outcommod(m), []).append(m)
        return mapped

    # --- trading --------------------------------------------------------------------------
    def get_material_requests(self) -> list[RequestPortfolio]:
        core_count = len(self.core_buf._items)  # hot path: the deques' lengths directly
        n_order = self.n_assem_core - core_count + self.n_assem_fresh - len(self.fresh_buf._items)
        if n_order <= 0:  # the retirement limit below can only lower it
            return []
        ctx = self.context
        exit_time = self.exit_time
        if exit_time != -1:
            t_left = exit_time - ctx.time + 1
            period = self.cycle_time + self.refuel_time
            t_left_cycle = period - self.cycle_step
            n_cycles_left = math.ceil((t_left - t_left_cycle) / period) if period else 0
            n_need = int(max(0.0, n_cycles_left * self.n_assem_batch - self.n_assem_fresh
                             + self.n_assem_core - core_count))
            n_order = min(n_order, n_need)
        if n_order <= 0 or (exit_time != -1 and ctx.time > exit_time):
            return []
        prefs = self.fuel_prefs
        demand = "demand" + self.fuel_incommods[prefs.index(max(prefs))]
        size = self.assem_size
        recipes = [ctx.get_recipe(r) for r in self.fuel_inrecipes[:len(self.fuel_incommods)]]
        ports = []
        for _ in range(n_order):
            port = RequestPortfolio()
            reqs = [port.add_request(Material.create_untracked(ctx, size, recipes[j]), self, commod, prefs[j],
                                     True)
                    for j, commod in enumerate(self.fuel_incommods)]
            record_time_series(self, demand, size)
            port.add_mutual_requests(reqs)
            ports.append(port)
        return ports

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        core, fresh = self.core_buf, self.fresh_buf
        nload = min(len(responses), self.n_assem_core - core.count())
        if nload > 0:
            self._event("LOAD", f"{nload} assemblies")
        incommods = self.fuel_incommods
        for trade, m in responses:
            commod = trade.request.commodity
            if commod not in incommods:
                raise self._error(f"received material on unsupported commodity {commod!r}")
            self.res_indexes[m.obj_id] = incommods.index(commod)
            if core.count() < self.n_assem_core:
                core.push(m)
            else:
                fresh.push(m)

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        if not self.spent_buf._items:
            return []
        ports = []
        all_mats: dict[str, list[Material]] | None = None
        for commod in self._uniq_outcommods:
            reqs = requests.get(commod)
            if not reqs:
                continue
            if all_mats is None:
                all_mats = self._peek_spent()
            mats = all_mats.get(commod)
            if not mats:
                continue
            port = BidPortfolio()
            bid_until_covered(port, reqs, mats, self, exclusive=True)
            port.add_constraint(CapacityConstraint(sum(m.qty for m in mats)))
            ports.append(port)
        return ports

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        spent = self.spent_buf
        mapped: dict[str, list[Material]] = {}
        for m in spent.pop_n(spent.count()):
            mapped.setdefault(self._outcommod(m), []).append(m)
        for mats in mapped.values():
            mats.reverse()  # oldest at the back
        responses = []
        for tr in trades:
            m = mapped[tr.request.commodity].pop()
            responses.append((tr, m))
            self.res_indexes.pop(m.obj_id, None)
        for commod in sorted(mapped):  # leftovers go back grouped by commodity, oldest first
            spent.push_all(reversed(mapped[commod]))
        return responses


ARCHETYPE = Reactor
