"""`cyclus.nucname`: nuclide names and ids (cycsrv's kernel implementation)."""

from __future__ import annotations

from cycsrv.kernel.nucname import NucnameError, anum, id, is_nuclide, name, snum, znum

__all__ = ["NucnameError", "anum", "id", "is_nuclide", "name", "snum", "znum"]
