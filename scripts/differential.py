#!/usr/bin/env python3
"""Differential test of the exchange solvers: generated contended-supply inputs, cycsrv vs real Cyclus.

Usage: scripts/differential.py [--count N] [--seed S] [--solver greedy|coin-or|both]
                               [--oracle PATH] [--out DIR] [--keep]

Each input is drawn deterministically from (seed, index): several Sources (one commodity each,
a throughput), Sinks accepting several commodities at mixed preferences with capacities, and
cycamore Reactors whose assemblies are exclusive requests (several fuels, preferences, batch
sizes), over 3 commodities at most, for 4-10 steps. The same input is run by cycsrv (in this
process) and by the oracle (real Cyclus built beside the project; default /work/oracle/bin/cyclus-oracle)
once per solver, and compared with shared/tools/flowcmp.py. Prints one line per run and the
counts EXACT MATCH / FLOW MATCH / FLOW MISMATCH / ERROR per solver. Every run that is not
exact is explained: the first time step whose trades differ, where Cyclus's trades are put
into cycsrv's program for that step (same history until then) and judged: another optimum
(a tie: same objective), cheaper for one side, or not a point of the program (the
formulations differ). `--out` keeps a JSON report
(and, with --keep, every input and output) for looking into mismatches.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:

    from cycsrv.kernel.solvers.program import Program

ROOT = Path(__file__).resolve().parent.parent
FLOWCMP = ROOT.parent / "shared" / "tools" / "flowcmp.py"
ORACLE = Path("/work/oracle/bin/cyclus-oracle")
SOLVERS = {
    "greedy": "<solver><config><greedy/></config></solver>",
    "coin-or": "<solver><config><coin-or/></config></solver>",
}
PREFS = (0.5, 1.0, 1.0, 1.1, 1.5, 2.0, 3.0)
RECIPES = """
  <recipe><name>fuel</name><basis>mass</basis>
    <nuclide><id>U235</id><comp>0.04</comp></nuclide><nuclide><id>U238</id><comp>0.96</comp></nuclide></recipe>
  <recipe><name>spent</name><basis>mass</basis>
    <nuclide><id>U235</id><comp>0.01</comp></nuclide><nuclide><id>U238</id><comp>0.99</comp></nuclide></recipe>
"""


def _vals(xs: list[object]) -> str:
    return "".join(f"<val>{x}</val>" for x in xs)


def _source(name: str, commod: str, throughput: float) -> str:
    return (f"<facility><name>{name}</name><config><Source><outcommod>{commod}</outcommod>"
            f"<outrecipe>fuel</outrecipe><throughput>{throughput}</throughput></Source></config></facility>")


def _sink(name: str, commods: list[str], prefs: list[float], capacity: float) -> str:
    return (f"<facility><name>{name}</name><config><Sink><in_commods>{_vals(commods)}</in_commods>"
            f"<in_commod_prefs>{_vals(prefs)}</in_commod_prefs><capacity>{capacity}</capacity>"
            "</Sink></config></facility>")


def _reactor(name: str, commods: list[str], prefs: list[float], rng: random.Random) -> str:
    n = len(commods)
    core = rng.choice((1, 1, 2, 3))
    batch = rng.randint(1, core)
    return (f"<facility><name>{name}</name><config><Reactor>"
            f"<fuel_incommods>{_vals(commods)}</fuel_incommods><fuel_inrecipes>{_vals(['fuel'] * n)}</fuel_inrecipes>"
            f"<fuel_outcommods>{_vals(['spent'] * n)}</fuel_outcommods>"
            f"<fuel_outrecipes>{_vals(['spent'] * n)}</fuel_outrecipes><fuel_prefs>{_vals(prefs)}</fuel_prefs>"
            f"<cycle_time>{rng.choice((1, 1, 2, 3))}</cycle_time><refuel_time>{rng.choice((0, 0, 1))}</refuel_time>"
            f"<assem_size>{rng.choice((5, 10, 10, 12.5))}</assem_size><n_assem_core>{core}</n_assem_core>"
            f"<n_assem_batch>{batch}</n_assem_batch></Reactor></config></facility>")


def generate(seed: int, index: int) -> tuple[str, dict[str, object]]:
    """One input (without its solver block, marked {SOLVER}) and what it holds."""
    rng = random.Random(seed * 1_000_003 + index)
    family = ("sinks", "reactors", "mixed")[index % 3]
    commods = ["A", "B", "C"][: rng.randint(1, 3)]
    facilities: list[str] = []
    names: list[str] = []
    for i in range(rng.randint(2, 4)):
        name = f"Src{i}"
        facilities.append(_source(name, rng.choice(commods), rng.choice((5, 10, 10, 15, 20, 25, 33.3))))
        names.append(name)
    n_sinks = {"sinks": rng.randint(2, 4), "reactors": 0, "mixed": rng.randint(1, 2)}[family]
    n_reactors = {"sinks": 0, "reactors": rng.randint(2, 4), "mixed": rng.randint(1, 3)}[family]
    for i in range(n_sinks):
        accepted = rng.sample(commods, rng.randint(1, len(commods)))
        name = f"Snk{i}"
        facilities.append(_sink(name, accepted, [rng.choice(PREFS) for _ in accepted],
                                rng.choice((5, 10, 10, 20, 30))))
        names.append(name)
    for i in range(n_reactors):
        accepted = rng.sample(commods, rng.randint(1, len(commods)))
        name = f"Rx{i}"
        facilities.append(_reactor(name, accepted, [rng.choice(PREFS) for _ in accepted], rng))
        names.append(name)
    if n_reactors:
        facilities.append(_sink("Repo", ["spent"], [1.0], 1000))
        names.append("Repo")
    archs = sorted({"Source"} | ({"Sink"} if n_sinks or n_reactors else set()) | ({"Reactor"} if n_reactors else set()))
    specs = "".join(f"<spec><lib>cycamore</lib><name>{a}</name></spec>" for a in archs)
    entries = "".join(f"<entry><prototype>{n}</prototype><number>1</number></entry>" for n in names)
    duration = rng.randint(4, 10)
    text = f"""<simulation>
  <control><duration>{duration}</duration><startmonth>1</startmonth><startyear>2000</startyear>{{SOLVER}}</control>
  <archetypes>{specs}<spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec></archetypes>
  {"".join(facilities)}
  <region><name>R</name><config><NullRegion/></config>
    <institution><name>I</name><initialfacilitylist>{entries}</initialfacilitylist><config><NullInst/></config>
    </institution></region>
{RECIPES}</simulation>
"""
    return text, {"family": family, "commodities": len(commods), "facilities": len(names), "duration": duration}


def run_cycsrv(inp: Path, out: Path) -> str | None:
    """Run cycsrv in this process; the error text if it failed."""
    from cycsrv.kernel.simulation import Simulation
    from cycsrv.store.sqlite import SqliteBackend

    try:
        sim = Simulation.from_file(inp, backends=[SqliteBackend(str(out))])
        try:
            sim.run()
        finally:
            sim.close()
    except Exception as exc:  # reported per input, the harness goes on
        return f"{type(exc).__name__}: {exc}"
    return None


def run_oracle(oracle: Path, inp: Path, out: Path) -> tuple[str | None, float]:
    """Run real Cyclus; the error text if it failed, and its wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run([str(oracle), str(inp), "-o", str(out)], capture_output=True, text=True,
                          cwd=inp.parent, timeout=600)
    secs = time.perf_counter() - t0
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return f"exit {proc.returncode}: {' | '.join(tail)}", secs
    return None, secs


Flow = tuple[str, str, str, float]  # sender prototype, receiver prototype, commodity, kg


def trades_by_step(db: Path) -> dict[int, list[Flow]]:
    """Every transaction of an output, by time step, as sorted (sender, receiver, commodity, kg)."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT t.Time, s.Prototype, r.Prototype, t.Commodity, q.Quantity FROM Transactions t "
            "JOIN AgentEntry s ON s.AgentId = t.SenderId JOIN AgentEntry r ON r.AgentId = t.ReceiverId "
            "JOIN Resources q ON q.ResourceId = t.ResourceId").fetchall()
    finally:
        con.close()
    steps: dict[int, list[Flow]] = {}
    for step, sender, receiver, commod, qty in rows:
        steps.setdefault(step, []).append((sender, receiver, commod, qty))
    return {t: sorted(fs) for t, fs in steps.items()}


def first_divergence(ref: Path, ours: Path) -> int | None:
    """The first time step whose trades differ (amounts to 1e-9 relative), or None."""
    a, b = trades_by_step(ref), trades_by_step(ours)

    def same(x: list[Flow], y: list[Flow]) -> bool:
        return len(x) == len(y) and all(
            p[:3] == q[:3] and abs(p[3] - q[3]) <= 1e-9 * max(1.0, abs(p[3])) for p, q in zip(x, y, strict=True))

    for t in sorted(set(a) | set(b)):
        if not same(a.get(t, []), b.get(t, [])):
            return t
    return None


def _column_values(prog: Program, flows: list[Flow]) -> list[float] | None:
    """Cyclus's trades of one step as a point of cycsrv's program (arc columns; None if a trade fits no arc)."""
    x = [0.0] * prog.num_cols
    by_key: dict[tuple[str, str, str], list[int]] = {}
    for j, (r, b, _unit) in enumerate(prog.arcs):
        by_key.setdefault((b.bidder.prototype, r.requester.prototype, r.commodity), []).append(j)
    binary = set(prog.integer_cols)
    filled: set[int] = set()  # exclusive request portfolios (a reactor's assemblies) already given one
    for sender, receiver, commod, qty in flows:
        cols = by_key.get((sender, receiver, commod))
        if not cols:
            return None
        for j in cols:
            r, _, unit = prog.arcs[j]
            if j in binary:
                if x[j] == 0 and abs(unit - qty) <= 1e-9 * max(1.0, qty) and not (
                        r.exclusive and id(r.portfolio) in filled):
                    x[j] = 1.0
                    if r.exclusive:
                        filled.add(id(r.portfolio))
                    break
            else:
                x[j] += qty
                break
        else:
            return None
    return x


def _objective_of(prog: Program, x: list[float]) -> tuple[float, float]:
    """(objective, worst row violation) of arc values `x`, unmet-demand columns set as low as feasible."""
    import numpy as np

    p = prog
    n_arcs = len(p.arcs)
    v = np.array(x, dtype=float)
    v[n_arcs:] = 0.0
    starts = [*p.row_starts, len(p.row_index)]
    need = np.zeros(len(v))
    acts = []
    for i in range(p.num_rows):
        idx = np.array(p.row_index[starts[i]:starts[i + 1]], dtype=int)
        val = np.array(p.row_value[starts[i]:starts[i + 1]])
        act = float(np.dot(v[idx], val))
        acts.append((idx, val))
        for j in idx:
            if j >= n_arcs:
                need[j] = max(need[j], p.row_lower[i] - act)
    v[n_arcs:] = np.maximum(need[n_arcs:], 0.0)
    worst = 0.0
    for i, (idx, val) in enumerate(acts):
        act = float(np.dot(v[idx], val))
        lo, hi = p.row_lower[i], p.row_upper[i]
        worst = max(worst, (lo - act) / max(1.0, abs(lo)), (act - hi) / max(1.0, abs(hi)))
    upper = np.array(p.col_upper)
    worst = max(worst, float(np.max((v - upper) / np.maximum(1.0, upper), initial=0.0)))
    return float(np.dot(np.array(p.cost), v)), worst


def explain(inp: Path, ref: Path, ours: Path) -> str:
    """Why a coin-or run differs: the first step whose trades differ, and Cyclus's trades judged in our program there."""
    from cycsrv.kernel.simulation import Simulation
    from cycsrv.store.sqlite import SqliteBackend

    t = first_divergence(ref, ours)
    if t is None:
        return "same trades (the difference is elsewhere)"
    solved: dict[int, tuple[Program, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sim = Simulation.from_file(inp, backends=[SqliteBackend(str(Path(tmp) / "x.sqlite"))])
        solver = sim.context.exchange_solver
        if solver is None:
            sim.close()
            return f"t={t}: first step whose trades differ (greedy)"
        solve = solver.solve_program

        def recording(prog: Program, step: int) -> list[float]:
            values = solve(prog, step)
            solved.setdefault(step, (prog, values))  # the material exchange comes first
            return values

        solver.solve_program = recording  # type: ignore[method-assign]
        try:
            sim.run()
        finally:
            sim.close()
    if t not in solved:
        return f"t={t}: cycsrv solved no exchange there"
    prog, values = solved[t]
    x = _column_values(prog, trades_by_step(ref).get(t, []))
    if x is None:
        return f"t={t}: a Cyclus trade has no arc in cycsrv's program (the exchanges differ)"
    ours_obj, _ = _objective_of(prog, values)
    theirs, violation = _objective_of(prog, x)
    if violation > 1e-7:
        return f"t={t}: Cyclus's trades break a row of cycsrv's program by {violation:.3g} (formulations differ)"
    gap = (theirs - ours_obj) / max(1.0, abs(ours_obj))
    if abs(gap) <= 1e-9:
        return f"t={t}: tie (another optimum, objective {ours_obj:.9g})"
    who = "Cyclus" if gap < 0 else "cycsrv"
    return f"t={t}: {who} cheaper (objective cycsrv {ours_obj:.9g}, Cyclus {theirs:.9g})"


def compare(ref: Path, ours: Path) -> tuple[str, list[str]]:
    """flowcmp's verdict (EXACT MATCH / FLOW MATCH / FLOW MISMATCH) and its detail lines."""
    proc = subprocess.run([sys.executable, str(FLOWCMP), str(ref), str(ours)], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    last = lines[-1] if lines else proc.stderr.strip()
    verdict = next((v for v in ("EXACT MATCH", "FLOW MATCH", "FLOW MISMATCH") if last.startswith(v)), "ERROR")
    return verdict, lines[:-1][:12]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200, help="generated inputs per solver (default 200)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--solver", choices=("greedy", "coin-or", "both"), default="both")
    ap.add_argument("--oracle", type=Path, default=ORACLE)
    ap.add_argument("--out", type=Path, help="directory for the JSON report (and inputs/outputs with --keep)")
    ap.add_argument("--keep", action="store_true", help="keep every input and output under --out")
    args = ap.parse_args(argv)
    if not args.oracle.exists():
        print(f"differential: no oracle at {args.oracle} (see docs/solver.md: Checked against real Cyclus)", file=sys.stderr)
        return 2
    solvers = ["greedy", "coin-or"] if args.solver == "both" else [args.solver]
    counts: dict[str, Counter[str]] = {s: Counter() for s in solvers}
    causes: dict[str, Counter[str]] = {s: Counter() for s in solvers}
    report: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        work = args.out if args.keep and args.out else Path(tmpdir)
        work.mkdir(parents=True, exist_ok=True)
        for i in range(args.count):
            template, info = generate(args.seed, i)
            for solver in solvers:
                stem = f"{i:04d}_{solver}"
                inp = work / f"{stem}.xml"
                inp.write_text(template.replace("{SOLVER}", SOLVERS[solver]))
                ref, ours = work / f"{stem}.cyclus.sqlite", work / f"{stem}.cycsrv.sqlite"
                for p in (ref, ours):
                    p.unlink(missing_ok=True)
                oracle_err, _ = run_oracle(args.oracle, inp, ref)
                ours_err = run_cycsrv(inp, ours)
                if oracle_err or ours_err:
                    verdict, detail = "ERROR", [f"cyclus: {oracle_err}", f"cycsrv: {ours_err}"]
                else:
                    verdict, detail = compare(ref, ours)
                cause = explain(inp, ref, ours) if verdict in ("FLOW MATCH", "FLOW MISMATCH") else None
                if cause:
                    causes[solver][re.sub(r"^t=\d+: ", "", cause).split(" (")[0]] += 1
                    detail = [cause, *detail]
                counts[solver][verdict] += 1
                print(f"{stem} {info['family']:8s} {verdict}" + (f"  {detail[0]}" if detail and verdict != "EXACT MATCH"
                                                                else ""), flush=True)
                report.append({"input": i, "solver": solver, **info, "verdict": verdict, "detail": detail})
    for solver in solvers:
        c = counts[solver]
        print(f"{solver}: " + ", ".join(f"{k} {c[k]}" for k in ("EXACT MATCH", "FLOW MATCH", "FLOW MISMATCH", "ERROR")))
        for cause, n in causes[solver].most_common():
            print(f"  {n:4d}  {cause}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "differential.json").write_text(json.dumps(
            {"seed": args.seed, "count": args.count, "counts": {s: dict(c) for s, c in counts.items()},
             "causes": {s: dict(c) for s, c in causes.items()}, "runs": report}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
