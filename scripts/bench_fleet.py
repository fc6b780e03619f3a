#!/usr/bin/env python3
"""Fleet benchmark: once-through fleets of N reactors over 1200 monthly steps, vs real Cyclus.

Usage: scripts/bench_fleet.py [REFERENCE_DIR] [--sizes 10,50,200,1000] [--repeat R] [--profile N]
                              [--decay N]

Runs REFERENCE_DIR/inputs/scale__fleet_N.xml (default ../shared/reference) with the SQLite
backend, each in a fresh interpreter, and prints the kernel's wall time (parse + run + close),
its CPU time (steadier than wall time on a busy machine), the whole process's wall time
(interpreter start and imports too, as Cyclus's figure includes its start-up) and the process's
peak RSS, beside real Cyclus 1.6's time for the same file on this machine type
(REFERENCE_DIR/runs.tsv), the speed-up and the time per reactor-step (flat when time grows
linearly with N). With `--repeat R` each size runs R times and the fastest run counts (other
work on the machine only ever slows a run down). Sizes whose input is missing are skipped.
`--profile N` also runs size N under cProfile and prints the functions with the most own time.
`--decay N` (default 200; 0 skips) runs size N once more with `<decay>lazy</decay>` instead of
the file's `never` and prints the kernel CPU time of both and their ratio (target: <= 1.5x).

Before and after the runs it times a fixed pure-Python workload (`calibration`, the fastest
of five): on a shared machine, compare runs of different days by their calibration too.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
STEPS = 1200

RUNNER = r"""
import resource, sys, time
t0 = time.perf_counter()
from cycsrv.kernel.simulation import Simulation
from cycsrv.store.sqlite import SqliteBackend
path, out, profile = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
def run():
    sim = Simulation.from_file(path, backends=[SqliteBackend(out)])
    sim.run()
    sim.close()
if profile:
    import cProfile, pstats
    prof = cProfile.Profile()
    prof.runcall(run)
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
else:
    t1, c1 = time.perf_counter(), time.process_time()
    run()
    print(time.perf_counter() - t1, time.process_time() - c1,
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def run_once(path: Path, profile: bool = False) -> tuple[float, float, float, float, str]:
    """(kernel seconds, kernel CPU seconds, process seconds, peak RSS MB, profile text) of one run in a
    fresh interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", RUNNER, str(path), str(Path(tmp) / "out.sqlite"),
                               "1" if profile else "0"],
                              capture_output=True, text=True, check=True, cwd=path.parent,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        wall = time.perf_counter() - t0
    if profile:
        return 0.0, 0.0, wall, 0.0, proc.stderr
    secs, cpu, peak = (float(x) for x in proc.stdout.split()[-3:])
    return secs, cpu, wall, peak, ""


class _Counter:
    """A tiny object whose method the calibration workload calls, as the kernel calls agents."""

    def __init__(self) -> None:
        self.total = 0.0

    def add(self, x: float) -> None:
        self.total += x


def calibration_workload(n: int = 200_000) -> float:
    """A fixed mix of what the kernel does most: dict lookups, float arithmetic, method calls, tuples."""
    table: dict[int, float] = {}
    counter = _Counter()
    rows = []
    for i in range(n):
        key = i & 1023
        table[key] = table.get(key, 0.0) * 0.5 + i * 1.5
        counter.add(table[key])
        if i & 7 == 0:
            rows.append((i, key, table[key], ""))
    return counter.total + len(rows)


def calibrate(rounds: int = 5) -> float:
    """Seconds for `calibration_workload`, the fastest of `rounds`."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        calibration_workload()
        best = min(best, time.perf_counter() - t0)
    return best


def decay_case(path: Path, repeat: int) -> None:
    """The fleet at `path` as written (`<decay>never</decay>`) and with lazy decay: CPU seconds."""
    text = path.read_text() if path.exists() else ""
    if "<decay>never</decay>" not in text:
        print(f"decay: no {path.name} with <decay>never</decay> to switch, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        lazy = Path(tmp) / path.name.replace(".xml", "_lazy.xml")
        lazy.write_text(text.replace("<decay>never</decay>", "<decay>lazy</decay>"))
        runs = max(1, repeat)
        never_cpu = min(run_once(path)[1] for _ in range(runs))
        lazy_cpu = min(run_once(lazy)[1] for _ in range(runs))
    print(f"decay ({path.stem}): never {never_cpu:.2f} s cpu, lazy {lazy_cpu:.2f} s cpu, "
          f"lazy/never {lazy_cpu / never_cpu:.2f}x", flush=True)


def cyclus_times(runs_tsv: Path) -> dict[str, float]:
    """Real Cyclus's wall seconds per input name, from the reference runs.tsv."""
    if not runs_tsv.exists():
        return {}
    with runs_tsv.open() as f:
        return {row["name"]: float(row["wall_seconds"]) for row in csv.DictReader(f, delimiter="\t")
                if row.get("wall_seconds")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference", nargs="?", default=str(REFERENCE), help="directory with inputs/ and runs.tsv")
    ap.add_argument("--sizes", default="10,50,200,1000", help="comma-separated fleet sizes")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest counts")
    ap.add_argument("--profile", type=int, default=0, help="also profile this size with cProfile")
    ap.add_argument("--decay", type=int, default=200, help="fleet size to time with lazy decay vs never (0: skip)")
    a = ap.parse_args(argv)
    ref = Path(a.reference)
    theirs = cyclus_times(ref / "runs.tsv")
    print(f"calibration before: {calibrate() * 1e3:.1f} ms", flush=True)
    print(f"{'N':>5} {'kernel s':>9} {'kernel cpu':>10} {'process s':>10} {'peak MB':>8} {'Cyclus s':>9} "
          f"{'speed-up':>9} {'us/reactor-step':>16}")
    for n in (int(x) for x in a.sizes.split(",")):
        path = ref / "inputs" / f"scale__fleet_{n}.xml"
        if not path.exists():
            print(f"{n:>5} (no {path.name}, skipped)")
            continue
        secs, cpu, wall, peak, _ = min(run_once(path) for _ in range(max(1, a.repeat)))
        cyc = theirs.get(path.stem)
        ratio = f"{cyc / wall:.2f}x" if cyc else "-"
        print(f"{n:>5} {secs:9.2f} {cpu:10.2f} {wall:10.2f} {peak:8.0f} {cyc or float('nan'):9.2f} {ratio:>9} "
              f"{secs / (n * STEPS) * 1e6:16.1f}", flush=True)
    if a.decay:
        decay_case(ref / "inputs" / f"scale__fleet_{a.decay}.xml", a.repeat)
    print(f"calibration after: {calibrate() * 1e3:.1f} ms", flush=True)
    if a.profile:
        path = ref / "inputs" / f"scale__fleet_{a.profile}.xml"
        print(run_once(path, profile=True)[4])
    return 0


if __name__ == "__main__":
    sys.exit(main())
