"""Preference adjustment in the exchange: requesters, then their institution and region,
adjust the preferences of the bids on their requests; a negative preference refuses a bid."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import CollectingBackend

from cycsrv.kernel.simulation import Simulation

MODULE = '''
from cycsrv.archetypes.agents import NullInst, Sink

CALLS = []


class PickySink(Sink):
    """Refuses bids from agent `refused_id` and doubles the preference of every other bid."""

    def adjust_material_prefs(self, prefs):
        CALLS.append(("sink", self.id))
        for bids in prefs.values():
            for bid in bids:
                bids[bid] = -1.0 if bid.bidder.prototype == "refused" else 2.0 * bids[bid]


class HalvingInst(NullInst):
    """Halves the preferences its facilities set (runs after the requester's own adjustment)."""

    def adjust_material_prefs(self, prefs):
        CALLS.append(("inst", self.id))
        for bids in prefs.values():
            for bid in bids:
                if bids[bid] > 0:
                    bids[bid] = 0.5 * bids[bid]
'''

INPUT = '''<simulation>
  <control><duration>3</duration><startmonth>1</startmonth><startyear>2020</startyear></control>
  <archetypes>
    <spec><lib>agents</lib><name>Source</name></spec>
    <spec><lib>agents</lib><name>Sink</name></spec>
    <spec><lib>picky</lib><name>PickySink</name></spec>
    <spec><lib>picky</lib><name>HalvingInst</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec>
    <spec><lib>agents</lib><name>NullRegion</name></spec>
  </archetypes>
  <facility><name>refused</name><config><Source><commod>c</commod><recipe_name>r</recipe_name>
    <capacity>10</capacity></Source></config></facility>
  <facility><name>accepted</name><config><Source><commod>c</commod><recipe_name>r</recipe_name>
    <capacity>1</capacity></Source></config></facility>
  <facility><name>picky</name><config><PickySink><in_commods><val>c</val></in_commods>
    <capacity>5</capacity></PickySink></config></facility>
  <facility><name>plain</name><config><Sink><in_commods><val>c</val></in_commods>
    <capacity>3</capacity></Sink></config></facility>
  <region><name>reg</name><config><NullRegion/></config>
    <institution><name>sources</name><config><NullInst/></config>
      <initialfacilitylist><entry><prototype>refused</prototype><number>1</number></entry>
        <entry><prototype>accepted</prototype><number>1</number></entry></initialfacilitylist>
    </institution>
    <institution><name>halving</name><config><HalvingInst/></config>
      <initialfacilitylist><entry><prototype>picky</prototype><number>1</number></entry></initialfacilitylist>
    </institution>
    <institution><name>plain_inst</name><config><NullInst/></config>
      <initialfacilitylist><entry><prototype>plain</prototype><number>1</number></entry></initialfacilitylist>
    </institution>
  </region>
  <recipe><name>r</name><basis>mass</basis><nuclide><id>U238</id><comp>1</comp></nuclide></recipe>
</simulation>
'''


def _run(tmp_path: Path) -> tuple[Simulation, CollectingBackend]:
    (tmp_path / "picky.py").write_text(MODULE)
    path = tmp_path / "in.xml"
    path.write_text(INPUT)
    backend = CollectingBackend()
    sim = Simulation.from_file(path, backends=[backend])
    sim.run()
    sim.close()
    return sim, backend


def test_refused_bids_never_trade_and_adjusted_prefs_are_recorded(tmp_path):
    sim, backend = _run(tmp_path)
    by_name = {a.prototype: a.id for a in sim.context.agents.values()}
    rows = backend.rows["Transactions"]
    to_picky = [r for r in rows if r[2] == by_name["picky"]]
    # the picky sink refuses the big source: it gets only the small one's 1 kg per step
    assert [(r[1], r[5]) for r in to_picky] == [(by_name["accepted"], t) for t in range(3)]
    # its own doubling then its institution's halving: adjusted preference 1.0 -> 1/1.0
    assert all((r[6], r[7]) == (1.0, 1.0) for r in to_picky)
    # the plain sink is not adjusted by anyone and trades with the big source
    to_plain = [r for r in rows if r[2] == by_name["plain"]]
    assert {r[1] for r in to_plain} == {by_name["refused"]}
    assert all((r[6], r[7]) == (1.0, 1.0) for r in to_plain)


def test_requester_adjusts_before_its_institution(tmp_path):
    sim, _ = _run(tmp_path)
    agents = list(sim.context.agents.values())
    sink = next(a for a in agents if a.prototype == "picky")
    inst = next(a for a in agents if type(a).__name__ == "HalvingInst")
    calls = sys.modules[type(sink).__module__].CALLS[-6:]  # the module may be shared with other runs
    # once each per step, the requester first; never for the plain sink
    assert calls == [("sink", sink.id), ("inst", inst.id)] * 3
