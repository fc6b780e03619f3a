"""Nuclear data Cyclus takes from PyNE: atomic masses and one-group cross sections.

The tables ship in ``cycsrv/data`` (see its README for their source) and are read once, on
first use. Lookups follow PyNE: an excited state takes its ground-state mass, a nuclide
missing from the mass table weighs its mass number A, and a nuclide missing from a
cross-section table is an error (`NucDataError`) that callers such as FuelFab catch.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

from cycsrv.kernel import nucname

__all__ = [
    "REACTIONS",
    "SPECTRA",
    "NucDataError",
    "atomic_mass",
    "has_simple_xs",
    "simple_xs",
]

#: Spectra (PyNE "energy" groups) whose cross sections ship with cycsrv.
SPECTRA = ("thermal", "fission_spectrum_ave")

#: PyNE's other groups: valid names, but their tables are not shipped.
_UNSHIPPED_SPECTRA = ("thermal_maxwell_ave", "resonance_integral", "fourteen_MeV")

#: Column of the cross-section tables for each reaction name (PyNE `rxname` names and
#: aliases, plus the column names themselves).
REACTIONS: dict[str, str] = {
    "total": "sigma_t", "tot": "sigma_t",
    "scattering": "sigma_s", "scat": "sigma_s",
    "elastic": "sigma_e", "elas": "sigma_e",
    "inelastic": "sigma_i", "inel": "sigma_i",
    "absorption": "sigma_a", "abs": "sigma_a",
    "gamma": "sigma_gamma", "capture": "sigma_gamma",
    "fission": "sigma_f", "fiss": "sigma_f",
    "alpha": "sigma_alpha",
    "proton": "sigma_proton",
    "deut": "sigma_deut", "deuteron": "sigma_deut",
    "trit": "sigma_trit", "triton": "sigma_trit",
    "z_2n": "sigma_2n", "2n": "sigma_2n",
    "z_3n": "sigma_3n", "3n": "sigma_3n",
    "z_4n": "sigma_4n", "4n": "sigma_4n",
}  # fmt: skip
REACTIONS.update({column: column for column in set(REACTIONS.values())})


class NucDataError(LookupError):
    """No data for this nuclide, reaction or spectrum; the message says which."""


def _read_csv(filename: str) -> list[dict[str, str]]:
    text = resources.files("cycsrv").joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def _atomic_masses() -> dict[int, float]:
    return {int(row["nuc"]): float(row["mass"]) for row in _read_csv("atomic_mass.csv")}


@functools.cache
def _xs_table(spectrum: str) -> dict[int, dict[str, float]]:
    table: dict[int, dict[str, float]] = {}
    for row in _read_csv(f"simple_xs_{spectrum}.csv"):
        nuc = int(row.pop("nuc"))
        table[nuc] = {column: float(value) for column, value in row.items()}
    return table


@functools.cache
def atomic_mass(nuc: int | str) -> float:
    """Atomic mass [amu] of `nuc`; excited states weigh the ground state, unknowns weigh A."""
    masses = _atomic_masses()
    if isinstance(nuc, int) and nuc in masses:
        return masses[nuc]
    nucid = nucname.id(nuc)
    if nucid in masses:
        return masses[nucid]
    if nucid % 10_000 > 0:
        return atomic_mass(nucid // 10_000 * 10_000)
    return float((nucid // 10_000) % 1000)


def _xs_row(nuc: int | str, spectrum: str) -> dict[str, float] | None:
    if spectrum not in SPECTRA:
        if spectrum in _UNSHIPPED_SPECTRA:
            raise NucDataError(f"cross sections for spectrum {spectrum!r} are not shipped with cycsrv")
        raise NucDataError(f"{spectrum!r} is not a cross-section spectrum; use one of {SPECTRA}")
    return _xs_table(spectrum).get(nucname.id(nuc))


def has_simple_xs(nuc: int | str, spectrum: str = "thermal") -> bool:
    """True if the one-group table of `spectrum` holds `nuc`."""
    return _xs_row(nuc, spectrum) is not None


def simple_xs(nuc: int | str, reaction: str, spectrum: str = "thermal") -> float:
    """One-group cross section [barn] of `nuc` for `reaction` (e.g. "fission", "absorption",
    "sigma_f") in `spectrum` ("thermal" or "fission_spectrum_ave"), like PyNE's `simple_xs`."""
    column = REACTIONS.get(reaction)
    if column is None:
        raise NucDataError(f"{reaction!r} is not a simple_xs reaction; use one of {sorted(REACTIONS)}")
    row = _xs_row(nuc, spectrum)
    if row is None:
        raise NucDataError(f"no {spectrum} cross sections for nuclide {nuc!r}")
    return row[column]
