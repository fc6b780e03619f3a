"""`cycsrv sweep SWEEP.toml -o OUTDIR [--workers N | --scheduler ADDRESS | --scheduler-file F]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_sweep_parser(sub: Any) -> None:
    """Add the `sweep` subcommand to the `cycsrv` subparsers `sub`."""
    p = sub.add_parser(
        "sweep", help="run many scenarios of one input on Dask",
        description="Run every scenario of a sweep file on dask.distributed: an embedded cluster of "
                    "worker processes, or any Dask cluster by address or scheduler file. Writes "
                    "OUTDIR/runs/<run_id>.sqlite and OUTDIR/summary.parquet; running it again resumes.")
    p.add_argument("sweep", help="sweep file (.toml)")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, metavar="N",
                       help="worker processes of the embedded cluster (default: one per core)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--scheduler-file", metavar="FILE", help="an existing Dask cluster's scheduler file")
    p.add_argument("--no-dashboard", action="store_true", help="embedded cluster: no Dask dashboard")
    p.set_defaults(func=cmd_sweep)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of workers, got {text!r}")
    return n


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep; exit 0 if every run is ok, 1 on a bad sweep file or a failed run, 130 on Ctrl-C."""
    from cycsrv.kernel.infile import InputError
    from cycsrv.sweep.driver import SweepInterrupted, run_sweep
    from cycsrv.sweep.progress import Bar, JsonLines

    reporter = Bar(sys.stderr) if sys.stderr.isatty() else JsonLines(sys.stdout)
    try:
        result = run_sweep(args.sweep, args.output, workers=args.workers, scheduler=args.scheduler,
                           scheduler_file=args.scheduler_file, dashboard=not args.no_dashboard,
                           reporter=reporter, echo=_echo)
    except InputError as exc:
        print(f"cycsrv: error: {exc}", file=sys.stderr)
        return 1
    except SweepInterrupted as exc:
        c = exc.result.counts
        _echo(f"interrupted: {c.finished} of {c.total} runs finished, summary in "
              f"{exc.result.outdir / 'summary.parquet'}; run the same command again to resume")
        return 130
    except KeyboardInterrupt:
        _echo("interrupted before any run started")
        return 130
    except OSError as exc:
        print(f"cycsrv: error: {exc}", file=sys.stderr)
        return 1
    c = result.counts
    _echo(f"{c.total} runs: {c.ok} ok, {c.failed} failed, {c.skipped} already done; "
          f"summary in {result.outdir / 'summary.parquet'}")
    return 1 if c.failed else 0


def _echo(message: str) -> None:
    print(f"cycsrv sweep: {message}", file=sys.stderr, flush=True)
