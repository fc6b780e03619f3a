#!/usr/bin/env python3
"""Run every reference input through cycsrv and compare with real Cyclus using flowcmp.py.

Usage: scripts/check_reference.py [REFERENCE_DIR] [NAME_SUBSTRING ...]

REFERENCE_DIR defaults to ../shared/reference (inputs/, outputs/, and ../tools/flowcmp.py
beside it). Prints one verdict line per input: EXACT MATCH, FLOW MATCH, FLOW MISMATCH or the
error that stopped the run.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    ref = Path(argv[0]) if argv and Path(argv[0]).is_dir() else ROOT.parent / "shared" / "reference"
    wanted = [a for a in argv if not Path(a).is_dir()]
    flowcmp = ref.parent / "tools" / "flowcmp.py"
    failures = 0
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for inp in sorted((ref / "inputs").glob("*.xml")):
            name = inp.stem
            if wanted and not any(w in name for w in wanted):
                continue
            out = ref / "outputs" / f"{name}.sqlite"
            if not out.exists():
                gz = out.with_suffix(".sqlite.gz")
                if not gz.exists():
                    continue
                out = tmp / f"{name}.ref.sqlite"
                with gzip.open(gz) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            ours = tmp / f"{name}.sqlite"
            t0 = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "cycsrv", "run", str(inp), "-o", str(ours), "-q"],
                                 capture_output=True, text=True, cwd=inp.parent)
            secs = time.perf_counter() - t0
            if run.returncode != 0:
                failures += 1
                print(f"{name:60s} ERROR {run.stderr.strip().splitlines()[-1] if run.stderr else ''}")
                continue
            cmp = subprocess.run([sys.executable, str(flowcmp), str(out), str(ours)], capture_output=True, text=True)
            lines = (cmp.stdout.strip() or cmp.stderr.strip() or "no output").splitlines()
            verdict = lines[-1]
            failures += cmp.returncode != 0
            print(f"{name:60s} {verdict}  ({secs:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
