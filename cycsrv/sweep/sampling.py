"""Which parameter values each scenario gets: the full grid, or points drawn with scipy.stats.qmc."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cycsrv.sweep.spec import Parameter, Sample, Sweep, Value


def scenario_values(sweep: Sweep) -> list[dict[str, Value]]:
    """Every scenario's `{parameter name: value}`, in a fixed order (grid: first parameter slowest)."""
    if sweep.sample is None:
        return grid(sweep.parameters)
    return sampled(sweep.parameters, sweep.sample)


def grid(params: Sequence[Parameter]) -> list[dict[str, Value]]:
    """The full factorial of the parameters' values."""
    choices = []
    for p in params:
        values = p.choices()
        assert values is not None, "a grid parameter has finite values (checked when the file is read)"
        choices.append(values)
    names = [p.name for p in params]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]


def unit_points(method: str, d: int, n: int, seed: int) -> np.ndarray:
    """`n` points in the unit cube [0, 1)^d by `method` (lhs, sobol, halton: scipy.stats.qmc; random: numpy)."""
    if method == "random":
        return np.random.default_rng(seed).random((n, d))
    from scipy.stats import qmc  # slow to import; workers never need it

    engine_type: Any = {"lhs": qmc.LatinHypercube, "sobol": qmc.Sobol, "halton": qmc.Halton}[method]
    try:
        engine = engine_type(d, rng=seed)
    except TypeError:  # scipy < 1.15 names it `seed`
        engine = engine_type(d, seed=seed)
    return engine.random(n)


def sampled(params: Sequence[Parameter], sample: Sample) -> list[dict[str, Value]]:
    """`sample.n` scenarios: each point's coordinates mapped onto each parameter's values or range."""
    points = unit_points(sample.method, len(params), sample.n, sample.seed)
    return [{p.name: pick(p, float(u)) for p, u in zip(params, row, strict=True)} for row in points]


def pick(param: Parameter, u: float) -> Value:
    """The value at fraction `u` (0 <= u < 1) of the parameter's values or range."""
    choices = param.choices()
    if choices is not None:
        return choices[min(int(u * len(choices)), len(choices) - 1)]
    rng = param.range
    assert rng is not None
    if rng.integer:
        span = int(rng.stop) - int(rng.start) + 1
        return int(rng.start) + min(math.floor(u * span), span - 1)
    return float(rng.start + u * (rng.stop - rng.start))
