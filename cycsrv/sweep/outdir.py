"""The sweep's output directory: `runs/<run_id>.sqlite`, `inputs/<run_id>.xml` and `summary.parquet`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.parquet as pq

from cycsrv.sweep.spec import Sweep
from cycsrv.sweep.worker import PARTIAL_SUFFIX

_METRICS_KEY = "cycsrv.metrics"


@attrs.frozen
class OutDir:
    """Paths inside one sweep's output directory."""

    root: Path

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def summary(self) -> Path:
        return self.root / "summary.parquet"

    def output(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.sqlite"

    def prepare(self) -> int:
        """Create the directories and delete what an interrupted run left half-written; how many files went."""
        self.runs.mkdir(parents=True, exist_ok=True)
        self.inputs.mkdir(parents=True, exist_ok=True)
        gone = 0
        for folder in (self.runs, self.inputs):
            for partial in folder.glob(f"*{PARTIAL_SUFFIX}*"):
                partial.unlink(missing_ok=True)
                gone += 1
        return gone


def summary_schema(sweep: Sweep, rows: Sequence[Mapping[str, Any]]) -> pa.Schema:
    """run_id, status, error, seconds, a column per parameter (typed by its values), a float column per metric."""
    fields = [pa.field("run_id", pa.string()), pa.field("status", pa.string()),
              pa.field("error", pa.string()), pa.field("seconds", pa.float64())]
    for name in sweep.parameter_names:
        seen = [r[name] for r in rows if r.get(name) is not None]
        if seen and all(isinstance(v, bool) for v in seen):
            kind = pa.bool_()
        elif seen and all(isinstance(v, str) for v in seen):
            kind = pa.string()
        elif seen and all(isinstance(v, int) and not isinstance(v, bool) for v in seen):
            kind = pa.int64()
        else:
            kind = pa.float64()
        fields.append(pa.field(name, kind))
    fields += [pa.field(name, pa.float64()) for name in sweep.metric_names]
    sql = {m.name: m.sql for m in sweep.metrics}
    return pa.schema(fields, metadata={_METRICS_KEY: json.dumps(sql)})


def write_summary(path: Path, sweep: Sweep, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Write `rows` (flat dicts) as `path`, atomically; returns the table written."""
    schema = summary_schema(sweep, rows)
    table = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)
    tmp = path.with_name(f"{path.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return table


def read_summary(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """An earlier summary's rows by run_id, and the SQL of the metrics it holds; empty if there is
    none or it cannot be read."""
    if not path.is_file():
        return {}, {}
    try:
        table = pq.read_table(path)
        sql = json.loads((table.schema.metadata or {}).get(_METRICS_KEY.encode(), b"{}"))
    except (OSError, ValueError, pa.ArrowException):
        return {}, {}
    return {r["run_id"]: r for r in table.to_pylist() if r.get("run_id")}, sql
