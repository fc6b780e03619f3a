"""GrowthRegion's build decision: the cheapest whole numbers of prototypes that cover a demand.

Cyclus's BuildingManager solves `min sum(cost_i * n_i)  s.t.  sum(capacity_i * n_i) >= demand,
n_i >= 0 integer` with CBC. The problems are tiny (one variable per buildable prototype), so a
depth-first branch and bound solves them exactly: it builds as many as it can of the most
cost-efficient option first, then backs off, pruning branches that cannot beat the best answer
so far. CBC leaves ties open; here the first cheapest answer found wins (the most of the most
cost-efficient option, the earliest option on equal efficiency), so decisions are
deterministic. A search that needs more than `NODE_LIMIT` nodes (only pathological inputs)
stops there with the best answer found, which always covers the demand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

#: absolute slack on covering the demand, and relative slack when comparing costs
TOLERANCE = 1e-9
#: search nodes after which the best answer found so far is taken
NODE_LIMIT = 200_000


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
    usable: list[int] = []
    seen: set[tuple[float, float]] = set()
    for i, o in enumerate(options):
        if o.capacity <= 0:
            continue
        if o.cost < 0:
            raise ValueError(f"prototype {o.prototype!r} has a negative cost ({o.cost}) for the commodity; "
                             "the cheapest build is unbounded")
        if (o.capacity, o.cost) not in seen:  # an identical later option would never be chosen
            seen.add((o.capacity, o.cost))
            usable.append(i)
    if demand <= TOLERANCE or not usable:
        return counts
    order = sorted(usable, key=lambda i: (options[i].cost / options[i].capacity, i))
    unit = [options[i].cost / options[i].capacity for i in order]
    best_cost = math.inf
    best = counts
    nodes = 0

    def search(k: int, remaining: float, cost: float) -> None:
        nonlocal best_cost, best, nodes
        nodes += 1
        if remaining <= TOLERANCE:
            if cost < best_cost - TOLERANCE * max(1.0, cost):
                best_cost, best = cost, list(counts)
            return
        # covering `remaining` costs at least remaining * (best unit cost among options k..)
        if k == len(order) or nodes > NODE_LIMIT or \
                cost + remaining * unit[k] >= best_cost - TOLERANCE * max(1.0, best_cost):
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
