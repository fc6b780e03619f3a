"""Solve a `Program` with HiGHS (through highspy), the model built with array calls.

Options follow Cyclus's `<coin-or>`: a time limit, a verbose log (HiGHS's own log lines go to
the `cycsrv.solver` logger) and writing the problem as MPS before solving.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import attrs
import highspy
import numpy as np

from cycsrv.kernel.solvers.program import Program

log = logging.getLogger("cycsrv.solver")

#: Cyclus's ProgSolver::kDefaultTimeout, used when `<timeout>` is absent or not positive.
DEFAULT_TIMEOUT = 300.0

#: How LPs and MILPs are solved. Exchange LPs are small and very degenerate: primal simplex from
#: the slack basis, without presolve, is quickest for them and picks the vertex Cbc/Clp picks on
#: the reference inputs; HiGHS's branch and bound needs its presolve (10-30x slower without).
LP_SETTINGS: dict[str, object] = {"presolve": "off", "simplex_strategy": 4}
MIP_SETTINGS: dict[str, object] = {"presolve": "choose", "simplex_strategy": 1}

#: Equal-cost optima are broken in favour of earlier arcs (bid portfolios in trader order, bids
#: in portfolio order): arc j of n costs (1 + TIE_BREAK * (j + 1) / n) times its own cost. On
#: generated contended exchanges this picks Cyclus's (Clp/Cbc) vertex more often than HiGHS's own
#: choice (docs/solver.md); costs closer than this, relative, count as equal.
TIE_BREAK = 1e-6

_Status = highspy.HighsModelStatus
_FEASIBLE = 2  # HiGHS solution status kSolutionStatusFeasible


class SolverError(RuntimeError):
    """HiGHS gave no usable solution for an exchange."""


@attrs.define
class HighsOptions:
    """What `<coin-or>` asks of the solver."""

    timeout: float = DEFAULT_TIMEOUT
    verbose: bool = False
    mps_dir: Path | None = None  # write `exchng_<time>.mps` here when set


@attrs.define
class SolveStats:
    """Time spent in HiGHS (model building and solving), summed over a run."""

    calls: int = 0
    seconds: float = 0.0


def _log_line(_type: object, message: str, *_args: object) -> None:
    line = message.rstrip("\n")
    if line:
        log.info("%s", line)


class HighsSolver:
    """One HiGHS instance reused for every exchange of a run (cleared between solves)."""

    def __init__(self, options: HighsOptions) -> None:
        self.options = options
        self.stats = SolveStats()
        # highspy.Highs() prints a banner on construction; the bare class does not.
        h = self._h = highspy._Highs()
        h.setOptionValue("output_flag", options.verbose)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", float(options.timeout))
        self._settings: dict[str, object] | None = None
        if options.verbose:
            h.setCallback(_log_line, None)
            h.startCallback(highspy.cb.HighsCallbackType.kCallbackLogging)

    def _load(self, prog: Program, tie_break: bool = False) -> int:
        """Replace the model with `prog` (two array calls and the integrality); its integer count."""
        h = self._h
        h.clearModel()
        f64, i32 = np.float64, np.int32
        empty_i = np.empty(0, dtype=i32)
        cost = np.array(prog.cost, dtype=f64)
        n_arcs = len(prog.arcs)
        if tie_break and n_arcs:
            cost[:n_arcs] *= 1.0 + TIE_BREAK * np.arange(1, n_arcs + 1) / n_arcs
        h.addCols(prog.num_cols, cost, np.array(prog.col_lower, dtype=f64),
                  np.array(prog.col_upper, dtype=f64), 0, empty_i, empty_i, np.empty(0))
        if prog.num_rows:
            h.addRows(prog.num_rows, np.array(prog.row_lower, dtype=f64), np.array(prog.row_upper, dtype=f64),
                      len(prog.row_index), np.array(prog.row_starts, dtype=i32),
                      np.array(prog.row_index, dtype=i32), np.array(prog.row_value, dtype=f64))
        ints = np.array(prog.integer_cols, dtype=i32)
        if len(ints):
            h.changeColsIntegrality(len(ints), ints, np.ones(len(ints), dtype=np.uint8))
        return len(ints)

    def write_mps(self, prog: Program, step: int) -> None:
        """Write `prog` as `exchng_<step>.mps` in the MPS directory (Cyclus's name for it)."""
        assert self.options.mps_dir is not None
        self._load(prog)
        self._h.writeModel(str(self.options.mps_dir / f"exchng_{step}.mps"))

    def solve(self, prog: Program, step: int) -> list[float]:
        """Column values of an optimal (or, at the time limit, best feasible) solution, within the
        program's bounds (see `within_bounds`)."""
        start = time.perf_counter()
        h = self._h
        n_ints = self._load(prog, tie_break=True)
        settings = MIP_SETTINGS if n_ints else LP_SETTINGS
        if settings is not self._settings:
            for name, value in settings.items():
                h.setOptionValue(name, value)
            self._settings = settings
        h.run()
        status = h.getModelStatus()
        if status == _Status.kOptimal:
            values = list(h.getSolution().col_value)
        elif status == _Status.kTimeLimit and h.getInfo().primal_solution_status == _FEASIBLE:
            log.warning("step %d: the exchange hit the %g s solver time limit; using the best "
                        "feasible solution found", step, self.options.timeout)
            values = list(h.getSolution().col_value)
        elif status == _Status.kTimeLimit:
            raise SolverError(f"step {step}: the exchange found no feasible solution within the "
                              f"{self.options.timeout:g} s solver time limit (<coin-or><timeout>)")
        else:
            raise SolverError(f"step {step}: HiGHS could not solve the exchange: "
                              f"{h.modelStatusToString(status)}")
        for j in prog.integer_cols:
            values[j] = float(round(values[j]))
        within_bounds(prog, values)
        self.stats.calls += 1
        self.stats.seconds += time.perf_counter() - start
        return values


def within_bounds(prog: Program, values: list[float]) -> None:
    """Move HiGHS's values onto the program's column bounds and under its row upper bounds.

    HiGHS meets bounds within tolerances of the scaled problem: with a 1e12 kg request beside
    a 0.13 kg capacity it can answer 0.13 + 3e-5, more than the supplier has. Columns are
    clipped to their bounds; a row above its upper bound has its continuous columns scaled
    down onto it (which only lowers the other rows they are in, all coefficients being >= 0).
    """
    for j, x in enumerate(values):
        lo, hi = prog.col_lower[j], prog.col_upper[j]
        if x < lo:
            values[j] = lo
        elif x > hi:
            values[j] = hi
    binary = set(prog.integer_cols)
    idx, val, starts = prog.row_index, prog.row_value, prog.row_starts
    for i, upper in enumerate(prog.row_upper):
        if upper == math.inf:
            continue
        entries = range(starts[i], starts[i + 1] if i + 1 < len(starts) else len(idx))
        if any(val[k] < 0 for k in entries):
            continue  # scaling down would not lower this row
        fixed = sum(val[k] * values[idx[k]] for k in entries if idx[k] in binary)
        free = sum(val[k] * values[idx[k]] for k in entries if idx[k] not in binary)
        if fixed + free > upper and free > 0 and upper >= fixed:
            factor = (upper - fixed) / free
            for k in entries:
                if idx[k] not in binary:
                    values[idx[k]] *= factor
