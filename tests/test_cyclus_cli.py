"""`cycsrv-cyclus` / `python -m cycsrv.compat`: Cyclus's command line, flag by flag."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid

import h5py
import pytest
from conftest import INPUTS

from cycsrv.compat.cli import REFUSED, main

NULL_SINK = INPUTS / "cyclus__tests__input__null_sink.xml"
SOURCE_TO_SINK = INPUTS / "cyclus__tests__input__source_to_sink.xml"


def _sim_id(out: str) -> uuid.UUID:
    line = next(x for x in out.splitlines() if x.startswith("Simulation ID: "))
    return uuid.UUID(line.split(": ", 1)[1])


def test_cyclus_flags_run_a_simulation_to_hdf5(tmp_path, capsys):
    out = tmp_path / "cyclus_temp_2.h5"
    assert main(["-j", "2", "-o", str(out), "--input-file", str(SOURCE_TO_SINK)]) == 0
    printed = capsys.readouterr().out
    assert f"Output location: {out}" in printed
    with h5py.File(out, "r") as f:
        assert bytes(f["Info"][0]["SimId"]) == _sim_id(printed).bytes
        assert len(f["Transactions"]) == int(f["Info"][0]["Duration"])


def test_default_output_is_cyclus_sqlite_and_a_second_run_appends(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([str(NULL_SINK)]) == 0
    first = _sim_id(capsys.readouterr().out)
    assert main(["-i", str(NULL_SINK)]) == 0
    printed = capsys.readouterr().out
    assert "cyclus.sqlite exists" in printed and "new SimId" in printed
    second = _sim_id(printed)
    db = sqlite3.connect(tmp_path / "cyclus.sqlite")
    ids = {uuid.UUID(bytes=r[0]) for r in db.execute("SELECT SimId FROM Info")}
    assert ids == {first, second}
    # nothing trades in the null-sink input: as in Cyclus, no Transactions table at all
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert "Transactions" not in names and "AgentEntry" in names


def test_version_lines_read_as_cyclus_tests_read_them(capsys):
    assert main(["--version"]) == 0
    text = capsys.readouterr().out.strip().replace("Dependencies:", "")
    versions = {k.strip(): v.strip() for k, v in [line.split()[:2] for line in text.splitlines() if line]}
    assert versions["Cyclus"] == "Core"
    assert {"Coin-Cbc", "Hdf5", "Sqlite3", "xml2"} <= set(versions)
    assert versions["Sqlite3"] == sqlite3.sqlite_version and versions["Hdf5"] == h5py.version.hdf5_version


@pytest.mark.parametrize("flag", sorted(REFUSED))
def test_flags_cycsrv_cannot_honour_are_errors_naming_the_flag(flag, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "--" + flag.replace("_", "-")
    takes_value = flag in ("restart", "schema_path", "agent_schema", "new_file")
    argv = [name, "x"] if takes_value else [name]
    assert main([*argv, str(NULL_SINK)]) == 1
    err = capsys.readouterr().err
    assert name in err and REFUSED[flag] in err
    assert not list(tmp_path.iterdir())  # nothing ran, nothing was written


def test_unknown_flags_and_a_missing_input_exit_1(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--frobnicate"])
    assert info.value.code == 1 and "Invalid arguments" in capsys.readouterr().err
    assert main([]) == 1
    assert "No input file specified" in capsys.readouterr().err


def test_an_input_error_names_file_and_line_and_leaves_no_new_output(tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text(NULL_SINK.read_text().replace("<duration>100</duration>", "<duration>soon</duration>"))
    out = tmp_path / "o.sqlite"
    assert main(["-o", str(out), str(bad)]) == 1
    err = capsys.readouterr().err
    line = next(i for i, x in enumerate(bad.read_text().splitlines(), 1) if "soon" in x)
    assert f"{bad}:{line}:" in err
    assert not out.exists()


def test_conversions_round_trip_to_an_input_that_runs_the_same(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--xml-to-json", str(SOURCE_TO_SINK)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["simulation"]["control"]["duration"] == "100"
    (tmp_path / "s.json").write_text(json.dumps(doc))
    assert main(["--json-to-py", "s.json"]) == 0
    (tmp_path / "s.py").write_text(capsys.readouterr().out)
    assert main(["--py-to-json", "s.py"]) == 0
    assert json.loads(capsys.readouterr().out) == doc
    assert main(["--py-to-xml", "s.py"]) == 0
    (tmp_path / "s.xml").write_text(capsys.readouterr().out)
    assert main(["--xml-to-py", "s.xml"]) == 0
    assert capsys.readouterr().out.startswith("SIMULATION = {")
    counts = []
    for name in ("s.xml", "s.json", "s.py"):
        assert main(["-o", f"{name}.sqlite", name]) == 0
        db = sqlite3.connect(tmp_path / f"{name}.sqlite")
        counts.append(db.execute("SELECT count(*), sum(Quantity) FROM Transactions JOIN Resources "
                                 "USING (ResourceId)").fetchone())
    assert counts[0] == counts[1] == counts[2] and counts[0][0] == 100


def test_input_given_as_a_string(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["-o", "raw.sqlite", "--input-file", NULL_SINK.read_text()]) == 0
    db = sqlite3.connect(tmp_path / "raw.sqlite")
    assert db.execute("SELECT count(*) FROM AgentEntry").fetchone() == (3,)


def test_archetype_information(capsys):
    assert main(["--agent-annotations", ":agents:Sink"]) == 0
    ann = json.loads(capsys.readouterr().out)
    assert ann["entity"] == "facility" and "in_commods" in ann["vars"]
    assert main(["-l", ":agents"]) == 0
    listed = capsys.readouterr().out.split()
    assert ":agents:Sink" in listed and not any(":cycamore:" in s for s in listed)
    assert main(["-a"]) == 0
    assert ":cycamore:Reactor" in capsys.readouterr().out.split()
    assert main(["--agent-version", ":agents:Sink"]) == 0
    assert capsys.readouterr().out.strip()
    assert main(["--agent-annotations", ":agents:Nothing"]) == 1
    assert "Nothing" in capsys.readouterr().err


@pytest.mark.parametrize(("level", "ok"), [("0", True), ("LEV_DEBUG2", True), ("11", True), ("12", False),
                                           ("loud", False)])
def test_verbosity_levels(level, ok, tmp_path, capsys):
    rc = main(["-v", level, "-o", str(tmp_path / "v.sqlite"), str(NULL_SINK)])
    assert rc == (0 if ok else 1)
    if not ok:
        assert "-v/--verb" in capsys.readouterr().err


def test_python_dash_m_entry(tmp_path):
    out = tmp_path / "o.h5"
    proc = subprocess.run([sys.executable, "-m", "cycsrv.compat", "-o", str(out), str(NULL_SINK)],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Simulation ID:" in proc.stdout
    with h5py.File(out, "r") as f:
        assert "Transactions" not in f and len(f["AgentEntry"]) == 3


@pytest.mark.parametrize("suffix", [".h5", ".sqlite"])
def test_an_existing_output_of_another_kind_is_an_error_and_left_alone(tmp_path, capsys, suffix):
    from cycsrv.cli import main as cycsrv_main

    out = tmp_path / f"notes{suffix}"
    out.write_text("my notes, not a database\n")
    assert main(["-o", str(out), str(NULL_SINK)]) == 1
    assert f"{out}: cannot append to this" in capsys.readouterr().err
    assert cycsrv_main(["run", str(NULL_SINK), "-o", str(out)]) == 1
    assert f"{out}: cannot append to this" in capsys.readouterr().err
    assert out.read_text() == "my notes, not a database\n"


GRAMMAR = ('<grammar xmlns="http://relaxng.org/ns/structure/1.0" '
           'datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes" '
           'xmlns:a="http://relaxng.org/ns/compatibility/annotations/1.0">'
           '<start><element name="{name}">{snippet}</element></start></grammar>')


def _archetype_configs() -> list[tuple[str, object]]:
    """(spec, <config> child) for every archetype configured in the bundled inputs."""
    from lxml import etree

    found = []
    for path in sorted(INPUTS.glob("*.xml")):
        doc = etree.parse(str(path))
        libs = {spec.findtext("name"): spec.findtext("lib") or spec.findtext("name")
                for spec in doc.iter("spec")}
        for config in doc.iter("config"):
            for el in config:
                if isinstance(el.tag, str) and el.tag in libs:
                    found.append((f":{libs[el.tag]}:{el.tag}", el))
    return found


def test_agent_schemas_accept_every_archetype_config_of_the_bundled_inputs(capsys):
    from lxml import etree

    configs = _archetype_configs()
    assert len(configs) > 100
    grammars = {}
    for spec, el in configs:
        if spec not in grammars:
            assert main(["--agent-schema", spec]) == 0
            snippet = capsys.readouterr().out.strip()
            grammars[spec] = etree.RelaxNG(etree.fromstring(GRAMMAR.format(name=el.tag, snippet=snippet)))
        assert grammars[spec].validate(el), (spec, grammars[spec].error_log.last_error)
    # and it rejects what cycsrv rejects: a Source without its required commodity
    source = etree.fromstring("<Source><capacity>1</capacity></Source>")
    assert not grammars[":agents:Source"].validate(source)
    assert {":cycamore:Reactor", ":agents:Source", ":cycamore:Enrichment"} <= set(grammars)


def test_metadata_lists_specs_annotations_and_schemas(capsys):
    assert main(["--metadata"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert set(meta) == {"specs", "annotations", "schema"}
    assert ":cycamore:Reactor" in meta["specs"]
    assert set(meta["annotations"]) == set(meta["schema"]) == set(meta["specs"])
    assert meta["schema"][":cycamore:Reactor"].startswith("<interleave>")
    from cycsrv.compat.schema import agent_schema

    assert agent_schema({"vars": {}}) == "<text/>"  # no input variables, as Cyclus writes it
