"""Decay of materials with Cyclus's semantics: `never` / `manual` / `lazy`, lineages, history rows.

Tests marked "Cyclus" follow cyclus/tests/material_tests.cc and composition_tests.cc (Cyclus
1.6); their expectations hold with ICRP-107 data as they do with PyNE's.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from mocksim import Rows

from cycsrv.kernel import decay, nucname, tables
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.context import Context
from cycsrv.kernel.infile import InputError
from cycsrv.kernel.recorder import Recorder
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Composition, Material, Product
from cycsrv.kernel.simulation import Simulation
from cycsrv.store.memory import MemoryBackend

MONTH = 2629846
U235, PB208, AM241, SR89 = 922350000, 822080000, 952410000, 380890000
CS137, BA137, U238 = 551370000, 561370000, 922380000


def world(mode: str = "manual", dt: int = MONTH):
    rows = Rows()
    ctx = Context(Recorder([rows]), duration=200, dt=dt, start_year=2015, start_month=1, decay=mode)
    fac = Facility(ctx)
    fac.prototype = "Fac"
    return ctx, fac, rows


def diff_comp(ctx: Context) -> Composition:
    """Cyclus's test composition: equal masses of U-235, Pb-208, Am-241 and Sr-89."""
    return Composition.from_mass(ctx, {U235: 1.0, PB208: 1.0, AM241: 1.0, SR89: 1.0})


def masses(m: Material) -> dict[int, float]:
    return m.comp.mass_scaled(m.qty)


def flush(ctx: Context, rows: Rows) -> None:
    ctx.recorder.flush()


# --- compositions --------------------------------------------------------------------------


def test_lineage_caches_each_total_decay_time():
    """Cyclus CompositionTests.lineage: one composition per total time decayed from the root."""
    ctx, _, _ = world()
    c = Composition.from_atom(ctx, {CS137: 1.0})
    dec1, dec2, dec3 = c.decay(ctx, 5), c.decay(ctx, 10), c.decay(ctx, 10)
    dec4, dec5 = dec1.decay(ctx, 10), dec2.decay(ctx, 5)
    assert dec2 is dec3 and dec4 is dec5
    assert len({c.id, dec1.id, dec2.id, dec4.id}) == 4
    assert c.decay(ctx, 15) is dec4


def test_composition_decay_halves_cs137_in_one_half_life():
    """Cyclus CompositionTests.decay: Cs-137 : U-238 = 1 : 10 atoms, one half-life in whole steps."""
    ctx, _, _ = world()
    v = {CS137: 1 / 11, U238: 10 / 11}
    steps = int(decay.half_life(CS137) / MONTH)
    decayed = Composition.from_atom(ctx, v).decay(ctx, steps)
    new = decayed.atom_scaled()
    assert len(new) > len(v)
    assert new[CS137] == pytest.approx(v[CS137] / 2, abs=1e-4)
    assert new[U238] == pytest.approx(v[U238], abs=1e-4)
    # unnormalised, the atoms are those of the vector decayed
    kept = math.exp(-decay.decay_constant(CS137) * steps * MONTH)
    assert decayed.atom()[CS137] == pytest.approx(v[CS137] * kept, rel=1e-9)


# --- Material.decay --------------------------------------------------------------------------


def test_manual_decay_changes_every_nuclide_and_records_a_new_state():
    """Cyclus DecayManual, plus the history Cyclus writes for it (Transmute -> a new state)."""
    ctx, fac, rows = world()
    m = Material.create(fac, 1000.0, diff_comp(ctx))
    before, state, comp = masses(m), m.state_id, m.comp
    m.decay(100)
    after = masses(m)
    assert all(after[n] != before[n] for n in (U235, PB208, AM241, SR89))
    assert after[SR89] < 1e-9 * before[SR89]  # 100 months is ~60 Sr-89 half-lives
    assert m.qty == 1000.0 and m.prev_decay_time == 100 and m.comp is not comp
    flush(ctx, rows)
    res = rows.table("Resources")
    assert [(r["ResourceId"], r["Parent1"], r["QualId"]) for r in res] == [(state, 0, comp.id),
                                                                          (m.state_id, state, m.comp.id)]
    assert rows.table("MaterialInfo")[-1] == {"ResourceId": m.state_id, "PrevDecayTime": 100}
    recorded = {r["NucId"]: r["MassFrac"] for r in rows.table("Compositions") if r["QualId"] == m.comp.id}
    assert recorded[SR89] < 1e-12 and recorded[nucname.id("Y89")] > 0.24


def test_decay_to_now_at_time_zero_changes_nothing():
    """Cyclus DecayDefault: decay() with no time decays to the current time, here 0."""
    ctx, fac, _ = world()
    m = Material.create(fac, 1000.0, diff_comp(ctx))
    comp, state = m.comp, m.state_id
    m.decay()
    m.decay(-1)  # Cyclus's "now"
    assert m.comp is comp and m.state_id == state
    ctx.time = 10
    m.decay(-1)
    assert m.prev_decay_time == 10 and m.comp is not comp


def test_never_mode_never_decays():
    """Cyclus DecayNever."""
    ctx, fac, _ = world("never")
    m = Material.create(fac, 1000.0, diff_comp(ctx))
    comp = m.comp
    m.decay(100)
    ctx.time = 100
    assert m.comp is comp and m.prev_decay_time == 0 and m.qty == 1000.0


def test_insignificant_decay_is_skipped_and_time_keeps_accumulating():
    """Cyclus DecayShortcut: below a 1e-4 change of every nuclide nothing happens."""
    ctx, fac, _ = world()
    assert decay.decay_constant(U235) == pytest.approx(3.11996e-17, rel=1e-3)  # PyNE's value, as Cyclus checks
    threshold = -math.log(1 - 1e-4) / (decay.decay_constant(U235) * MONTH)  # ~2.7 million steps
    c = Composition.from_atom(ctx, {U235: 1.0})
    m = Material.create(fac, 1.0, c)
    m.decay(int(threshold * 0.9))
    assert m.comp is c and m.prev_decay_time == 0
    m.decay(int(threshold * 1.1))
    assert m.comp is not c and m.prev_decay_time == int(threshold * 1.1)


def test_custom_time_step_length():
    """Cyclus DecayCustomTimeStep: a step of one Cs-137 half-life decays half the atoms.

    Cyclus checks the normalised atom fraction to 1e-12; with ICRP-107 that fraction is
    0.5000012, because the data's Cs-137 branching fractions sum to 0.999995 (atoms go
    missing), so this checks the atoms themselves."""
    dt = int(decay.half_life(CS137))
    ctx, fac, _ = world(dt=dt)
    m = Material.create(fac, 1.0, Composition.from_atom(ctx, {CS137: 1.0}))
    m.decay(1)
    assert m.comp.atom()[CS137] == pytest.approx(0.5, rel=1e-9)  # dt truncated to whole seconds


def test_tritium_decays_in_a_one_day_step():
    """Cyclus DecaySmallAmount: the 1e-4 threshold lets tritium decay over one day."""
    ctx, fac, _ = world(dt=86400)
    m = Material.create(fac, 1.0, Composition.from_mass(ctx, {10030000: 1.0}))
    m.decay(1)
    assert masses(m)[10030000] < 1.0


def test_extract_keeps_the_decay_time_and_transmute_resets_it():
    """Cyclus ExtractPrevDecay and TransmutePrevDecay."""
    ctx, fac, _ = world()
    m = Material.create(fac, 1000.0, diff_comp(ctx))
    m.decay(10)
    assert m.extract_qty(500.0).prev_decay_time == m.prev_decay_time == 10
    other = Material.create(fac, 1000.0, diff_comp(ctx))
    ctx.time = 50
    other.transmute(Composition.from_mass(ctx, {U235: 1.0}))
    assert other.prev_decay_time == 50


def test_absorb_takes_the_decay_time_of_the_larger_material():
    """Cyclus AbsorbPrevDecay."""
    ctx, fac, _ = world()
    m1, m2, m3 = (Material.create(fac, q, diff_comp(ctx)) for q in (1.0, 1.0, 1000.0))
    m3.decay(10)
    m1.absorb(m3)
    assert m1.prev_decay_time == 10
    m1.absorb(m2)
    assert m1.prev_decay_time == 10


def test_resbuf_decays_every_material_it_holds():
    """Cyclus DecayResBuf: two months, just over one Sr-89 half-life, change every nuclide."""
    ctx, fac, _ = world()
    buf: ResBuf[Material] = ResBuf()
    m = Material.create(fac, 1000.0, diff_comp(ctx))
    other = Material.create(fac, 10.0, Composition.from_mass(ctx, {SR89: 1.0}))
    before = masses(m)
    buf.push_all([m, other])
    buf.decay(2)
    after = masses(buf.pop())
    assert all(after[n] != before[n] for n in (U235, PB208, AM241, SR89))
    assert other.prev_decay_time == 2
    products: ResBuf[Product] = ResBuf()
    products.push(Product.create(fac, 1.0, "widget"))
    with pytest.raises(TypeError, match="cannot decay resource type Product"):
        products.decay(2)


def test_decaying_backwards_is_an_error():
    ctx, fac, _ = world()
    m = Material.create(fac, 1.0, diff_comp(ctx))
    m.decay(10)
    with pytest.raises(ValueError, match="backwards"):
        m.decay(5)


# --- lazy decay ------------------------------------------------------------------------------


def test_lazy_material_decays_when_its_composition_is_read():
    """Cyclus DecayLazy: nothing happens until the composition is observed."""
    ctx, fac, _ = world("lazy")
    m = Material.create(fac, 1000.0, diff_comp(ctx))
    before = masses(m)
    ctx.time = 100
    assert m.prev_decay_time == 0
    after = masses(m)
    assert m.prev_decay_time == 100
    assert all(after[n] != before[n] for n in (U235, PB208, AM241))


def test_manual_mode_reads_never_decay():
    ctx, fac, _ = world("manual")
    m = Material.create(fac, 1000.0, diff_comp(ctx))
    comp = m.comp
    ctx.time = 100
    assert m.comp is comp and m.prev_decay_time == 0


def test_lazy_untracked_materials_do_not_decay_on_read():
    """Cyclus gives untracked materials no context, so reading them never decays them."""
    ctx, _, _ = world("lazy")
    c = diff_comp(ctx)
    m = Material.create_untracked(ctx, 1.0, c)
    ctx.time = 100
    assert m.comp is c


def test_lazy_extract_splits_the_stored_composition_and_both_parts_decay_alike():
    """Cyclus's ExtractQty does not decay first; the piece shares the parent's decay time, and
    both later decay to the same composition (one lineage)."""
    ctx, fac, rows = world("lazy")
    c = diff_comp(ctx)
    m = Material.create(fac, 1000.0, c)
    ctx.time = 30
    piece = m.extract_qty(400.0)
    flush(ctx, rows)
    assert [r["QualId"] for r in rows.table("Resources")] == [c.id, c.id, c.id]
    assert piece.prev_decay_time == 0
    decayed = piece.comp
    assert decayed is not c and piece.prev_decay_time == 30
    assert m.comp is decayed and m.qty == 600.0


def test_lazy_absorb_decays_both_materials_first():
    """Cyclus's Absorb reads both compositions (so both decay to now), then mixes by mass; the
    quantities stay as they were (decay changes fractions, not kg)."""
    ctx, fac, _ = world("lazy")
    ca, cb = Composition.from_mass(ctx, {CS137: 1.0}), Composition.from_mass(ctx, {SR89: 1.0})
    a, b = Material.create(fac, 1.0, ca), Material.create(fac, 3.0, cb)
    ctx.time = 12
    a.absorb(b)
    assert a.prev_decay_time == 12 and a.qty == 4.0 and b.qty == 0.0
    want = ca.decay(ctx, 12).mass_scaled(1.0)  # the lineages hold what the absorb computed
    for nuc, v in cb.decay(ctx, 12).mass_scaled(3.0).items():
        want[nuc] = want.get(nuc, 0.0) + v
    assert masses(a) == pytest.approx(want, rel=1e-12)
    assert want[CS137] == pytest.approx(math.exp(-decay.decay_constant(CS137) * 12 * MONTH), rel=1e-5)


# --- input and the user's scenario ---------------------------------------------------------

STORAGE_INPUT = """<simulation>
  <control><duration>125</duration><startmonth>1</startmonth><startyear>2000</startyear>
    <decay>{mode}</decay>{extra}</control>
  <archetypes>
    <spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec>
    <spec><lib>cycamore</lib><name>Source</name></spec>
    <spec><lib>cycamore</lib><name>Storage</name></spec>
    <spec><lib>cycamore</lib><name>Sink</name></spec>
  </archetypes>
  <facility><name>Src</name><config><Source><outcommod>fresh</outcommod><outrecipe>csu</outrecipe>
    <inventory_size>1</inventory_size></Source></config></facility>
  <facility><name>Pool</name><config><Storage><in_commods><val>fresh</val></in_commods>
    <out_commods><val>cooled</val></out_commods><residence_time>120</residence_time></Storage></config></facility>
  <facility><name>Repo</name><config><Sink><in_commods><val>cooled</val></in_commods></Sink></config></facility>
  <region><name>R</name><config><NullRegion/></config>
    <institution><name>I</name><initialfacilitylist>
      <entry><prototype>Src</prototype><number>1</number></entry>
      <entry><prototype>Pool</prototype><number>1</number></entry>
      <entry><prototype>Repo</prototype><number>1</number></entry>
    </initialfacilitylist><config><NullInst/></config></institution>
  </region>
  <recipe><name>csu</name><basis>mass</basis>
    <nuclide><id>Cs137</id><comp>0.5</comp></nuclide><nuclide><id>U238</id><comp>0.5</comp></nuclide></recipe>
</simulation>
"""


def test_bad_decay_mode_is_an_input_error(tmp_path: Path):
    path = tmp_path / "bad.xml"
    path.write_text(STORAGE_INPUT.format(mode="Lazy", extra=""))
    with pytest.raises(InputError, match=r"bad\.xml:3: <decay> must be one of never, manual, lazy, got 'Lazy'"):
        Simulation.from_file(path)


def _run_storage(tmp_path: Path, mode: str, on_step=None, extra: str = "") -> MemoryBackend:
    path = tmp_path / f"storage_{mode}.xml"
    path.write_text(STORAGE_INPUT.format(mode=mode, extra=extra))
    mem = MemoryBackend()
    sim = Simulation.from_file(path, backends=[mem])
    sim.run(on_step)
    sim.close()
    return mem


def _rows(mem: MemoryBackend, table: str, conds=None) -> list[dict]:
    return mem.query(table, conds).table.to_pylist()


def _shipment_to_repo(mem: MemoryBackend) -> tuple[dict, dict]:
    repo = next(a["AgentId"] for a in _rows(mem, "AgentEntry") if a["Prototype"] == "Repo")
    (tx,) = _rows(mem, "Transactions", [["ReceiverId", "==", repo]])
    (res,) = _rows(mem, "Resources", [["ResourceId", "==", tx["ResourceId"]]])
    return tx, res


def test_cs137_held_ten_years_in_storage_reaches_the_sink_decayed(tmp_path: Path):
    """The issue's scenario: 1 kg of Cs-137/U-238 (mass 1:1) held ten years in a cycamore
    Storage under lazy decay reaches the Sink with its Cs-137 decayed and Ba-137 present."""
    mem = _run_storage(tmp_path, "lazy")
    tx, res = _shipment_to_repo(mem)
    (info,) = _rows(mem, "MaterialInfo", [["ResourceId", "==", res["ResourceId"]]])
    made = min(t["Time"] for t in _rows(mem, "Transactions"))  # the Source's shipment
    held = info["PrevDecayTime"] - made
    assert held >= 120 and info["PrevDecayTime"] == tx["Time"] and res["Quantity"] == pytest.approx(1.0)
    fracs = {r["NucId"]: r["MassFrac"] for r in _rows(mem, "Compositions", [["QualId", "==", res["QualId"]]])}
    kept = math.exp(-decay.decay_constant(CS137) * held * 2629850)
    assert fracs[CS137] / fracs[U238] == pytest.approx(kept, rel=1e-6)
    assert fracs[BA137] > 0.1
    assert sum(fracs.values()) == pytest.approx(1.0)


def test_without_lazy_decay_the_sink_gets_the_recipe(tmp_path: Path):
    for mode in ("manual", "never"):
        mem = _run_storage(tmp_path, mode)
        _, res = _shipment_to_repo(mem)
        fracs = {r["NucId"]: r["MassFrac"] for r in _rows(mem, "Compositions", [["QualId", "==", res["QualId"]]])}
        assert fracs == {CS137: 0.5, U238: 0.5}


def test_streamed_compositions_show_the_decayed_composition(tmp_path: Path):
    """What the server streams (the memory backend, read at the end of each step) has the
    decayed composition in the step the material decays."""
    seen: dict[int, set[int]] = {}
    mem_box: list[MemoryBackend] = []

    def on_step(t: int) -> None:
        if mem_box:
            seen[t] = {r["NucId"] for r in _rows(mem_box[0], "Compositions")}

    path = tmp_path / "stream.xml"
    path.write_text(STORAGE_INPUT.format(mode="lazy", extra=""))
    mem = MemoryBackend()
    mem_box.append(mem)
    sim = Simulation.from_file(path, backends=[mem])
    sim.run(on_step)
    tx, _ = _shipment_to_repo(mem)
    assert BA137 not in seen[tx["Time"] - 1]
    assert BA137 in seen[tx["Time"]]


def test_decay_mode_is_recorded(tmp_path: Path):
    mem = _run_storage(tmp_path, "lazy")
    assert _rows(mem, tables.DECAY_MODE.name) == [{"SimId": _rows(mem, "Info")[0]["SimId"], "Decay": "lazy"}]


def test_explicit_inventory_shows_decay_without_changing_the_materials(tmp_path: Path):
    """Cyclus records inventories from merged clones: in lazy mode the clones decay, the held
    materials keep their states (the same Resources rows as without explicit inventories)."""
    plain = _run_storage(tmp_path, "lazy")
    mem = _run_storage(tmp_path, "lazy", extra="<explicit_inventory>true</explicit_inventory>")
    history = ("ResourceId", "ObjId", "TimeCreated", "Quantity", "Parent1", "Parent2")
    assert [tuple(r[k] for k in history) for r in _rows(mem, "Resources")] == [
        tuple(r[k] for k in history) for r in _rows(plain, "Resources")]
    pool = next(a["AgentId"] for a in _rows(mem, "AgentEntry") if a["Prototype"] == "Pool")
    held = {r["NucId"]: r["Quantity"] for r in _rows(mem, "ExplicitInventory", [["AgentId", "==", pool], ["Time", "==", 60]])}
    assert held[CS137] / held[U238] == pytest.approx(math.exp(-decay.decay_constant(CS137) * 60 * 2629850), rel=1e-6)
    assert held[BA137] > 0.05


def test_cyclus_python_api_material_decays_through_the_kernel():
    """`ts.Material.decay` / `comp()` of the Cyclus Python API (cycsrv.compat) are the kernel's."""
    from cycsrv.compat import typesystem as ts

    ctx, fac, _ = world("lazy")
    m = ts.wrap(Material.create(fac, 1.0, Composition.from_mass(ctx, {CS137: 1.0})))
    m.decay(12)
    assert m.prev_decay_time == 12
    ctx.time = 24
    assert m.comp()[BA137] > 0.0  # reading the composition decays it again, lazily
    assert m.prev_decay_time == 24


def test_the_sqlite_output_holds_the_decayed_composition(tmp_path: Path):
    """The same scenario through `cycsrv run`'s SQLite file, read with plain SQL."""
    import sqlite3

    from cycsrv.store.sqlite import SqliteBackend

    path = tmp_path / "storage.xml"
    path.write_text(STORAGE_INPUT.format(mode="lazy", extra=""))
    out = tmp_path / "storage.sqlite"
    sim = Simulation.from_file(path, backends=[SqliteBackend(str(out))])
    sim.run()
    sim.close()
    with sqlite3.connect(out) as db:
        fracs = dict(db.execute(
            "SELECT c.NucId, c.MassFrac FROM Transactions t JOIN AgentEntry a ON a.AgentId = t.ReceiverId "
            "JOIN Resources r ON r.ResourceId = t.ResourceId JOIN Compositions c ON c.QualId = r.QualId "
            "WHERE a.Prototype = 'Repo'").fetchall())
    assert fracs[CS137] < 0.4 and fracs[BA137] > 0.1
