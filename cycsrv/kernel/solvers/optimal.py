"""Cyclus's optimisation solver (ProgSolver) on HiGHS: build the program, solve, read the trades."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cycsrv.kernel.exchange import Bid, BidPortfolio, Request, RequestPortfolio
from cycsrv.kernel.solvers.highs import HighsOptions, HighsSolver, log
from cycsrv.kernel.solvers.program import Prefs, Program, build_program
from cycsrv.kernel.solvers.split import split_program

if TYPE_CHECKING:
    from cycsrv.kernel.context import Context

Match = tuple[Request, Bid, float]


class OptimalSolver:
    """Matches an exchange by minimising cost (1/preference per unit) plus unmet demand."""

    def __init__(self, options: HighsOptions, exclusive_orders: bool = True) -> None:
        self.exclusive_orders = exclusive_orders
        self.highs = HighsSolver(options)
        self.build_seconds = 0.0  # translating exchanges into programs (benchmarks read it)
        self.closed_form_arcs = 0  # arcs solved without HiGHS (split_program)
        self.arcs = 0

    def __call__(self, ctx: Context, req_ports: Sequence[RequestPortfolio],
                 bid_ports: Sequence[BidPortfolio], prefs: Prefs) -> list[Match]:
        """Trades in arc order (as Cyclus's ProgTranslator::FromProg reads them back)."""
        t0 = time.perf_counter()
        prog = build_program(req_ports, bid_ports, prefs, self.exclusive_orders)
        self.build_seconds += time.perf_counter() - t0
        if not prog.arcs:
            return []
        values = self.solve_program(prog, ctx.time)
        eps = ctx.eps
        matches: list[Match] = []
        for (r, b, unit), x in zip(prog.arcs, values, strict=False):
            flow = x * unit
            if flow > eps:
                matches.append((r, b, flow))
        return matches

    def solve_program(self, prog: Program, step: int) -> list[float]:
        """Column values: the single-arc parts in closed form, the rest by HiGHS. `mps` writes
        and `verbose` describes the whole program, as Cyclus does, whatever is solved where."""
        options = self.highs.options
        if options.mps_dir is not None:
            self.highs.write_mps(prog, step)
        split = split_program(prog)
        rest = split.rest
        closed = len(prog.arcs) - (len(rest.arcs) if rest is not None else 0)
        self.arcs += len(prog.arcs)
        self.closed_form_arcs += closed
        if options.verbose:
            log.info("step %d: %d total variables, %d integer; %d constraints; %d of %d arcs solved "
                     "in closed form", step, prog.num_cols, len(prog.integer_cols), prog.num_rows,
                     closed, len(prog.arcs))
        values = split.values
        if rest is not None:
            for c, x in zip(split.rest_cols, self.highs.solve(rest, step), strict=True):
                values[c] = x
        return values
