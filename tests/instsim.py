"""Inputs with custom regions and institutions, for the cycamore institution and region tests.

`run_insts` writes a whole input (archetype specs, facility prototypes, one region with its
institutions, a one-nuclide recipe "r"), runs it with the kernel and returns the rows of every
table (tests/mocksim.py's `Rows`, with the finished context reachable).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from mocksim import Rows

from cycsrv.kernel.simulation import Simulation

SPECS = [("agents", "NullRegion"), ("agents", "NullInst"), ("cycamore", "Source"), ("cycamore", "Sink"),
         ("cycamore", "DeployInst"), ("cycamore", "ManagerInst"), ("cycamore", "GrowthRegion")]


def vals(*items: object) -> str:
    """`<val>` elements for a list-valued state variable."""
    return "".join(f"<val>{v}</val>" for v in items)


def deploy_inst(name: str, prototypes: list[str], build_times: list[int], n_build: list[int],
                lifetimes: list[int] | None = None, extra: str = "") -> str:
    """A DeployInst institution element."""
    life = f"<lifetimes>{vals(*lifetimes)}</lifetimes>" if lifetimes is not None else ""
    return (f"<institution><name>{name}</name><config><DeployInst><prototypes>{vals(*prototypes)}</prototypes>"
            f"<build_times>{vals(*build_times)}</build_times><n_build>{vals(*n_build)}</n_build>{life}{extra}"
            "</DeployInst></config></institution>")


def manager_inst(name: str, prototypes: list[str], initial: dict[str, int] | None = None) -> str:
    """A ManagerInst institution element, optionally with initial facilities."""
    entries = "".join(f"<entry><prototype>{p}</prototype><number>{n}</number></entry>"
                      for p, n in (initial or {}).items())
    init = f"<initialfacilitylist>{entries}</initialfacilitylist>" if entries else ""
    return (f"<institution><name>{name}</name>{init}<config><ManagerInst><prototypes>{vals(*prototypes)}"
            "</prototypes></ManagerInst></config></institution>")


def growth_region(demand: dict[str, list[tuple[int, str, str]]]) -> str:
    """A GrowthRegion config: commodity -> [(start, type, params), ...]."""
    items = ""
    for commod, pieces in demand.items():
        ps = "".join(f"<piece><start>{s}</start><function><type>{t}</type><params>{p}</params></function></piece>"
                     for s, t, p in pieces)
        items += f"<item><commod>{commod}</commod><piecewise_function>{ps}</piecewise_function></item>"
    return f"<GrowthRegion><growth>{items}</growth></GrowthRegion>"


def source(name: str, commod: str, throughput: float, lifetime: int | None = None) -> str:
    """A cycamore Source prototype (a commodity producer of `throughput`)."""
    life = f"<lifetime>{lifetime}</lifetime>" if lifetime is not None else ""
    return (f"<facility><name>{name}</name>{life}<config><Source><outcommod>{commod}</outcommod>"
            f"<outrecipe>r</outrecipe><throughput>{throughput}</throughput></Source></config></facility>")


def dummy(name: str, lifetime: int | None = None) -> str:
    """A Sink prototype that produces nothing and takes nothing (like Cyclus's MockSim DummyProto)."""
    life = f"<lifetime>{lifetime}</lifetime>" if lifetime is not None else ""
    return (f"<facility><name>{name}</name>{life}<config><Sink><in_commods>{vals('none')}</in_commods>"
            "<capacity>0</capacity></Sink></config></facility>")


def run_insts(facilities: list[str], institutions: list[str], duration: int,
              region: str = "<NullRegion/>") -> Rows:
    """Run one region (config `region`) holding `institutions` for `duration` steps."""
    specs = "".join(f"<spec><lib>{lib}</lib><name>{n}</name></spec>" for lib, n in SPECS)
    text = f"""<simulation>
  <control><duration>{duration}</duration><startmonth>1</startmonth><startyear>2000</startyear></control>
  <archetypes>{specs}</archetypes>
  {''.join(facilities)}
  <region><name>R</name><config>{region}</config>{''.join(institutions)}</region>
  <recipe><name>r</name><basis>mass</basis><nuclide><id>H1</id><comp>1</comp></nuclide></recipe>
</simulation>"""
    rows = Rows()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "input.xml"
        path.write_text(text)
        sim = Simulation.from_file(path, backends=[rows])
        rows.context = sim.context
        try:
            sim.run()
        finally:
            sim.close()
    return rows
