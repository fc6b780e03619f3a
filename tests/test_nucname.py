"""Nuclide ids in every form Cyclus accepts, and the nuclear data looked up by id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cycsrv.kernel import nucdata, nucname


@pytest.mark.parametrize(
    ("given_form", "expected"),
    [
        ("U235", 922350000),
        ("u-235", 922350000),
        ("U-235", 922350000),
        ("Cs137", 551370000),
        ("cs137", 551370000),
        ("H1", 10010000),
        ("Am242M", 952420001),
        ("am-242m", 952420001),
        ("235U", 922350000),  # NIST
        ("92-U-235", 922350000),  # ZZ-LL-AAA
        ("2-He-4", 20040000),
        ("94-Pu-nat", 940000000),
        ("922350000", 922350000),  # id in string form
        ("010010000", 10010000),
        (922350000, 922350000),
        (922350, 922350000),  # zzaaam
        (952421, 952420001),
        (2350920, 922350000),  # cinder aaazzzm
        (92235, 922350000),  # MCNP zzaaa
        ("92235", 922350000),
        (95242, 952420001),  # MCNP's Am-242m special case
        (95642, 952420000),  # ... and its Am-242 ground state
        (92635, 922350001),  # MCNP metastable: A + 400
        ("U", 920000000),  # natural elements
        ("u", 920000000),
        (92, 920000000),
        (920000000, 920000000),
        ("Lv293", 1162930000),
    ],
)
def test_id_accepts_cyclus_forms(given_form, expected):
    assert nucname.id(given_form) == expected


@pytest.mark.parametrize("bad", ["", "Xx12", "U235X", "-", "*U", "U 235", "92-Pu-239", -1, 500, 3.5, None])
def test_id_rejects_non_nuclides_naming_the_value(bad):
    with pytest.raises(nucname.NucnameError) as info:
        nucname.id(bad)
    assert isinstance(info.value, ValueError)
    assert repr(bad) in str(info.value)


def test_name_and_parts():
    assert nucname.name(922350000) == "U235"
    assert nucname.name("am242m") == "Am242M"
    assert nucname.name(920000000) == "U"
    assert (nucname.znum("Pu239"), nucname.anum("Pu239"), nucname.snum("Pu239")) == (94, 239, 0)
    assert nucname.snum(952420001) == 1


def test_is_nuclide_rejects_elements_and_garbage():
    assert nucname.is_nuclide(922350000)
    assert nucname.is_nuclide("H1")
    assert not nucname.is_nuclide(920000000)  # element
    assert not nucname.is_nuclide("U")
    assert not nucname.is_nuclide("not a nuclide")


@st.composite
def _nuclide_ids(draw):
    z = draw(st.sampled_from(sorted(nucname.SYMBOL_OF_Z)))
    a = draw(st.integers(min_value=z, max_value=min(999, 7 * z)))
    s = draw(st.integers(min_value=0, max_value=1))
    return z * 10_000_000 + a * 10_000 + s


@given(_nuclide_ids())
def test_name_round_trips(nuc):
    assert nucname.is_nuclide(nuc)
    assert nucname.id(nuc) == nuc
    assert nucname.id(str(nuc)) == nuc
    assert nucname.id(nucname.name(nuc)) == nuc
    assert nucname.id(nucname.name(nuc).lower()) == nuc


@given(_nuclide_ids())
def test_zzaaam_form_maps_to_id(nuc):
    z, a, s = nuc // 10_000_000, (nuc // 10_000) % 1000, nuc % 10
    assert nucname.id(z * 10_000 + a * 10 + s) == nuc


# --- nuclear data ---------------------------------------------------------------------------


def test_atomic_mass_from_the_table():
    assert nucdata.atomic_mass(922350000) == 235.043930131
    assert nucdata.atomic_mass("U235") == 235.043930131
    assert nucdata.atomic_mass(920000000) == pytest.approx(238.0289, abs=1e-4)


def test_atomic_mass_of_excited_state_is_ground_state_and_unknown_is_a():
    assert nucdata.atomic_mass(952420001) == nucdata.atomic_mass(952420000)
    assert nucdata.atomic_mass(1162990000) == 299.0


def test_atom_recipe_mass_fractions_match_cyclus():
    # Cyclus: an atom recipe {U235: 1, U238: 99} has these mass fractions.
    m235, m238 = nucdata.atomic_mass("U235"), nucdata.atomic_mass("U238")
    assert m235 / (m235 + 99 * m238) == pytest.approx(0.00987493569000716, rel=1e-14)
    assert 99 * m238 / (m235 + 99 * m238) == pytest.approx(0.990125064309993, rel=1e-14)


def test_simple_xs_by_reaction_name_and_column():
    fiss = nucdata.simple_xs("U235", "fission", "thermal")
    assert fiss == nucdata.simple_xs(922350000, "sigma_f")
    assert fiss > 500  # U-235 thermal fission is ~585 b
    assert nucdata.simple_xs("Pu239", "absorption", "fission_spectrum_ave") > 0
    assert nucdata.simple_xs("U238", "fission", "thermal") < nucdata.simple_xs("U238", "absorption", "thermal")


def test_simple_xs_missing_data_raises():
    assert not nucdata.has_simple_xs("Am242M")
    with pytest.raises(nucdata.NucDataError, match="Am242M"):
        nucdata.simple_xs("Am242M", "fission")
    with pytest.raises(nucdata.NucDataError, match="reaction"):
        nucdata.simple_xs("U235", "teleportation")
    with pytest.raises(nucdata.NucDataError, match="not shipped"):
        nucdata.simple_xs("U235", "fission", "fourteen_MeV")
    with pytest.raises(nucdata.NucDataError, match="spectrum"):
        nucdata.simple_xs("U235", "fission", "fast")
