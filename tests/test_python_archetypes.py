"""Users' own Python archetypes, loaded from `<spec><lib>module</lib><name>Class</name></spec>`."""

from __future__ import annotations

from conftest import DATA, CollectingBackend

from cycsrv.archetypes.registry import annotations_of, load_archetype
from cycsrv.kernel.simulation import Simulation

PYARCH = DATA / "pyarch"


def test_user_module_runs_with_its_own_phases_and_trades():
    backend = CollectingBackend()
    sim = Simulation.from_file(PYARCH / "pyarch.xml", backends=[backend])
    sim.run()
    sim.close()
    pile = next(a for a in sim.context.agents.values() if a.prototype == "pile")
    assert pile.ticks == 5
    # 2.5 kg/day with one-day steps: 2.5 kg per step for 5 steps
    assert abs(pile.held - 12.5) < 1e-9
    assert [r[5] for r in backend.rows["Transactions"]] == [0, 1, 2, 3, 4]
    specs = {r[2] for r in backend.rows["AgentEntry"]}
    assert {":counting:Mine", ":counting:Stockpile"} <= specs


def test_user_archetype_annotations_list_its_variables():
    cls = load_archetype("", "counting", "Mine", base_dir=PYARCH)
    ann = annotations_of(cls)
    assert ann["entity"] == "facility"
    assert ann["vars"]["rate"]["default"] == 1.0
    assert ann["vars"]["rate"]["units"] == "kg/day"
    assert ann["vars"]["commod"]["doc"] == "commodity offered"
    assert "Offers `rate` kg per day" in ann["doc"]
