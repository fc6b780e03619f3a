#!/usr/bin/env python3
"""Solver benchmark: the reactor fleets with `<coin-or>` (HiGHS) against greedy, and against real
Cyclus with Cbc and greedy when the oracle is built, all in one run.

Usage: scripts/bench_solver.py [REFERENCE_DIR] [--sizes 10,200,1000] [--repeat R] [--oracle PATH]

For each fleet (REFERENCE_DIR/inputs/scale__fleet_N.xml, 1200 monthly steps) the input is run
with its `<solver>` set to each solver, every run in a fresh interpreter (cycsrv) or process
(Cyclus). Printed per run: wall seconds of the whole process, milliseconds per time step, and
for coin-or in cycsrv the share of the kernel's time spent in HiGHS (adding the model and
solving), in building the program, how many times HiGHS ran and the share of arcs solved in closed
form (kernel.solvers.split). The ratio column is cycsrv coin-or's process time over
Cyclus+Cbc's on the same input (below 1: faster). With `--repeat R` the fastest of R runs counts.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
ORACLE = Path("/work/oracle/bin/cyclus-oracle")
STEPS = 1200
SOLVERS = {
    "greedy": "<solver><config><greedy/></config></solver>",
    "coin-or": "<solver><config><coin-or/></config></solver>",
}

RUNNER = r"""
import json, sys, time
t0 = time.perf_counter()
from cycsrv.kernel.simulation import Simulation
from cycsrv.store.sqlite import SqliteBackend
sim = Simulation.from_file(sys.argv[1], backends=[SqliteBackend(sys.argv[2])])
t1, c1 = time.perf_counter(), time.process_time()
sim.run()
sim.close()
kernel, cpu = time.perf_counter() - t1, time.process_time() - c1
solver = sim.context.exchange_solver
out = {"kernel": kernel, "cpu": cpu}
if solver is not None:
    out.update(highs=solver.highs.stats.seconds, build=solver.build_seconds, calls=solver.highs.stats.calls,
               arcs=solver.arcs, closed=solver.closed_form_arcs)
print(json.dumps(out))
"""


def with_solver(text: str, solver: str) -> str:
    """The input with its `<solver>` block replaced by (or given) `solver`'s."""
    text = re.sub(r"<solver>.*?</solver>", "", text, flags=re.S)
    return text.replace("</control>", SOLVERS[solver] + "</control>", 1)


def run_cycsrv(path: Path, tmp: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(path), str(tmp / "out.sqlite")],
                          capture_output=True, text=True, check=True, cwd=path.parent,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["wall"] = time.perf_counter() - t0
    (tmp / "out.sqlite").unlink()
    return res


def run_oracle(oracle: Path, path: Path, tmp: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    subprocess.run([str(oracle), str(path), "-o", str(tmp / "oracle.sqlite")], capture_output=True, text=True,
                   check=True, cwd=path.parent)
    wall = time.perf_counter() - t0
    (tmp / "oracle.sqlite").unlink()
    return {"wall": wall}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference", nargs="?", default=str(REFERENCE), help="directory with inputs/")
    ap.add_argument("--sizes", default="10,200,1000", help="comma-separated fleet sizes")
    ap.add_argument("--repeat", type=int, default=1, help="runs per configuration; the fastest counts")
    ap.add_argument("--oracle", type=Path, default=ORACLE, help="real Cyclus (docs/solver.md)")
    a = ap.parse_args(argv)
    ref = Path(a.reference)
    have_oracle = a.oracle.exists()
    if not have_oracle:
        print(f"(no oracle at {a.oracle}: Cyclus columns skipped)")
    print(f"{'N':>5} {'engine':>16} {'process s':>10} {'ms/step':>8} {'HiGHS %':>8} {'build %':>8} "
          f"{'HiGHS runs':>10} {'closed %':>8} {'vs Cbc':>7}", flush=True)
    for n in (int(x) for x in a.sizes.split(",")):
        src = ref / "inputs" / f"scale__fleet_{n}.xml"
        if not src.exists():
            print(f"{n:>5} (no {src.name}, skipped)")
            continue
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            results: dict[str, dict[str, float]] = {}
            for solver in SOLVERS:
                path = tmp / f"fleet_{n}_{solver}.xml"
                path.write_text(with_solver(src.read_text(), solver))
                engines = [("cycsrv", run_cycsrv)] + ([("cyclus", None)] if have_oracle else [])
                for engine, fn in engines:
                    runs = [fn(path, tmp) if fn else run_oracle(a.oracle, path, tmp) for _ in range(max(1, a.repeat))]
                    results[f"{engine} {solver}"] = min(runs, key=lambda r: r["wall"])
            cbc = results.get("cyclus coin-or", {}).get("wall")
            for key, r in results.items():
                kernel = r.get("kernel")
                opt = kernel and "arcs" in r
                highs = f"{100 * r['highs'] / kernel:7.1f}%" if opt else f"{'-':>8}"
                build = f"{100 * r['build'] / kernel:7.1f}%" if opt else f"{'-':>8}"
                calls = f"{int(r['calls']):10d}" if opt else f"{'-':>10}"
                closed = f"{100 * r['closed'] / max(1, r['arcs']):7.1f}%" if opt else f"{'-':>8}"
                ratio = f"{r['wall'] / cbc:6.2f}x" if cbc and key == "cycsrv coin-or" else f"{'-':>7}"
                print(f"{n:>5} {key:>16} {r['wall']:10.2f} {r['wall'] / STEPS * 1e3:8.2f} {highs} {build} "
                      f"{calls} {closed} {ratio}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
