"""Output files: the default name, the backend chosen by suffix, appending to an existing file as Cyclus does."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from cycsrv.store.schema import Backend


def default_output(input_path: str) -> str:
    """`<input basename>.sqlite` in the current directory, as the issue and users expect."""
    return Path(input_path).with_suffix(".sqlite").name


#: The suffix Cyclus writes as HDF5 (anything else is SQLite).
HDF5_SUFFIX = ".h5"


class FileBackend(Backend, Protocol):
    """A backend writing an output file: `path`, and the tables written so far."""

    path: str

    def table_names(self) -> list[str]:
        """Names of the tables in the file, sorted."""


def is_hdf5(path: str | Path) -> bool:
    """True when Cyclus would write `path` with its HDF5 backend (suffix ``.h5``)."""
    return Path(path).suffix == HDF5_SUFFIX


class OutputError(Exception):
    """An output file that cannot be opened or appended to; the message names it and says why."""


def open_output(path: str | Path) -> FileBackend:
    """The backend for output file `path`: HDF5 for ``.h5``, SQLite otherwise.

    An existing file is appended to (its earlier simulations keep their `SimId`s), as Cyclus does;
    see `appending_message`. Raises `OutputError` for a file that is not of that kind or cannot be written.
    """
    import sqlite3

    kind = "HDF5" if is_hdf5(path) else "SQLite"
    try:
        if is_hdf5(path):
            from cycsrv.store.hdf5 import Hdf5Backend

            return Hdf5Backend(str(path))
        from cycsrv.store.sqlite import SqliteBackend

        return SqliteBackend(str(path))
    except (OSError, sqlite3.Error) as exc:
        what = "append to" if Path(path).exists() else "create"
        raise OutputError(f"{path}: cannot {what} this {kind} output ({exc})") from None


def appending_message(path: str | Path) -> str | None:
    """What to tell the user before writing to `path`: None for a new file, else that it is appended to."""
    if not Path(path).exists():
        return None
    return f"{path} exists: this simulation is added to it under a new SimId (earlier runs are kept)"
