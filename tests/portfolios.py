"""Stand-ins for building exchange portfolios without a simulation: a trader and an offer."""

from __future__ import annotations


class Trader:
    """Just enough of a trader for portfolios: an identity that is its own manager."""

    def __init__(self, aid: int) -> None:
        self.id = aid
        self.manager = self


class Offer:
    """A resource stand-in: the program reads only the quantity."""

    def __init__(self, qty: float) -> None:
        self.qty = qty
