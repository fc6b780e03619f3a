"""cycamore:Sink: capacity and inventory limits, preferences, random sizes and frequencies."""

from __future__ import annotations

import itertools

import pytest
from mocksim import agent, facility, run_sim, source, transactions

RANDOM_SEED = 20160212


def _sink(extra: str, commods: str = "<val>c</val>") -> str:
    return facility("Snk", "Sink", f"<in_commods>{commods}</in_commods>{extra}")


def test_capacity_and_max_inventory_limit_receipts():
    rows = run_sim([source("Src", "c", recipe="natu"), _sink("<capacity>2</capacity><max_inv_size>5</max_inv_size>")],
                   4)
    assert [t["Quantity"] for t in transactions(rows)] == [2, 2, 1]
    assert [r["Value"] for r in rows.table("TimeSeriesdemandc")] == [2, 2, 1]


def test_requests_are_mutual_across_commodities_and_follow_preferences():
    snk = _sink("<in_commod_prefs><val>1</val><val>2</val></in_commod_prefs><capacity>1</capacity>",
                "<val>a</val><val>b</val>")
    rows = run_sim([source("A", "a", recipe="natu"), source("B", "b", recipe="natu"), snk], 2)
    tx = transactions(rows)
    assert [(t["Time"], t["Commodity"], t["Quantity"]) for t in tx] == [(0, "b", 1), (1, "b", 1)]


def test_preference_count_must_match_commodities():
    snk = _sink("<in_commod_prefs><val>1</val><val>2</val></in_commod_prefs>")
    with pytest.raises(ValueError, match=r"Snk.*in_commod_prefs has 2 values, expected 1"):
        run_sim([snk], 1)


def test_unknown_random_type_is_refused():
    with pytest.raises(ValueError, match=r"Snk.*random_size_type 'Gaussian' is not one of None, UniformReal"):
        run_sim([_sink("<random_size_type>Gaussian</random_size_type>")], 1)


def _random_run(extra: str, seed: int = RANDOM_SEED) -> list[tuple[int, float]]:
    rows = run_sim([source("Src", "c", recipe="natu"), _sink(f"<capacity>10</capacity>{extra}")], 12, seed=seed)
    return [(t["Time"], t["Quantity"]) for t in transactions(rows)]


@pytest.mark.parametrize("extra", [
    "<random_size_type>UniformReal</random_size_type>",
    "<random_size_type>NormalReal</random_size_type><random_size_mean>0.5</random_size_mean>"
    "<random_size_stddev>0.2</random_size_stddev>",
    "<random_frequency_type>UniformInt</random_frequency_type><random_frequency_min>1</random_frequency_min>"
    "<random_frequency_max>4</random_frequency_max>",
    "<random_frequency_type>NormalInt</random_frequency_type><random_frequency_mean>3</random_frequency_mean>"
    "<random_frequency_stddev>1</random_frequency_stddev><random_frequency_max>6</random_frequency_max>",
])
def test_random_behaviour_is_seeded_and_repeatable(extra):
    first = _random_run(extra)
    assert first == _random_run(extra)
    assert first != _random_run(extra, seed=RANDOM_SEED + 1)
    assert all(0 < q <= 10 for _, q in first)


def test_random_sizes_stay_within_the_free_space():
    tx = _random_run("<random_size_type>UniformReal</random_size_type>")
    assert len(tx) == 12
    assert len({q for _, q in tx}) == 12


def test_random_frequency_skips_steps():
    tx = _random_run("<random_frequency_type>UniformInt</random_frequency_type>"
                     "<random_frequency_min>2</random_frequency_min><random_frequency_max>3</random_frequency_max>")
    times = [t for t, _ in tx]
    assert 3 <= len(times) <= 6
    assert all(b - a in (2, 3) for a, b in itertools.pairwise(times))


@pytest.mark.parametrize(("keep", "held"), [("1", "crate"), ("0", "unpackaged")])
def test_keep_packaging_decides_whether_received_packages_are_kept(keep, held):
    extra = "<package><name>crate</name><fill_min>1</fill_min><fill_max>2</fill_max></package>"
    src = facility("Src", "Source", "<outcommod>c</outcommod><outrecipe>natu</outrecipe><package>crate</package>"
                                    "<throughput>2</throughput>")
    rows = run_sim([src, _sink(f"<keep_packaging>{keep}</keep_packaging>")], 1, extra=extra)
    assert [t["PackageName"] for t in transactions(rows)] == ["crate"]
    assert [m.package for m in agent(rows, "Snk").inventory_buf.items()] == [held]


@pytest.mark.parametrize(("extra", "expected"), [
    ("<random_size_type>UniformReal</random_size_type>", [(0, 9.41273)]),  # Cycamore RandomUniformSize
    ("<random_size_type>NormalReal</random_size_type>", [(0, 9.60929)]),  # RandomNormalSize
    ("<random_size_type>NormalReal</random_size_type><random_size_mean>0.5</random_size_mean>"
     "<random_size_stddev>0.2</random_size_stddev>", [(0, 1.52979)]),  # RandomNormalSizeWithMeanSttdev
    ("<random_frequency_type>UniformInt</random_frequency_type><random_frequency_min>2</random_frequency_min>"
     "<random_frequency_max>4</random_frequency_max>", [(2, 10)]),  # RandomUniformFreq
    ("<random_frequency_type>NormalInt</random_frequency_type>", [(2, 10)]),  # RandomNormalFreq
], ids=["uniform-size", "normal-size", "normal-size-mean-sd", "uniform-freq", "normal-freq"])
def test_random_sink_matches_cyclus(extra, expected):
    rows = run_sim([source("Src", "c", 10, "natu"), _sink(f"<capacity>10</capacity>{extra}")],
                   1 if "size" in extra else 3)
    assert [(t["Time"], round(t["Quantity"], 5)) for t in transactions(rows)] == expected


def test_preferences_must_be_positive():
    snk = _sink("<in_commod_prefs><val>-1</val></in_commod_prefs>")
    with pytest.raises(ValueError, match=r"Snk.*in_commod_prefs value -1.0 is outside the allowed range \[1e-08"):
        run_sim([snk], 1)
