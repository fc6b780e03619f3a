"""Take the parts of an exchange program that have one obvious answer out of it before HiGHS runs.

Most exchanges of a fleet are small independent trades: one requester, one supplier, one arc.
Such an arc (once supply rows that no choice of columns can fill are set aside) shares no row
with another arc, and its best amount is a one-variable convex problem, solved here exactly.
Only an arc whose optimum is unique is taken out, so the answer is the one any LP solver gives;
arcs that share a binding row, or whose optimum is a tie, stay in the program HiGHS solves,
which keeps the original column and row order. Plain Python: these programs are tiny, and
numpy's per-call cost would exceed the work.
"""

from __future__ import annotations

import math

import attrs

from cycsrv.kernel.solvers.program import Program

#: Objective slopes this small (relative to the arc's cost scale) are flat: a tie, for HiGHS.
TIE_TOLERANCE = 1e-9
#: A binary arc whose coefficient overshoots a capacity by less than this (relative) is for
#: HiGHS's feasibility tolerances to judge.
FIT_TOLERANCE = 1e-6
NAN = math.nan


@attrs.define
class Split:
    """Values of the columns solved here (NaN for the rest) and the program left for HiGHS."""

    values: list[float]
    rest: Program | None  # None when every column was solved here
    rest_cols: list[int]  # original index of each column of `rest`


def split_program(prog: Program) -> Split:
    """Solve the program's independent single-arc parts in closed form; return what is left."""
    n, n_arcs, m = prog.num_cols, len(prog.arcs), prog.num_rows
    idx, val, starts = prog.row_index, prog.row_value, prog.row_starts
    ends = [*starts[1:], len(idx)]
    upper, row_lower, row_upper = prog.col_upper, prog.row_lower, prog.row_upper
    redundant = [False] * m
    coupled = [False] * n_arcs
    col_entries: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # (row, entry) per column
    for i in range(m):
        s, e = starts[i], ends[i]
        faux = False
        reach = 0.0
        nonneg = True
        arcs_here = 0
        for k in range(s, e):
            c = idx[k]
            col_entries[c].append((i, k))
            if c >= n_arcs:
                faux = True
                continue
            arcs_here += 1
            a = val[k]
            if a < 0:
                nonneg = False
            elif a:
                reach += a * upper[c]
        # a supply row no choice can fill: its coefficients times the columns' bounds stay within it
        redundant[i] = not faux and nonneg and row_lower[i] <= 0 and reach <= row_upper[i]
        if arcs_here > 1 and not redundant[i]:
            for k in range(s, e):
                if idx[k] < n_arcs:
                    coupled[idx[k]] = True

    values = [NAN] * n
    binary = set(prog.integer_cols)
    for j in range(n_arcs):
        if coupled[j]:
            continue
        solved = _solve_arc(prog, j, j in binary, col_entries[j], ends, redundant)
        if solved is not None:
            values[j], faux, faux_value = solved
            if faux >= 0:
                values[faux] = faux_value
    left = [c for c in range(n) if values[c] != values[c]]
    if not left:
        return Split(values, None, [])
    return Split(values, _restrict(prog, values, left, ends), left)


def _solve_arc(prog: Program, j: int, binary: bool, entries: list[tuple[int, int]], ends: list[int],
               redundant: list[bool]) -> tuple[float, int, float] | None:
    """(x, faux column or -1, faux value) minimising arc `j`'s part, or None if HiGHS should decide."""
    idx = prog.row_index
    upper = prog.col_upper[j]
    demands: list[tuple[float, float]] = []  # (coefficient, lower bound) of the rows with the faux column
    faux = -1
    for i, k in entries:
        if redundant[i]:
            continue
        a = prog.row_value[k]
        lo, hi = prog.row_lower[i], prog.row_upper[i]
        others = [c for c in idx[prog.row_starts[i]:ends[i]] if c != j]
        if others:  # the request group's row: a x + faux >= lo (other arcs would have coupled j)
            if len(others) != 1 or (faux >= 0 and others[0] != faux) or hi != math.inf or a < 0:
                return None
            faux = others[0]
            demands.append((a, lo))
        elif a < 0 or lo > 0:
            return None
        elif a > 0:
            if not binary:
                upper = min(upper, hi / a)
            elif a > hi:
                if a <= hi * (1 + FIT_TOLERANCE):
                    return None
                upper = 0.0
    if binary:
        points = [0.0, 1.0] if upper >= 1.0 else [0.0]
    elif upper == math.inf:
        return None
    else:
        points = sorted({0.0, upper, *(lo / a for a, lo in demands if a > 0 and 0 < lo / a < upper)})
    c = prog.cost[j]
    p = prog.cost[faux] if faux >= 0 else 0.0
    # objective relative to x = 0, kept well conditioned when a request is 1e15 kg and the
    # arc carries grams: c x + p (unmet(x) - unmet(0)), unmet(x) = max(0, max_k(lo_k - a_k x))
    base = max([0.0, *(lo for _, lo in demands)])

    def gain(x: float) -> float:
        return c * x + p * max([-base, *((lo - base) - a * x for a, lo in demands)])

    scored = sorted((gain(x), x) for x in points)
    best, x = scored[0]
    # a tie: the objective is (nearly) flat between the best point and the runner-up
    scale = c + p * max([0.0, *(a for a, _ in demands)])
    if len(scored) > 1 and scored[1][0] - best <= TIE_TOLERANCE * scale * abs(scored[1][1] - x):
        return None
    return x, faux, max([0.0, *(lo - a * x for a, lo in demands)])


def _restrict(prog: Program, values: list[float], left: list[int], ends: list[int]) -> Program:
    """The program over the columns `left`, in their order, with solved columns moved into row bounds."""
    new_col = {c: k for k, c in enumerate(left)}
    row_lower: list[float] = []
    row_upper: list[float] = []
    row_starts: list[int] = []
    row_index: list[int] = []
    row_value: list[float] = []
    idx, val = prog.row_index, prog.row_value
    for i in range(prog.num_rows):
        shift = 0.0
        kept: list[tuple[int, float]] = []
        for k in range(prog.row_starts[i], ends[i]):
            c = idx[k]
            if c in new_col:
                kept.append((new_col[c], val[k]))
            else:
                shift += val[k] * values[c]
        if not kept:
            continue
        row_lower.append(prog.row_lower[i] - shift)
        row_upper.append(prog.row_upper[i] - shift)
        row_starts.append(len(row_index))
        row_index.extend(c for c, _ in kept)
        row_value.extend(v for _, v in kept)
    n_arcs = len(prog.arcs)
    return Program(
        cost=[prog.cost[c] for c in left],
        col_lower=[prog.col_lower[c] for c in left],
        col_upper=[prog.col_upper[c] for c in left],
        integer_cols=[new_col[c] for c in prog.integer_cols if c in new_col],
        row_lower=row_lower,
        row_upper=row_upper,
        row_starts=row_starts,
        row_index=row_index,
        row_value=row_value,
        arcs=[prog.arcs[c] for c in left if c < n_arcs],
        pseudo_cost=prog.pseudo_cost,
    )
