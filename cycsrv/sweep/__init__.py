"""Many scenarios of one input, run on dask.distributed: `run_sweep(sweep_file, outdir)`.

A sweep file (TOML) names a base input, parameters (XPaths into it and their values or
ranges), an optional `[sample]`, and metrics (SQL giving one number per run). Each scenario
is a run: `outdir/runs/<run_id>.sqlite`, and a row in `outdir/summary.parquet`.

Names are imported on first use, so `cycsrv`'s other commands start without pyarrow and Dask.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cycsrv.sweep.driver import SweepInterrupted, SweepResult, open_client, run_sweep
    from cycsrv.sweep.spec import Metric, Parameter, Range, Sample, Sweep, SweepError, load_sweep, parse_sweep

_HOME = {
    "SweepInterrupted": "driver", "SweepResult": "driver", "open_client": "driver", "run_sweep": "driver",
    "Metric": "spec", "Parameter": "spec", "Range": "spec", "Sample": "spec", "Sweep": "spec",
    "SweepError": "spec", "load_sweep": "spec", "parse_sweep": "spec",
}
__all__ = [
    "Metric", "Parameter", "Range", "Sample", "Sweep", "SweepError", "SweepInterrupted", "SweepResult",
    "load_sweep", "open_client", "parse_sweep", "run_sweep",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'cycsrv.sweep' has no attribute {name!r}")
    return getattr(importlib.import_module(f"cycsrv.sweep.{home}"), name)
