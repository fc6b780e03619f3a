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
            "std::string", default="Fixed", tooltip=f"{kind} period distribution", uitype="combobox",
            categorical=FREQUENCY_TYPES, uilabel=f"{title} Buying Frequency Type",
            doc=f"How each {kind} period's length (time steps) is drawn. Fixed: {kind}_buying_val. "
                f"Uniform: from {kind}_buying_min to {kind}_buying_max. Normal: {kind}_buying_mean and "
                f"{kind}_buying_stddev, clipped to {kind}_buying_min/max when given. Binomial: the period "
                f"ends in each step with {kind}_buying_end_probability. FixedWithDisruption: each cycle lasts "
                f"{kind}_buying_disruption with {kind}_buying_disruption_probability, else "
                f"{kind}_buying_val."),
        f"{kind}_buying_val": StateVar(
            "int", default=-1, tooltip=f"fixed {kind} length", uitype="range", range=val_range,
            uilabel=f"{title} Buying Frequency Value",
            doc=(f"Length of every {kind} period in time steps, for Fixed (and the usual length for "
                 f"FixedWithDisruption).") + (" -1 (default): never dormant, the facility always buys."
                                             if kind == "dormant" else "")),
        f"{kind}_buying_min": StateVar(
            "int", default=-1, tooltip=f"shortest {kind} period", uitype="range", range=len_range,
            uilabel=f"{title} Buying Frequency Minimum",
            doc=f"Shortest {kind} period in time steps: needed for Uniform; for Normal, draws are clipped "
                f"to it (1 when not given)."),
        f"{kind}_buying_max": StateVar(
            "int", default=-1, tooltip=f"longest {kind} period", uitype="range", range=len_range,
            uilabel=f"{title} Buying Frequency Maximum",
            doc=f"Longest {kind} period in time steps, not below {kind}_buying_min: needed for Uniform; "
                f"for Normal, draws are clipped to it (no limit when not given)."),
        f"{kind}_buying_mean": StateVar(
            "double", default=-1.0, tooltip=f"mean {kind} period", uitype="range",
            range=[1.0 if kind == "active" else 0.0, LARGE], uilabel=f"{title} Buying Frequency Mean",
            doc=f"Average {kind} period in time steps; needed for Normal."),
        f"{kind}_buying_stddev": StateVar(
            "double", default=-1.0, tooltip=f"spread of the {kind} period", uitype="range",
            range=[0.0, LARGE], uilabel=f"{title} Buying Frequency Standard Deviation",
            doc=f"Spread (standard deviation, time steps, 0 or more) of the {kind} period; needed for "
                f"Normal."),
        f"{kind}_buying_end_probability": StateVar(
            "double", default=0.0, uitype="range", range=[0.0, 1.0],
            tooltip=f"chance the {kind} period ends in a step",
            uilabel=f"{title} Buying End Probability",
            doc=f"Chance, 0 to 1, that the {kind} period stops in any one time step, so its length is "
                f"geometric; needed for Binomial."),
        f"{kind}_buying_disruption_probability": StateVar(
            "double", default=0.0, uitype="range", range=[0.0, 1.0],
            tooltip="chance a cycle is disrupted",
            uilabel=f"{title} Buying Disruption Probability",
            doc="Chance, 0 to 1, that one buying cycle is disrupted; needed for FixedWithDisruption."),
        f"{kind}_buying_disruption": StateVar(
            "int", default=-1, uitype="range", range=[0, LARGE_INT],
            tooltip=f"disrupted {kind} length",
            doc=f"Length in time steps (0 or more) of the {kind} period in a disrupted cycle, in place of "
                f"{kind}_buying_val; needed for FixedWithDisruption."),
    }


def _size_var(name: str, default: float, label: str, doc: str) -> StateVar:
    return StateVar("double", default=default, uitype="range", range=[0.0, 1.0], uilabel=label,
                    tooltip=label, doc=doc)


class Storage(Facility):
    """Holds material for a set time, then sells it. It buys any of `in_commods` (ranked by
    `in_commod_prefs`), keeps every batch in processing for `residence_time` steps, moves up to
    `throughput` kg per step from ready to stocks and offers stocks on its one output commodity.
    All four stages together hold at most `max_inv_size`. With `discrete_handling` batches move
    whole, never split or merged; by default they are split to keep material moving. Buying can
    follow active/dormant cycles, random request sizes, a reorder point or a cumulative cap."""

    cpp_name = "cycamore::Storage"
    version = VERSION
    parents = ("cyclus::Facility", "cyclus::toolkit::CommodityProducer")
    all_parents = ("EconomicEntity", "cyclus::Agent", "cyclus::Facility", "cyclus::Ider",
                   "cyclus::StateWrangler", "cyclus::TimeListener", "cyclus::Trader",
                   "cyclus::toolkit::AgentManaged", "cyclus::toolkit::CommodityProducer")

    in_commods = StateVar(["std::vector", "std::string"], tooltip="input commodity",
                          doc="Commodities it buys, one or more.", uilabel="Input Commodities",
                          uitype=["oneormore", "incommodity"])
    in_commod_prefs = StateVar(["std::vector", "double"], default=[], uilabel="Input Commodity Preferences",
                               doc="Preference of each in_commods entry, same order, each positive; higher "
                                   "wins. Empty: 1 for all.", range=[None, [NEAR_ZERO, LARGE]],
                               uitype=["oneormore", "range"])
    out_commods = StateVar(["std::vector", "std::string"], tooltip="output commodity",
                           doc="The commodity it sells everything on; give exactly one.",
                           uilabel="Output Commodities", uitype=["oneormore", "outcommodity"])
    in_recipe = StateVar("std::string", default="", tooltip="input recipe", uilabel="Input Recipe",
                         doc="Recipe of the requested material. Empty: any composition will do.",
                         uitype="inrecipe")
    residence_time = StateVar("int", default=0, tooltip="residence time (timesteps)", units="time steps",
                              doc="Time steps a batch stays in processing before it may be sold; 0 lets "
                                  "it through in the step it arrives.",
                              uilabel="Residence Time", uitype="range", range=[0, 12000])
    throughput = StateVar("double", default=LARGE, tooltip="kg moved per step", units="kg",
                          doc="Most it moves from ready to stocks per time step (kg); it also caps each "
                              "step's purchases. Default: no limit.",
                          uilabel="Throughput", uitype="range", range=[0.0, LARGE])
    max_inv_size = StateVar("double", default=LARGE, tooltip="storage limit (kg)", units="kg",
                            doc="Most it holds in all stages together, incoming to stocks (kg). Default: "
                                "no limit.",
                            uilabel="Maximum Inventory Size", uitype="range", range=[0.0, LARGE])
    discrete_handling = StateVar("bool", default=False, tooltip="whole batches only", uilabel="Batch Handling",
                                 doc="True: batches move from ready to stocks whole, never split or merged. "
                                     "False (default): a batch is split when only part of it fits the "
                                     "throughput. Trading is the same either way.")
    package = StateVar("std::string", default="unpackaged", tooltip="Output package", uitype="package",
                       doc="Package type sold material is put in; the default applies none.",
                       uilabel="Package")
    transport_unit = StateVar("std::string", default="unrestricted", tooltip="Output transport unit",
                              doc="Transport unit that limits how many packages ship together when it sells; "
                                  "the default sets no limit.", uitype="transportunit", uilabel="Transport Unit")
    inventory = Inventory(doc="Bought this step, not yet in processing")
    stocks = Inventory(doc="Offered for sale")
    ready = Inventory(doc="Past its residence time, waiting for throughput")
    entry_times = StateVar(["std::list", "int"], default=[], internal=True,
                           doc="Set by the model: the step each batch in processing arrived.")
    processing = Inventory(doc="Serving its residence time")
    locals().update(_period_vars("active"))
    locals().update(_period_vars("dormant"))
    buying_size_type = StateVar(
        "std::string", default="Fixed", tooltip="request size distribution",
        uitype="combobox", categorical=SIZE_TYPES, uilabel="Buying Size Type",
        doc="How big each request is, as a fraction of the most it could take that step (free space, "
            "capped by throughput). Fixed (default): buying_size_val. Uniform: from buying_size_min to "
            "buying_size_max. Normal: buying_size_mean and buying_size_stddev, clipped to buying_size_min/max "
            "(0 and 1 when not given).")
    buying_size_val = _size_var("buying_size_val", 1.0, "Buying Size Value",
                                "Request size for Fixed, as a fraction from 0 to 1 of the most it could "
                                "take; 1 (default) asks for all of it.")
    buying_size_min = _size_var("buying_size_min", -1.0, "Buying Size Minimum",
                                "Smallest request fraction: needed for Uniform; for Normal, draws are "
                                "clipped to it.")
    buying_size_max = _size_var("buying_size_max", -1.0, "Buying Size Maximum",
                                "Largest request fraction: needed for Uniform; for Normal, draws are "
                                "clipped to it.")
    buying_size_mean = _size_var("buying_size_mean", -1.0, "Buying Size Mean",
                                 "Average request fraction; needed for Normal.")
    buying_size_stddev = _size_var("buying_size_stddev", -1.0, "Buying Size Standard Deviation",
                                   "Spread (standard deviation) of the request fraction; needed for "
                                   "Normal.")
    reorder_point = StateVar("double", default=-1.0, tooltip="Reorder point", uilabel="Reorder Point",
                             doc="It buys only while it holds this much or less (kg), below max_inv_size. "
                                 "With reorder_quantity: an (R,Q) policy; alone: an (s,S) policy that "
                                 "refills to max_inv_size. Negative (default): off.")
    reorder_quantity = StateVar("double", default=-1.0, tooltip="(R,Q) order size",
                                uilabel="Reorder Quantity",
                                doc="With reorder_point: the exact amount (kg) of each order, taken whole or "
                                    "not at all. The two together may not exceed max_inv_size.")
    cumulative_cap = StateVar("double", default=-1.0, uilabel="Cumulative Cap",
                              tooltip="most bought per cycle (kg)",
                              doc="Once it has bought this much (kg) in a cycle it goes dormant for a period "
                                  "drawn from the dormant_buying_* variables; near the cap, requests shrink "
                                  "to what is left. 0 or less (default): off.")
    sell_quantity = StateVar("double", default=0.0, tooltip="sell quantity (kg)", uilabel="Sell Quantity",
                             uitype="range", range=[0.0, LARGE], units="kg",
                             doc="Sells only whole multiples of this (kg); with less in stocks it offers "
                                 "nothing. 0 (default): any amount.")
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
