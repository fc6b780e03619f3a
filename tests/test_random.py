"""Random draws match boost's distributions on the mt19937 stream (values from cycamore's tests)."""

from __future__ import annotations

import numpy as np
import pytest

from cycsrv.kernel import random

SEED = 20160212  # Cyclus's default seed


def rng() -> np.random.RandomState:
    return np.random.RandomState(SEED)


def test_raw_stream_is_mt19937():
    r = np.random.RandomState(5489)
    assert random.next_u32(r) == 3499211612  # the first output of std::mt19937 with its default seed


def test_uniform_real_matches_cycamore_uniform_buying_size():
    r = rng()
    assert [random.uniform_real(r, 0.5, 0.7) for _ in range(2)] == pytest.approx([0.56393, 0.68825], abs=1e-5)


def test_normal_matches_cycamore_normal_buying_size():
    r = rng()
    assert [random.normal_real(r, 0.5, 0.1, 0, 1) for _ in range(2)] == pytest.approx([0.64083, 0.32648],
                                                                                         abs=1e-5)


def test_uniform_int_and_normal_int_give_cycamore_periods():
    """UniformActiveNormalDormant: active U{2,3} -> 2, dormant N(5,1) sampled twice (first discarded) -> 5."""
    r = rng()
    active = random.UniformIntDist(r, 2, 3)
    dormant = random.NormalDist(r, 5, 1, 1, 2147483647, integer=True)
    assert [active.sample(), dormant.sample(), dormant.sample()][::2] == [2, 5]


def test_negative_binomial_gives_cycamore_periods():
    """BinomialActiveDormant: end probabilities 0.2 / 0.3 -> first active period of 7 steps, dormant 3."""
    r = rng()
    assert random.geometric_trials(r, 0.2) == 7
    random.geometric_trials(r, 0.3)
    assert random.geometric_trials(r, 0.3) == 3


def test_bernoulli_choices_give_cycamore_disruptions():
    """DisruptionActiveDormant: active 2 (not disrupted), dormant 1, then active 2 and a 10-step outage."""
    r = rng()
    active = random.BinaryDist(r, 0.4, 5, 2)
    dormant = random.BinaryDist(r, 0.5, 10, 1)
    first = [active.sample(), dormant.sample(), dormant.sample()]
    assert first[0] == 2 and first[2] == 1
    assert [active.sample(), dormant.sample()] == [2, 10]


def test_distributions_have_sensible_moments():
    r = rng()
    exp = [random.unit_exponential(r) for _ in range(20000)]
    norm = [random.unit_normal(r) for _ in range(20000)]
    pois = [random.poisson(r, 25.0) for _ in range(5000)]
    assert np.mean(exp) == pytest.approx(1, abs=0.03)
    assert np.mean(norm) == pytest.approx(0, abs=0.03) and np.std(norm) == pytest.approx(1, abs=0.03)
    assert np.mean(pois) == pytest.approx(25, abs=0.3) and np.var(pois) == pytest.approx(25, rel=0.1)


def test_uniform_int_covers_its_range_only():
    r = rng()
    draws = {random.uniform_int(r, -2, 3) for _ in range(500)}
    assert draws == {-2, -1, 0, 1, 2, 3}
