"""Cycamore facilities make the simulation's random stream only when configured to draw from it.

The context creates its Mersenne Twister (and imports numpy for it) on first use, so a run whose
facilities are all deterministic must never touch it.
"""

from __future__ import annotations

from mocksim import facility, run_sim, sink, source

STORAGE = facility("St", "Storage", "<in_commods><val>spent_fuel</val></in_commods>"
                                    "<out_commods><val>dry_spent</val></out_commods><throughput>1</throughput>")


def test_deterministic_source_storage_sink_never_make_the_rng():
    rows = run_sim([STORAGE, source("Src", "spent_fuel", 5, "natu"), sink("Out", "dry_spent")], 4)
    assert rows.table("Transactions")
    assert rows.context._rng is None


def test_random_sink_makes_the_rng():
    random_sink = facility("Out", "Sink", "<in_commods><val>spent_fuel</val></in_commods>"
                                          "<random_size_type>UniformReal</random_size_type>")
    rows = run_sim([source("Src", "spent_fuel", 5, "natu"), random_sink], 2, seed=7)
    assert rows.context._rng is not None


def test_random_storage_period_makes_the_rng():
    storage = facility("St", "Storage", "<in_commods><val>spent_fuel</val></in_commods>"
                                        "<out_commods><val>dry_spent</val></out_commods>"
                                        "<active_buying_frequency_type>Uniform</active_buying_frequency_type>"
                                        "<active_buying_min>1</active_buying_min>"
                                        "<active_buying_max>3</active_buying_max>")
    rows = run_sim([storage, source("Src", "spent_fuel", 5, "natu")], 2, seed=7)
    assert rows.context._rng is not None
