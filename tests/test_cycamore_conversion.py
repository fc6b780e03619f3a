"""cycamore:Conversion: bulk buffers, throughput-limited conversion, unchanged composition."""

from __future__ import annotations

from mocksim import agent, facility, run_sim, sink, source, transactions


def _conversion(extra: str) -> str:
    return facility("Cv", "Conversion", f"<incommods><val>a</val><val>b</val></incommods><outcommod>c</outcommod>{extra}")


def test_requests_free_input_space_and_converts_at_throughput():
    rows = run_sim([source("A", "a", 3, "natu"), _conversion("<throughput>2</throughput><input_capacity>5</input_capacity>"),
                    sink("Out", "c")], 4)
    got = [(t["Time"], t["Quantity"]) for t in transactions(rows, receiver="Cv")]
    sent = [(t["Time"], t["Quantity"]) for t in transactions(rows, sender="Cv")]
    assert got == [(0, 3), (1, 3), (2, 3), (3, 2)]
    assert sent == [(1, 2), (2, 2), (3, 2)]


def test_every_input_commodity_is_requested_into_one_bulk_buffer():
    rows = run_sim([source("A", "a", 2, "natu"), source("B", "b", 2, "pu"),
                    _conversion("<input_capacity>5</input_capacity><throughput>0</throughput>")], 1)
    # (the requests are not mutual: as in Cycamore, two suppliers can together exceed the free space)
    got = sorted((t["Time"], t["Commodity"], t["Quantity"]) for t in transactions(rows, receiver="Cv"))
    assert got == [(0, "a", 2), (0, "b", 2)]
    (held,) = agent(rows, "Cv").input_buf.items()  # a bulk buffer: one material
    assert held.qty == 4


def test_composition_passes_through_unchanged():
    rows = run_sim([source("A", "a", 1, "pu"), _conversion(""), sink("Out", "c")], 3)
    pu = {r["Recipe"]: r["QualId"] for r in rows.table("Recipes")}["pu"]
    assert {t["QualId"] for t in transactions(rows, sender="Cv")} == {pu}
    cv = agent(rows, "Cv").id
    assert not [n for n in rows.fields if n.startswith("TimeSeries") and cv in rows.of(n, "AgentId")]
