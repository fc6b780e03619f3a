#!/usr/bin/env python3
"""Fleet benchmark: once-through fleets of N reactors over 1200 monthly steps, vs real Cyclus.

Usage: scripts/bench_fleet.py [REFERENCE_DIR] [--sizes 10,50,200,1000]

Runs ../shared/reference/inputs/scale__fleet_N.xml with the SQLite backend, each in a fresh
process, and prints wall time and peak memory beside real Cyclus 1.6's time for the same file
on this machine type (runs.tsv), the ratio, and the time per reactor-step (flat when time
grows linearly with N).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_kernel import REFERENCE, cyclus_time, run_once

STEPS = 1200


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference", nargs="?", default=str(REFERENCE))
    ap.add_argument("--sizes", default="10,50,200,1000")
    a = ap.parse_args(argv)
    ref = Path(a.reference)
    print(f"{'N':>5} {'cycsrv s':>9} {'peak MB':>8} {'Cyclus s':>9} {'speed-up':>9} {'us/reactor-step':>16}")
    for n in (int(x) for x in a.sizes.split(",")):
        path = ref / "inputs" / f"scale__fleet_{n}.xml"
        if not path.exists():
            print(f"{n:>5} (no {path.name})")
            continue
        secs, peak = run_once("sqlite", path)
        theirs = cyclus_time(ref / "runs.tsv", path.stem)
        ratio = f"{theirs / secs:.2f}x" if theirs else "-"
        print(f"{n:>5} {secs:9.2f} {peak:8.0f} {theirs or float('nan'):9.2f} {ratio:>9} "
              f"{secs / (n * STEPS) * 1e6:16.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
