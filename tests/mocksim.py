"""A small MockSim for archetype tests: one facility under test plus helper sources and sinks.

`run_sim` writes a complete input file (NullRegion, NullInst, every facility built at t=0),
runs it with the kernel and returns the rows of every table by name, like Cyclus's MockSim.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from cycsrv.kernel.simulation import Simulation


class Rows:
    """Every recorded row, by table name; `Rows.of(table, column)` reads one column."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.fields: dict[str, list[str]] = {}
        self.context: Any = None  # the finished simulation's context (agents still reachable)

    def notify(self, batches: Any) -> None:
        for b in batches:
            self.rows[b.schema.name].extend(b.rows)
            self.fields.setdefault(b.schema.name, [f.name for f in b.schema.fields])

    def close(self) -> None:
        pass

    def table(self, name: str) -> list[dict[str, Any]]:
        fields = self.fields.get(name, [])
        return [dict(zip(fields, r, strict=False)) for r in self.rows.get(name, [])]

    def of(self, name: str, column: str) -> list[Any]:
        return [r[column] for r in self.table(name)]


def source(name: str, commod: str, capacity: float | None = None, recipe: str = "", *,
           lifetime: int | None = None) -> str:
    """A cycamore Source prototype offering `commod` (optionally `capacity` kg per step)."""
    extra = f"<throughput>{capacity}</throughput>" if capacity is not None else ""
    extra += f"<outrecipe>{recipe}</outrecipe>" if recipe else ""
    life = f"<lifetime>{lifetime}</lifetime>" if lifetime is not None else ""
    return (f"<facility><name>{name}</name>{life}<config><Source><outcommod>{commod}</outcommod>{extra}"
            "</Source></config></facility>")


def sink(name: str, commod: str, capacity: float | None = None) -> str:
    """A cycamore Sink prototype requesting `commod`."""
    extra = f"<capacity>{capacity}</capacity>" if capacity is not None else ""
    return (f"<facility><name>{name}</name><config><Sink><in_commods><val>{commod}</val></in_commods>{extra}"
            "</Sink></config></facility>")


def facility(name: str, archetype: str, config: str) -> str:
    return f"<facility><name>{name}</name><config><{archetype}>{config}</{archetype}></config></facility>"


DEFAULT_RECIPES = """
<recipe><name>natu</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>0.711</comp></nuclide><nuclide><id>U238</id><comp>99.289</comp></nuclide>
</recipe>
<recipe><name>pu</name><basis>mass</basis><nuclide><id>Pu239</id><comp>1</comp></nuclide></recipe>
"""


def run_sim(facilities: list[str], duration: int, *, seed: int | None = None, extra: str = "",
            recipes: str = DEFAULT_RECIPES, backends: tuple[Any, ...] = (), control: str = "") -> Rows:
    """Run `facilities` (prototype XML, one of each built at t=0 in this order) for `duration` steps."""
    import re

    names = [re.search(r"<name>(.*?)</name>", f).group(1) for f in facilities]  # type: ignore[union-attr]
    archs = sorted({re.search(r"<config><(\w+)", f).group(1) for f in facilities})  # type: ignore[union-attr]
    specs = "".join(f"<spec><lib>cycamore</lib><name>{a}</name></spec>" for a in archs)
    entries = "".join(f"<entry><prototype>{n}</prototype><number>1</number></entry>" for n in names)
    seed_el = f"<seed>{seed}</seed>" if seed is not None else ""
    text = f"""<simulation>
  <control><duration>{duration}</duration><startmonth>1</startmonth><startyear>2000</startyear>{seed_el}{control}</control>
  <archetypes>{specs}<spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec></archetypes>
  {extra}
  {''.join(facilities)}
  <region><name>R</name><config><NullRegion/></config>
    <institution><name>I</name><initialfacilitylist>{entries}</initialfacilitylist><config><NullInst/></config>
    </institution></region>
  {recipes}
</simulation>"""
    rows = Rows()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "input.xml"
        path.write_text(text)
        sim = Simulation.from_file(path, backends=[rows, *backends])
        rows.context = sim.context
        try:
            sim.run()
        finally:
            sim.close()
    return rows


def agent(rows: Rows, prototype: str) -> Any:
    """The live agent of `prototype` at the end of the run."""
    return next(a for a in rows.context.agents.values() if a.prototype == prototype)


def agent_ids(rows: Rows) -> dict[str, int]:
    """Prototype name -> agent id (first agent of each prototype)."""
    out: dict[str, int] = {}
    for r in rows.table("AgentEntry"):
        out.setdefault(r["Prototype"], r["AgentId"])
    return out


def transactions(rows: Rows, sender: str | None = None, receiver: str | None = None) -> list[dict[str, Any]]:
    """Transactions (with the shipped quantity and package added), optionally by prototype names."""
    ids = agent_ids(rows)
    res = {r["ResourceId"]: r for r in rows.table("Resources")}
    out = []
    for t in rows.table("Transactions"):
        if sender is not None and t["SenderId"] != ids[sender]:
            continue
        if receiver is not None and t["ReceiverId"] != ids[receiver]:
            continue
        r = res[t["ResourceId"]]
        out.append({**t, "Quantity": r["Quantity"], "PackageName": r["PackageName"], "QualId": r["QualId"]})
    return out
