"""Packages and transport units (Cyclus's `Package`, `TransportUnit`, `Resource::Package`).

A package splits a quantity of material into package-sized pieces (`fill_masses`); a
transport unit caps how many packages can ship together (`max_shippable_packages`).
`unpackaged` and `unrestricted` are built in and impose nothing. Archetypes look them up
by name with `get_package(ctx, name)` / `get_transport_unit(ctx, name)`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import attrs

from cycsrv.kernel import random
from cycsrv.kernel.resources import Material, stored_comp

if TYPE_CHECKING:
    from cycsrv.kernel.context import Context

DBL_MAX = 1.7976931348623157e308
INT_MAX = 2147483647
UNPACKAGED = "unpackaged"
UNRESTRICTED = "unrestricted"
#: Cyclus refuses to split a resource into more pieces than this at once.
SPLIT_LIMIT = INT_MAX // 10


@attrs.define
class Package:
    """Fill limits (kg) and a strategy: first, equal, uniform or normal."""

    name: str
    fill_min: float = 0.0
    fill_max: float = DBL_MAX
    strategy: str = "first"

    def fill_masses(self, ctx: Context, qty: float) -> list[float]:
        """The package sizes `qty` kg splits into; what cannot fill a package is left out.

        "uniform"/"normal" draw each full package's mass from the context's random stream
        (uniform in [fill_min, fill_max], or a normal centred between them with sd = range/6,
        truncated to the range).
        """
        eps = ctx.eps_rsrc
        if qty - self.fill_min < -eps:
            return []
        _check_split(qty / self.fill_max if self.fill_max > 0 else math.inf)
        out: list[float] = []
        strategy = self.strategy
        if strategy in ("first", "equal"):
            fill = self.fill_max
            if strategy == "equal":
                n_min = _to_int(math.floor(qty / self.fill_min) if self.fill_min > 0 else math.inf)
                n_max = _to_int(math.ceil(qty / self.fill_max))
                if n_min >= n_max:
                    fill = qty / n_max
            fill = min(qty, fill)
            if fill > 0:
                n = math.floor(qty / fill)
                _check_split(n)
                out = [fill] * n
                qty -= n * fill
        else:
            lo, hi = self.fill_min, self.fill_max
            while qty >= max(eps, hi):
                if strategy == "uniform":
                    fill = random.uniform_real(ctx.rng, lo, hi)
                else:
                    fill = random.normal_real(ctx.rng, (lo + hi) / 2, (hi - lo) / 6, lo, hi)
                out.append(fill)
                qty -= fill
        if qty >= max(eps, self.fill_min):
            out.append(qty)
        _check_split(len(out))
        return out

    def package(self, mat: Material) -> list[Material]:
        """Split `mat` into packages of this type (`Resource::Package`); the rest stays in `mat`."""
        return [package_extract(mat, fill, self.name) for fill in self.fill_masses(mat.ctx, mat.qty)]


@attrs.define
class TransportUnit:
    """Limits (whole packages) and a strategy: first, equal or hybrid."""

    name: str
    fill_min: int = 0
    fill_max: int = INT_MAX
    strategy: str = "first"

    def unit_fill(self, pkgs: int) -> int:
        """Packages per transport unit when shipping `pkgs` packages."""
        if pkgs < self.fill_min:
            return 0
        if self.strategy == "first":
            return self.fill_max
        n_min = pkgs // self.fill_min if self.fill_min > 0 else INT_MAX
        n_max = (pkgs + self.fill_max - 1) // self.fill_max
        if n_min >= n_max:
            return math.floor(pkgs / n_max)
        return self.fill_max

    def max_shippable_packages(self, pkgs: int) -> int:
        """How many of `pkgs` packages can ship in whole transport units."""
        if pkgs == 0 or pkgs < self.fill_min:
            return 0
        if self.name == UNRESTRICTED:
            return pkgs
        if self.strategy in ("first", "equal"):
            fill = self.unit_fill(pkgs)
            if fill == 0:
                return 0
            return min(pkgs, (pkgs // fill) * fill)
        shippable = 0
        while pkgs > 0 and pkgs >= self.fill_min:
            fill = self.unit_fill(pkgs)
            if fill == 0:
                break
            shippable += fill
            pkgs -= fill
        return shippable


def _to_int(x: float) -> int:
    """A double converted to a C++ int as x86 does it: out-of-range values become INT_MIN."""
    if not math.isfinite(x) or not -2147483648 <= x <= INT_MAX:
        return -2147483648
    return int(x)


def _check_split(n: float) -> None:
    if n > SPLIT_LIMIT:
        raise ValueError(f"cannot package into more than {SPLIT_LIMIT} items at once")


def package_extract(mat: Material, qty: float, package_name: str) -> Material:
    """Split `qty` kg off `mat` as a new material in package `package_name`.

    The piece is recorded with the new state id it was made with (no bump), parent = `mat`;
    `mat` gets a new state if enough remains, as Cyclus's `Material::PackageExtract`.
    """
    ctx = mat.ctx
    if qty - mat.qty > ctx.eps_rsrc:
        raise ValueError(f"cannot extract {qty} kg from a material of {mat.qty} kg")
    mat.qty -= qty
    piece = type(mat)(ctx, qty, stored_comp(mat), package_name)  # a lazily decaying piece of one
    piece.unit_value = mat.unit_value
    piece.prev_decay_time = mat.prev_decay_time
    piece.tracked = True
    piece._record(mat.state_id, 0, bump=False)
    if mat.qty > ctx.eps_rsrc and mat.tracked:
        mat._record(mat.state_id, 0)
    return piece


def get_package(ctx: Context, name: str) -> Package:
    """The package called `name` (`unpackaged` is built in); KeyError names the known ones."""
    if name == UNPACKAGED:
        return Package(UNPACKAGED)
    spec = ctx.packages.get(name)
    if spec is None:
        known = ", ".join([UNPACKAGED, *sorted(ctx.packages)])
        raise KeyError(f"unknown package {name!r}; the input defines: {known}")
    return Package(spec.name, spec.fill_min, spec.fill_max, spec.strategy)


def get_transport_unit(ctx: Context, name: str) -> TransportUnit:
    """The transport unit called `name` (`unrestricted` is built in)."""
    if name == UNRESTRICTED:
        return TransportUnit(UNRESTRICTED)
    spec = ctx.transport_units.get(name)
    if spec is None:
        known = ", ".join([UNRESTRICTED, *sorted(ctx.transport_units)])
        raise KeyError(f"unknown transport unit {name!r}; the input defines: {known}")
    return TransportUnit(spec.name, spec.fill_min, spec.fill_max, spec.strategy)
