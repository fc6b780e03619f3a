#!/usr/bin/env python3
"""Write tests/data/flows/NAME.json flow summaries from real Cyclus reference outputs.

Usage: scripts/make_flow_summaries.py REFERENCE_DIR NAME [NAME ...]
REFERENCE_DIR is the folder with inputs/ and outputs/ (e.g. ../shared/reference); each NAME's
input is copied to tests/data/inputs/ too, so the conformance tests run without it.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from flowsummary import summarize  # noqa: E402


def main(argv: list[str]) -> int:
    ref = Path(argv[0])
    for name in argv[1:]:
        out = ref / "outputs" / f"{name}.sqlite"
        with tempfile.TemporaryDirectory() as tmp:
            if not out.exists():
                gz = out.with_suffix(".sqlite.gz")
                out = Path(tmp) / out.name
                with gzip.open(gz) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            summary = summarize(str(out))
        (ROOT / "tests/data/flows" / f"{name}.json").write_text(json.dumps(summary, sort_keys=True))
        shutil.copy(ref / "inputs" / f"{name}.xml", ROOT / "tests/data/inputs" / f"{name}.xml")
        print(f"{name}: {len(summary['mass'])} flow keys")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
