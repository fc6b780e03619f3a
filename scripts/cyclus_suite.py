#!/usr/bin/env python3
"""Run Cyclus's (and Cycamore's) own Python test suites with cycsrv standing in for `cyclus`.

    python scripts/cyclus_suite.py CYCLUS_TREE [--cycamore CYCAMORE_TREE] [--mode sqlite|h5|both]
                                   [--threads 1,2,3,4] [--json results.json]

CYCLUS_TREE is a Cyclus source tree (e.g. ``git archive 216239d3 | tar -x``), CYCAMORE_TREE a
Cycamore one. Each tree's ``tests/`` is copied to a scratch directory and run with pytest there:

* a ``cyclus`` wrapper for ``python -m cycsrv.compat`` goes first on PATH (scratch only; nothing
  named ``cyclus`` is installed);
* the test process itself imports ``cyclus.lib``, ``cyclus.system`` ... (Cyclus's helpers do, at
  import), so a scratch ``cyclus`` package maps those onto ``cycsrv.compat``; what needs
  Cyclus's C++ library (``lib.Hdf5Back``, ``memback``, ``main``, the logger and environment
  bindings) raises ``ImportError``/``NotImplementedError`` saying so, and such tests are
  reported as "needs C++" rather than as failures of cycsrv;
* Cyclus's ``helper.which_outfile`` writes ``.sqlite`` when ``CI`` is set and ``.h5`` on Linux
  otherwise: ``--mode`` runs the suite either way (``both`` by default);
* ``--threads`` keeps only those values of the suites' ``thread_count`` parameter (``-j``).

Prints one line per test and the counts; exits 1 if anything failed for a reason other than
needing Cyclus's C++ library. Tests of Cyclus's build tooling (its HDF5 code generator, which
needs CMake-generated files) are counted apart as "tooling".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

CPP_MARKER = "needs Cyclus's C++ library"
#: Test modules that exercise Cyclus's C++ bindings or tools themselves, not a simulation.
CPP_MODULES = {
    "test_cycluslib": "lib.Hdf5Back/SqliteBack database bindings",
    "test_memback": "cyclus.memback (the in-memory C++ backend)",
    "test_env": "lib.Env (the C++ environment bindings)",
    "test_logger": "lib.Logger (the C++ logger bindings)",
    "test_error": "lib error bindings",
    "test_dynamic_modules": "lib.DynamicModule (C++ module loading)",
    "test_main": "cyclus.main (the Cython front end of libcyclus)",
    "test_stubs": "cycstub and CMake (building C++ archetype stubs)",
}
#: Test modules about Cyclus's build tooling, independent of any simulator.
TOOLING_MODULES = {"test_hdf5_back_gen": "Cyclus's C++ code generator for its HDF5 backend"}

WRAPPER = """#!/bin/sh
exec "{python}" -m cycsrv.compat "$@"
"""

PACKAGE_INIT = '''"""Scratch stand-in for Cyclus's Python package, made by cycsrv's scripts/cyclus_suite.py.

It exists only on the PYTHONPATH of that harness, so Cyclus's test helpers can import.
"""
'''

ALIAS = '''"""Scratch alias: cyclus.{sub} is cycsrv's {target} (scripts/cyclus_suite.py)."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module("{target}")
'''

NEEDS_CPP = '''"""Scratch placeholder: cyclus.{sub} {marker} (scripts/cyclus_suite.py)."""
raise ImportError("cyclus.{sub} {marker}; cycsrv does not reimplement it")
'''

LIB = '''"""Scratch cyclus.lib: cycsrv.compat.lib, plus what Cyclus's test helpers reach for (scripts/cyclus_suite.py)."""
import os as _os

from cycsrv.compat import lib as _lib

globals().update({{k: v for k, v in vars(_lib).items() if not k.startswith("__")}})


def _needs_cpp(name):
    class _CppOnly:
        def __init__(self, *args, **kwargs):
            raise NotImplementedError(f"cyclus.lib.{{name}} {marker}; cycsrv does not reimplement it")
    _CppOnly.__name__ = name
    return _CppOnly


for _name in ("Hdf5Back", "SqliteBack", "Recorder", "Logger", "DynamicModule", "SimInit", "InfileTree",
              "XMLFileLoader", "XMLFlatLoader", "Timer"):
    globals().setdefault(_name, _needs_cpp(_name))


if "Env" not in globals():
    class Env:
        """What Cyclus's Env answers that a test suite asks: may exclusive orders be MILPs."""

        @property
        def allow_milps(self):
            value = _os.environ.get("ALLOW_MILPS")
            return True if value is None else value.strip().lower() not in ("", "f", "false", "0")
'''

SYSTEM = '''"""Scratch cyclus.system: cycsrv.compat.system, plus Cyclus's CMake defaults it lacks (scripts/cyclus_suite.py)."""
from cycsrv.compat import system as _system

globals().update({k: v for k, v in vars(_system).items() if not k.startswith("__")})
for _name, _value in {"CY_NEAR_ZERO": 1e-08, "CY_LARGE_DOUBLE": 1e299, "CY_LARGE_INT": 2147483647}.items():
    globals().setdefault(_name, _value)
'''

PLUGIN = '''"""Keeps only the thread counts asked for (scripts/cyclus_suite.py --threads)."""
import os


def pytest_collection_modifyitems(config, items):
    keep = set(os.environ.get("CYCSRV_SUITE_THREADS", "").split(","))
    if keep == {""}:
        return
    selected, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        (dropped if "thread_count" in params and params["thread_count"] not in keep else selected).append(item)
    items[:] = selected
    config.hook.pytest_deselected(items=dropped)
'''


def make_harness(root: Path) -> dict[str, str]:
    """The scratch bin/ and python/ directories; returns the environment additions."""
    from cycsrv.compat.loader import NEEDS_CPP as CPP_ONLY
    from cycsrv.compat.loader import PROVIDED

    bin_dir, py_dir = root / "bin", root / "python"
    (py_dir / "cyclus").mkdir(parents=True)
    bin_dir.mkdir()
    wrapper = bin_dir / "cyclus"
    wrapper.write_text(WRAPPER.format(python=sys.executable))
    wrapper.chmod(0o755)
    (py_dir / "cyclus" / "__init__.py").write_text(PACKAGE_INIT)
    for name, target in PROVIDED.items():
        sub = name.partition(".")[2]
        if not sub or sub in ("lib", "system"):
            continue
        (py_dir / "cyclus" / f"{sub}.py").write_text(ALIAS.format(sub=sub, target=target))
    (py_dir / "cyclus" / "lib.py").write_text(LIB.format(marker=CPP_MARKER))
    (py_dir / "cyclus" / "system.py").write_text(SYSTEM)
    for name in CPP_ONLY:
        sub = name.partition(".")[2]
        (py_dir / "cyclus" / f"{sub}.py").write_text(NEEDS_CPP.format(sub=sub, marker=CPP_MARKER))
    (py_dir / "cycsrv_suite_plugin.py").write_text(PLUGIN)
    path = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
    return {"PATH": path, "PYTHONPATH": str(py_dir)}


def configure_cycamore(tests: Path, bin_dir: Path) -> None:
    """Fill in Cycamore's CMake-configured test helper (run_inputs.py.in)."""
    src = tests / "run_inputs.py.in"
    if src.exists():
        text = src.read_text().replace("@cyclus_path@", str(bin_dir)).replace("@input_path@", str(tests.parent / "input"))
        (tests / "run_inputs.py").write_text(text)


def run_suite(tree: Path, scratch: Path, env_add: dict[str, str], mode: str, threads: str | None,
              files: list[str] | None) -> list[dict[str, str]]:
    """Copy `tree`'s tests to `scratch`, run them in `mode`, return one record per test."""
    work = scratch / f"{tree.name}-{mode}"
    shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns(".git", "build"))
    tests = work / "tests"
    configure_cycamore(tests, Path(env_add["PATH"].split(os.pathsep)[0]))
    env = dict(os.environ, **env_add)
    env.pop("CIRCLECI", None)
    if mode == "sqlite":
        env["CI"] = "true"
    else:
        env.pop("CI", None)
    if threads:
        env["CYCSRV_SUITE_THREADS"] = threads
    chosen = files or sorted(p.name for p in tests.glob("test_*.py"))
    report = scratch / f"{tree.name}-{mode}.xml"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "cycsrv_suite_plugin",
           "--continue-on-collection-errors",
           f"--junitxml={report}", "-o", "junit_family=xunit1", *chosen]
    subprocess.run(cmd, cwd=tests, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [dict(rec, suite=tree.name, mode=mode) for rec in read_report(report)]


def read_report(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return [{"test": "(pytest did not run)", "outcome": "failed", "reason": f"no report {path}"}]
    out = []
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        module = name.split("::")[0].split(".")[-1]
        outcome, reason, detail = "passed", "", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = "skipped" if tag == "skipped" else "failed"
                detail = (node.get("message") or "") + "\n" + (node.text or "")
                reason = _reason(node.get("message") or "", node.text or "")
                break
        if module in CPP_MODULES:
            # a pass here would only test the scratch stand-in, not cycsrv
            outcome, reason = "needs C++", CPP_MODULES[module]
        elif outcome == "failed" and CPP_MARKER in detail:
            outcome = "needs C++"
        if module in TOOLING_MODULES:
            # Cyclus's build tooling (needs its CMake-generated files), whatever the simulator
            outcome, reason = "tooling", TOOLING_MODULES[module] + (f" ({outcome}: {reason})" if reason else "")
        out.append({"test": name, "outcome": outcome, "reason": reason})
    return out


def _reason(message: str, text: str) -> str:
    lines = [x for x in text.splitlines() if re.match(r"^E\s", x)]
    first = message or (lines[0][1:].strip() if lines else "")
    return " ".join(first.split())[:200]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cyclus", type=Path, help="Cyclus source tree")
    p.add_argument("--cycamore", type=Path, help="Cycamore source tree (runs its regression suite too)")
    p.add_argument("--mode", choices=("sqlite", "h5", "both"), default="both")
    p.add_argument("--threads", help="thread_count values to keep, e.g. 1 or 1,2,3,4 (default: all)")
    p.add_argument("--files", nargs="+", help="only these test files (names inside tests/)")
    p.add_argument("--json", type=Path, help="also write the records as JSON here")
    args = p.parse_args(argv)
    modes = ("sqlite", "h5") if args.mode == "both" else (args.mode,)
    records: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="cycsrv-suite-") as tmp:
        scratch = Path(tmp)
        env_add = make_harness(scratch / "harness")
        for tree in [args.cyclus, *([args.cycamore] if args.cycamore else [])]:
            for mode in modes:
                records += run_suite(tree.resolve(), scratch, env_add, mode, args.threads, args.files)
    for rec in records:
        print(f"{rec['suite']:<10} {rec['mode']:<6} {rec['outcome']:<9} {rec['test']}"
              + (f"  -- {rec['reason']}" if rec["reason"] and rec["outcome"] != "passed" else ""))
    print()
    for (suite, mode), group in sorted(_groups(records).items()):
        counts = Counter(r["outcome"] for r in group)
        print(f"{suite} [{mode}]: " + ", ".join(f"{counts[k]} {k}" for k in ("passed", "failed", "skipped", "needs C++",
                                                                          "tooling")))
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))
    return 1 if any(r["outcome"] == "failed" for r in records) else 0


def _groups(records: list[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, str]]]:
    out: dict[tuple[str, str], list[dict[str, str]]] = {}
    for rec in records:
        out.setdefault((rec["suite"], rec["mode"]), []).append(rec)
    return out


if __name__ == "__main__":
    sys.exit(main())
