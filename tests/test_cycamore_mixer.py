"""cycamore:Mixer: ratio normalisation, mixing limited by streams/throughput/output space, requests."""

from __future__ import annotations

import pytest
from mocksim import agent, facility, run_sim, sink, source, transactions


def _streams(spec: list[tuple[float, float, str]]) -> str:
    return "".join(
        f"<stream><info><mixing_ratio>{r}</mixing_ratio><buf_size>{b}</buf_size></info>"
        f"<commodities><item><commodity>{c}</commodity><pref>1</pref></item></commodities></stream>"
        for r, b, c in spec)


STREAMS = [(0.8, 2.5, "stream1"), (0.15, 3, "stream2"), (0.05, 5, "stream3")]


def _mixer(spec=STREAMS, extra: str = "<out_buf_size>10</out_buf_size><throughput>1</throughput>") -> str:
    return facility("Mix", "Mixer", f"<in_streams>{_streams(spec)}</in_streams><out_commod>mixed</out_commod>{extra}")


def _sources() -> list[str]:
    return [source("S1", "stream1", 1, "natu"), source("S2", "stream2", 1, "pu"), source("S3", "stream3", 1, "natu")]


def test_complete_mixing_process_sells_one_kilogram():
    """Cycamore CompleteMixingProcess: ratios 0.8/0.15/0.05, throughput 1, 2 steps -> one 1.0 kg sale."""
    rows = run_sim([_mixer(), *_sources(), sink("Out", "mixed", 10)], 2)
    sold = transactions(rows, sender="Mix")
    assert [(t["Time"], t["Quantity"]) for t in sold] == [(1, pytest.approx(1.0))]
    assert [t["Commodity"] for t in transactions(rows, receiver="Mix")].count("stream1") == 2


def test_each_stream_gets_its_own_request():
    """Cycamore MultipleFissStreams: three streams, one step -> one transaction each."""
    rows = run_sim([_mixer(extra="<out_buf_size>0</out_buf_size><throughput>0</throughput>"), *_sources()], 1)
    assert sorted(t["Commodity"] for t in transactions(rows)) == ["stream1", "stream2", "stream3"]


def test_ratios_are_normalised_and_the_mix_follows_them():
    rows = run_sim([_mixer([(2, 10, "stream1"), (1, 10, "stream2")], "<throughput>3</throughput>"),
                    source("S1", "stream1", 10, "natu"), source("S2", "stream2", 10, "pu")], 2)
    mix = agent(rows, "Mix")
    assert mix.mixing_ratios == pytest.approx([2 / 3, 1 / 3])
    (mixed,) = mix.output_buf.items()
    assert mixed.qty == pytest.approx(3)
    mass = mixed.comp.mass()
    total = sum(mass.values())
    assert mass[942390000] / total == pytest.approx(1 / 3)


def test_zero_ratios_mean_equal_shares():
    rows = run_sim([_mixer([(0, 1, "stream1"), (0, 1, "stream2")])], 1)
    assert agent(rows, "Mix").mixing_ratios == [0.5, 0.5]


def test_demand_is_the_free_space_of_each_stream():
    rows = run_sim([_mixer()], 1)
    demand = {t: [r["Value"] for r in rows.table(f"TimeSeriesdemand{t}")] for t in ("stream1", "stream2", "stream3")}
    assert demand == {"stream1": [2.5], "stream2": [3], "stream3": [5]}
    assert [r["Value"] for r in rows.table("TimeSeriessupplymixed")] == [0]
    assert len(rows.table("AgentPosition")) == 3  # one row per stream, as Cycamore writes them


def test_negative_ratio_is_refused():
    with pytest.raises(ValueError, match=r"Mix.*negative mixing_ratio"):
        run_sim([_mixer([(-1, 1, "stream1")])], 1)


def test_a_mixer_without_streams_does_nothing():
    rows = run_sim([facility("Mix", "Mixer", "<in_streams></in_streams><out_commod>mixed</out_commod>")], 2)
    assert rows.table("AgentPosition") == []  # Cycamore writes the position once per stream
    assert [r["Value"] for r in rows.table("TimeSeriessupplymixed")] == [0, 0]
