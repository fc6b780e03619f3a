"""GrowthRegion's build decision: the cheapest whole numbers of prototypes that cover a demand.

Cyclus solves `min sum(cost_i * n_i)  s.t.  sum(capacity_i * n_i) >= demand, n_i >= 0 integer`
with CBC. The problems are tiny (a handful of prototypes), so an exact depth-first search
with cost bounds solves them; among equally cheap answers the first in option order wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

TOLERANCE = 1e-9


@attrs.frozen
class BuildOption:
    """A prototype a builder can build: what it adds to supply and what that costs."""

    prototype: str
    capacity: float
    cost: float


def cheapest_builds(options: Sequence[BuildOption], demand: float) -> list[int]:
    """How many of each option to build so capacity covers `demand` at the least cost."""
    usable = [i for i, o in enumerate(options) if o.capacity > 0]
    counts = [0] * len(options)
    if demand <= 0 or not usable:
        return counts
    best_cost = math.inf
    best: list[int] | None = None
    # the cheapest cost per unit of capacity bounds what covering the rest can cost
    unit = min(options[i].cost / options[i].capacity for i in usable)

    def search(k: int, remaining: float, cost: float, chosen: list[int]) -> None:
        nonlocal best_cost, best
        if remaining <= TOLERANCE:
            if cost < best_cost - TOLERANCE:
                best_cost, best = cost, chosen + [0] * (len(usable) - len(chosen))
            return
        if k == len(usable) or cost + remaining * unit >= best_cost - TOLERANCE:
            return
        opt = options[usable[k]]
        for n in range(math.ceil(remaining / opt.capacity - TOLERANCE), -1, -1):
            search(k + 1, remaining - n * opt.capacity, cost + n * opt.cost, [*chosen, n])

    search(0, demand, 0.0, [])
    if best is not None:
        for i, n in zip(usable, best, strict=True):
            counts[i] = n
    return counts
