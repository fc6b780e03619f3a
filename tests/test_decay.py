"""The decay solver (`cycsrv.kernel.decay`): ICRP-107 data, analytic cases and radioactivedecay.

Analytic expectations use the dataset's own half-lives and branching fractions (so they test
the solver); a few literal ICRP-107 values check that the data is read and named right.
"""

from __future__ import annotations

import math

import pytest

from cycsrv.kernel import decay, nucname

YEAR = 365.2422 * 86400.0
CS137, BA137M, BA137 = 551370000, 561370001, 561370000
SR90, Y90, ZR90 = 380900000, 390900000, 400900000


def lam(name: str) -> float:
    return decay.decay_constant(nucname.id(name))


def close(got: dict[int, float], want: dict[str, float], rel: float = 1e-9) -> None:
    for name, value in want.items():
        nuc = nucname.id(name)
        assert got.get(nuc, 0.0) == pytest.approx(value, rel=rel, abs=0), name


def test_icrp107_half_lives_branching_and_metastable_ids():
    assert decay.half_life(CS137) == pytest.approx(30.1671 * YEAR, rel=1e-12)
    assert decay.half_life(nucname.id("Co60")) == pytest.approx(5.2713 * YEAR, rel=1e-12)
    assert decay.half_life(BA137M) == pytest.approx(2.552 * 60, rel=1e-12)
    assert decay.half_life(nucname.id("Am242M")) == pytest.approx(141.0 * YEAR, rel=1e-12)
    assert decay.half_life(nucname.id("Pb208")) == math.inf
    assert decay.decay_constant(922000000) == 0.0  # U-200: not in the data, so stable
    assert len(decay.nuclides()) == len(set(decay.nuclides())) == 1512
    assert 832120002 in decay.nuclides()  # Bi-212n, the second isomer


@pytest.mark.parametrize("name", ["H3", "Co60", "Sr89", "I131", "Cs137", "Ba137M"])
@pytest.mark.parametrize("halves", [0.001, 0.5, 1, 5, 20, 60])
def test_single_nuclide_and_its_daughters_over_many_half_lives(name, halves):
    """Daughters here are stable or end in a stable ground state, so they hold what decayed
    (times the sum of the data's branching fractions: 0.999999 for I-131)."""
    nuc = nucname.id(name)
    got = decay.decay_atoms({nuc: 1.0}, halves * decay.half_life(nuc))
    left = 2.0**-halves
    assert got[nuc] == pytest.approx(left, rel=1e-9, abs=0)
    daughters = sum(v for n, v in got.items() if n != nuc)
    assert daughters == pytest.approx((1 - left) * sum(decay.branches(nuc).values()), rel=1e-9)


@pytest.mark.parametrize("t", [3600.0, 86400.0, 30 * 86400.0, YEAR, 28.79 * YEAR, 300 * YEAR])
def test_parent_daughter_chain_follows_bateman(t):
    l1, l2 = lam("Sr90"), lam("Y90")
    e1, e2 = math.exp(-l1 * t), math.exp(-l2 * t)
    y90 = l1 / (l2 - l1) * (e1 - e2)
    got = decay.decay_atoms({SR90: 1.0}, t)
    close(got, {"Sr90": e1, "Y90": y90, "Zr90": -math.expm1(-l1 * t) - y90})


def test_secular_equilibrium_of_a_short_lived_daughter():
    """Sr-90/Y-90 after a century: Y-90 atoms are Sr-90 atoms times lambda_Sr / (lambda_Y - lambda_Sr)."""
    got = decay.decay_atoms({SR90: 1.0, Y90: 0.0}, 100 * YEAR)
    assert got[Y90] / got[SR90] == pytest.approx(lam("Sr90") / (lam("Y90") - lam("Sr90")), rel=1e-9)


@pytest.mark.parametrize("t", [1e6 * YEAR, 1e9 * YEAR, 5e9 * YEAR])
def test_branching_decay_splits_by_fraction(t):
    """K-40: beta- to Ca-40 (0.8914), EC to Ar-40 (0.1086)."""
    gone = -math.expm1(-lam("K40") * t)
    got = decay.decay_atoms({nucname.id("K40"): 2.0}, t)
    close(got, {"K40": 2.0 * (1 - gone), "Ca40": 2.0 * 0.8914 * gone, "Ar40": 2.0 * 0.1086 * gone})


@pytest.mark.parametrize("t", [60.0, 600.0, 3600.0, 86400.0, 10 * YEAR])
def test_metastable_state_between_a_branching_parent_and_its_ground_state(t):
    """Cs-137 -> Ba-137m (0.94399) -> Ba-137 by IT, and Cs-137 -> Ba-137 directly (0.056005)."""
    l1, l2 = lam("Cs137"), lam("Ba137M")
    e1, e2 = math.exp(-l1 * t), math.exp(-l2 * t)
    meta = 0.94399 * l1 / (l2 - l1) * (e1 - e2)
    got = decay.decay_atoms({CS137: 1.0}, t)
    both = 0.94399 + 0.056005  # the data's fractions sum to 0.999995
    close(got, {"Cs137": e1, "Ba137M": meta, "Ba137": -math.expm1(-l1 * t) * both - meta})


def test_isomer_decays_to_its_ground_state_and_by_beta():
    """Tc-99m: IT to Tc-99 (0.99996), beta- to Ru-99 (3.7e-5); Tc-99 barely decays in a day."""
    t = 86400.0
    l1, l2 = lam("Tc99M"), lam("Tc99")
    e1, e2 = math.exp(-l1 * t), math.exp(-l2 * t)
    tc99 = 0.99996 * l1 / (l2 - l1) * (e1 - e2)
    got = decay.decay_atoms({nucname.id("Tc99M"): 1.0}, t)
    close(got, {"Tc99M": e1, "Tc99": tc99})
    # Ru-99: the direct branch, plus the end of the chain through Tc-99 (Bateman, 3 members)
    via_tc99 = 0.99996 * (l2 * -math.expm1(-l1 * t) - l1 * -math.expm1(-l2 * t)) / (l2 - l1)
    close(got, {"Ru99": 3.7e-05 * -math.expm1(-l1 * t) + via_tc99})


def test_spontaneous_fission_removes_atoms():
    t = 2.645 * YEAR  # one Cf-252 half-life
    got = decay.decay_atoms({nucname.id("Cf252"): 1.0}, t)
    assert sum(got.values()) == pytest.approx(1 - 0.5 * 0.03092, rel=1e-6)


def test_unknown_nuclides_are_kept_as_stable_and_nothing_is_negative():
    got = decay.decay_atoms({922000000: 3.0, CS137: 1.0, 942390000: 0.0}, 1e4 * YEAR)
    assert got[922000000] == 3.0
    assert 942390000 not in got
    assert min(got.values()) > 0
    assert list(got) == sorted(got)


def test_fully_decayed_nuclides_are_dropped():
    got = decay.decay_atoms({nucname.id("I131"): 1.0}, 100 * YEAR)
    assert nucname.id("I131") not in got
    assert got == {nucname.id("Xe131"): pytest.approx(0.999999, rel=1e-12)}  # the data: 0.98824 + 0.011759


def test_zero_time_and_negative_time():
    assert decay.decay_atoms({CS137: 2.0, 10010000: 1.0}, 0.0) == {10010000: 1.0, CS137: 2.0}
    with pytest.raises(ValueError, match="negative time"):
        decay.decay_atoms({CS137: 1.0}, -1.0)


# A spent-fuel-like vector: actinides, fission and activation products (mass fractions).
SPENT = {
    "U-238": 0.93, "U-235": 0.008, "U-236": 0.005, "U-234": 2e-4, "Pu-239": 0.006, "Pu-240": 0.0025,
    "Pu-241": 0.0012, "Pu-242": 6e-4, "Pu-238": 2.5e-4, "Am-241": 1e-4, "Am-243": 1.5e-4,
    "Am-242m": 1e-6, "Np-237": 6e-4, "Cm-244": 5e-5, "Cm-242": 1e-5, "Cm-245": 3e-6, "Cs-137": 1.5e-3,
    "Cs-134": 1e-4, "Cs-135": 5e-4, "Sr-90": 6e-4, "Y-90": 1.5e-7, "Kr-85": 3e-5, "I-129": 2e-4,
    "Tc-99": 1e-3, "Ru-106": 5e-5, "Ce-144": 1e-4, "Pr-144": 4e-9, "Eu-154": 3e-5, "Eu-155": 2e-5,
    "Sm-151": 1.5e-5, "Pm-147": 1e-4, "Zr-93": 9e-4, "Nb-95": 1e-5, "Zr-95": 2e-5, "Sb-125": 1.5e-5,
    "Sn-126": 3e-5, "Se-79": 6e-6, "Pd-107": 3e-4, "H-3": 1e-7, "C-14": 1e-7, "Co-60": 1e-7,
    "Ag-110m": 1e-6, "Te-127m": 1e-6, "Ba-137m": 2e-10, "Rh-106": 5e-11, "Xe-133": 1e-6, "I-131": 1e-6,
}  # fmt: skip


def _rd_name_to_id(name: str) -> int:
    return nucname.id(name.replace("-", ""))


def _worst_relative_error(rd_inventory, seconds: float) -> float:
    """Largest relative difference, over nuclides above 1e-12 of the mass, between our moles
    and radioactivedecay's after `seconds`."""
    start = {_rd_name_to_id(n): v for n, v in rd_inventory.moles().items()}
    ours = decay.decay_atoms(start, seconds)
    theirs = rd_inventory.decay(seconds, "s")
    masses, moles = theirs.masses("kg"), theirs.moles()
    total = sum(masses.values())
    worst = 0.0
    for name, m in masses.items():
        if m / total > 1e-12:
            want = moles[name]
            worst = max(worst, abs(ours.get(_rd_name_to_id(name), 0.0) - want) / want)
    return worst


def test_spent_fuel_agrees_with_radioactivedecay_from_a_month_to_ten_thousand_years():
    rd = pytest.importorskip("radioactivedecay")
    inv = rd.Inventory(SPENT, "kg")
    assert len(inv.nuclides) >= 40
    for years in (1 / 12, 1, 10, 100, 1000, 10_000):
        assert _worst_relative_error(inv, years * YEAR) < 1e-6, years


def test_spent_fuel_agrees_with_radioactivedecay_high_precision():
    """Against radioactivedecay's SymPy (arbitrary precision) solution: CRAM-48 is within 1e-12."""
    rd = pytest.importorskip("radioactivedecay")
    assert _worst_relative_error(rd.InventoryHP(SPENT, "kg"), 10_000 * YEAR) < 1e-12


@pytest.mark.parametrize(("name", "secs"), [("H3", 86400), ("U235", 2629846), ("Cs137", 2629846), ("Sr89", 60)])
def test_steps_to_notice_is_the_first_step_cyclus_would_decay(name, secs):
    """Cyclus decays once ``1 - exp(-lambda * dt * steps) >= 1e-4`` for some nuclide."""
    nuc = nucname.id(name)
    steps = decay.steps_to_notice([nuc, nucname.id("Pb208")], secs)
    rate = decay.decay_constant(nuc) * secs

    def noticed(s: float) -> bool:
        return 1.0 - math.exp(-rate * s) >= 1e-4

    assert noticed(steps) and (steps == 1 or not noticed(steps - 1))


def test_steps_to_notice_stable_and_large_compositions():
    assert decay.steps_to_notice([nucname.id("Pb208"), 922000000], 2629846) == math.inf
    big = [n for n in decay.nuclides() if decay.decay_constant(n) == 0][:101]
    assert decay.steps_to_notice(big, 2629846) == 1  # past 100 nuclides Cyclus always decays
