"""Reading archetype `<config>` elements by the cycpp conventions: scalars, containers,
aliases, defaults, nuclides, ranges, and errors with file:line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cycsrv.kernel.config import parse_archetype_bool, read_config, validate_range
from cycsrv.kernel.infile import InputError, load_input
from cycsrv.kernel.statevar import StateVar

TEMPLATE = """
<simulation>
  <control><duration>1</duration><startmonth>1</startmonth><startyear>2000</startyear></control>
  <archetypes>
    <spec><lib>test</lib><name>Thing</name></spec>
    <spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec>
  </archetypes>
  <facility>
    <name>Reactor1</name>
    <config>
      <Thing>
{body}
      </Thing>
    </config>
  </facility>
  <region><name>r</name><config><NullRegion/></config>
    <institution><name>i</name><config><NullInst/></config></institution></region>
  <recipe><name>r</name><basis>mass</basis><nuclide><id>U235</id><comp>1</comp></nuclide></recipe>
</simulation>
"""

VARS = {
    "name": StateVar("std::string"),
    "count": StateVar("int", default=3),
    "power_cap": StateVar("double", default=0.0, range=[0, 1e299]),
    "ratio": StateVar("float", default=0.5),
    "on": StateVar("bool", default=False),
    "nuc": StateVar("int", default="U238", uitype="nuclide"),
    "commods": StateVar(["std::vector", "std::string"], default=[], alias=["commods", "commod"]),
    "prefs": StateVar(["std::vector", "double"], default=[], range=[0.0, 10.0]),
    "tags": StateVar(["std::set", "std::string"], default=set()),
    "levels": StateVar(["std::list", "int"], default=[]),
    "nucs": StateVar(["std::vector", "int"], default=[], uitype=["oneormore", "nuclide"]),
    "grid": StateVar(["std::vector", ["std::vector", "double"]], default=[]),
    "weights": StateVar(["std::map", "std::string", "double"], default={}),
    "streams": StateVar(["std::map", "std::string", ["std::vector", "std::string"]], default={},
                        alias=[["streams", "stream"], "name", ["members", "member"]]),
    "span": StateVar(["std::pair", "int", "double"], default=(0, 0.0)),
    "hidden": StateVar("double", default=7.0, internal=True),
}


def _proto(tmp_path: Path, body: str):
    path = tmp_path / "in.xml"
    path.write_text(textwrap.dedent(TEMPLATE).lstrip("\n").replace("{body}", textwrap.indent(body, " " * 8)))
    (proto,) = load_input(path).facilities
    return proto, path


def _read(tmp_path: Path, body: str, state_vars=VARS):
    proto, _ = _proto(tmp_path, body)
    return read_config(proto, state_vars)


def test_defaults_fill_missing_optional_vars_and_internal_vars_are_skipped(tmp_path):
    values = _read(tmp_path, "<name>n</name>")
    assert list(values) == [n for n in VARS if n != "hidden"]
    assert values["name"] == "n" and values["count"] == 3 and values["power_cap"] == 0.0
    assert values["nuc"] == 922380000  # a nuclide default goes through nucname too
    assert values["commods"] == [] and values["weights"] == {} and values["span"] == (0, 0.0)


def test_scalars_trim_numbers_but_not_strings(tmp_path):
    values = _read(tmp_path, """
<name> spaced name </name>
<count> 12 </count>
<power_cap>  1.5e3 </power_cap>
<ratio>0.1</ratio>
<on>true</on>
<nuc> am-242m </nuc>""")
    assert values["name"] == " spaced name "
    assert values["count"] == 12 and values["power_cap"] == 1500.0
    assert values["ratio"] == pytest.approx(0.1, rel=1e-7) and values["ratio"] != 0.1  # float is single precision
    assert values["on"] is True and values["nuc"] == 952420001


@pytest.mark.parametrize(("text", "expected"), [("1", True), ("0", False), ("true", True), ("False", False)])
def test_archetype_bools(text, expected):
    assert parse_archetype_bool(text) is expected


def test_sequences_sets_and_aliases(tmp_path):
    values = _read(tmp_path, """
<name>n</name>
<commods><commod>a</commod><commod>b</commod><commod>a</commod></commods>
<prefs><val>1</val><val> 2.5 </val></prefs>
<tags><val>x</val><val>y</val><val>x</val></tags>
<levels><val>3</val><val>1</val></levels>
<nucs><val>U235</val><val>922380000</val><val>94239</val></nucs>""")
    assert values["commods"] == ["a", "b", "a"]
    assert values["prefs"] == [1.0, 2.5]
    assert values["tags"] == {"x", "y"}
    assert values["levels"] == [3, 1]
    assert values["nucs"] == [922350000, 922380000, 942390000]


def test_nested_containers_maps_and_pairs(tmp_path):
    values = _read(tmp_path, """
<name>n</name>
<grid><val><val>1</val><val>2</val></val><val></val><val><val>3</val></val></grid>
<weights>
  <item><key>u</key><val>1.5</val></item>
  <item><val>2</val><key>pu</key></item>
  <item><key>u</key><val>9</val></item>
</weights>
<streams>
  <stream><name>fp</name><members><member>Cs</member><member>Sr</member></members></stream>
  <stream><name>none</name><members/></stream>
</streams>
<span><first>4</first><second>0.25</second></span>""")
    assert values["grid"] == [[1.0, 2.0], [], [3.0]]
    assert values["weights"] == {"u": 9.0, "pu": 2.0}  # a repeated key: the last one wins
    assert values["streams"] == {"fp": ["Cs", "Sr"], "none": []}
    assert values["span"] == (4, 0.25)


def _error(tmp_path: Path, body: str, state_vars=VARS) -> tuple[InputError, Path]:
    proto, path = _proto(tmp_path, body)
    with pytest.raises(InputError) as info:
        read_config(proto, state_vars)
    return info.value, path


def _line_of(path: Path, needle: str) -> int:
    lines = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    assert lines, needle
    return lines[-1]


def test_value_outside_range_names_prototype_variable_and_range(tmp_path):
    err, path = _error(tmp_path, "<name>n</name>\n<power_cap>-5</power_cap>")
    assert err.message == "prototype 'Reactor1': power_cap = -5 is outside the allowed range [0, 1e299]"
    assert (err.file, err.line) == (str(path), _line_of(path, "<power_cap>"))


def test_range_applies_to_each_element_of_a_sequence(tmp_path):
    err, _ = _error(tmp_path, "<name>n</name>\n<prefs><val>1</val><val>11</val></prefs>")
    assert "prefs = 11 is outside the allowed range [0, 10]" in err.message


@pytest.mark.parametrize(
    ("body", "needle", "words"),
    [
        ("<count>1</count>", "<Thing>", "missing required <name>"),
        ("<name>n</name>\n<colour>red</colour>", "<colour>", "unexpected element <colour>"),
        ("<name>n</name>\n<count>1.5</count>", "<count>", "integer"),
        ("<name>n</name>\n<power_cap>lots</power_cap>", "<power_cap>", "number"),
        ("<name>n</name>\n<on>yes</on>", "<on>", "0, 1, true or false"),
        ("<name>n</name>\n<nuc>Xx1</nuc>", "<nuc>", "Xx1"),
        ("<name></name>", "<name></name>", "empty"),
        ("<name>n<!-- c --></name>", "<!-- c -->", "comment"),
        ("<name>n</name>\n<commods><val>a</val></commods>", "<val>a", "unexpected element <val>"),
        ("<name>n</name>\n<weights><item><key>u</key></item></weights>", "<item>", "missing <val>"),
        ("<name>n</name>\n<span><first>1</first></span>", "<span>", "missing <second>"),
        ("<name>n</name>\n<count>1</count>\n<count>2</count>", "<count>2", "only once"),
        ("<name>n</name>\n<prefs>1 2</prefs>", "<prefs>", "unexpected text"),
    ],
)
def test_config_errors_name_file_line_and_prototype(tmp_path, body, needle, words):
    err, path = _error(tmp_path, body)
    assert err.file == str(path)
    assert err.line == _line_of(path, needle), str(err)
    assert err.message.startswith("prototype 'Reactor1': ")
    assert words in err.message, str(err)


def test_validate_range_semantics():
    var = StateVar("double", range=[0.0, 1.0])
    validate_range(0.0, var)
    validate_range(1.0, var)
    with pytest.raises(ValueError, match=r"1.5 is outside the allowed range \[0, 1\]"):
        validate_range(1.5, var)
    with pytest.raises(ValueError):
        validate_range(float("nan"), var)
    validate_range(5.0, StateVar("double"))  # no range: anything goes
    validate_range("text", var)  # non-numbers are not range-checked


def test_reference_archetype_configs(tmp_path):
    """The kernel's own agents read the bundled reference inputs."""
    from cycsrv.archetypes import registry

    spec = load_input(Path(__file__).parent / "data" / "inputs" / "cyclus__tests__input__source_to_sink.xml")
    by_name = {p.name: p for p in spec.prototypes}
    src = registry.builtin(spec.archetype_ref("Source").spec)
    snk = registry.builtin(spec.archetype_ref("Sink").spec)
    assert read_config(by_name["Source"], src.state_vars)["commod"] == "commodity"
    values = read_config(by_name["Sink"], snk.state_vars)
    assert values["in_commods"] == ["commodity"] and values["capacity"] == 1.0
