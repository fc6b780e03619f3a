"""Cyclus's optimisation solver (ProgSolver) on HiGHS: build the program, solve, read the trades."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cycsrv.kernel.exchange import Bid, BidPortfolio, Request, RequestPortfolio
from cycsrv.kernel.solvers.highs import HighsOptions, HighsSolver
from cycsrv.kernel.solvers.program import Prefs, build_program

if TYPE_CHECKING:
    from cycsrv.kernel.context import Context

Match = tuple[Request, Bid, float]


class OptimalSolver:
    """Matches an exchange by minimising cost (1/preference per unit) plus unmet demand."""

    def __init__(self, options: HighsOptions, exclusive_orders: bool = True) -> None:
        self.exclusive_orders = exclusive_orders
        self.highs = HighsSolver(options)
        self.build_seconds = 0.0  # translating exchanges into programs (benchmarks read it)

    def __call__(self, ctx: Context, req_ports: Sequence[RequestPortfolio],
                 bid_ports: Sequence[BidPortfolio], prefs: Prefs) -> list[Match]:
        """Trades in arc order (as Cyclus's ProgTranslator::FromProg reads them back)."""
        t0 = time.perf_counter()
        prog = build_program(req_ports, bid_ports, prefs, self.exclusive_orders)
        self.build_seconds += time.perf_counter() - t0
        if not prog.arcs:
            return []
        values = self.highs.solve(prog, ctx.time)
        eps = ctx.eps
        matches: list[Match] = []
        for (r, b, unit), x in zip(prog.arcs, values.tolist(), strict=False):
            flow = x * unit
            if flow > eps:
                matches.append((r, b, flow))
        return matches
