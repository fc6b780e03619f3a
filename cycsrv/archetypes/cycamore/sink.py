"""cycamore:Sink: requests its commodities up to a per-step capacity, optionally at random sizes/times."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.common import (
    FACILITY_ALL_PARENTS,
    FACILITY_PARENTS,
    LARGE,
    LARGE_INT,
    VERSION,
    latitude_var,
    longitude_var,
    record_position,
    record_time_series,
)
from cycsrv.archetypes.cycamore.source import check_recipe
from cycsrv.kernel import random
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.exchange import DEFAULT_PREF, RequestPortfolio, Trade
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar

NEAR_ZERO = 1e-8
SIZE_TYPES = ("None", "UniformReal", "UniformInt", "NormalReal", "NormalInt")
FREQUENCY_TYPES = ("None", "UniformInt", "NormalInt")


def check_prefs(agent: Facility, commods: list[str], prefs: list[float], names: tuple[str, str]) -> list[float]:
    """Preferences per commodity: all 1.0 when none are given, else one positive value each."""
    if not prefs:
        return [DEFAULT_PREF] * len(commods)
    if len(prefs) != len(commods):
        raise ValueError(f"{agent.prototype} (id {agent.id}): {names[1]} has {len(prefs)} values, expected "
                         f"{len(commods)} (one per entry of {names[0]})")
    for p in prefs:
        if not NEAR_ZERO <= p <= LARGE:
            raise ValueError(f"{agent.prototype} (id {agent.id}): {names[1]} value {p} is outside the allowed "
                             f"range [{NEAR_ZERO}, {LARGE}]")
    return list(prefs)


def check_choice(agent: Facility, name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{agent.prototype} (id {agent.id}): {name} {value!r} is not one of "
                         f"{', '.join(allowed)}")


class Sink(Facility):
    """Takes material off the market and keeps it. Each time step it requests every one of
    `in_commods` (one shared amount, ranked by `in_commod_prefs`), at most `capacity` and never
    more than its free inventory space; neither limit is set by default. With `recipe_name` it asks
    for that composition. Request sizes and timing can be drawn at random (the random_* variables)."""

    cpp_name = "cycamore::Sink"
    version = VERSION
    parents = FACILITY_PARENTS
    all_parents = FACILITY_ALL_PARENTS

    latitude = latitude_var()
    longitude = longitude_var()
    in_commods = StateVar(["std::vector", "std::string"], tooltip="input commodities",
                          doc="Commodities it requests, one or more; a trade on any of them counts "
                              "against the same amount.", uilabel="Input Commodities",
                          uitype=["oneormore", "incommodity"])
    in_commod_prefs = StateVar(["std::vector", "double"], default=[], uilabel="Input Commodity Preferences",
                               doc="Preference of each in_commods entry, same order, each positive; higher "
                                   "wins. Empty: 1 for all.", range=[None, [NEAR_ZERO, LARGE]],
                               uitype=["oneormore", "range"])
    recipe_name = StateVar("std::string", default="", tooltip="requested composition", uilabel="Input Recipe",
                           doc="Recipe of the requested material. Empty (default): any composition will "
                               "do.", uitype="inrecipe")
    max_inv_size = StateVar("double", default=LARGE, tooltip="storage limit",
                            uilabel="Maximum Inventory", uitype="range", range=[0.0, LARGE],
                            doc="Most it ever holds (kg); nothing leaves a sink, so this caps its lifetime "
                                "intake. Default: no limit.")
    capacity = StateVar("double", default=LARGE, tooltip="sink capacity", uilabel="Maximum Throughput",
                        uitype="range", range=[0.0, LARGE],
                        doc="Most it takes in one time step over all its commodities (kg). Default: no "
                            "limit.")
    inventory = Inventory(capacity="max_inv_size", resource="cyclus::Resource", doc="Everything received")
    random_size_type = StateVar("std::string", default="None", uitype="combobox", uilabel="Random Size",
                                tooltip="random request size",
                                categorical=list(SIZE_TYPES),
                                doc="How each request's size is drawn from the amount it could take. None "
                                    "(default): all of it. UniformReal: uniform between 0 and all of it. "
                                    "NormalReal: normal, from random_size_mean and random_size_stddev, "
                                    "kept between 0 and all of it. UniformInt and NormalInt are accepted but "
                                    "ask for all of it, as in Cycamore.")
    random_size_mean = StateVar("double", default=1.0, uilabel="Random Size Mean", uitype="range",
                                tooltip="mean, as a fraction of space", range=[0.0, LARGE],
                                doc="For NormalReal: the average request as a fraction of the amount it could "
                                    "take (default 1). Well above 1 with a small spread, most draws fall "
                                    "above the upper bound and are redrawn, which is slow.")
    random_size_stddev = StateVar("double", default=0.1, uilabel="Random Size Std Dev", uitype="range",
                                  tooltip="spread, as a fraction of space",
                                  range=[0.0, LARGE],
                                  doc="For NormalReal: the spread (standard deviation) of the request as a "
                                      "fraction of the amount it could take (default 0.1).")
    random_frequency_type = StateVar("std::string", default="None", uitype="combobox", uilabel="Random Timing",
                                     tooltip="random request timing",
                                     categorical=list(FREQUENCY_TYPES),
                                     doc="When it requests. None (default): every time step. UniformInt: the gap "
                                         "to the next request is drawn between random_frequency_min and "
                                         "random_frequency_max. NormalInt: drawn from random_frequency_mean and "
                                         "random_frequency_stddev, kept within min and max. Between requests it "
                                         "asks for nothing.")
    random_frequency_mean = StateVar("double", default=1.0, tooltip="mean gap (steps)",
                                     uilabel="Random Frequency Mean", uitype="range", range=[0.0, LARGE],
                                     doc="For NormalInt: the average gap between requests in time steps "
                                         "(default 1).")
    random_frequency_stddev = StateVar("double", default=1.0, tooltip="gap spread (steps)",
                                       uilabel="Random Frequency Std Dev", uitype="range", range=[0.0, LARGE],
                                       doc="For NormalInt: the spread (standard deviation) of the gap in time "
                                           "steps (default 1).")
    random_frequency_min = StateVar("int", default=1, tooltip="shortest gap (steps)",
                                    uilabel="Random Frequency Lower Bound", uitype="range", range=[1, LARGE_INT],
                                    doc="Shortest gap between requests in time steps, for UniformInt and "
                                        "NormalInt (default 1).")
    random_frequency_max = StateVar("int", default=LARGE_INT, tooltip="longest gap (steps)",
                                    uilabel="Random Frequency Upper Bound", uitype="range", range=[1, LARGE_INT],
                                    doc="Longest gap between requests in time steps, for UniformInt and "
                                        f"NormalInt (default {LARGE_INT}, no real limit).")
    keep_packaging = StateVar("bool", default=True, tooltip="keep packaging",
                              uilabel="Keep Packaging", uitype="bool",
                              doc="True (default): received material keeps its package type. False: it is "
                                  "unpackaged as it arrives. No effect on unpackaged material.")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.inventory_buf: ResBuf = ResBuf(eps=ctx.eps_rsrc, keep_packaging=True)
        self.request_amt = 0.0
        self.next_buy_time = -1

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"inventory": self.inventory_buf.items()}

    def enter_notify(self) -> None:
        super().enter_notify()
        check_choice(self, "random_size_type", self.random_size_type, SIZE_TYPES)
        check_choice(self, "random_frequency_type", self.random_frequency_type, FREQUENCY_TYPES)
        if self.random_frequency_type != "None" and self.random_frequency_min > self.random_frequency_max:
            raise ValueError(f"{self.prototype} (id {self.id}): random_frequency_min "
                             f"({self.random_frequency_min}) is larger than random_frequency_max "
                             f"({self.random_frequency_max})")
        check_recipe(self, "recipe_name", self.recipe_name)
        self.inventory_buf.capacity = self.max_inv_size
        self.inventory_buf.keep_packaging = self.keep_packaging
        self.in_commod_prefs = check_prefs(self, self.in_commods, self.in_commod_prefs,
                                           ("in_commods", "in_commod_prefs"))
        self.set_request_amt()
        self.set_next_buy_time()
        record_position(self)

    def space_available(self) -> float:
        return min(self.capacity, max(0.0, self.inventory_buf.space()))

    def set_request_amt(self) -> None:
        """This step's request: the free space, or a random part of it.

        The rng is only touched for random draws: the context makes it (importing numpy) on first use.
        """
        amt = self.space_available()
        if self.random_size_type == "UniformReal":
            self.request_amt = random.uniform_real(self.context.rng, 0.0, amt)
        elif self.random_size_type == "NormalReal":
            self.request_amt = random.normal_real(self.context.rng, amt * self.random_size_mean, amt * self.random_size_stddev,
                                                  0.0, amt)
        else:
            self.request_amt = amt

    def set_next_buy_time(self) -> None:
        """When the next request is made (-1: every step)."""
        t = self.context.time
        if self.random_frequency_type == "UniformInt":
            self.next_buy_time = t + random.uniform_int(self.context.rng, self.random_frequency_min,
                                                        self.random_frequency_max)
        elif self.random_frequency_type == "NormalInt":
            self.next_buy_time = t + random.normal_int(self.context.rng, self.random_frequency_mean, self.random_frequency_stddev,
                                                       self.random_frequency_min, self.random_frequency_max)
        else:
            self.next_buy_time = -1

    def tick(self) -> None:
        if self.next_buy_time == -1:
            self.set_request_amt()
        elif self.next_buy_time == self.context.time:
            self.set_request_amt()
            self.set_next_buy_time()
        else:
            self.request_amt = 0.0
        if self.request_amt > self.context.eps:
            for commod in self.in_commods:
                record_time_series(self, "demand" + commod, self.request_amt)

    def get_material_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        if self.request_amt > self.space_available():
            self.set_request_amt()
        amt = self.request_amt
        if self.recipe_name:
            mat = Material.create_untracked(ctx, amt, ctx.get_recipe(self.recipe_name))
        else:
            mat = Material.blank(ctx, amt)
        if not amt > ctx.eps:
            return []
        port = RequestPortfolio()
        reqs = [port.add_request(mat, self, commod, pref)
                for commod, pref in zip(self.in_commods, self.in_commod_prefs, strict=True)]
        port.add_mutual_requests(reqs)
        return [port]

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for _, m in responses:
            self.inventory_buf.push(m)


ARCHETYPE = Sink
