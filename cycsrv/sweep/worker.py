"""What a Dask worker does for one run: simulate into a temporary SQLite file, rename it, compute the metrics.

Only the small result row goes back to the client; the output stays where the worker wrote it.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from cycsrv.kernel.infile import InputError
from cycsrv.kernel.simulation import Simulation
from cycsrv.store.output import open_output
from cycsrv.sweep.scenario import load_scenario

#: Suffix of files a run is still writing (SQLite adds -wal, -shm); a rerun deletes them.
PARTIAL_SUFFIX = ".tmp"


@attrs.frozen
class RunTask:
    """One unit of work: simulate `input_path` into `output` (unless `simulate` is off), then measure it."""

    run_id: str
    input_path: str
    base_input: str
    output: str
    metrics: tuple[tuple[str, str], ...]
    simulate: bool = True


class MetricError(Exception):
    """A metric's query failed or did not give one number."""


def run_task(task: RunTask) -> dict[str, Any]:
    """Run `task` on this worker: `{"run_id", "status", "error", "seconds", "metrics"}`, never raising for a bad run."""
    started = time.perf_counter()
    row: dict[str, Any] = {"run_id": task.run_id, "status": "ok", "error": None, "metrics": {}}
    try:
        if task.simulate:
            simulate_to(task.input_path, task.base_input, task.output)
        row["seconds"] = time.perf_counter() - started
        row["metrics"] = compute_metrics(task.output, task.metrics)
    except (InputError, SimulationFailed, MetricError) as exc:
        row.update(status="failed", error=str(exc))
    except OSError as exc:  # the output directory is not writable, full, or was cleaned under us
        row.update(status="failed", error=f"cannot write the output: {exc}")
    row.setdefault("seconds", time.perf_counter() - started)
    return row


class SimulationFailed(Exception):
    """A run stopped with an error at some time step."""


def simulate_to(input_path: str, base_input: str, output: str) -> None:
    """Run the input into `output` as `cycsrv run` writes it, via a temporary name renamed once complete."""
    final = Path(output)
    partial = final.with_name(f"{final.name}.{uuid.uuid4().hex[:12]}{PARTIAL_SUFFIX}")
    backend = open_output(partial)  # SQLite: the partial name does not end in .h5
    try:
        try:
            sim = Simulation(load_scenario(input_path, base_input), backends=[backend])
        except BaseException:
            backend.close()
            raise
        try:
            sim.run()
        except Exception as exc:
            raise SimulationFailed(f"error at time step {sim.time + 1}: {type(exc).__name__}: {exc}") from exc
        finally:
            sim.close()
        os.replace(partial, final)
    finally:
        for leftover in partial.parent.glob(f"{partial.name}*"):
            leftover.unlink(missing_ok=True)


def compute_metrics(path: str, metrics: Sequence[tuple[str, str]]) -> dict[str, float | None]:
    """Each metric's number on the (read-only) output at `path`."""
    if not metrics:
        return {}
    db = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return {name: _metric(db, name, sql) for name, sql in metrics}
    finally:
        db.close()


def _metric(db: sqlite3.Connection, name: str, sql: str) -> float | None:
    try:
        rows = db.execute(sql).fetchmany(2)
    except sqlite3.Error as exc:
        raise MetricError(f"metric {name!r}: SQL error: {exc}") from None
    if len(rows) != 1 or len(rows[0]) < 1:
        raise MetricError(f"metric {name!r}: the query gave {len(rows) if len(rows) < 2 else 'several'} rows; "
                          "a metric is one row with one number")
    value = rows[0][0]
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        v = float(value)
        return None if math.isnan(v) else v
    raise MetricError(f"metric {name!r}: the query gave {value!r}, not a number")
