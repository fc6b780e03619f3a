"""Write a cyclus_nuc_data.h5 holding the reference build's atomic masses and one-group cross sections.

PyNE (inside Cyclus) reads `/atomic_mass` and `/neutron/simple_xs/<energy>` as compound tables;
the values come from the CSV files in shared/reference/nucdata.
"""

import csv
import sys
from pathlib import Path

import h5py
import numpy as np

XS_FIELDS = (
    "sigma_t sigma_s sigma_e sigma_i sigma_a sigma_gamma sigma_f sigma_alpha "
    "sigma_proton sigma_deut sigma_trit sigma_2n sigma_3n sigma_4n"
).split()


def read_table(path: Path, fields: list[str]) -> np.ndarray:
    """Read a CSV with a `nuc` column and float columns into a compound numpy array."""
    dtype = np.dtype([("nuc", "<i4")] + [(name, "<f8") for name in fields])
    with path.open(newline="") as fh:
        rows = [
            (int(row["nuc"]), *(float(row[name]) for name in fields)) for row in csv.DictReader(fh)
        ]
    return np.array(rows, dtype=dtype)


def write_nucdata(nucdata: Path, out: Path) -> None:
    """Write the HDF5 file PyNE expects from the reference CSV tables."""
    with h5py.File(out, "w") as h5:
        h5["atomic_mass"] = read_table(nucdata / "atomic_mass.csv", ["mass", "error", "abund"])
        for energy in ("thermal", "fission_spectrum_ave"):
            h5[f"neutron/simple_xs/{energy}"] = read_table(
                nucdata / f"simple_xs_{energy}.csv", XS_FIELDS
            )


if __name__ == "__main__":
    write_nucdata(Path(sys.argv[1]), Path(sys.argv[2]))
