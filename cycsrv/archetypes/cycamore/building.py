"""GrowthRegion's build decision: the cheapest whole numbers of prototypes that cover a demand.

Cyclus's BuildingManager solves `min sum(cost_i * n_i)  s.t.  sum(capacity_i * n_i) >= demand,
n_i >= 0 integer` with CBC. The problems are tiny (one variable per buildable prototype), so a
depth-first branch and bound solves them exactly. CBC leaves ties open; here, among equally
cheap answers, the one building the most of the earliest option (in builder id, then
prototype-list order) wins, so decisions are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

#: absolute slack on covering the demand, and relative slack when comparing costs
TOLERANCE = 1e-9


@attrs.frozen
class BuildOption:
    """A prototype a builder can build: what one more of it adds to supply and what that costs."""

    prototype: str
    capacity: float
    cost: float


def cheapest_builds(options: Sequence[BuildOption], demand: float) -> list[int]:
    """How many of each option to build so total capacity covers `demand` at the least total cost.

    Options with no capacity are never built; a negative cost is refused (the program would
    be unbounded). Returns one count per option, all zero when `demand <= 0`.
    """
    counts = [0] * len(options)
    usable = [i for i, o in enumerate(options) if o.capacity > 0]
    for i in usable:
        if options[i].cost < 0:
            raise ValueError(f"prototype {options[i].prototype!r} has a negative cost ({options[i].cost}) "
                             "for the commodity; the cheapest build is unbounded")
    if demand <= TOLERANCE or not usable:
        return counts
    # search the most cost-efficient options first: good answers early, tight bounds after
    order = sorted(usable, key=lambda i: (options[i].cost / options[i].capacity, i))
    unit = [options[i].cost / options[i].capacity for i in order]
    best_cost = math.inf
    best: list[int] = counts

    def consider(cost: float) -> None:
        nonlocal best_cost, best
        slack = TOLERANCE * max(1.0, abs(best_cost)) if best_cost < math.inf else 0.0
        if cost < best_cost - slack or (cost <= best_cost + slack and counts > best):
            best_cost, best = cost, list(counts)

    def search(k: int, remaining: float, cost: float) -> None:
        if remaining <= TOLERANCE:
            consider(cost)
            return
        if k == len(order):
            return
        # covering `remaining` costs at least remaining * (best unit cost among options k..)
        if best_cost < math.inf and cost + remaining * unit[k] > best_cost + TOLERANCE * max(1.0, best_cost):
            return
        i = order[k]
        opt = options[i]
        most = max(0, math.ceil(remaining / opt.capacity - TOLERANCE))
        if k == len(order) - 1:  # the last option must cover the rest on its own
            counts[i] = most
            search(k + 1, remaining - most * opt.capacity, cost + most * opt.cost)
        else:
            for n in range(most, -1, -1):
                counts[i] = n
                search(k + 1, remaining - n * opt.capacity, cost + n * opt.cost)
        counts[i] = 0

    search(0, demand, 0.0)
    return best
