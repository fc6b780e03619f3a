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


#: AgentState_cycamore_<Name>Info columns of the reference outputs (after AgentId, SimTime).
REFERENCE_COLUMNS = {
    "Source": "latitude longitude outcommod outrecipe inventory_size throughput package transport_unit",
    "Sink": "latitude longitude in_commods in_commod_prefs recipe_name max_inv_size capacity random_size_type "
            "random_size_mean random_size_stddev random_frequency_type random_frequency_mean "
            "random_frequency_stddev random_frequency_min random_frequency_max keep_packaging",
    "Storage": "in_commods in_commod_prefs out_commods in_recipe residence_time throughput max_inv_size "
               "discrete_handling package transport_unit entry_times active_buying_frequency_type "
               "active_buying_val active_buying_min active_buying_max active_buying_mean active_buying_stddev "
               "active_buying_end_probability active_buying_disruption_probability active_buying_disruption "
               "dormant_buying_frequency_type dormant_buying_val dormant_buying_min dormant_buying_max "
               "dormant_buying_mean dormant_buying_stddev dormant_buying_end_probability "
               "dormant_buying_disruption_probability dormant_buying_disruption buying_size_type "
               "buying_size_val buying_size_min buying_size_max buying_size_mean buying_size_stddev "
               "reorder_point reorder_quantity cumulative_cap sell_quantity latitude longitude",
    # not in the reference outputs; from the Cycamore headers' declaration order
    "Mixer": "streams_ out_commod out_buf_size throughput latitude longitude",
    "Conversion": "latitude longitude incommods outcommod throughput input_capacity",
}


@pytest.mark.parametrize("name", sorted(REFERENCE_COLUMNS))
def test_state_variables_follow_cyclus_column_order(name):
    from cycsrv.archetypes.cycamore import ARCHETYPES

    assert list(ARCHETYPES[name].state_vars) == REFERENCE_COLUMNS[name].split()


@pytest.mark.parametrize("name", sorted(REFERENCE_COLUMNS))
def test_annotations_describe_the_archetype(name):
    from cycsrv.archetypes.registry import annotations

    ann = annotations(f":cycamore:{name}")
    assert ann["name"] == f"cycamore::{name}"
    assert ann["entity"] == "facility"
    assert ann["doc"]
    indexes = sorted(v["index"] for v in ann["vars"].values())
    assert indexes == list(range(len(indexes)))
    assert ann["vars"]["latitude"]["default"] == 0.0
