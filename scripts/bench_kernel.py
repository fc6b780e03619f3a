#!/usr/bin/env python3
"""Kernel benchmark: run a Cyclus input with each backend and compare with real Cyclus.

Usage: scripts/bench_kernel.py [INPUT] [--runs-tsv PATH] [--repeat N]

Defaults to ../shared/reference/inputs/scale__agents_100x1000.xml (100 sources, 100 sinks,
1000 steps). Each run happens in a fresh subprocess so its wall time and peak RSS are its
own. Real Cyclus 1.6's time on the same file comes from the reference runs.tsv (measured on
this machine type); a pure-Python calibration loop timed in this same run tells how busy
the machine is.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"

RUNNER = r"""
import sys, time
from cycsrv.kernel.simulation import Simulation
backend_name, path, out = sys.argv[1:4]
if backend_name == "sqlite":
    from cycsrv.store.sqlite import SqliteBackend
    backends = [SqliteBackend(out)]
elif backend_name == "memory":
    from cycsrv.store.memory import MemoryBackend
    backends = [MemoryBackend(registry=True)]
else:
    backends = []
t0, c0 = time.perf_counter(), time.process_time()
sim = Simulation.from_file(path, backends=backends)
sim.run()
sim.close()
print(time.perf_counter() - t0, time.process_time() - c0)
"""


def calibrate() -> float:
    """Seconds for a fixed pure-Python workload (dict/list/float churn like the kernel's)."""
    t0 = time.perf_counter()
    acc = 0.0
    d: dict[int, float] = {}
    for i in range(2_000_000):
        d[i & 1023] = d.get(i & 1023, 0.0) + i * 0.5
        acc += d[i & 1023]
    return time.perf_counter() - t0


def run_once(backend: str, path: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one run in a fresh interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, backend, str(path), str(Path(tmp) / "out.sqlite")],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(f"{backend} run of {path.name} failed ({proc.returncode})")
    wall, cpu = out.strip().splitlines()[-1].split()
    return float(wall), float(cpu), usage.ru_maxrss / 1024


def cyclus_time(runs_tsv: Path, name: str) -> float | None:
    if not runs_tsv.exists():
        return None
    with runs_tsv.open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["name"] == name:
                return float(row["wall_seconds"])
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", nargs="?", default=str(REFERENCE / "inputs" / "scale__agents_100x1000.xml"))
    ap.add_argument("--runs-tsv", default=str(REFERENCE / "runs.tsv"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--backends", default="none,memory,sqlite")
    a = ap.parse_args(argv)
    path = Path(a.input)
    if not path.exists():
        print(f"input not found: {path}", file=sys.stderr)
        return 2
    ref = cyclus_time(Path(a.runs_tsv), path.stem)
    cal = calibrate()
    print(f"input: {path.name}")
    print(f"calibration loop: {cal:.2f} s (machine load indicator)")
    print(f"real Cyclus 1.6 (runs.tsv): {ref:.1f} s" if ref else "real Cyclus 1.6: unknown")
    print(f"{'backend':<8} {'seconds':>8} {'CPU s':>8} {'peak MB':>8} {'vs Cyclus':>10}")
    for backend in a.backends.split(","):
        times, cpus, peaks = [], [], []
        for _ in range(a.repeat):
            secs, cpu, peak = run_once(backend, path)
            times.append(secs)
            cpus.append(cpu)
            peaks.append(peak)
        secs = statistics.median(times)
        ratio = f"{ref / secs:.2f}x" if ref else "-"
        print(f"{backend:<8} {secs:8.2f} {statistics.median(cpus):8.2f} {max(peaks):8.0f} {ratio:>10}")
    # the machine is shared: a second calibration shows whether its speed changed meanwhile
    print(f"calibration loop after: {calibrate():.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
