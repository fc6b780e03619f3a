"""xi:include with an xpointer: the selected parts of another file go in, and errors still name
the file and line they were written at."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cycsrv.kernel.infile import InputError, load_input
from cycsrv.kernel.simulation import Simulation
from cycsrv.kernel.xpointer import XPointerError, split_parts
from cycsrv.store.sqlite import SqliteBackend

MAIN = """<simulation xmlns:xi="http://www.w3.org/2001/XInclude">
  <control><duration>5</duration><startmonth>1</startmonth><startyear>2020</startyear></control>
  <archetypes>
    <spec><lib>agents</lib><name>Sink</name></spec>
    <spec><lib>agents</lib><name>NullRegion</name></spec>
    <spec><lib>agents</lib><name>NullInst</name></spec>
  </archetypes>
  <facility><name>Sink</name><config><Sink><in_commods><val>water</val></in_commods>
    <capacity>2</capacity></Sink></config></facility>
  {include}
  <region><name>R</name><config><NullRegion/></config>
    <institution><name>I</name>
      <initialfacilitylist>
        <entry><prototype>Well</prototype><number>1</number></entry>
        <entry><prototype>Sink</prototype><number>1</number></entry>
      </initialfacilitylist>
      <config><NullInst/></config>
    </institution>
  </region>
  <recipe><name>h2o</name><basis>mass</basis><nuclide><id>H1</id><comp>1</comp></nuclide></recipe>
</simulation>
"""

#: A part file: a wrapper holding an archetypes block and a facility, as Cyclus users write them.
PART = """<parts>
  <archetypes>
    <spec><lib>agents</lib><name>Source</name></spec>
  </archetypes>
  <facility xml:id="well">
    <name>Well</name>
    <config><Source><commod>water</commod><recipe_name>h2o</recipe_name>
      <capacity>{capacity}</capacity></Source></config>
  </facility>
</parts>
"""


def _write(tmp_path: Path, include: str, capacity: str = "1.5") -> Path:
    (tmp_path / "part.xml").write_text(PART.format(capacity=capacity))
    main = tmp_path / "main.xml"
    main.write_text(MAIN.format(include=include))
    return main


def _run(main: Path, out: Path) -> sqlite3.Connection:
    sim = Simulation.from_file(str(main), backends=[SqliteBackend(str(out))])
    sim.run(None)
    sim.close()
    return sqlite3.connect(out)


def test_xpointer_children_of_a_wrapper_bring_an_archetype_and_a_facility(tmp_path):
    main = _write(tmp_path, '<xi:include href="part.xml" xpointer="xpointer(//parts/*)"/>')
    db = _run(main, tmp_path / "out.sqlite")
    entries = db.execute("SELECT Prototype, Spec FROM AgentEntry WHERE Kind = 'Facility' ORDER BY AgentId").fetchall()
    assert entries == [("Well", ":agents:Source"), ("Sink", ":agents:Sink")]
    # the included Source ships its capacity every step to the sink
    shipped = db.execute("SELECT Time, Quantity FROM Transactions t JOIN Resources r USING (ResourceId) "
                         "ORDER BY Time").fetchall()
    assert shipped == [(t, 1.5) for t in range(5)]
    # InputFiles holds the input with the selection inlined, no xi:include and no wrapper
    text = db.execute("SELECT Data FROM InputFiles").fetchone()[0].decode()
    assert "xi:include" not in text and "<parts>" not in text and "<name>Well</name>" in text


def test_element_scheme_and_bare_id_select_the_same_facility(tmp_path):
    specs = []
    for pointer in ("element(/1/2)", "well", "element(well)", "xmlns(x=urn:none) element(/1/2)"):
        include = ('<archetypes><spec><lib>agents</lib><name>Source</name></spec></archetypes>'
                   f'<xi:include href="part.xml" xpointer="{pointer}"/>')
        spec = load_input(_write(tmp_path, include))
        specs.append([(p.name, p.archetype) for p in spec.prototypes])
    assert specs[0] == specs[1] == specs[2] == specs[3]
    assert ("Well", "Source") in [(n, a.split(":")[-1]) for n, a in specs[0]]


def test_an_error_in_a_selected_element_names_the_included_file_and_line(tmp_path):
    main = _write(tmp_path, '<xi:include href="part.xml" xpointer="xpointer(//parts/*)"/>', capacity="lots")
    with pytest.raises(InputError) as info:
        Simulation.from_file(str(main))
    line = PART.splitlines().index("      <capacity>{capacity}</capacity></Source></config>") + 1
    assert (info.value.file, info.value.line) == (str(tmp_path / "part.xml"), line)
    assert "lots" in info.value.message


def test_a_pointer_that_selects_nothing_is_an_error_at_the_include(tmp_path):
    main = _write(tmp_path, '<xi:include href="part.xml" xpointer="xpointer(//nowhere)"/>')
    with pytest.raises(InputError) as info:
        load_input(main)
    assert (info.value.file, info.value.line) == (str(main), 10)
    assert "selects nothing" in info.value.message and "//nowhere" in info.value.message


def test_a_pointer_that_selects_nothing_uses_the_fallback(tmp_path):
    fallback = ('<facility><name>Well</name><config><Source><commod>water</commod>'
                '<recipe_name>h2o</recipe_name><capacity>3</capacity></Source></config></facility>')
    main = _write(tmp_path, '<archetypes><spec><lib>agents</lib><name>Source</name></spec></archetypes>'
                  f'<xi:include href="part.xml" xpointer="nothing"><xi:fallback>{fallback}</xi:fallback>'
                  '</xi:include>')
    db = _run(main, tmp_path / "out.sqlite")
    # the fallback's well offers 3 a step (the part file's 1.5), of which the sink takes its 2
    assert db.execute("SELECT DISTINCT Quantity FROM Transactions JOIN Resources USING (ResourceId)"
                      ).fetchall() == [(2.0,)]


@pytest.mark.parametrize(("pointer", "problem"), [
    ("xpointer(//parts/*", "unbalanced"),
    ("xpointer(//parts[)", "bad XPath"),
    ("xpointer(count(//facility))", "not nodes"),
    ("element(/1/x)", "child position"),
])
def test_a_bad_pointer_is_an_error_at_the_include(tmp_path, pointer, problem):
    main = _write(tmp_path, f'<xi:include href="part.xml" xpointer="{pointer}"/>')
    with pytest.raises(InputError) as info:
        load_input(main)
    assert (info.value.file, info.value.line) == (str(main), 10)
    assert problem in info.value.message


def test_text_includes_take_no_pointer(tmp_path):
    main = _write(tmp_path, '<xi:include href="part.xml" parse="text" xpointer="x"/>')
    with pytest.raises(InputError, match="parse='text' cannot have an xpointer"):
        load_input(main)


def test_split_parts_reads_escapes_and_nesting():
    assert split_parts("xmlns(a=urn:x) xpointer(//a:f[name='^(x^)'])") == [
        ("xmlns", "a=urn:x"), ("xpointer", "//a:f[name='(x)']")]
    assert split_parts("xpointer(id('a')/b)") == [("xpointer", "id('a')/b")]
    with pytest.raises(XPointerError):
        split_parts("just words")
