"""The exchange as a linear (or mixed-integer) program, in Cyclus's formulation.

Columns: one per arc (request <- bid) in arc order (bid portfolios in trader order, bids in
portfolio order), then one unmet-demand ("faux") column per request portfolio that has arcs.
Rows: every supply group's capacity constraints (0 <= row <= capacity), then every request
group's (row + faux >= capacity, the portfolio quantity being the last constraint), each group
followed by its exclusivity rows when exclusive orders are allowed. Request groups come in the
order Cyclus's greedy preconditioner leaves them (the optimiser runs a greedy pass first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

from cycsrv.kernel.exchange import Bid, BidPortfolio, Request, RequestPortfolio, float_distance

#: Cyclus caps request-row lower bounds here ("the largest value that doesn't make the solver fall over").
ROW_BOUND_CAP = 1e15
#: Unmet demand costs this much more than the dearest arc (ExchangeSolver::PseudoCost).
PSEUDO_COST_FACTOR = 0.1
#: Exclusive quantities match within this many representable doubles (cyc_limits float_ulp_eq).
FLOAT_ULP_EQ = 2
INF = math.inf

Prefs = dict[Request, dict[Bid, float]]


class PreferenceError(ValueError):
    """A preference the optimiser cannot turn into a cost."""


@attrs.define
class Program:
    """Columns and CSR rows (plain lists; `HighsSolver` turns them into arrays for `addCols`/`addRows`),
    and what each arc column stands for."""

    cost: list[float]
    col_lower: list[float]
    col_upper: list[float]
    integer_cols: list[int]
    row_lower: list[float]
    row_upper: list[float]
    row_starts: list[int]
    row_index: list[int]
    row_value: list[float]
    #: (request, bid, amount per unit of column value: excl_val for binary columns, else 1.0)
    arcs: list[tuple[Request, Bid, float]]
    pseudo_cost: float

    @property
    def num_cols(self) -> int:
        return len(self.cost)

    @property
    def num_rows(self) -> int:
        return len(self.row_lower)


def check_pref(pref: float) -> None:
    """Cyclus's ProgTranslator refuses a non-positive preference (cost 1/pref)."""
    if not pref > 0:
        raise PreferenceError(
            f"preference value found to be nonpositive ({pref}); preferences must be positive when "
            "using an optimization solver (<coin-or>)")


def exclusive_value(req_qty: float, req_excl: bool, bid_qty: float, bid_excl: bool) -> float:
    """The only amount an exclusive arc can carry (Cyclus's Arc::excl_val; 0 when none fits)."""
    if req_excl and bid_excl:
        return req_qty if float_distance(req_qty, bid_qty) <= FLOAT_ULP_EQ else 0.0
    if req_excl:  # the bid must cover the whole request
        return req_qty if bid_qty >= req_qty or float_distance(req_qty, bid_qty) <= FLOAT_ULP_EQ else 0.0
    return bid_qty if bid_qty <= req_qty or float_distance(req_qty, bid_qty) <= FLOAT_ULP_EQ else 0.0


def arc_pref(b: Bid, prefs: Prefs) -> float:
    """The (adjusted) preference of the arc for bid `b`, as the greedy path reads it."""
    rp_map = prefs.get(b.request)
    if rp_map is not None:
        return rp_map[b]
    pref = b.preference
    return b.request.preference if pref != pref else pref


class _Rows:
    """Rows accumulated in CSR form."""

    __slots__ = ("index", "lower", "starts", "upper", "value")

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.starts: list[int] = []
        self.index: list[int] = []
        self.value: list[float] = []

    def add(self, lower: float, upper: float, index: list[int], value: list[float]) -> None:
        self.lower.append(lower)
        self.upper.append(upper)
        self.starts.append(len(self.index))
        self.index.extend(index)
        self.value.extend(value)


def _pseudo_term(cost: float, exclusive: bool, excl: float) -> float:
    """An arc's say in the pseudo cost: its cost, without the exclusive factor when that is below 1."""
    if exclusive and excl < 1:
        if excl == 0:
            return math.inf if cost > 0 else math.nan
        return cost / excl
    return cost


def _group_weight(rp: RequestPortfolio, node_prefs: dict[Request, list[float]]) -> float:
    """GreedyPreconditioner's group weight: mean over requests of 1 + p/(1+p), p the mean arc pref."""
    reqs = rp.requests
    if not reqs:
        return 0.0
    total = 0.0
    for r in reqs:
        ps = node_prefs.get(r)
        p = sum(ps) / len(ps) if ps else 0.0
        total += 1.0 + p / (1.0 + p)
    return total / len(reqs)


def build_program(req_ports: Sequence[RequestPortfolio], bid_ports: Sequence[BidPortfolio],
                  prefs: Prefs, exclusive_orders: bool) -> Program:
    """Translate one exchange into Cyclus's program (see the module docstring)."""
    arcs: list[tuple[Request, Bid, float]] = []
    cost: list[float] = []
    col_upper: list[float] = []
    integer_cols: list[int] = []
    #: per request: its arcs as (column, offer scale) where scale multiplies every coefficient
    req_arcs: dict[Request, list[tuple[int, Bid, float]]] = {}
    node_prefs: dict[Request, list[float]] = {}
    rows = _Rows()
    max_cost = 0.0

    for bp in bid_ports:
        bids = bp.bids
        if not bids:
            continue
        mine: list[tuple[int, Bid, float]] = []
        excl_groups: dict[int, list[int]] = {}
        for b in bids:
            pref = arc_pref(b, prefs)
            if pref < 0:
                continue  # a refused bid makes no arc
            if pref == 0:
                raise PreferenceError("0-valued preferences have been deprecated; use a negative "
                                      "preference to refuse a bid")
            check_pref(pref)
            r = b.request
            req_qty = r.target.qty
            bid_qty = b.offer.qty
            exclusive = r.exclusive or b.exclusive
            j = len(arcs)
            excl = exclusive_value(req_qty, r.exclusive, bid_qty, b.exclusive) if exclusive else 0.0
            c = excl / pref if exclusive and exclusive_orders else 1.0 / pref
            term = _pseudo_term(c, exclusive, excl)
            if term > max_cost:  # NaN (a zero-cost unmatchable arc) never wins, as in std::max
                max_cost = term
            if exclusive and exclusive_orders:
                arcs.append((r, b, excl))
                cost.append(c)
                col_upper.append(1.0)
                integer_cols.append(j)
                scale = excl
                if b.exclusive:
                    excl_groups.setdefault(id(b.offer), []).append(j)
            else:
                arcs.append((r, b, 1.0))
                cost.append(c)
                col_upper.append(req_qty)
                scale = 1.0
            mine.append((j, b, scale))
            req_arcs.setdefault(r, []).append((j, b, scale))
            node_prefs.setdefault(r, []).append(pref)
        if not mine:
            continue
        cols = [j for j, _, _ in mine]
        for con in bp.constraints:
            if con.converter is None:
                vals = [s for _, _, s in mine]
            else:
                vals = [s * con.unit_capacity(b.offer) for _, b, s in mine]
            rows.add(0.0, con.capacity, cols, vals)
        for cols in excl_groups.values():
            rows.add(0.0, 1.0, cols, [1.0] * len(cols))

    pseudo_cost = max_cost * (1.0 + PSEUDO_COST_FACTOR)
    n_arcs = len(arcs)
    faux = n_arcs
    groups = [rp for rp in req_ports if any(r in req_arcs for r in rp.requests)]
    weights = {id(rp): _group_weight(rp, node_prefs) for rp in groups}
    groups.sort(key=lambda rp: -weights[id(rp)])  # stable: ties keep portfolio order
    for rp in groups:
        members = [(r, req_arcs[r]) for r in rp.requests if r in req_arcs]
        cols = [j for _, ra in members for j, _, _ in ra]
        cols.append(faux)
        for con in rp.constraints:
            if con.converter is None:
                vals = [s for _, ra in members for _, _, s in ra]
            else:
                vals = [s * con.unit_capacity(b.offer) for _, ra in members for _, b, s in ra]
            vals.append(1.0)
            rows.add(min(con.capacity, ROW_BOUND_CAP), INF, cols, vals)
        coeffs = rp.coeffs
        vals = [s * coeffs[r] for r, ra in members for _, _, s in ra]
        vals.append(1.0)
        rows.add(min(rp.qty, ROW_BOUND_CAP), INF, cols, vals)
        if exclusive_orders:
            for r, ra in members:
                if r.exclusive:
                    rows.add(0.0, 1.0, [j for j, _, _ in ra], [1.0] * len(ra))
        faux += 1

    n_faux = faux - n_arcs
    cost.extend([pseudo_cost] * n_faux)
    col_upper.extend([INF] * n_faux)
    return Program(
        cost=cost,
        col_lower=[0.0] * len(cost),
        col_upper=col_upper,
        integer_cols=integer_cols,
        row_lower=rows.lower,
        row_upper=rows.upper,
        row_starts=rows.starts,
        row_index=rows.index,
        row_value=rows.value,
        arcs=arcs,
        pseudo_cost=pseudo_cost,
    )
