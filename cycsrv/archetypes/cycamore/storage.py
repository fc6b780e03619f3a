"""cycamore:Storage: buys material, holds it for a residence time, sells it on one commodity.

Material bought at step t (buy policy -> `inventory`) moves to `processing` in Tock of t,
to `ready` once `residence_time` steps have passed, then to `stocks` (at most `throughput`
per step), from where the sell policy offers it. All four buffers share `max_inv_size`.
"""

from __future__ import annotations

from typing import Any

from cycsrv.archetypes.cycamore.common import (
    LARGE,
    LARGE_INT,
    VERSION,
    latitude_var,
    longitude_var,
    record_position,
    record_time_series,
)
from cycsrv.archetypes.cycamore.sink import NEAR_ZERO, check_prefs
from cycsrv.archetypes.cycamore.source import check_names, check_recipe
from cycsrv.kernel import random
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.policies import MatlBuyPolicy, MatlSellPolicy, TotalInvTracker
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Composition, Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar

FREQUENCY_TYPES = ["Fixed", "Uniform", "Normal", "Binomial", "FixedWithDisruption"]
SIZE_TYPES = ["Fixed", "Uniform", "Normal"]
#: `cyclus::toolkit::kModifierLimit`, CommodityProducer's default cost.
MODIFIER_LIMIT = 1e10


def _period_vars(kind: str) -> dict[str, StateVar]:
    """The eight active/dormant buying-period variables of the buy-policy injection."""
    title = kind.capitalize()
    val_range = [1, LARGE_INT] if kind == "active" else [-1, LARGE_INT]
    len_range = [1, LARGE_INT] if kind == "active" else [0, LARGE_INT]
    return {
        f"{kind}_buying_frequency_type": StateVar(
            "std::string", default="Fixed", tooltip=f"Type of {kind} buying frequency", uitype="combobox",
            categorical=FREQUENCY_TYPES, uilabel=f"{title} Buying Frequency Type",
            doc=f"Options: Fixed, Uniform, Normal, Binomial, FixedWithDisruption. Fixed requires "
                f"{kind}_buying_val. Uniform requires {kind}_buying_min and {kind}_buying_max. Normal requires "
                f"{kind}_buying_mean and {kind}_buying_std, with optional {kind}_buying_min and "
                f"{kind}_buying_max. Binomial requires {kind}_buying_end_probability. FixedWithDisruption "
                f"samples once per cycle whether the cycle is disrupted ({kind}_buying_disruption) or "
                f"typical ({kind}_buying_val)."),
        f"{kind}_buying_val": StateVar(
            "int", default=-1, tooltip=f"Fixed {kind} buying frequency", uitype="range", range=val_range,
            uilabel=f"{title} Buying Frequency Value",
            doc=f"The length in time steps of the {kind} buying period. Required for fixed "
                f"{kind}_buying_frequency_type." + (" Default is -1, agent has no dormant period and stays "
                                                    "active." if kind == "dormant" else "")),
        f"{kind}_buying_min": StateVar(
            "int", default=-1, tooltip=f"{title} buying distribution minimum", uitype="range", range=len_range,
            uilabel=f"{title} Buying Frequency Minimum",
            doc=f"The minimum length in time steps of the {kind} buying period. Required for Uniform and "
                f"optional for Normal {kind}_buying_frequency_type."),
        f"{kind}_buying_max": StateVar(
            "int", default=-1, tooltip=f"{title} buying distribution maximum", uitype="range", range=len_range,
            uilabel=f"{title} Buying Frequency Maximum",
            doc=f"The maximum length in time steps of the {kind} buying period. Required for Uniform "
                f"{kind}_buying_frequency_type, optional for Normal. Must be greater than or equal to "
                f"{kind}_buying_min "),
        f"{kind}_buying_mean": StateVar(
            "double", default=-1.0, tooltip=f"{title} buying distribution mean", uitype="range",
            range=[1.0 if kind == "active" else 0.0, LARGE], uilabel=f"{title} Buying Frequency Mean",
            doc=f"The mean length in time steps of the {kind} buying period. Required for Normal "
                f"{kind}_buying_frequency_type."),
        f"{kind}_buying_stddev": StateVar(
            "double", default=-1.0, tooltip=f"{title} buying distribution standard deviation", uitype="range",
            range=[0.0, LARGE], uilabel=f"{title} Buying Frequency Standard Deviation",
            doc=f"The standard deviation of the length in time steps of the {kind} buying period. Required for "
                f"Normal {kind}_buying_frequency_type. Must be greater than or equal to 0 "),
        f"{kind}_buying_end_probability": StateVar(
            "double", default=0.0, uitype="range", range=[0.0, 1.0],
            tooltip=f"Probability that the {kind} period ends during the next time step",
            uilabel=f"{title} Buying End Probability",
            doc=f"Binomial distribution has a fixed probability of ending the {kind} period at any given "
                f"timestep, like a weighted coin flip. Required for Binomial {kind}_buying_frequency_type. "
                "Must be between 0 and 1"),
        f"{kind}_buying_disruption_probability": StateVar(
            "double", default=0.0, uitype="range", range=[0.0, 1.0],
            tooltip="Probability that a cycle contains a disruption",
            uilabel=f"{title} Buying Disruption Probability",
            doc=f"Probability that the agent undergoes a disruption during any given cycle. Required for "
                f"FixedWithDisruption {kind}_buying_frequency_type."),
        f"{kind}_buying_disruption": StateVar(
            "int", default=-1, uitype="range", range=[0, LARGE_INT],
            tooltip=f"Fixed length of disrupted {kind} cycle",
            doc=f"When a {kind} cycle is disrupted, this is the length of the {kind} period instead of "
                f"{kind}_buying_val. Required for FixedWithDisruption {kind}_buying_frequency_type"),
    }


def _size_var(name: str, default: float, label: str, doc: str) -> StateVar:
    return StateVar("double", default=default, uitype="range", range=[0.0, 1.0], uilabel=label,
                    tooltip=label, doc=doc)


class Storage(Facility):
    """Storage is a simple facility which accepts any number of commodities and holds them for a user specified amount of time. The commodities accepted are chosen based on the specified preferences list. Once the desired amount of material has entered the facility it is passed into a 'processing' buffer where it is held until the residence time has passed. The material is then passed into a 'ready' buffer where it is queued for removal. Currently, all input commodities are lumped into a single output commodity. Storage also has the functionality to handle materials in discrete or continuous batches. Discrete mode, which is the default, does not split or combine material batches. Continuous mode, however, divides material batches if necessary in order to push materials through the facility as quickly as possible."""

    cpp_name = "cycamore::Storage"
    version = VERSION
    parents = ("cyclus::Facility", "cyclus::toolkit::CommodityProducer")
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Facility", "cyclus::Ider",
                   "cyclus::StateWrangler", "cyclus::TimeListener", "cyclus::Trader",
                   "cyclus::toolkit::AgentManaged", "cyclus::toolkit::CommodityProducer")

    in_commods = StateVar(["std::vector", "std::string"], tooltip="input commodity",
                          doc="commodities accepted by this facility", uilabel="Input Commodities",
                          uitype=["oneormore", "incommodity"])
    in_commod_prefs = StateVar(["std::vector", "double"], default=[], uilabel="In Commody Preferences",
                               doc="preferences for each of the given commodities, in the same order.Defauts "
                                   "to 1 if unspecified", range=[None, [NEAR_ZERO, LARGE]],
                               uitype=["oneormore", "range"])
    out_commods = StateVar(["std::vector", "std::string"], tooltip="output commodity",
                           doc="commodity produced by this facility. Multiple commodity tracking is currently "
                               "not supported, one output commodity catches all input commodities.",
                           uilabel="Output Commodities", uitype=["oneormore", "outcommodity"])
    in_recipe = StateVar("std::string", default="", tooltip="input recipe", uilabel="Input Recipe",
                         doc="recipe accepted by this facility, if unspecified a dummy recipe is used",
                         uitype="inrecipe")
    residence_time = StateVar("int", default=0, tooltip="residence time (timesteps)", units="time steps",
                              doc="the minimum holding time for a received commodity (timesteps).",
                              uilabel="Residence Time", uitype="range", range=[0, 12000])
    throughput = StateVar("double", default=LARGE, tooltip="throughput per timestep (kg)", units="kg",
                          doc="the max amount that can be moved through the facility per timestep (kg)",
                          uilabel="Throughput", uitype="range", range=[0.0, LARGE])
    max_inv_size = StateVar("double", default=LARGE, tooltip="maximum inventory size (kg)", units="kg",
                            doc="the maximum amount of material that can be in all storage buffer stages",
                            uilabel="Maximum Inventory Size", uitype="range", range=[0.0, LARGE])
    discrete_handling = StateVar("bool", default=False, tooltip="Bool to determine how Storage handles batches",
                                 uilabel="Batch Handling",
                                 doc="Determines if Storage will divide resource objects. Only controls material "
                                     "handling within this facility, has no effect on DRE material handling. If "
                                     "true, batches are handled as discrete quanta, neither split nor combined. "
                                     "Otherwise, batches may be divided during processing. Default to false "
                                     "(continuous))")
    package = StateVar("std::string", default="unpackaged", tooltip="Output package", uitype="package",
                       doc="Outgoing material will be packaged when trading.", uilabel="Package")
    transport_unit = StateVar("std::string", default="unrestricted", tooltip="Output transport unit",
                              doc="Outgoing material, after packaging, will be further restricted by transport "
                                  "unit when trading.", uitype="transportunit", uilabel="Transport Unit")
    inventory = Inventory(doc="Incoming material buffer")
    stocks = Inventory(doc="Output material buffer")
    ready = Inventory(doc="Buffer for material held for required residence_time")
    entry_times = StateVar(["std::list", "int"], default=[], internal=True)
    processing = Inventory(doc="Buffer for material still waiting for required residence_time")
    locals().update(_period_vars("active"))
    locals().update(_period_vars("dormant"))
    buying_size_type = StateVar(
        "std::string", default="Fixed", tooltip="Type of behavior used to determine size of buy request",
        uitype="combobox", categorical=SIZE_TYPES, uilabel="Buying Size Type",
        doc="Behavior function used to determine the size of requests made. All values are a fraction of maximum "
            "capacity, determined by the throughput and capacity remaining. Options: Fixed, Uniform, Normal. "
            "Fixed is default behavior. Uniform requires buying_size_min and buying_size_max. Normal requires "
            "buying_size_mean and buying_size_stddev, optional buying_size_min and buying_size_max.")
    buying_size_val = _size_var("buying_size_val", 1.0, "Buying Size Value",
                                "The size of the buy request as a fraction of maximum capacity. Optional for "
                                "Fixed buying_size_type. Must be greater than or equal to 0.0")
    buying_size_min = _size_var("buying_size_min", -1.0, "Buying Size Minimum",
                                "The minimum size of the buy request as a fraction of maximum capacity. Required "
                                "for Uniform and optional for Normal buying_size_type.")
    buying_size_max = _size_var("buying_size_max", -1.0, "Buying Size Maximum",
                                "The maximum size of the buy request as a fraction of maximum capacity. Required "
                                "for Uniform buying_size_type, optional for Normal.")
    buying_size_mean = _size_var("buying_size_mean", -1.0, "Buying Size Mean",
                                 "The mean size of the buy request as a fraction of maximum capacity. Required "
                                 "for Normal buying_size_type.")
    buying_size_stddev = _size_var("buying_size_stddev", -1.0, "Buying Size Standard Deviation",
                                   "The standard deviation of the size of the buy request as a fraction of "
                                   "maximum capacity. Required for Normal buying_size_type.")
    reorder_point = StateVar("double", default=-1.0, tooltip="Reorder point", uilabel="Reorder Point",
                             doc="The point at which the facility will request more material. Above this point, "
                                 "no request will be made. Must be less than max_inv_size.If paired with "
                                 "reorder_quantity, this agent will have an (R,Q) inventory policy. If "
                                 "reorder_point is used alone, this agent will have an (s,S) inventory policy,  "
                                 "with S (the maximum) being set at max_inv_size.")
    reorder_quantity = StateVar("double", default=-1.0, tooltip="Reorder amount (R,Q inventory policy)",
                                uilabel="Reorder Quantity",
                                doc="The amount of material that will be requested when the reorder point is "
                                    "reached. Exclusive request, so will demand exactly reorder_quantity."
                                    "Reorder_point + reorder_quantity must be less than max_inv_size.")
    cumulative_cap = StateVar("double", default=-1.0, uilabel="Cumulative Cap",
                              tooltip="Total amount of material that can be recieved per cycle.",
                              doc="After receiving this much material cumulatively, the agent will go dormant. "
                                  "Must be paired with dormant_buying_frequency_type and any other dormant "
                                  "parameters. The per-time step demand is unchanged except the cycle cap is "
                                  "almost reached.")
    sell_quantity = StateVar("double", default=0.0, tooltip="sell quantity (kg)", uilabel="Sell Quantity",
                             uitype="range", range=[0.0, LARGE], units="kg",
                             doc="material will be sold in integer multiples of this quantity. If the buffer "
                                 "contains less than the sell quantity, no material will be offered")
    latitude = latitude_var()
    longitude = longitude_var()

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        eps = ctx.eps_rsrc
        self.inventory_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.stocks_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.ready_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.processing_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.tracker = TotalInvTracker([self.inventory_buf, self.stocks_buf, self.ready_buf, self.processing_buf],
                                       LARGE)
        self.buy_policy: MatlBuyPolicy | None = None
        self.sell_policy: MatlSellPolicy | None = None

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"inventory": self.inventory_buf.items(), "stocks": self.stocks_buf.items(),
                "ready": self.ready_buf.items(), "processing": self.processing_buf.items()}

    def commodity_production(self) -> dict[str, tuple[float, float]]:
        """Cyclus's CommodityProducer view: commodity -> (capacity, cost); the cost is Cyclus's default."""
        return {self.out_commods[0]: (self.throughput, MODIFIER_LIMIT)}

    # --- set-up ---------------------------------------------------------------------------
    def _error(self, message: str) -> ValueError:
        return ValueError(f"{self.prototype} (id {self.id}): {message}")

    def _period_dist(self, kind: str) -> Any:
        """Buying period distribution of `kind`; only random ones touch (and so create) the rng."""
        v = {name.removeprefix(f"{kind}_buying_"): getattr(self, name) for name in self.state_vars
             if name.startswith(f"{kind}_buying_")}
        ftype = v["frequency_type"]
        if ftype == "Fixed":
            return random.FixedDist(v["val"])
        if ftype == "Uniform":
            if v["min"] == -1 or v["max"] == -1:
                raise self._error(f"{kind}_buying_frequency_type Uniform needs both {kind}_buying_min and "
                                  f"{kind}_buying_max")
            return random.UniformIntDist(self.context.rng, v["min"], v["max"])
        if ftype == "Normal":
            if v["mean"] == -1 or v["stddev"] == -1:
                raise self._error(f"{kind}_buying_frequency_type Normal needs both {kind}_buying_mean and "
                                  f"{kind}_buying_stddev")
            lo = 1 if v["min"] == -1 else v["min"]
            hi = LARGE_INT if v["max"] == -1 else v["max"]
            setattr(self, f"{kind}_buying_min", lo)
            setattr(self, f"{kind}_buying_max", hi)
            return random.NormalDist(self.context.rng, v["mean"], v["stddev"], lo, hi, integer=True)
        if ftype == "Binomial":
            return random.GeometricDist(self.context.rng, v["end_probability"])
        if ftype == "FixedWithDisruption":
            if v["disruption"] < 0:
                raise self._error(f"{kind}_buying_disruption must be >= 0 for FixedWithDisruption")
            return random.BinaryDist(self.context.rng, v["disruption_probability"], v["disruption"], v["val"])
        raise self._error(f"{kind}_buying_frequency_type {ftype!r} is not one of {', '.join(FREQUENCY_TYPES)}")

    def _size_dist(self) -> Any:
        """Buying size distribution; only random ones touch (and so create) the rng."""
        stype = self.buying_size_type
        if stype == "Fixed":
            return random.FixedDist(self.buying_size_val)
        if stype == "Uniform":
            if self.buying_size_min == -1 or self.buying_size_max == -1:
                raise self._error("buying_size_type Uniform needs both buying_size_min and buying_size_max")
            return random.UniformDoubleDist(self.context.rng, self.buying_size_min, self.buying_size_max)
        if stype == "Normal":
            if self.buying_size_mean == -1 or self.buying_size_stddev == -1:
                raise self._error("buying_size_type Normal needs both buying_size_mean and buying_size_stddev")
            if self.buying_size_min == -1:
                self.buying_size_min = 0.0
            if self.buying_size_max == -1:
                self.buying_size_max = 1.0
            return random.NormalDist(self.context.rng, self.buying_size_mean, self.buying_size_stddev, self.buying_size_min,
                                     self.buying_size_max)
        raise self._error(f"buying_size_type {stype!r} is not one of {', '.join(SIZE_TYPES)}")

    def _distributions(self) -> tuple[Any, Any, Any]:
        for kind in ("active", "dormant"):
            if getattr(self, f"{kind}_buying_min") > getattr(self, f"{kind}_buying_max"):
                raise self._error(f"{kind}_buying_min is larger than {kind}_buying_max")
        if self.buying_size_min > self.buying_size_max:
            raise self._error("buying_size_min is larger than buying_size_max")
        return self._period_dist("active"), self._period_dist("dormant"), self._size_dist()

    def enter_notify(self) -> None:
        super().enter_notify()
        ctx = self.context
        if len(self.out_commods) != 1:
            raise self._error(f"out_commods has {len(self.out_commods)} values, expected 1")
        check_names(self, self.package, self.transport_unit)
        check_recipe(self, "in_recipe", self.in_recipe)
        self.tracker.max_inv_size = self.max_inv_size
        try:
            if self.reorder_point < 0 and self.cumulative_cap <= 0:
                active, dormant, size = self._distributions()
                buy = MatlBuyPolicy(self, self.inventory_buf, "inventory", tracker=self.tracker,
                                    throughput=self.throughput, active_dist=active, dormant_dist=dormant,
                                    size_dist=size)
            elif self.cumulative_cap > 0:
                _, dormant, _ = self._distributions()
                buy = MatlBuyPolicy(self, self.inventory_buf, "inventory", tracker=self.tracker,
                                    throughput=self.throughput, cumulative_cap=self.cumulative_cap,
                                    dormant_dist=dormant)
            elif self.reorder_quantity > 0:
                if self.reorder_point + self.reorder_quantity > self.max_inv_size:
                    raise self._error(f"reorder_point + reorder_quantity ({self.reorder_point} + "
                                      f"{self.reorder_quantity}) must be at most max_inv_size "
                                      f"({self.max_inv_size})")
                buy = MatlBuyPolicy(self, self.inventory_buf, "inventory", tracker=self.tracker,
                                    throughput=self.throughput, inv_policy="RQ", fill_behav=self.reorder_quantity,
                                    req_at=self.reorder_point)
            else:
                buy = MatlBuyPolicy(self, self.inventory_buf, "inventory", tracker=self.tracker,
                                    throughput=self.throughput, inv_policy="sS", fill_behav=self.max_inv_size,
                                    req_at=self.reorder_point)
        except ValueError as exc:
            msg = str(exc)
            raise (exc if msg.startswith(self.prototype) else self._error(msg)) from None
        comp = Composition.from_atom(ctx, {})  # made even when a recipe is used, as in Cycamore
        if self.in_recipe:
            comp = ctx.get_recipe(self.in_recipe)
        self.in_commod_prefs = check_prefs(self, self.in_commods, self.in_commod_prefs,
                                           ("in_commods", "in_commod_prefs"))
        for commod, pref in zip(self.in_commods, self.in_commod_prefs, strict=True):
            buy.set(commod, comp, pref)
        buy.start()
        try:
            sell = MatlSellPolicy(self, self.stocks_buf, "stocks", throughput=LARGE, ignore_comp=False,
                                  quantize=self.sell_quantity, package=self.package,
                                  transport_unit=self.transport_unit)
        except ValueError as exc:
            raise self._error(str(exc)) from None
        sell.set(self.out_commods[0]).start()
        if self.buy_policy is not None:
            self.buy_policy.stop()
        if self.sell_policy is not None:
            self.sell_policy.stop()
        self.buy_policy, self.sell_policy = buy, sell
        record_position(self)

    def decommission(self) -> None:
        for pol in (self.buy_policy, self.sell_policy):
            if pol is not None:
                pol.stop()
        super().decommission()

    # --- phases ---------------------------------------------------------------------------
    def current_capacity(self) -> float:
        return self.tracker.space()

    def tock(self) -> None:
        t = self.context.time
        while self.inventory_buf.count() > 0:
            self.processing_buf.push(self.inventory_buf.pop_front())
            self.entry_times.append(t)
        ready_time = t - self.residence_time
        if ready_time >= 0 or (self.residence_time == 0 and not self.inventory_buf.empty()):
            n = 0
            while self.entry_times and self.entry_times[0] <= ready_time:
                self.entry_times.pop(0)
                n += 1
            self.ready_buf.push_all(self.processing_buf.pop_n(n))
        self._process(self.throughput)
        prefs = self.in_commod_prefs
        top = prefs.index(max(prefs)) if prefs else 0
        record_time_series(self, "demand" + self.in_commods[top], self.current_capacity())
        record_time_series(self, "supply" + self.out_commods[0], self.stocks_buf.quantity())

    def _process(self, cap: float) -> None:
        """Move up to `cap` kg from ready to stocks (whole batches only when discrete)."""
        ready = self.ready_buf
        if ready.empty():
            return
        max_pop = min(cap, ready.quantity())
        if self.discrete_handling:
            if max_pop == ready.quantity():
                self.stocks_buf.push_all(ready.pop_n(ready.count()))
            else:
                cap_pop = ready.peek().qty
                while cap_pop <= max_pop and not ready.empty():
                    self.stocks_buf.push(ready.pop_front())
                    cap_pop += 0.0 if ready.empty() else ready.peek().qty
        else:
            self.stocks_buf.push(ready.pop(max_pop, self.context.eps_rsrc))


ARCHETYPE = Storage
