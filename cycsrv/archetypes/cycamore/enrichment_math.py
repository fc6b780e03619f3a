"""Uranium enrichment arithmetic (Cyclus's toolkit/enrichment and MatQuery), assays as mass fractions."""

from __future__ import annotations

import functools
import math

from cycsrv.kernel.resources import Material

U235 = 922350000
U238 = 922380000


def mass_frac(m: Material, nuc: int) -> float:
    """Normalised mass fraction of `nuc` in `m` (0 when absent)."""
    return m.comp.mass_scaled().get(nuc, 0.0)


def atom_frac(m: Material, nuc: int) -> float:
    """Normalised atom fraction of `nuc` in `m` (0 when absent)."""
    return m.comp.atom_scaled().get(nuc, 0.0)


def uranium_mass_fracs(m: Material) -> tuple[float, float]:
    """Normalised mass fractions of U235 and U238 in `m`'s composition (0 when absent)."""
    v = m.comp.mass_scaled()
    return v.get(U235, 0.0), v.get(U238, 0.0)


def uranium_share(u235: float, u238: float, qty: float) -> float:
    """U235 + U238 share of `qty` kg with those mass fractions, computed as MatQuery's mass_frac does."""
    return (u235 * qty + u238 * qty) / qty


def assay_of(u235: float, u238: float) -> float:
    """U235 / (U235 + U238); 0 without uranium."""
    return u235 / (u235 + u238) if u235 + u238 > 0 else 0.0


def uranium_mass_frac(m: Material) -> float:
    """Mass fraction of U235 + U238 in `m` (MatQuery's mass_frac of a nuclide set)."""
    return uranium_share(*uranium_mass_fracs(m), m.qty)


def uranium_assay_mass(m: Material) -> float:
    """U235 / (U235 + U238) by mass; 0 without uranium."""
    return assay_of(*uranium_mass_fracs(m))


def feed_qty(product_qty: float, feed: float, product: float, tails: float) -> float:
    return product_qty * ((product - tails) / (feed - tails))


def tails_qty(product_qty: float, feed: float, product: float, tails: float) -> float:
    return product_qty * ((product - feed) / (feed - tails))


@functools.lru_cache(maxsize=256)
def value_func(frac: float) -> float:
    """The separation potential V(x) = (1 - 2x) ln(1/x - 1); x must lie in [0, 1).

    Remembered: a run asks for the same few assays (feed, tails, each product) again and again.
    """
    if frac < 0:
        raise ValueError(f"The provided fraction ({frac}) is lower than the acceptable range.")
    if frac >= 1:
        raise ValueError(f"The provided fraction ({frac}) is higher than the acceptable range.")
    if frac == 0:
        return math.inf  # C++ divides by zero here: log(inf)
    return (1 - 2 * frac) * math.log(1 / frac - 1)


def swu_required(product_qty: float, feed: float, product: float, tails: float) -> float:
    """Separative work (kg SWU) to make `product_qty` kg at assay `product` from `feed`, leaving `tails`."""
    f = feed_qty(product_qty, feed, product, tails)
    t = tails_qty(product_qty, feed, product, tails)
    return product_qty * value_func(product) + t * value_func(tails) - f * value_func(feed)
