"""Cycamore Source and Sink against real Cyclus: the minimal-input reference runs match exactly.

Same agent ids, same transactions (time, sender, receiver, commodity, quantity), same flows,
TimeSeries and entries/exits as the summaries in tests/data/flows/.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import FLOWS, INPUTS
from flowsummary import compare, summarize

MINIMAL = sorted(p.stem for p in INPUTS.glob("cycamore__input__minimal-input__*.xml"))


@pytest.mark.parametrize("name", MINIMAL)
def test_minimal_inputs_match_cyclus_exactly(name, run_input):
    out = run_input(INPUTS / f"{name}.xml")
    ref = json.loads((FLOWS / f"{name}.json").read_text())
    problems, exact = compare(ref, summarize(str(out)))
    assert not problems, "\n".join(problems)
    assert not exact, "\n".join(exact)


def test_minimal_input_resource_ids_follow_cyclus(run_input):
    """Each step makes six resource states and four objects, as Cycamore's Source and Sink do:
    the request target, the offer, the popped piece (made, then recorded), the inventory's new
    state and the packaged piece that is shipped."""
    out = run_input(INPUTS / "cycamore__input__minimal-input__source_1_sink_1.xml")
    db = sqlite3.connect(out)
    try:
        shipped = [r[0] for r in db.execute("SELECT ResourceId FROM Transactions ORDER BY Time")]
        next_ids = dict(db.execute("SELECT Object, NextId FROM NextIds WHERE Time = 10"))
        positions = db.execute("SELECT COUNT(*) FROM AgentPosition").fetchone()[0]
    finally:
        db.close()
    assert shipped == [7 + 6 * t for t in range(10)]
    assert next_ids["ResourceState"] == 62
    assert next_ids["ResourceObj"] == 42
    assert next_ids["Composition"] == 13
    assert positions == 2
