"""Nuclide names and ids, as Cyclus reads them (PyNE's `nucname`).

The canonical id is the integer ``ZZZAAASSSS``: Z, mass number A, excited state S, e.g.
U-235 is 922350000 and Am-242m is 952420001. `id` accepts every form Cyclus accepts in a
recipe: names (``U235``, ``u-235``, ``Am242M``), NIST (``235U``), ``92-U-235``, integer ids
in string or int form, zzaaam (922350), cinder (2350920) and MCNP zzaaa (92235).
"""

from __future__ import annotations

import operator

__all__ = ["NucnameError", "anum", "id", "is_nuclide", "name", "snum", "znum"]

#: Element symbols known to PyNE's `nucname` (the table Cyclus ships; Z 113, 115, 117, 118
#: are absent there, so they are absent here).
_SYMBOLS_1_TO_112 = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy "
    "Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf "
    "Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn"
).split()

Z_OF_SYMBOL: dict[str, int] = {sym: z for z, sym in enumerate(_SYMBOLS_1_TO_112, start=1)}
Z_OF_SYMBOL.update({"Fl": 114, "Lv": 116})
SYMBOL_OF_Z: dict[int, str] = {z: sym for sym, z in Z_OF_SYMBOL.items()}

_INT_MAX = 2**31 - 1
_DIGITS = "0123456789"


class NucnameError(ValueError):
    """A value that is not a nuclide in any form Cyclus accepts; the message names the value."""


def _bad(nuc: object, why: str) -> NucnameError:
    return NucnameError(f"not a nuclide: {nuc!r} ({why})")


def _atoi(text: str) -> int:
    """C's ``atoi``: skip leading blanks, optional sign, then as many digits as there are."""
    s = text.lstrip(" \t\n\r\f\v")
    sign = 1
    if s and s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    n = 0
    for ch in s:
        if ch not in _DIGITS:
            break
        n = n * 10 + ord(ch) - 48
    return sign * n


def _id_from_int(nuc: int) -> int:
    """The integer rules, in PyNE's order: id, natural element, bare Z, zzaaam, cinder, MCNP."""
    if nuc < 0 or nuc > _INT_MAX:
        raise _bad(nuc, "out of range")
    zzz, aaassss = divmod(nuc, 10_000_000)
    aaa = aaassss // 10_000
    if 0 < zzz <= aaa <= zzz * 7:
        return nuc  # already ZZZAAASSSS
    if aaassss == 0 and zzz in SYMBOL_OF_Z:
        return nuc  # natural element, e.g. 920000000
    if nuc < 1000 and nuc in SYMBOL_OF_Z:
        return nuc * 10_000_000  # a bare Z number

    zzz, aaassss = divmod(nuc, 10_000)
    aaa = aaassss // 10
    if zzz <= aaa <= zzz * 7:
        return zzz * 10_000_000 + aaa * 10_000 + nuc % 10  # zzaaam
    if aaa <= zzz <= aaa * 7 and aaa in SYMBOL_OF_Z:
        return aaa * 10_000_000 + zzz * 10_000 + nuc % 10  # cinder aaazzzm
    if aaassss == 0 and zzz in SYMBOL_OF_Z:
        return zzz * 10_000_000  # zzaaam natural element
    if nuc >= 1_000_000:
        raise _bad(nuc, "indeterminate nuclide form")

    zzz, aaa = divmod(nuc, 1000)  # MCNP zzaaa
    if zzz <= aaa:
        if aaa < 400:
            return nuc * 10_000 + 1 if nuc == 95242 else nuc * 10_000
        if nuc == 95642:
            return 95242 * 10_000  # MCNP's Am-242 ground state
        out = (nuc - 400) * 10_000 + 1  # MCNP metastable: A + 300 + 100*m
        if zzz == 0:
            raise _bad(nuc, "indeterminate nuclide form")
        while ((out // 10_000) % 1000) / (out // 10_000_000) > 3.0:
            out -= 999_999
        return out
    if aaa == 0 and zzz in SYMBOL_OF_Z:
        return zzz * 10_000_000
    if nuc in SYMBOL_OF_Z:
        return nuc * 10_000_000
    raise _bad(nuc, "indeterminate nuclide form")


def _name_part(nuc: str, letters: str) -> int:
    """``LL[AAA][M]`` (upper-cased, dashes removed) -> id, as PyNE reads names."""
    if not letters:
        raise _bad(nuc, "no element symbol")
    anum_str = "".join(ch for ch in letters if not ("A" <= ch <= "Z"))
    if not anum_str:
        z = Z_OF_SYMBOL.get(letters.capitalize())
        if z is not None:
            return z * 10_000_000  # natural element, e.g. "U"
    a = _atoi(anum_str)
    if a < 0:
        raise _bad(nuc, "negative mass number")
    last = letters[-1]
    if last == "M":
        out = a * 10_000 + 1
    elif last in _DIGITS:
        out = a * 10_000
    else:
        raise _bad(nuc, "unexpected trailing character")
    symbol = "".join(ch for ch in letters[:-1] if ch not in _DIGITS).capitalize()
    z = Z_OF_SYMBOL.get(symbol)
    if z is None:
        raise _bad(nuc, f"unknown element {symbol!r}")
    return z * 10_000_000 + out


def _id_from_str(nuc: str) -> int:
    if not nuc:
        raise _bad(nuc, "empty")
    dash1 = nuc.find("-")
    dash2 = nuc.find("-", dash1 + 1) if dash1 >= 0 else -1
    if len(nuc) >= 5 and dash1 >= 0 and dash2 >= 0:
        # ZZ-LL-AAAM, e.g. "92-U-235" or "2-He-4"; the symbol must agree with Z.
        try:
            symbol_z = znum(nuc[dash1 + 1 : dash2])
        except NucnameError:
            symbol_z = -1
        if symbol_z != _atoi(nuc[:dash1]):
            raise _bad(nuc, "mismatched Z number and chemical symbol")
        rest = nuc.upper()[2:].replace("-", "")
        if "NAT" in rest:
            z = Z_OF_SYMBOL.get(rest.replace("NAT", "").capitalize())
            if z is not None:
                return z * 10_000_000
        return _name_part(nuc, rest)

    upper = nuc.upper().replace("-", "")
    if not upper:
        raise _bad(nuc, "no digits or letters")
    first = upper[0]
    if first in _DIGITS:
        if upper[-1] in _DIGITS:
            return _id_from_int(_atoi(upper))  # an integer in string form
        # NIST form, e.g. "235U"
        a = _atoi("".join(ch for ch in upper if not ("A" <= ch <= "Z")))
        symbol = "".join(ch for ch in upper if ch not in _DIGITS).capitalize()
        z = Z_OF_SYMBOL.get(symbol)
        if z is None:
            raise _bad(nuc, f"unknown element {symbol!r}")
        return z * 10_000_000 + a * 10_000
    if "A" <= first <= "Z":
        return _name_part(nuc, upper)
    raise _bad(nuc, "must start with a digit or a letter")


def id(nuc: str | int) -> int:
    """The canonical ``ZZZAAASSSS`` id of `nuc`, given in any form Cyclus accepts."""
    if isinstance(nuc, bool):
        raise _bad(nuc, "a bool is not a nuclide")
    if isinstance(nuc, str):
        return _id_from_str(nuc)
    try:
        as_int = operator.index(nuc)
    except TypeError:
        raise _bad(nuc, f"expected str or int, got {type(nuc).__name__}") from None
    return _id_from_int(as_int)


def znum(nuc: str | int) -> int:
    """The atomic number Z."""
    return id(nuc) // 10_000_000


def anum(nuc: str | int) -> int:
    """The mass number A (0 for a natural element)."""
    return (id(nuc) // 10_000) % 1000


def snum(nuc: str | int) -> int:
    """The excited-state number S (0 for the ground state)."""
    return id(nuc) % 10_000


def name(nuc: str | int) -> str:
    """The PyNE name of `nuc`: symbol, mass number if any, ``M`` if excited, e.g. ``Am242M``."""
    nucid = id(nuc)
    z, a, s = nucid // 10_000_000, (nucid // 10_000) % 1000, nucid % 10_000
    symbol = SYMBOL_OF_Z.get(z)
    if symbol is None:
        raise _bad(nuc, f"no element with Z = {z}")
    return symbol + (str(a) if a > 0 else "") + ("M" if s > 0 else "")


def is_nuclide(nuc: str | int) -> bool:
    """True for a specific nuclide (A > 0 and A >= Z); false for elements and non-nuclides."""
    try:
        nucid = id(nuc)
    except NucnameError:
        return False
    if nucid <= 10_000_000:
        return False
    z, a = nucid // 10_000_000, (nucid // 10_000) % 1000
    return a != 0 and a >= z
