"""Radioactive decay of nuclide vectors: ICRP-107 data from `radioactivedecay`, solved with CRAM-48.

Data: the ICRP-107 decay dataset that the `radioactivedecay` package ships
(``icrp107_ame2020_nubase2020/decay_data.npz``: 1252 radionuclides plus their stable progeny,
half-lives, progeny, branching fractions, metastable states), read straight from the installed
package on first use (importing `radioactivedecay` itself would pull in SymPy), never
downloaded. Names map to cycsrv ids (``Am-242m`` -> 952420001, a second isomer ``n`` -> state
2). A year is 365.2422 days, as in the dataset. Spontaneous fission removes atoms (its products
are not in the data); a nuclide the data does not know is carried over unchanged, as stable.

Solver: the decay matrix is built, sparse, over the nuclides present and every descendant
(parents precede daughters, so it is lower triangular), and ``exp(A t) n0`` is taken with the
Chebyshev rational approximation of order 48 in incomplete partial fraction form (Pusa, Nucl.
Sci. Eng. 182 (2016) 297; the coefficients are the paper's): 24 complex triangular solves. CRAM is
the family Cyclus and PyNE use (order 14 there). It stays accurate on the whole negative real
axis, so stiffness costs nothing: over 10,000 years a microsecond daughter has lambda*t ~ 1e17,
where scipy's `expm_multiply` would need work proportional to that norm. Order 48 rather than
14 or 16 because low orders floor at ~2e-16 of the initial vector: with order 16 a nuclide
decayed 30 half-lives is off by 2e-7 relative, 40 half-lives by 2e-4; order 48 is within ~1e-14
relative down to exp(-70), 100 half-lives. Components below `TINY` of the total atoms are dropped
(there CRAM's floor, ~2e-47 of the initial amount, is no longer small beside the value).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cycsrv.kernel import nucname

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "ALWAYS_DECAY",
    "NOTICEABLE",
    "TINY",
    "DecayDataError",
    "branches",
    "decay_atoms",
    "decay_constant",
    "half_life",
    "max_decay_constant",
    "nuclides",
    "steps_to_notice",
]

#: Seconds per unit of the dataset's half-lives (a year of 365.2422 days, as radioactivedecay).
_UNIT_SECONDS = {
    "ps": 1e-12, "ns": 1e-9, "μs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
    "d": 86400.0, "y": 365.2422 * 86400.0,
}  # fmt: skip

#: Cyclus decays a material only if some nuclide would change by this fraction or more (tritium,
#: 12.3 y, changes this much in about a day)...
NOTICEABLE = 1e-4
#: ...or always when its composition has more nuclides than this (checking costs more).
ALWAYS_DECAY = 100

#: Atom fractions below this (of the decayed vector's total) are dropped from results.
TINY = 1e-30

_DATASET = "icrp107_ame2020_nubase2020"
_ISOMERS = {"m": 1, "n": 2}

# CRAM order 48, incomplete partial fractions: poles theta_k and residues alpha_k (Pusa 2016,
# table of the IPF coefficients), and the limit at infinity alpha_0.
_THETA = (
    complex(-4.465731934165702e+1, 6.233225190695437e+1), complex(-5.284616241568964e+0, 4.057499381311059e+1),
    complex(-8.867715667624458e+0, 4.325515754166724e+1), complex(+3.493013124279215e+0, 3.281615453173585e+1),
    complex(+1.564102508858634e+1, 1.558061616372237e+1), complex(+1.742097597385893e+1, 1.076629305714420e+1),
    complex(-2.834466755180654e+1, 5.492841024648724e+1), complex(+1.661569367939544e+1, 1.316994930024688e+1),
    complex(+8.011836167974721e+0, 2.780232111309410e+1), complex(-2.056267541998229e+0, 3.794824788914354e+1),
    complex(+1.449208170441839e+1, 1.799988210051809e+1), complex(+1.853807176907916e+1, 5.974332563100539e+0),
    complex(+9.932562704505182e+0, 2.532823409972962e+1), complex(-2.244223871767187e+1, 5.179633600312162e+1),
    complex(+8.590014121680897e-1, 3.536456194294350e+1), complex(-1.286192925744479e+1, 4.600304902833652e+1),
    complex(+1.164596909542055e+1, 2.287153304140217e+1), complex(+1.806076684783089e+1, 8.368200580099821e+0),
    complex(+5.870672154659249e+0, 3.029700159040121e+1), complex(-3.542938819659747e+1, 5.834381701800013e+1),
    complex(+1.901323489060250e+1, 1.194282058271408e+0), complex(+1.885508331552577e+1, 3.583428564427879e+0),
    complex(-1.734689708174982e+1, 4.883941101108207e+1), complex(+1.316284237125190e+1, 2.042951874827759e+1),
)  # fmt: skip
_ALPHA = (
    complex(+6.387380733878774e+2, -6.743912502859256e+2), complex(+1.909896179065730e+2, -3.973203432721332e+2),
    complex(+4.236195226571914e+2, -2.041233768918671e+3), complex(+4.645770595258726e+2, -1.652917287299683e+3),
    complex(+7.765163276752433e+2, -1.783617639907328e+4), complex(+1.907115136768522e+3, -5.887068595142284e+4),
    complex(+2.909892685603256e+3, -9.953255345514560e+3), complex(+1.944772206620450e+2, -1.427131226068449e+3),
    complex(+1.382799786972332e+5, -3.256885197214938e+6), complex(+5.628442079602433e+3, -2.924284515884309e+4),
    complex(+2.151681283794220e+2, -1.121774011188224e+3), complex(+1.324720240514420e+3, -6.370088443140973e+4),
    complex(+1.617548476343347e+4, -1.008798413156542e+6), complex(+1.112729040439685e+2, -8.837109731680418e+1),
    complex(+1.074624783191125e+2, -1.457246116408180e+2), complex(+8.835727765158191e+1, -6.388286188419360e+1),
    complex(+9.354078136054179e+1, -2.195424319460237e+2), complex(+9.418142823531573e+1, -6.719055740098035e+2),
    complex(+1.040012390717851e+2, -1.693747595553868e+2), complex(+6.861882624343235e+1, -1.177598523430493e+1),
    complex(+8.766654491283722e+1, -4.596464999363902e+3), complex(+1.056007619389650e+2, -1.738294585524067e+3),
    complex(+7.738987569039419e+1, -4.311715386228984e+1), complex(+1.041366366475571e+2, -2.777743732451969e+2),
)  # fmt: skip
_ALPHA0 = 2.258038182743983e-47


class DecayDataError(RuntimeError):
    """The decay data cannot be read from the installed `radioactivedecay` package."""


class _Data:
    """The dataset as arrays: nuclide ids in the dataset's order (parents before daughters),
    decay constants [1/s] and, per nuclide, its (daughter index, branching fraction) pairs."""

    def __init__(self, ids: list[int], lambdas: list[float], daughters: list[tuple[tuple[int, float], ...]]) -> None:
        self.ids = ids
        self.lambdas = lambdas
        self.daughters = daughters
        self.index = {nuc: i for i, nuc in enumerate(ids)}


def _dataset_file() -> Path:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("radioactivedecay")
    if spec is None or not spec.submodule_search_locations:
        raise DecayDataError("radioactive decay needs the 'radioactivedecay' package (pip install radioactivedecay)")
    path = Path(next(iter(spec.submodule_search_locations))) / _DATASET / "decay_data.npz"
    if not path.is_file():
        raise DecayDataError(f"radioactivedecay's ICRP-107 dataset is missing: {path}")
    return path


def _nuc_id(name: str) -> int:
    """``Cs-137`` / ``Ba-137m`` / ``Bi-212n`` -> cycsrv id (isomer m -> state 1, n -> state 2)."""
    symbol, _, rest = name.partition("-")
    state = 0
    if rest[-1:] in _ISOMERS:
        state = _ISOMERS[rest[-1]]
        rest = rest[:-1]
    z = nucname.Z_OF_SYMBOL.get(symbol)
    if z is None or not rest.isdigit():
        raise DecayDataError(f"unexpected nuclide name in the decay data: {name!r}")
    return z * 10_000_000 + int(rest) * 10_000 + state


@functools.cache
def _data() -> _Data:
    import numpy as np

    with np.load(_dataset_file(), allow_pickle=True) as z:  # the package's own file: object arrays
        names = [str(n) for n in z["nuclides"]]
        hldata = z["hldata"]
        progeny = z["progeny"]
        bfs = z["bfs"]
    ids = [_nuc_id(n) for n in names]
    index = {n: i for i, n in enumerate(names)}
    lambdas = []
    for value, unit, _ in hldata:
        seconds = float(value) * _UNIT_SECONDS[str(unit)]
        lambdas.append(0.0 if math.isinf(seconds) else math.log(2) / seconds)
    daughters = []
    for i, (kids, fracs) in enumerate(zip(progeny, bfs, strict=True)):
        pairs = tuple((index[str(k)], float(f)) for k, f in zip(kids, fracs, strict=True) if str(k) in index)
        if any(j <= i for j, _ in pairs) or len({j for j, _ in pairs}) != len(pairs):
            raise DecayDataError(f"decay data out of order, or a daughter listed twice, at {names[i]}")
        daughters.append(pairs if lambdas[i] > 0 else ())
    return _Data(ids, lambdas, daughters)


def nuclides() -> list[int]:
    """Every nuclide id in the dataset (radionuclides and their stable progeny)."""
    return list(_data().ids)


def decay_constant(nuc: int) -> float:
    """Decay constant [1/s] of `nuc` (a cycsrv id); 0 for stable nuclides and those not in the data."""
    d = _data()
    i = d.index.get(nuc)
    return 0.0 if i is None else d.lambdas[i]


def branches(nuc: int) -> dict[int, float]:
    """Daughter id -> branching fraction of `nuc`, as the data gives them (spontaneous fission
    left out; for some nuclides ICRP-107's fractions do not sum to exactly 1)."""
    d = _data()
    i = d.index.get(nuc)
    return {} if i is None else {d.ids[j]: frac for j, frac in d.daughters[i]}


def half_life(nuc: int) -> float:
    """Half-life [s] of `nuc`; infinite when stable or not in the data."""
    lam = decay_constant(nuc)
    return math.log(2) / lam if lam > 0 else math.inf


def steps_to_notice(nucs: Iterable[int], secs_per_step: float) -> float:
    """The fewest time steps after which Cyclus decays a composition of `nucs`: some nuclide
    changes by `NOTICEABLE` or more (always 1 past `ALWAYS_DECAY` nuclides, inf if all stable).

    Cyclus tests ``1 - exp(-lambda * dt * steps) >= NOTICEABLE`` on every decay call; that is
    monotone in the steps, so the smallest passing count answers every later call."""
    nucs = list(nucs)
    if len(nucs) > ALWAYS_DECAY:
        return 1
    rate = max_decay_constant(nucs) * float(secs_per_step)
    if rate == 0:
        return math.inf

    def noticed(steps: float) -> bool:
        return 1.0 - math.exp(-rate * float(steps)) >= NOTICEABLE

    steps = max(1, math.ceil(-math.log1p(-NOTICEABLE) / rate))
    while steps > 1 and noticed(steps - 1):
        steps -= 1
    while not noticed(steps):
        steps += 1
    return steps


def max_decay_constant(nucs: Iterable[int]) -> float:
    """The largest decay constant among `nucs` (0 when all are stable)."""
    d = _data()
    lambdas, index = d.lambdas, d.index
    best = 0.0
    for nuc in nucs:
        i = index.get(nuc)
        if i is not None and lambdas[i] > best:
            best = lambdas[i]
    return best


@functools.lru_cache(maxsize=256)
def _system(present: frozenset[int]) -> tuple[list[int], Any, Any, Any]:
    """The decay matrix over `present` and all their descendants, sparse: (their dataset
    indices in order, then rows, columns and values of its nonzero entries). Parents come
    first, so it is lower triangular."""
    import numpy as np

    d = _data()
    seen: set[int] = set()
    stack = list(present)
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(j for j, _ in d.daughters[i])
    order = sorted(seen)
    pos = {g: k for k, g in enumerate(order)}
    rows, cols, vals = [], [], []
    for k, g in enumerate(order):
        lam = d.lambdas[g]
        rows.append(k)
        cols.append(k)
        vals.append(-lam)
        for j, frac in d.daughters[g]:
            rows.append(pos[j])
            cols.append(k)
            vals.append(frac * lam)
    return order, np.array(rows), np.array(cols), np.array(vals)


def _cram48(n: int, rows: Any, cols: Any, vals: Any, n0: Any, seconds: float) -> Any:
    """``exp(A * seconds) @ n0`` by CRAM-48 in IPF form; A (n x n, lower triangular) given by
    its nonzero entries.

    Each of the 24 solves is a triangular substitution (LAPACK) on the dense form of
    ``A * seconds - theta``: for the hundred or so nuclides of a fuel vector's chains that is
    several times faster than a sparse LU, and it is at most 1512 wide.
    """
    import numpy as np
    from scipy.linalg import solve_triangular

    m = np.zeros((n, n), dtype=np.complex128)
    m[rows, cols] = vals * seconds  # no duplicate entries: one per (parent, daughter)
    diag = np.arange(n)
    at_diag = m[diag, diag].copy()
    y = n0.astype(np.float64)
    for alpha, theta in zip(_ALPHA, _THETA, strict=True):
        m[diag, diag] = at_diag - theta
        y = y + 2.0 * np.real(alpha * solve_triangular(m, y, lower=True, check_finite=False))
    return y * _ALPHA0


def decay_atoms(atoms: Mapping[int, float], seconds: float) -> dict[int, float]:
    """Amounts of each nuclide (same units as `atoms`: atoms, moles or atom fractions) after
    `seconds` of decay, in ascending id order; zero and negligible amounts are left out."""
    if seconds < 0:
        raise ValueError(f"cannot decay for a negative time ({seconds} s)")
    d = _data()
    index = d.index
    known = {index[n]: v for n, v in atoms.items() if n in index and v > 0}
    out = {n: v for n, v in atoms.items() if n not in index and v > 0}
    if known and seconds > 0:
        import numpy as np

        order, rows, cols, vals = _system(frozenset(known))
        n0 = np.zeros(len(order))
        for k, g in enumerate(order):
            n0[k] = known.get(g, 0.0)
        n1 = _cram48(len(order), rows, cols, vals, n0, seconds)
        cut = TINY * (float(n1[n1 > 0].sum()) + sum(out.values()))
        ids = d.ids
        for k, g in enumerate(order):
            if n1[k] > cut:
                out[ids[g]] = float(n1[k])
    else:
        out.update((d.ids[g], v) for g, v in known.items())
    return dict(sorted(out.items()))
