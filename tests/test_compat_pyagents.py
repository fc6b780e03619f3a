"""Python archetypes written for Cyclus (`cyclus.agents`, `cyclus.typesystem`, `cyclus.lib`,
`cyclus.pyagents`) run under cycsrv and record what Cyclus records for them."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cycsrv.compat  # noqa: F401 - lets the registry load modules that import cyclus.*
from cycsrv.archetypes.registry import annotations_of, load_archetype
from cycsrv.compat import agents as cy_agents
from cycsrv.compat import typesystem as ts
from cycsrv.kernel.infile import InputError
from cycsrv.kernel.simulation import Simulation
from cycsrv.store.output import open_output

DATA = Path(__file__).parent / "data" / "cyclus_py"


def run(tmp_path: Path, name: str, text: str | None = None) -> sqlite3.Connection:
    """Run input `name` from the data folder, or `text` saved as `name` beside a copy of the
    archetypes; return the output database."""
    src = DATA / name
    if text is not None:
        src = tmp_path / name
        src.write_text(text)
        shutil.copy(DATA / "bakery.py", tmp_path / "bakery.py")
    out = tmp_path / (Path(name).stem + ".sqlite")
    sim = Simulation.from_file(src, backends=[open_output(str(out))])
    try:
        sim.run()
    finally:
        sim.close()
    return sqlite3.connect(out)


def rows(db: sqlite3.Connection, sql: str) -> list[tuple]:
    return db.execute(sql).fetchall()


def tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type='table'")}


def source_to_sink(lib: str) -> str:
    return (DATA / "pysource_to_sink.xml").read_text().replace("LIB", lib)


def test_pyagents_source_to_sink_trades_like_the_builtin_agents(tmp_path):
    py = run(tmp_path, "py.xml", source_to_sink("cyclus.pyagents"))
    entry = rows(py, "SELECT AgentId, Kind, Spec, Prototype FROM AgentEntry ORDER BY AgentId")
    specs = {spec: aid for aid, _, spec, _ in entry}
    assert [k for _, k, _, _ in entry] == ["Region", "Inst", "Facility", "Facility"]
    src, snk = specs[":cyclus.pyagents:Source"], specs[":cyclus.pyagents:Sink"]
    trans = rows(py, "SELECT TransactionId, SenderId, ReceiverId, Commodity, Time FROM Transactions ORDER BY Time")
    assert trans == [(t, src, snk, "water", t) for t in range(10)]
    qty = rows(py, "SELECT r.Quantity FROM Transactions t JOIN Resources r ON r.ResourceId = t.ResourceId")
    assert qty == [(1.0,)] * 10
    # each trade makes its material from the recipe dict: a new composition every time, as in Cyclus
    quals = rows(py, "SELECT COUNT(DISTINCT r.QualId) FROM Transactions t JOIN Resources r USING (ResourceId)")
    assert quals == [(10,)]
    assert rows(py, "SELECT DISTINCT NucId, MassFrac FROM Compositions") == [(10010000, 1.0)]
    assert ("_cyclus_pyagents_Sink", "0.0.0") in {(s.replace(":", "_").replace(".", "_"), v) for s, v in
                                                   rows(py, "SELECT Spec, Version FROM AgentVersions")}
    state = rows(py, "SELECT commod, recipe_name, capacity FROM AgentState_cyclus_pyagents_SourceInfo")
    assert set(state) == {("water", "hydrogen", 1.0)}

    builtin = run(tmp_path, "cpp.xml", source_to_sink("agents"))
    assert rows(builtin, "SELECT SenderId, ReceiverId, Time FROM Transactions ORDER BY Time") == \
        [(s, r, t) for _, s, r, _, t in trans]


def test_pyagents_null_sink_trades_nothing(tmp_path):
    text = source_to_sink("cyclus.pyagents").replace(
        "<entry><prototype>src</prototype><number>1</number></entry>", "")
    db = run(tmp_path, "null.xml", text)
    assert [s for (s,) in rows(db, "SELECT Spec FROM AgentEntry WHERE Kind = 'Facility'")] == [":cyclus.pyagents:Sink"]
    assert "Transactions" not in tables(db) or rows(db, "SELECT COUNT(*) FROM Transactions") == [(0,)]


def test_defaults_input_values_custom_table_and_time_series(tmp_path, capfd):
    db = run(tmp_path, "oven.xml")
    out = capfd.readouterr().out.splitlines()
    assert out.count("flavor=rye heat=4.2 trays=2 extras=[] weights=[]") == 3
    assert out.count("flavor=rye heat=10.0 trays=3 extras=['seeds', 'salt'] weights=[('dough', 2.5)]") == 3
    info = rows(db, "SELECT AgentId, SimTime, flavor, heat, trays FROM AgentState_bakery_OvenInfo ORDER BY AgentId, SimTime")
    assert {r[2:] for r in info} == {("rye", 4.2, 2), ("rye", 10.0, 3)}
    types = dict(rows(db, "SELECT Field, Type FROM FieldTypes WHERE TableName = 'AgentState_bakery_OvenInfo'"))
    assert types == {"SimId": 7, "AgentId": 1, "SimTime": 1, "flavor": 4, "heat": 3, "trays": 1, "extras": 16,
                     "weights": 102}
    log = rows(db, "SELECT Time, Heat, Flavor FROM OvenLog ORDER BY Time, Heat")
    assert log == [(t, h, "rye") for t in range(3) for h in (4.2, 10.0)]
    assert dict(rows(db, "SELECT Field, Type FROM FieldTypes WHERE TableName = 'OvenLog'")) == {
        "SimId": 7, "Time": 1, "Heat": 3, "Flavor": 4, "Extras": 16}
    power = rows(db, "SELECT Time, Value, Units FROM TimeSeriesPower ORDER BY Time, Value")
    assert power == [(t, v, "") for t in range(3) for v in (8.4, 30.0)]


def test_agent_attributes_as_cyclus_reports_them(tmp_path, capfd):
    db = run(tmp_path, "probe.xml")
    probes = [json.loads(line[6:]) for line in capfd.readouterr().out.splitlines() if line.startswith("PROBE ")]
    last = {p["prototype"]: p for p in probes if p["time"] == 1}
    ids = dict(rows(db, "SELECT Prototype, AgentId FROM AgentEntry"))
    fac, inst, region = last["sensor"], last["company"], last["republic"]
    for p in (fac, inst, region):
        assert p["hash"] == p["id"] == ids[p["prototype"]]
        assert p["version"] == "0.0.0" and p["enter_time"] == 0 and p["dt"] == 2629850
    assert fac["str"].startswith("Facility_sensor ( ID=") and fac["kind"] == "Facility"
    assert inst["str"].startswith("Inst_company") and inst["str"].endswith(" in regionrepublic")
    assert region["str"].startswith("Region_republic") and region["parent"] == -1
    assert fac["spec"] == ":bakery:ProbeFacility" and fac["parent"] == inst["id"] and fac["parent_prototype"] == "company"
    assert inst["children"] == [fac["id"]] and region["children"] == sorted([inst["id"], ids["plain"]])
    assert fac["family"] == [True, False, True] and inst["family"] == [True, False, True]
    # a facility under a built-in institution still gets a callable parent
    assert last["sensor2"]["parent_prototype"] == "plain" and last["sensor2"]["exit_time"] == 4
    assert fac["annotations"]["name"] == "ProbeFacility"
    assert fac["annotations"]["parents"] == ["Probe", "Facility"]
    assert fac["annotations"]["all_parents"] == ["Probe", "Facility", "_Facility", "_Agent", "_Agent", "object"]
    assert fac["annotations"]["vars"]["label"]["index"] == 0
    assert '<element name="label"><data type="string"/></element>' in fac["schema"]
    assert region["schema"] == "<text/>"


def test_institution_builds_from_time_series_listeners(tmp_path):
    db = run(tmp_path, "franchise.xml")
    chain = rows(db, "SELECT AgentId FROM AgentEntry WHERE Prototype = 'chain'")[0][0]
    assert rows(db, "SELECT ParentId, Prototype, SchedTime, BuildTime FROM BuildSchedule") == [
        (chain, "shop", 1, 2), (chain, "shop", 2, 3)]
    assert rows(db, "SELECT EnterTime FROM AgentEntry WHERE Prototype = 'shop' ORDER BY EnterTime") == [(0,), (2,), (3,)]
    per_step = rows(db, "SELECT Time, COUNT(*), SUM(Value) FROM TimeSeriesloaves GROUP BY Time")
    assert per_step == [(0, 1, 3), (1, 1, 4), (2, 2, 10), (3, 3, 18), (4, 3, 21), (5, 3, 24)]
    assert dict(rows(db, "SELECT Field, Type FROM FieldTypes WHERE TableName = 'TimeSeriesloaves'"))["Value"] == 1


@pytest.mark.parametrize(("favourite", "expected"), [("nobody", ("flour", "mill_a")), ("mill_b", ("rye", "mill_b"))])
def test_portfolio_forms_and_preference_adjustment(tmp_path, capfd, favourite, expected):
    db = run(tmp_path, f"market_{favourite}.xml", (DATA / "market.xml").read_text().replace("FAVOURITE", favourite))
    commod, supplier = expected
    got = [line for line in capfd.readouterr().out.splitlines() if line.startswith("got ")]
    assert len(got) == 4 and all(line.startswith(f"got 1.5 of {commod} from {supplier}") for line in got)
    sender = rows(db, f"SELECT AgentId FROM AgentEntry WHERE Prototype = '{supplier}'")[0][0]
    trans = rows(db, "SELECT SenderId, Commodity, BidCost, AdjustedCost FROM Transactions")
    adjusted = 0.1 if favourite == supplier else 1.0
    assert trans == [(sender, commod, 1.0, adjusted)] * 4
    # the internal variable counts trades; the inventory capacity comes from the `qty` variable
    made = rows(db, f"SELECT made FROM AgentState_bakery_FlourInfo WHERE AgentId = {sender} ORDER BY SimTime DESC")
    assert made[0] == (4,)


def test_archetype_error_names_the_archetype_and_agent(tmp_path):
    with pytest.raises(cy_agents.ArchetypeError, match=r"bakery\.Broken\.tick of agent \d+ \('fire'\): "
                                                         r"ValueError: the oven caught fire"):
        run(tmp_path, "broken.xml")


def test_report_mode_carries_on_past_errors_as_cyclus_does(tmp_path, capfd):
    cy_agents.set_hook_errors("report")
    try:
        db = run(tmp_path, "broken.xml")
    finally:
        cy_agents.set_hook_errors("raise")
    captured = capfd.readouterr()
    assert captured.out.splitlines() == ["tick 0", "tick 1", "tick 2"]
    assert "the oven caught fire" in captured.err and "carrying on" in captured.err
    assert rows(db, "SELECT EarlyTerm, EndTime FROM Finish") == [(0, 2)]


def test_pyagents_annotations_follow_cyclus_python_form():
    sink = load_archetype("", "cyclus.pyagents", "Sink")
    ann = json.loads(json.dumps(annotations_of(sink)))
    assert (ann["name"], ann["entity"], ann["parents"]) == ("Sink", "facility", ["Facility"])
    assert ann["all_parents"] == ["Facility", "_Facility", "_Agent", "_Agent", "object"]
    assert list(ann["vars"]) == ["in_commods", "recipe", "max_inv_size", "capacity"]
    commods = ann["vars"]["in_commods"]
    assert commods["type"] == ["std::vector", "std::string"] and commods["alias"] == ["in_commods", "val"]
    assert commods["uitype"] == ["oneormore", "incommodity"] and commods["index"] == 0
    assert commods["uniquetypeid"] == 16 and "default" not in commods
    assert ann["vars"]["max_inv_size"]["default"] == 1e299
    assert ann["vars"]["capacity"]["default"] == 100.0 and ann["vars"]["capacity"]["index"] == 3
    source = annotations_of(load_archetype("", "cyclus.pyagents", "Source"))
    assert source["vars"]["commod"]["schematype"] == "token"


def test_typesystem_names_and_errors():
    assert ts.VECTOR_STRING == 16 and ts.MAP_STRING_DOUBLE == 102 and ts.RES_BUF_MATERIAL == 250
    assert ts.MapStringVectorDouble().type == ["std::map", "std::string", ["std::vector", "double"]]
    assert ts.ResBufMaterialInv().new_buffer().capacity == float("inf")
    with pytest.raises(TypeError, match="cannot record std::set<double>"):
        ts.SetDouble()
    with pytest.raises(TypeError, match="internal needs a default"):
        ts.Int(internal=True)
    with pytest.raises(TypeError, match="unexpected annotation"):
        ts.Double(defualt=1.0)
    assert ts.kernel_dbtype("std::vector<std::string>") == ts.kernel_dbtype(16)


def test_unprovided_cyclus_module_is_a_clear_input_error(tmp_path):
    (tmp_path / "needs_memback.py").write_text("import cyclus.memback\n")
    text = (DATA / "broken.xml").read_text().replace("<lib>bakery</lib>", "<lib>needs_memback</lib>")
    (tmp_path / "in.xml").write_text(text)
    with pytest.raises(InputError, match=r"in\.xml:\d+: .*cyclus\.memback \(it needs Cyclus's C\+\+ library\)"):
        Simulation.from_file(tmp_path / "in.xml")


FAKE_CYCLUS = {
    "cyclus/__init__.py": "REAL = True\n",
    "cyclus/agents.py": "WHO = 'the real cyclus.agents'\n",
}

SCRIPT = """
import importlib.util, json, sys
before = importlib.util.find_spec("cyclus")
sys.path.insert(0, {fake!r})
import cyclus, cyclus.agents
seen = [getattr(cyclus, "REAL", False), getattr(cyclus.agents, "WHO", None)]
import cycsrv.compat
from cycsrv.kernel.simulation import Simulation
sim = Simulation.from_file({inp!r})
sim.run()
from bakery import Oven
seen += [Oven.__mro__[1].__module__]
import cyclus, cyclus.agents
seen += [getattr(cyclus, "REAL", False), getattr(cyclus.agents, "WHO", None), before is None]
print(json.dumps(seen))
"""


def test_a_real_cyclus_package_is_never_shadowed(tmp_path):
    fake = tmp_path / "site"
    for rel, text in FAKE_CYCLUS.items():
        (fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (fake / rel).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = SCRIPT.format(fake=str(fake), inp=str(DATA / "oven.xml"))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, check=True).stdout.splitlines()[-1]
    assert json.loads(out) == [True, "the real cyclus.agents", "cycsrv.compat.agents",
                               True, "the real cyclus.agents", True]


def test_resources_and_buffers_keep_cyclus_python_interface():
    from cycsrv.kernel.context import Context
    from cycsrv.kernel.recorder import Recorder

    ctx = Context(Recorder(), duration=10, dt=2629850, start_year=2000, start_month=1)
    token = ts.ACTIVE_CONTEXT.set(ctx)
    try:
        m = ts.Material.create_untracked(3.0, {"U235": 1.0, 922380000: 3.0})
        assert (m.quantity, m.type, m.units) == (3.0, "Material", "kg")
        assert m.comp() == {922350000: 1.0, 922380000: 3.0}
        part = m.extract_qty(1.0)
        assert (part.quantity, m.quantity) == (1.0, 2.0)
        m.absorb(part)
        assert (m.quantity, part.quantity) == (3.0, 0.0)
        twin = m.clone()
        assert twin.state_id == m.state_id and twin != m and not twin.kernel.tracked
        m.transmute({"U235": 1.0})
        assert m.comp() == {922350000: 1.0}
        m.decay(ctx.time)  # the kernel's decay: no time has passed, nothing changes
        assert m.comp() == {922350000: 1.0} and m.prev_decay_time == 0
        with pytest.raises(NotImplementedError, match="decay heat"):
            m.decay_heat()
        buf = ts.ResBufMaterial()
        buf.push(m)
        assert (buf.quantity, buf.count, len(buf)) == (3.0, 1, 1)
        piece = buf.pop(1.0)
        assert isinstance(piece, ts.Material) and (piece.quantity, buf.quantity) == (1.0, 2.0)
        with pytest.raises(TypeError, match="expected a Product"):
            ts.ResBufProduct().push(piece)
        bread = ts.Product.create_untracked(2.0, "bread")
        assert (bread.quality, bread.extract(0.5).quantity, bread.quantity) == ("bread", 0.5, 1.5)
        with pytest.raises(ValueError, match="mass or atom"):
            ts.Material.create_untracked(1.0, {"H1": 1.0}, basis="volume")
    finally:
        ts.ACTIVE_CONTEXT.reset(token)
    with pytest.raises(RuntimeError, match="only be made while a simulation runs"):
        ts.Material.create_untracked(1.0, {})


def test_python_institutions_leave_retirement_to_the_facilities(tmp_path):
    """Cyclus's Python institutions do not retire expired facilities; pyagents' Source
    schedules its own decommissioning when built with a lifetime, its Sink never leaves."""
    text = source_to_sink("cyclus.pyagents").replace(
        "<facility><name>src</name>", "<facility><name>src</name><lifetime>4</lifetime>").replace(
        "<facility><name>snk</name>", "<facility><name>snk</name><lifetime>2</lifetime>")
    db = run(tmp_path, "lifetimes.xml", text)
    ids = dict(rows(db, "SELECT Prototype, AgentId FROM AgentEntry"))
    assert rows(db, "SELECT AgentId, SchedTime, DecomTime FROM DecomSchedule") == [(ids["src"], 0, 3)]
    assert rows(db, "SELECT AgentId, ExitTime FROM AgentExit") == [(ids["src"], 3)]
    assert rows(db, "SELECT Time FROM Transactions ORDER BY Time") == [(t,) for t in range(4)]


def test_cyclus_names_exist_only_while_archetype_modules_load(tmp_path):
    from cycsrv.compat.loader import CyclusFinder, cyclus_modules

    run(tmp_path, "oven.xml")
    assert not any(n == "cyclus" or n.startswith("cyclus.") for n in sys.modules)
    assert not any(isinstance(f, CyclusFinder) for f in sys.meta_path)
    with cyclus_modules(), cyclus_modules():
        import cyclus.agents
        import cyclus.pyagents

        assert cyclus.agents is cy_agents and cyclus.pyagents.Sink.__module__ == "cycsrv.compat.pyagents"
    assert "cyclus" not in sys.modules and "cyclus.agents" not in sys.modules


HIERARCHY = '''
from cyclus.agents import Facility
import cyclus.typesystem as ts


class Base(Facility):
    commod = ts.String(default="water")

    def build(self, parent):
        super().build(parent)
        print("base build under", parent.prototype, "entered", self.enter_time)

    def get_material_requests(self):
        return {self.commod: ts.Material.create_untracked(1.0, {"H1": 1.0})}


class Child(Base):
    def build(self, parent):
        super().build(parent)
        print("child build")

    def get_material_requests(self):
        port = super().get_material_requests()
        return [port, {"other": [ts.Material.create_untracked(2.0, {"H1": 1.0})]}]
'''


def test_hooks_chain_through_super_as_in_cyclus(tmp_path, capfd):
    (tmp_path / "family.py").write_text(HIERARCHY)
    text = source_to_sink("cyclus.pyagents").replace(
        "<spec><lib>cyclus.pyagents</lib><name>Sink</name></spec>", "<spec><lib>family</lib><name>Child</name></spec>"
    ).replace("<config><Sink><in_commods><val>water</val></in_commods><capacity> 1.00 </capacity></Sink></config>",
              "<config><Child/></config>")
    db = run(tmp_path, "family.xml", text)
    out = capfd.readouterr().out.splitlines()
    assert out == ["base build under town entered 0", "child build"]
    assert rows(db, "SELECT Commodity, COUNT(*) FROM Transactions GROUP BY Commodity") == [("water", 10)]
    assert rows(db, "SELECT DISTINCT Spec FROM AgentEntry WHERE Prototype = 'snk'") == [(":family:Child",)]


def test_products_trade_through_the_product_hooks(tmp_path):
    text = source_to_sink("cyclus.pyagents").replace(
        "<spec><lib>cyclus.pyagents</lib><name>Source</name></spec>", "<spec><lib>bakery</lib><name>Stall</name></spec>"
    ).replace("<config><Source><commod>water</commod><recipe_name>hydrogen</recipe_name><capacity>1.0</capacity>"
              "</Source></config>", "<config><Stall><commod>water</commod><capacity>0.5</capacity></Stall></config>")
    db = run(tmp_path, "stall.xml", text)
    ids = dict(rows(db, "SELECT Prototype, AgentId FROM AgentEntry"))
    assert rows(db, "SELECT * FROM Products") == rows(db, "SELECT SimId, 1, 'loaf' FROM Info")
    trans = rows(db, "SELECT t.SenderId, t.ReceiverId, t.BidCost, r.Type, r.Quantity, r.Units, r.QualId "
                     "FROM Transactions t JOIN Resources r USING (ResourceId) ORDER BY t.Time")
    assert trans == [(ids["src"], ids["snk"], 0.5, "Product", 0.5, "NONE", 1)] * 10


def test_a_malformed_portfolio_is_an_error_naming_the_hook(tmp_path):
    (tmp_path / "sloppy.py").write_text(textwrap.dedent('''
        from cyclus.agents import Facility

        class Sloppy(Facility):
            def get_material_requests(self):
                return {"commodities": [{"water": 5.0}], "constraints": 5.0}
    '''))
    text = source_to_sink("cyclus.pyagents").replace(
        "<spec><lib>cyclus.pyagents</lib><name>Sink</name></spec>", "<spec><lib>sloppy</lib><name>Sloppy</name></spec>"
    ).replace("<config><Sink><in_commods><val>water</val></in_commods><capacity> 1.00 </capacity></Sink></config>",
              "<config><Sloppy/></config>")
    with pytest.raises(cy_agents.ArchetypeError, match=r"sloppy\.Sloppy\.get_material_requests of agent \d+ "
                                                         r"\('snk'\): TypeError: request portfolio: commodity 'water'"):
        run(tmp_path, "sloppy.xml", text)


PY_INPUT = '''SIMULATION = {"simulation": {
    "control": {"duration": "5", "startmonth": "1", "startyear": "2010"},
    "archetypes": {"spec": [{"lib": "cyclus.pyagents", "name": "Source"}, {"lib": "cyclus.pyagents", "name": "Sink"},
                            {"lib": "cyclus.pyagents", "name": "NullRegion"},
                            {"lib": "cyclus.pyagents", "name": "NullInst"}]},
    "facility": [{"name": "well", "config": {"Source": {"commod": "oil", "capacity": "2"}}},
                 {"name": "tank", "config": {"Sink": {"in_commods": {"val": "oil"}, "capacity": "1.5",
                                                      "recipe": "crude"}}}],
    "recipe": {"name": "crude", "basis": "mass", "nuclide": {"id": "C12", "comp": "1"}},
    "region": {"name": "r", "config": {"NullRegion": None}, "institution": {
        "name": "i", "config": {"NullInst": None},
        "initialfacilitylist": {"entry": [{"prototype": "well", "number": "1"}, {"prototype": "tank", "number": "1"}]}}},
}}
'''


def test_cyclus_python_input_through_the_cyclus_command_line(tmp_path):
    from cycsrv.compat.cli import main

    (tmp_path / "oil.py").write_text(PY_INPUT)
    assert main(["-o", str(tmp_path / "oil.sqlite"), "--input-file", str(tmp_path / "oil.py")]) == 0
    db = sqlite3.connect(tmp_path / "oil.sqlite")
    # without a recipe the Source makes what the Sink asked for: the Sink's recipe
    got = rows(db, "SELECT r.Quantity, c.NucId, c.MassFrac FROM Transactions t JOIN Resources r USING (ResourceId) "
                   "JOIN Compositions c ON c.QualId = r.QualId ORDER BY t.Time")
    assert got == [(1.5, 60120000, 1.0)] * 5
