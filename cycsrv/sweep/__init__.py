"""Many scenarios of one input, run on dask.distributed: `run_sweep(sweep_file, outdir)`.

A sweep file (TOML) names a base input, parameters (XPaths into it and their values or
ranges), an optional `[sample]`, and metrics (SQL giving one number per run). Each scenario
is a run: `outdir/runs/<run_id>.sqlite`, and a row in `outdir/summary.parquet`.
"""

from cycsrv.sweep.driver import SweepInterrupted, SweepResult, open_client, run_sweep
from cycsrv.sweep.spec import Metric, Parameter, Range, Sample, Sweep, SweepError, load_sweep, parse_sweep

__all__ = [
    "Metric",
    "Parameter",
    "Range",
    "Sample",
    "Sweep",
    "SweepError",
    "SweepInterrupted",
    "SweepResult",
    "load_sweep",
    "open_client",
    "parse_sweep",
    "run_sweep",
]
