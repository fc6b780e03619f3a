"""Closed-form parts of exchange programs (`solvers.split`) and HiGHS's answers kept within bounds.

Random exchanges in Cyclus's formulation are solved whole by HiGHS and split (single-arc parts
in closed form, the rest by HiGHS): the split answer is feasible and as cheap, and an arc
solved in closed form has the amount HiGHS gives it.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from portfolios import Offer, Trader

from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, RequestPortfolio
from cycsrv.kernel.solvers.highs import HighsOptions, HighsSolver
from cycsrv.kernel.solvers.optimal import OptimalSolver
from cycsrv.kernel.solvers.program import Program, build_program
from cycsrv.kernel.solvers.split import split_program

QTYS = (0.5, 5.0, 10.0, 12.5, 30.0, 1e12)
PREFS = (0.5, 1.0, 1.1, 2.0, 3.0)


@st.composite
def exchanges(draw) -> tuple[list[RequestPortfolio], list[BidPortfolio]]:
    """A few requesters (some requests exclusive) and suppliers bidding on some of their requests."""
    reqs = []
    ports = []
    for i in range(draw(st.integers(1, 4))):
        rp = RequestPortfolio()
        trader = Trader(i)
        for _ in range(draw(st.integers(1, 3))):
            reqs.append(rp.add_request(Offer(draw(st.sampled_from(QTYS))), trader, "X",
                                       preference=draw(st.sampled_from(PREFS)), exclusive=draw(st.booleans())))
        ports.append(rp)
    bid_ports = []
    for k in range(draw(st.integers(1, 4))):
        bp = BidPortfolio()
        bidder = Trader(100 + k)
        for r in draw(st.lists(st.sampled_from(reqs), min_size=1, max_size=4, unique_by=id)):
            bp.add_bid(r, Offer(draw(st.sampled_from(QTYS))), bidder, exclusive=draw(st.booleans()))
        if draw(st.booleans()):
            bp.add_constraint(CapacityConstraint(draw(st.sampled_from((*QTYS, 1e100)))))
        bid_ports.append(bp)
    return ports, bid_ports


def objective(prog: Program, values: list[float]) -> float:
    return sum(c * x for c, x in zip(prog.cost, values, strict=True))


def violation(prog: Program, values: list[float]) -> float:
    """The largest relative amount by which `values` breaks a bound of the program."""
    worst = 0.0
    ends = [*prog.row_starts[1:], len(prog.row_index)]
    for i in range(prog.num_rows):
        act = sum(prog.row_value[k] * values[prog.row_index[k]] for k in range(prog.row_starts[i], ends[i]))
        lo, hi = prog.row_lower[i], prog.row_upper[i]
        worst = max(worst, (lo - act) / max(1.0, abs(lo)), (act - hi) / max(1.0, abs(hi)))
    for x, lo, hi in zip(values, prog.col_lower, prog.col_upper, strict=True):
        worst = max(worst, lo - x, (x - hi) / max(1.0, abs(hi)))
    return worst


@settings(max_examples=150, deadline=None)
@given(exchanges())
def test_split_answers_are_feasible_optimal_and_agree_with_highs_on_the_arcs_they_solve(exchange):
    req_ports, bid_ports = exchange
    prog = build_program(req_ports, bid_ports, {}, exclusive_orders=True)
    whole = HighsSolver(HighsOptions()).solve(prog, 0)
    split = OptimalSolver(HighsOptions()).solve_program(prog, 0)
    assert violation(prog, split) <= 1e-7
    # HiGHS stops branch and bound within a relative gap of 1e-4; LPs are solved to optimality
    gap = 1e-4 if prog.integer_cols else 1e-9
    assert objective(prog, split) <= objective(prog, whole) + gap * max(1.0, abs(objective(prog, whole)))
    closed = split_program(prog).values
    for j in range(len(prog.arcs)):
        if not math.isnan(closed[j]):
            assert math.isclose(closed[j], whole[j], rel_tol=1e-6, abs_tol=1e-6), (j, closed[j], whole[j])


def _pair(requested: float, capacity: float, aid: int) -> tuple[RequestPortfolio, BidPortfolio]:
    rp = RequestPortfolio()
    r = rp.add_request(Offer(requested), Trader(aid), "X")
    rp.add_constraint(CapacityConstraint(requested))
    bp = BidPortfolio()
    bp.add_bid(r, Offer(min(requested, capacity)), Trader(aid + 1))
    bp.add_constraint(CapacityConstraint(capacity))
    return rp, bp


def test_highs_never_gives_a_supplier_more_to_send_than_its_capacity():
    # minimal_cycle at step 40: 2**40 kg requested of a 0.1285 kg supplier, and the reverse;
    # HiGHS's own answer for the first arc is 0.12854, within its scaled tolerance but above capacity
    small = 0.95**40
    (r1, b1), (r2, b2) = _pair(2.0**40, small, 0), _pair(small, 2.0**40, 10)
    prog = build_program([r1, r2], [b1, b2], {}, exclusive_orders=True)
    values = HighsSolver(HighsOptions()).solve(prog, 40)
    assert values[0] <= small and math.isclose(values[0], small, rel_tol=1e-12)
    assert math.isclose(values[1], small, rel_tol=1e-12)


def test_a_tie_is_left_to_highs_and_a_clear_optimum_is_solved_in_closed_form():
    rp = RequestPortfolio()
    r = rp.add_request(Offer(10.0), Trader(0), "X")
    bp = BidPortfolio()
    bp.add_bid(r, Offer(10.0), Trader(1))
    bp.add_constraint(CapacityConstraint(4.0))
    split = split_program(build_program([rp], [bp], {}, exclusive_orders=True))
    assert split.rest is None and split.values == [4.0, 6.0]  # 4 kg traded, 6 kg unmet
    # two suppliers for one request share its row: HiGHS decides between them
    bp2 = BidPortfolio()
    bp2.add_bid(r, Offer(10.0), Trader(2))
    split = split_program(build_program([rp], [bp, bp2], {}, exclusive_orders=True))
    assert split.rest is not None and len(split.rest.arcs) == 2
