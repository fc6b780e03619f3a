"""Symbolic functions of time for demand curves: linear, exponential and piecewise.

Cyclus's toolkit builds these from strings (`BasicFunctionFactory`: type "linear"/"lin" with
params "m b", "exponential"/"exp" with "a b [c]") and chains them into a piecewise function
whose later pieces are shifted to join the previous one. GrowthRegion evaluates them at the
current time step.
"""

from __future__ import annotations

import math
from typing import Protocol

import attrs


class SymFunction(Protocol):
    """A function of one real variable."""

    def __call__(self, x: float) -> float: ...


@attrs.frozen
class LinearFunction:
    """`slope * x + intercept`."""

    slope: float
    intercept: float

    def __call__(self, x: float) -> float:
        return self.slope * x + self.intercept


@attrs.frozen
class ExponentialFunction:
    """`constant * exp(exponent * x) + intercept`."""

    constant: float
    exponent: float
    intercept: float = 0.0

    def __call__(self, x: float) -> float:
        return self.constant * math.exp(self.exponent * x) + self.intercept


def _numbers(params: str) -> list[float]:
    try:
        return [float(v) for v in params.split()]
    except ValueError:
        raise ValueError(f"function parameters {params!r} are not numbers") from None


def basic_function(kind: str, params: str) -> LinearFunction | ExponentialFunction:
    """The function named by `kind` with whitespace-separated `params` (extra values are ignored)."""
    values = _numbers(params)
    if kind in ("lin", "linear"):
        if len(values) < 2:
            raise ValueError(f"a linear function needs params 'm b', got {params!r}")
        return LinearFunction(values[0], values[1])
    if kind in ("exp", "exponential"):
        if len(values) < 2:
            raise ValueError(f"an exponential function needs params 'a b [c]', got {params!r}")
        return ExponentialFunction(values[0], values[1], values[2] if len(values) > 2 else 0.0)
    raise ValueError(f"{kind!r} is not a function type; use 'linear' (or 'lin') or 'exponential' (or 'exp')")


@attrs.frozen
class Piece:
    """One piece of a piecewise function: `function(x - start) + yoffset` from `start` on."""

    start: float
    function: SymFunction
    yoffset: float


@attrs.define
class PiecewiseFunction:
    """Pieces at strictly increasing starts; 0 before the first start; each piece holds until the next."""

    pieces: list[Piece] = attrs.field(factory=list)

    def add(self, function: SymFunction, start: float, continuous: bool) -> None:
        """Append a piece; `continuous` shifts it so it starts where the function so far is."""
        if self.pieces and start <= self.pieces[-1].start:
            raise ValueError(f"a piece starting at {start} cannot follow one starting at {self.pieces[-1].start}; "
                             "pieces must start at increasing times")
        yoffset = self(start) - function(0) if continuous else 0.0
        self.pieces.append(Piece(start, function, yoffset))

    def __call__(self, x: float) -> float:
        chosen = None
        for piece in self.pieces:
            if x < piece.start:
                break
            chosen = piece
        if chosen is None:
            return 0.0
        return chosen.function(x - chosen.start) + chosen.yoffset


def piecewise_demand(pieces: list[tuple[int, tuple[str, str]]]) -> PiecewiseFunction:
    """GrowthRegion's demand curve from `(start, (type, params))` pieces: the first piece starts at 0
    offset, every later one continues from the previous one."""
    f = PiecewiseFunction()
    for i, (start, (kind, params)) in enumerate(pieces):
        f.add(basic_function(kind, params), start, continuous=i > 0)
    return f
