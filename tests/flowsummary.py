"""Flow summaries of a Cyclus-schema SQLite output, the facts `flowcmp.py` compares.

A summary is plain JSON: material moved between prototypes per step and commodity (total and
per nuclide), agent entries/exits per prototype and step, every TimeSeries table summed per
prototype and step, and the exact rows (AgentEntry, AgentExit, transactions). The reference
summaries in tests/data/flows/ were made from real Cyclus 1.6 outputs with
`scripts/make_flow_summaries.py`.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter, defaultdict
from typing import Any


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def summarize(path: str) -> dict[str, Any]:
    db = sqlite3.connect(path)
    try:
        names = _tables(db)
        protos = {r[0]: r[1] for r in db.execute("SELECT AgentId, Prototype FROM AgentEntry")}
        mass: dict[str, float] = defaultdict(float)
        nuc: dict[str, float] = defaultdict(float)
        comps: dict[int, list[tuple[int, float]]] = defaultdict(list)
        if "Compositions" in names:
            for qual, nucid, frac in db.execute("SELECT QualId, NucId, MassFrac FROM Compositions"):
                comps[qual].append((nucid, frac))
        tx: Counter[str] = Counter()
        if "Transactions" in names:
            q = ("SELECT t.Time, t.SenderId, t.ReceiverId, t.Commodity, r.Quantity, r.QualId, r.Type "
                 "FROM Transactions t JOIN Resources r ON t.ResourceId = r.ResourceId")
            for time, s, r, commod, qty, qual, typ in db.execute(q):
                key = f"{time}|{protos.get(s, s)}|{protos.get(r, r)}|{commod}"
                mass[key] += qty
                if typ == "Material":
                    for nucid, frac in comps.get(qual, ()):
                        nuc[f"{key}|{nucid}"] += qty * frac
                tx[f"{time}|{s}|{r}|{commod}|{round(qty, 6)}"] += 1
        entries = Counter(f"{p}|{t}" for p, t in db.execute("SELECT Prototype, EnterTime FROM AgentEntry"))
        exits: Counter[str] = Counter()
        agent_exit: Counter[str] = Counter()
        if "AgentExit" in names:
            for aid, t in db.execute("SELECT AgentId, ExitTime FROM AgentExit"):
                exits[f"{protos.get(aid, aid)}|{t}"] += 1
                agent_exit[f"{aid}|{t}"] += 1
        agent_entry = Counter("|".join(map(str, r)) for r in db.execute(
            "SELECT AgentId, Kind, Spec, Prototype, ParentId, Lifetime, EnterTime FROM AgentEntry"))
        timeseries: dict[str, dict[str, float]] = {}
        for t in sorted(n for n in names if n.startswith("TimeSeries")):
            acc: dict[str, float] = defaultdict(float)
            for aid, time, val in db.execute(f'SELECT AgentId, Time, Value FROM "{t}"'):
                acc[f"{protos.get(aid, aid)}|{time}"] += val
            timeseries[t] = dict(acc)
        return {
            "mass": dict(mass), "nuclide_mass": dict(nuc), "entries": dict(entries), "exits": dict(exits),
            "timeseries": timeseries,
            "exact": {"AgentEntry": dict(agent_entry), "AgentExit": dict(agent_exit), "Transactions": dict(tx)},
        }
    finally:
        db.close()


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def compare(ref: dict[str, Any], cand: dict[str, Any], tol: float = 1e-6) -> tuple[list[str], list[str]]:
    """(flow problems, exact-row problems) between two summaries; empty lists mean a match."""
    problems: list[str] = []

    def cmp(name: str, r: dict[str, float], c: dict[str, float]) -> None:
        bad = [k for k in sorted(set(r) | set(c)) if not _close(r.get(k, 0.0), c.get(k, 0.0), tol)]
        problems.extend(f"{name} {k}: reference {r.get(k, 0.0):.9g}, ours {c.get(k, 0.0):.9g}" for k in bad[:5])
        if len(bad) > 5:
            problems.append(f"{name}: ... {len(bad) - 5} more")

    for key in ("mass", "nuclide_mass", "entries", "exits"):
        cmp(key, ref[key], cand[key])
    for table in sorted(set(ref["timeseries"]) | set(cand["timeseries"])):
        if table not in cand["timeseries"]:
            problems.append(f"table {table} missing")
            continue
        cmp(table, ref["timeseries"].get(table, {}), cand["timeseries"][table])
    exact = []
    for table, rows in ref["exact"].items():
        theirs = cand["exact"][table]
        diff = sum(abs(rows.get(k, 0) - theirs.get(k, 0)) for k in set(rows) | set(theirs))
        if diff:
            exact.append(f"{table} differs in {diff} rows")
    return problems, exact
