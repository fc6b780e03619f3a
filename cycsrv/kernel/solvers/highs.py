"""Solve a `Program` with HiGHS (through highspy), the model built with array calls.

Options follow Cyclus's `<coin-or>`: a time limit, a verbose log (HiGHS's own log lines go to
the `cycsrv.solver` logger) and writing the problem as MPS before solving.
"""

from __future__ import annotations

import logging
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

    def solve(self, prog: Program, step: int) -> np.ndarray:
        """Column values of an optimal (or, at the time limit, best feasible) solution."""
        start = time.perf_counter()
        h = self._h
        h.clearModel()
        n = prog.num_cols
        empty_i = np.empty(0, dtype=np.int32)
        h.addCols(n, prog.cost, prog.col_lower, prog.col_upper, 0, empty_i, empty_i, np.empty(0))
        if prog.num_rows:
            h.addRows(prog.num_rows, prog.row_lower, prog.row_upper, len(prog.row_index),
                      prog.row_starts, prog.row_index, prog.row_value)
        ints = prog.integer_cols
        if len(ints):
            h.changeColsIntegrality(len(ints), ints, np.ones(len(ints), dtype=np.uint8))
        settings = MIP_SETTINGS if len(ints) else LP_SETTINGS
        if settings is not self._settings:
            for name, value in settings.items():
                h.setOptionValue(name, value)
            self._settings = settings
        if self.options.verbose:
            log.info("step %d: %d total variables, %d integer; %d constraints", step, n, len(ints),
                     prog.num_rows)
        if self.options.mps_dir is not None:
            h.writeModel(str(self.options.mps_dir / f"exchng_{step}.mps"))
        h.run()
        status = h.getModelStatus()
        if status == _Status.kOptimal:
            values = np.array(h.getSolution().col_value)
        elif status == _Status.kTimeLimit and h.getInfo().primal_solution_status == _FEASIBLE:
            log.warning("step %d: the exchange hit the %g s solver time limit; using the best "
                        "feasible solution found", step, self.options.timeout)
            values = np.array(h.getSolution().col_value)
        elif status == _Status.kTimeLimit:
            raise SolverError(f"step {step}: the exchange found no feasible solution within the "
                              f"{self.options.timeout:g} s solver time limit (<coin-or><timeout>)")
        else:
            raise SolverError(f"step {step}: HiGHS could not solve the exchange: "
                              f"{h.modelStatusToString(status)}")
        if len(ints):
            values[ints] = np.round(values[ints])
        self.stats.calls += 1
        self.stats.seconds += time.perf_counter() - start
        return values
