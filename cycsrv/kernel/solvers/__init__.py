"""Exchange solvers beyond the greedy one in `kernel.exchange`: the input's `<solver>` picks one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cycsrv.kernel.infile import Control
    from cycsrv.kernel.solvers.optimal import OptimalSolver


def select_solver(control: Control, mps_dir: Path | None = None) -> OptimalSolver | None:
    """The solver `<solver><config>` names, or None for the greedy default (which then never
    imports HiGHS). `mps_dir` is where `<mps>` problems go (Cyclus: the working directory)."""
    if control.solver != "coin-or":
        return None
    from cycsrv.kernel.solvers.highs import DEFAULT_TIMEOUT, HighsOptions
    from cycsrv.kernel.solvers.optimal import OptimalSolver

    timeout = control.coin_timeout if control.coin_timeout > 0 else DEFAULT_TIMEOUT
    options = HighsOptions(timeout=timeout, verbose=control.coin_verbose,
                           mps_dir=(mps_dir or Path.cwd()) if control.coin_mps else None)
    return OptimalSolver(options, exclusive_orders=control.allow_exclusive_orders)
