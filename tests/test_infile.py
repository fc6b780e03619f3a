"""Loading Cyclus input files: structure, defaults, xi:include, flat schema, and errors that
point at the right file and line."""

from __future__ import annotations

import os
import sqlite3
import textwrap
from pathlib import Path

import pytest

from cycsrv.kernel.infile import (
    DEFAULT_DT,
    ArchetypeRef,
    InputError,
    Location,
    load_input,
)

TESTS = Path(__file__).resolve().parent
INPUTS = TESTS / "data" / "inputs"
REFERENCE = Path("/work/shared/reference")
BUNDLED = sorted(INPUTS.glob("cyclus__*.xml")) + sorted(INPUTS.glob("cycamore__*.xml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_reference_inputs_load(path):
    spec = load_input(path)
    assert spec.archetypes and spec.recipes and spec.prototypes
    assert spec.input_text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference data not present")
def test_every_reference_input_loads_and_stores_the_text_cyclus_stores():
    """InputFiles.Data of each reference run equals our serialised document, byte for byte."""
    inputs = sorted((REFERENCE / "inputs").glob("*.xml"))
    assert inputs
    compared = 0
    for path in inputs:
        spec = load_input(path)
        out = REFERENCE / "outputs" / f"{path.stem}.sqlite"
        if out.exists():
            with sqlite3.connect(out) as db:
                (data,) = db.execute("SELECT Data FROM InputFiles").fetchone()
            assert spec.input_text == bytes(data).decode(), path.name
            compared += 1
    assert compared >= 30


def test_source_to_sink_control_archetypes_and_tree():
    spec = load_input(INPUTS / "cyclus__tests__input__source_to_sink.xml")
    c = spec.control
    assert (c.duration, c.startmonth, c.startyear) == (100, 1, 2000)
    assert c.dt == DEFAULT_DT == 2_629_850
    assert c.solver == "coin-or" and c.decay == "manual" and c.seed == 20160212 and c.stride == 10000
    assert c.allow_exclusive_orders is True and c.simhandle == ""
    assert [a.spec for a in spec.archetypes] == [
        ":agents:Source", ":agents:Sink", ":agents:NullRegion", ":agents:NullInst"]
    assert [f.name for f in spec.facilities] == ["Source", "Sink"]
    assert [f.archetype for f in spec.facilities] == ["Source", "Sink"]
    assert spec.facilities[0].config.tag == "Source"
    (region,) = spec.regions
    assert region.prototype.name == "SingleRegion" and region.prototype.lifetime == -1
    (inst,) = region.institutions
    assert inst.initial_facilities == (("Source", 1), ("Sink", 1))
    # Cyclus's prototype creation order: facilities, institutions, regions
    assert [p.name for p in spec.prototypes] == ["Source", "Sink", "SingleInstitution", "SingleRegion"]
    assert spec.recipes[0].nuclides == ((10010000, 1.0),)
    assert not spec.flat


def test_flat_schema_custom_dt():
    spec = load_input(INPUTS / "cyclus__tests__input__custom_dt_flat.xml")
    assert spec.flat and spec.facilities == () and spec.regions == ()
    assert spec.control.dt == 86400
    assert [(p.name, p.lifetime, p.archetype) for p in spec.flat_prototypes] == [
        ("src", 1, "Source"), ("snk", -1, "Sink")]
    assert [(a.name, a.prototype, a.parent) for a in spec.flat_agents] == [
        ("src1", "src", None), ("snk1", "snk", None)]
    assert spec.recipes[0].nuclides == ((551370000, 1.0),)


def test_include_recipe_resolves_beside_the_input_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = INPUTS / "cyclus__tests__input__include_recipe.xml"
    spec = load_input(path)
    (recipe,) = spec.recipes
    assert recipe.name == "commod_recipe" and recipe.nuclides == ((10010000, 1.0),)
    assert recipe.location == Location(str(INPUTS / "input" / "recipe.xml"), 1)
    text = spec.input_text
    assert "xi:include href" not in text and "xml:base" not in text
    assert "  <recipe>\n  <name>commod_recipe</name>" in text
    assert text.endswith("</recipe>\n\n</simulation>\n")


def _write(tmp_path: Path, body: str, name: str = "in.xml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


MINIMAL = """
<simulation>
  <control>
    <duration>3</duration>
    <startmonth>6</startmonth>
    <startyear>2020</startyear>
  </control>
  <archetypes>
    <spec><lib>agents</lib><name>Source</name></spec>
    <spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec>
  </archetypes>
  <facility>
    <name>src</name>
    <config><Source><commod>c</commod><capacity>1</capacity></Source></config>
  </facility>
  <region>
    <name>reg</name>
    <config><NullRegion/></config>
    <institution>
      <name>inst</name>
      <initialfacilitylist>
        <entry><prototype>src</prototype><number>2</number></entry>
      </initialfacilitylist>
      <config><NullInst/></config>
    </institution>
  </region>
  <recipe>
    <name>fuel</name>
    <basis>atom</basis>
    <nuclide><id>U235</id><comp>1</comp></nuclide>
    <nuclide><id>u-238</id><comp>99</comp></nuclide>
  </recipe>
</simulation>
"""


def _line_of(path: Path, needle: str) -> int:
    """The last line holding `needle`."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    assert lines, needle
    return lines[-1]


def _error(tmp_path: Path, body: str) -> tuple[InputError, Path]:
    path = _write(tmp_path, body)
    with pytest.raises(InputError) as info:
        load_input(path)
    return info.value, path


def test_minimal_input_defaults(tmp_path):
    spec = load_input(_write(tmp_path, MINIMAL))
    assert spec.control.startmonth == 6 and spec.control.dt == 2_629_850
    assert spec.recipes[0].basis == "atom"
    assert spec.recipes[0].nuclides == ((922350000, 1.0), (922380000, 99.0))
    assert spec.packages == () and spec.transport_units == () and spec.commodities == ()
    assert spec.regions[0].institutions[0].initial_facilities == (("src", 2),)


def test_control_options_are_trimmed_and_parsed(tmp_path):
    body = MINIMAL.replace("<startyear>2020</startyear>", """<startyear>2020</startyear>
    <dt> 86400 </dt>
    <simhandle> my sim </simhandle>
    <decay>lazy</decay>
    <explicit_inventory> True </explicit_inventory>
    <explicit_inventory_compact>1</explicit_inventory_compact>
    <tolerance_generic>1e-8</tolerance_generic>
    <tolerance_resource> 2.5e-7 </tolerance_resource>
    <seed>7</seed>
    <stride>99</stride>
    <solver>
      <config><greedy><preconditioner>greedy</preconditioner></greedy></config>
      <allow_exclusive_orders>false</allow_exclusive_orders>
    </solver>""")
    c = load_input(_write(tmp_path, body)).control
    assert c.dt == 86400 and c.simhandle == " my sim " and c.decay == "lazy"
    assert c.explicit_inventory and c.explicit_inventory_compact
    assert (c.tolerance_generic, c.tolerance_resource, c.seed, c.stride) == (1e-8, 2.5e-7, 7, 99)
    assert c.solver == "greedy" and c.allow_exclusive_orders is False


def test_coin_or_solver_options(tmp_path):
    body = MINIMAL.replace("<startyear>2020</startyear>", """<startyear>2020</startyear>
    <solver><config><coin-or><timeout>100</timeout><verbose>1</verbose><mps>t</mps></coin-or></config></solver>""")
    c = load_input(_write(tmp_path, body)).control
    assert (c.solver, c.coin_timeout, c.coin_verbose, c.coin_mps) == ("coin-or", 100.0, True, True)


def test_commodities_packages_transport_units(tmp_path):
    body = MINIMAL.replace("</simulation>", """
  <commodity><name>fuel</name><solution_priority>2.5</solution_priority></commodity>
  <package><name>drum</name><fill_min>1</fill_min><fill_max>10</fill_max><strategy>equal</strategy></package>
  <package><name>bag</name></package>
  <transportunit><name>truck</name><fill_min>2</fill_min><fill_max>4</fill_max><strategy>hybrid</strategy></transportunit>
</simulation>""")
    spec = load_input(_write(tmp_path, body))
    assert [(c.name, c.solution_priority) for c in spec.commodities] == [("fuel", 2.5)]
    drum, bag = spec.packages
    assert (drum.name, drum.fill_min, drum.fill_max, drum.strategy) == ("drum", 1.0, 10.0, "equal")
    assert (bag.fill_min, bag.strategy) == (1e-6, "first") and bag.fill_max > 1e308
    (truck,) = spec.transport_units
    assert (truck.name, truck.fill_min, truck.fill_max, truck.strategy) == ("truck", 2, 4, "hybrid")


def test_archetype_specs_default_lib_ignore_alias_and_dedupe(tmp_path):
    body = MINIMAL.replace("<spec><lib>agents</lib><name>Source</name></spec>", """
    <spec><lib>agents</lib><name>Source</name><alias>Src</alias></spec>
    <spec><path>my/path</path><name>Thing</name></spec>
    <spec><lib>agents</lib><name>Source</name></spec>""")
    spec = load_input(_write(tmp_path, body))
    assert spec.archetypes[:2] == (ArchetypeRef("", "agents", "Source"), ArchetypeRef("my/path", "Thing", "Thing"))
    assert [a.spec for a in spec.archetypes] == [
        ":agents:Source", "my/path:Thing:Thing", ":agents:NullRegion", ":agents:NullInst"]
    assert spec.archetype_ref("Source").spec == ":agents:Source"


def test_same_archetype_name_in_two_libraries_picks_the_last_sorted_spec(tmp_path):
    body = MINIMAL.replace("<spec><lib>agents</lib><name>Source</name></spec>", """
    <spec><lib>cycamore</lib><name>Source</name></spec>
    <spec><lib>agents</lib><name>Source</name></spec>""")
    spec = load_input(_write(tmp_path, body))
    assert spec.archetype_ref("Source").spec == ":cycamore:Source"


def test_strings_are_not_trimmed(tmp_path):
    body = MINIMAL.replace("<name>fuel</name>", "<name> fuel </name>")
    assert load_input(_write(tmp_path, body)).recipes[0].name == " fuel "


def test_duplicate_recipe_nuclide_last_wins(tmp_path):
    body = MINIMAL.replace("<nuclide><id>u-238</id><comp>99</comp></nuclide>",
                           "<nuclide><id>922350000</id><comp>5</comp></nuclide>")
    assert load_input(_write(tmp_path, body)).recipes[0].nuclides == ((922350000, 5.0),)


def test_xinclude_falls_back_to_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "fuel.xml").write_text(
        "<recipe><name>inc</name><basis>mass</basis><nuclide><id>Pu239</id><comp>1</comp></nuclide></recipe>")
    sub = tmp_path / "case"
    sub.mkdir()
    body = MINIMAL.replace("<simulation>", '<simulation xmlns:xi="http://www.w3.org/2001/XInclude">').replace(
        "</simulation>", '  <xi:include href="shared/fuel.xml"/>\n</simulation>')
    path = _write(sub, body)
    monkeypatch.chdir(tmp_path)
    spec = load_input(path)
    assert [r.name for r in spec.recipes] == ["fuel", "inc"]
    assert spec.recipes[1].location.file == "shared/fuel.xml"


def test_missing_include_is_an_error_at_the_include(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = MINIMAL.replace("<simulation>", '<simulation xmlns:xi="http://www.w3.org/2001/XInclude">').replace(
        "</simulation>", '  <xi:include href="nowhere.xml"/>\n</simulation>')
    err, path = _error(tmp_path, body)
    assert err.line == _line_of(path, "nowhere.xml") and "nowhere.xml" in err.message


def test_errors_in_included_fragments_name_the_fragment(tmp_path):
    (tmp_path / "frag.xml").write_text(
        "<recipe>\n  <name>inc</name>\n  <basis>mass</basis>\n  <nuclide><id>U</id><comp>1</comp></nuclide>\n</recipe>\n")
    body = MINIMAL.replace("<simulation>", '<simulation xmlns:xi="http://www.w3.org/2001/XInclude">').replace(
        "</simulation>", '  <xi:include href="frag.xml"/>\n</simulation>')
    err, _ = _error(tmp_path, body)
    assert (err.file, err.line) == (str(tmp_path / "frag.xml"), 4)


def test_input_error_str_is_file_line_message():
    err = InputError("a.xml", 7, "bad thing")
    assert str(err) == "a.xml:7: bad thing"
    assert (err.file, err.line, err.message) == ("a.xml", 7, "bad thing")
    assert err.location == Location("a.xml", 7)


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("<duration>3</duration>", "", "<control>", "missing <duration>"),
        ("<duration>3</duration>", "<duration>three</duration>", "<duration>", "integer"),
        ("<duration>3</duration>", "<duration>-3</duration>", "<duration>", "negative"),
        ("<startmonth>6</startmonth>", "<startmonth>13</startmonth>", "<startmonth>", "1..12"),
        ("<startyear>2020</startyear>", "<startyear>2020</startyear><colour>red</colour>", "<colour>",
         "unexpected element <colour>"),
        ("<startyear>2020</startyear>", "<startyear>2020</startyear><dt>0</dt>", "<dt>", "positive"),
        ("<startyear>2020</startyear>", "<startyear>2020</startyear><seed>1.5</seed>", "<seed>", "integer"),
        ("<startyear>2020</startyear>", "<startyear>2020</startyear><explicit_inventory>yes</explicit_inventory>",
         "explicit_inventory", "true or false"),
        ("<startyear>2020</startyear>", "<startyear>2020</startyear><startyear>2021</startyear>",
         "<startyear>2021", "only once"),
        ("<startyear>2020</startyear>",
         "<startyear>2020</startyear><solver><config><magic/></config></solver>", "<magic/>", "<magic>"),
        ("<name>inst</name>", "<name>src</name>", "<name>src</name>", "duplicate prototype name 'src'"),
        ("<entry><prototype>src</prototype>", "<entry><prototype>nope</prototype>", "nope",
         "unknown prototype 'nope'"),
        ("<Source><commod>c</commod><capacity>1</capacity></Source>", "<Reactor/>", "<Reactor/>",
         "not listed in <archetypes>"),
        ("</Source></config>", "</Reactor></config>", "<Source>", "malformed XML"),
        ("<config><NullRegion/></config>", "<config></config>", "<config></config>", "exactly one archetype"),
        ("<id>U235</id>", "<id>U</id>", "<id>U</id>", "element"),
        ("<id>U235</id>", "<id>Xx235</id>", "Xx235", "Xx235"),
        ("<comp>99</comp>", "<comp>-99</comp>", "-99", "non-negative"),
        ("<comp>99</comp>", "<comp>lots</comp>", "lots", "number"),
        ("<comp>99</comp>", "<comp><!-- n -->99</comp>", "<!-- n -->", "comment"),
        ("<basis>atom</basis>", "<basis>volume</basis>", "volume", "'mass' or 'atom'"),
        ("<basis>atom</basis>", "<basis></basis>", "<basis></basis>", "empty"),
        ("<number>2</number>", "<number>two</number>", "two", "integer"),
        ("<name>src</name>\n", "<name>src</name><lifetime>-2</lifetime>\n", "<lifetime>", "negative"),
        ("<recipe>", "<recipe>oops", "oops", "unexpected text 'oops'"),
    ],
)
def test_structural_errors_name_file_and_line(tmp_path, old, new, needle, words):
    assert old in MINIMAL
    err, path = _error(tmp_path, MINIMAL.replace(old, new, 1))
    assert err.file == str(path)
    assert err.line == _line_of(path, needle), str(err)
    assert words in err.message, str(err)
    assert str(err).startswith(f"{path}:{err.line}: ")


def test_missing_top_level_sections(tmp_path):
    for section in ("recipe", "region", "facility", "archetypes", "control"):
        start = MINIMAL.index(f"<{section}>")
        end = MINIMAL.index(f"</{section}>") + len(f"</{section}>")
        err, _ = _error(tmp_path, MINIMAL[:start] + MINIMAL[end:])
        assert err.line == 1 and f"missing <{section}>" in err.message


def test_empty_and_malformed_files(tmp_path):
    err, path = _error(tmp_path, "  \n")
    assert (err.file, err.line) == (str(path), 1) and "empty" in err.message
    err, _ = _error(tmp_path, "<simulation>\n  <control>\n</simulation>\n")
    assert err.line == 3 and "malformed XML" in err.message
    err, _ = _error(tmp_path, "<sim/>\n")
    assert "<simulation>" in err.message
    with pytest.raises(InputError, match="cannot read"):
        load_input(tmp_path / "absent.xml")


FLAT = """
<simulation>
  <schematype>flat</schematype>
  <control><duration>1</duration><startmonth>1</startmonth><startyear>2000</startyear></control>
  <archetypes><spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>Sink</name></spec></archetypes>
  <prototype><name>reg</name><config><NullRegion/></config></prototype>
  <prototype><name>snk</name><config><Sink><in_commods><val>c</val></in_commods><capacity>1</capacity></Sink></config></prototype>
  <agent><name>b</name><prototype>snk</prototype><parent>a</parent></agent>
  <agent><name>a</name><prototype>reg</prototype></agent>
  <recipe><name>r</name><basis>mass</basis><nuclide><id>H1</id><comp>1</comp></nuclide></recipe>
</simulation>
"""


def test_flat_schema_with_parents(tmp_path):
    spec = load_input(_write(tmp_path, FLAT))
    assert [(a.name, a.parent) for a in spec.flat_agents] == [("b", "a"), ("a", None)]
    assert [p.name for p in spec.prototypes] == ["reg", "snk"]


def test_flat_schema_forced_by_the_caller(tmp_path):
    body = FLAT.replace("<schematype>flat</schematype>", "")
    with pytest.raises(InputError, match="unexpected element <prototype>"):
        load_input(_write(tmp_path, body))
    assert load_input(tmp_path / "in.xml", flat_schema=True).flat


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("<parent>a</parent>", "<parent>z</parent>", "<parent>z", "unknown parent 'z'"),
        ("<agent><name>a</name><prototype>reg</prototype></agent>",
         "<agent><name>a</name><prototype>reg</prototype><parent>b</parent></agent>", "<name>b</name>", "ancestor"),
        ("<prototype>snk</prototype>", "<prototype>ghost</prototype>", "ghost", "unknown prototype 'ghost'"),
        ("<name>a</name>", "<name>b</name>", "<name>b</name><prototype>reg", "duplicate agent name 'b'"),
    ],
)
def test_flat_schema_errors(tmp_path, old, new, needle, words):
    err, path = _error(tmp_path, FLAT.replace(old, new, 1))
    assert err.line == _line_of(path, needle), str(err)
    assert words in err.message, str(err)


def test_paths_are_reported_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, MINIMAL.replace("<duration>3</duration>", "<duration>x</duration>"))
    with pytest.raises(InputError) as info:
        load_input("in.xml")
    assert info.value.file == "in.xml"
    assert os.path.exists(info.value.file)


def test_archetype_refs_know_where_they_were_declared(tmp_path):
    path = _write(tmp_path, MINIMAL)
    ref = load_input(path).archetypes[1]
    assert ref.location == Location(str(path), _line_of(path, "NullRegion</name>"))


JSON_INPUT = {
    "simulation": {
        "control": {"duration": 2, "startmonth": 1, "startyear": 2000, "explicit_inventory": True,
                    "tolerance_generic": 1e-7},
        "archetypes": {"spec": [{"lib": "agents", "name": n} for n in ("Source", "Sink", "NullRegion", "NullInst")]},
        "facility": [
            {"name": "Source", "config": {"Source": {"commod": "c", "recipe_name": "fuel", "capacity": 1.0}}},
            {"name": "Sink", "config": {"Sink": {"in_commods": {"val": ["c", "d"]}, "capacity": 1}}},
        ],
        "region": {"name": "R", "config": {"NullRegion": None}, "institution": {
            "name": "I", "config": {"NullInst": None},
            "initialfacilitylist": {"entry": [{"prototype": "Source", "number": 1}]}}},
        "recipe": {"name": "fuel", "basis": "mass", "nuclide": [{"id": "U235", "comp": 0.05},
                                                                 {"id": "U238", "comp": 0.95}]},
    }
}


def test_json_input_reads_like_the_equivalent_xml(tmp_path):
    import json

    path = tmp_path / "in.json"
    path.write_text(json.dumps(JSON_INPUT))
    spec = load_input(path)
    assert spec.control.explicit_inventory is True and spec.control.tolerance_generic == 1e-7
    assert [a.spec for a in spec.archetypes] == [
        ":agents:Source", ":agents:Sink", ":agents:NullRegion", ":agents:NullInst"]
    assert [p.name for p in spec.prototypes] == ["Source", "Sink", "I", "R"]
    assert [v.text for v in spec.facilities[1].config.find("in_commods")] == ["c", "d"]
    assert spec.recipes[0].nuclides == ((922350000, 0.05), (922380000, 0.95))
    assert spec.input_text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<simulation>\n  <archetypes>')


def test_json_and_python_input_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"simulation": {\n  "control": }\n}')
    with pytest.raises(InputError) as info:
        load_input(bad)
    assert info.value.line == 2 and "malformed JSON" in info.value.message
    py = tmp_path / "in.py"
    py.write_text("import os\n\nSIMULATION = {'simulation': os.environ}\n")
    with pytest.raises(InputError, match="without running them") as info:
        load_input(py)
    assert info.value.line == 3
    py.write_text("simulation = {\n")
    with pytest.raises(InputError, match="malformed Python"):
        load_input(py)
    py.write_text("x = 1\n")
    with pytest.raises(InputError, match="must assign SIMULATION"):
        load_input(py)


def test_python_input_is_read_without_running_it(tmp_path):
    """Cyclus's Python input form: the SIMULATION dict (or JSON text) reads like the JSON input."""
    import json

    from_json = tmp_path / "in.json"
    from_json.write_text(json.dumps(JSON_INPUT))
    marker = tmp_path / "ran"
    as_dict = tmp_path / "dict.py"
    as_dict.write_text(f"open({str(marker)!r}, 'w').close()\nSIMULATION = {JSON_INPUT!r}\n")
    as_text = tmp_path / "text.py"
    as_text.write_text(f"SIMULATION = {json.dumps(JSON_INPUT)!r}\n")
    expected = load_input(from_json).input_text
    assert load_input(as_dict).input_text == expected
    assert load_input(as_text).input_text == expected
    assert not marker.exists()
