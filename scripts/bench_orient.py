"""Benchmark: orient JSON rendering (cycsrv.store.orient) against pandas' `to_json`.

Builds 10,000-row tables shaped like Cyclus's `Transactions` and `TimeSeriesPower`, then times,
per orient, in the same run (median of repeats):

* ours            `orient.render(result, orient)` straight from Arrow;
* to_json         `df.to_json(orient=..., default_handler=str)` on a ready DataFrame;
* to_pandas+json  `table.to_pandas()` (+ SimId bytes -> UUID, + row labels) then `to_json`,
                  i.e. what a server holding Arrow would otherwise have to do.

Usage: python scripts/bench_orient.py [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from cycsrv.store.memory import MemoryBackend, QueryResult
from cycsrv.store.orient import ORIENTS, render
from cycsrv.store.schema import DbType, TableBatch, TableSchema

TRANSACTIONS = TableSchema.of(
    "Transactions", ("TransactionId", DbType.INT), ("SenderId", DbType.INT), ("ReceiverId", DbType.INT),
    ("ResourceId", DbType.INT), ("Commodity", DbType.STRING), ("Time", DbType.INT), ("BidCost", DbType.DOUBLE),
    ("AdjustedCost", DbType.DOUBLE))
TIMESERIES = TableSchema.of("TimeSeriesPower", ("AgentId", DbType.INT), ("Time", DbType.INT),
                            ("Value", DbType.DOUBLE), ("Units", DbType.STRING))


def make_rows(schema: TableSchema, n: int, rng: random.Random) -> list[tuple[object, ...]]:
    if schema is TRANSACTIONS:
        commods = ["uox", "mox", "spent_uox", "natl_u", "enriched_u"]
        return [(i, rng.randint(10, 60), rng.randint(10, 60), rng.randint(1, 10**6), rng.choice(commods), i // 17,
                 rng.random() * 10, rng.random()) for i in range(n)]
    return [(rng.randint(10, 60), i // 30, rng.random() * 1000, "MWe") for i in range(n)]


def to_pandas(result: QueryResult) -> pd.DataFrame:
    df = result.table.to_pandas()
    df["SimId"] = [uuid.UUID(bytes=b) for b in df["SimId"]]
    df.index = result.index.to_numpy()
    return df


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(42)
    backend = MemoryBackend()
    sim_id = uuid.uuid4()
    for schema in (TRANSACTIONS, TIMESERIES):
        backend.notify([TableBatch(schema, sim_id, make_rows(schema, args.rows, rng))])
    print(f"{args.rows} rows, median of {args.repeat}; ratio = pandas time / our time")
    print(f"{'table':16} {'orient':8} {'ours ms':>8} {'to_json ms':>11} {'ratio':>6} {'to_pandas+json ms':>18} {'ratio':>6}")
    for name in ("Transactions", "TimeSeriesPower"):
        result = backend.query(name)
        df = to_pandas(result)
        for orient in ORIENTS:
            if render(result, orient) != df.to_json(orient=orient, default_handler=str):
                print(f"WARNING: {name}/{orient} output differs from pandas")
            ours = median_time(lambda r=result, o=orient: render(r, o), args.repeat)
            plain = median_time(lambda d=df, o=orient: d.to_json(orient=o, default_handler=str), args.repeat)
            full = median_time(lambda r=result, o=orient: to_pandas(r).to_json(orient=o, default_handler=str),
                               args.repeat)
            print(f"{name:16} {orient:8} {ours * 1e3:8.2f} {plain * 1e3:11.2f} {plain / ours:6.1f} "
                  f"{full * 1e3:18.2f} {full / ours:6.1f}")


if __name__ == "__main__":
    main()
