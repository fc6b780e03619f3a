"""Sweep files: what they mean (grid, ranges, samples) and one clear FILE:LINE error for each mistake,
all found before any cluster starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from cycsrv.cli import main
from cycsrv.sweep import SweepError, load_sweep, run_sweep
from cycsrv.sweep.sampling import scenario_values
from cycsrv.sweep.tomlpos import key_lines

DATA = Path(__file__).resolve().parent / "data" / "sweep"
LWR = "/simulation/facility[name='LWR']/config/Reactor"
GOOD_PARAM = f'[[parameter]]\nname = "cycle_time"\npath = "{LWR}/cycle_time"\nvalues = [12, 18]\n'


def sweep_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text.replace("FLEET", str(DATA / "fleet.xml")))
    return path


def test_grid_order_ranges_and_samples(tmp_path):
    text = ('input = "FLEET"\n' + GOOD_PARAM
            + f'[[parameter]]\nname = "cap"\npath = "{LWR}/power_cap"\nrange = {{start = 0.5, stop = 1.5, step = 0.25}}\n')
    sweep = load_sweep(sweep_file(tmp_path, text))
    assert sweep.input == str(DATA / "fleet.xml")
    assert [(v["cycle_time"], v["cap"]) for v in scenario_values(sweep)] == [
        (12, 0.5), (12, 0.75), (12, 1.0), (12, 1.25), (12, 1.5),
        (18, 0.5), (18, 0.75), (18, 1.0), (18, 1.25), (18, 1.5)]
    sampled = text.replace(", step = 0.25", "") + '[sample]\nmethod = "random"\nn = 50\nseed = 3\n'
    values = scenario_values(load_sweep(sweep_file(tmp_path, sampled)))
    assert len(values) == 50 and {v["cycle_time"] for v in values} == {12, 18}
    assert all(0.5 <= v["cap"] <= 1.5 for v in values) and len({v["cap"] for v in values}) == 50
    assert values == scenario_values(load_sweep(sweep_file(tmp_path, sampled)))  # same seed, same draws


BAD = [
    ('input = "FLEET"\n[[parameter]\nname = "x"\n', 2, "not valid TOML"),
    ('input = "nowhere.xml"\n' + GOOD_PARAM, 1, "key 'input': no such file"),
    ('input = "FLEET"\nmetric = 3\n', 1, "the sweep file has no 'parameter'"),
    ('input = "FLEET"\nouptut = "x"\n' + GOOD_PARAM, 2, "unknown key 'ouptut' in the sweep file"),
    ('input = "FLEET"\n\n' + GOOD_PARAM.replace("values", "vales"), 6, "unknown key 'vales' in [[parameter]] #1"),
    ('input = "FLEET"\n' + GOOD_PARAM + '[[parameter]]\nname = "b"\npath = "//x"\n', 6,
     "parameter 'b' needs either 'values' or 'range'"),
    ('input = "FLEET"\n' + GOOD_PARAM.replace('"cycle_time"', '"cycle time"'), 3, "name must be an identifier"),
    ('input = "FLEET"\n' + GOOD_PARAM.replace("[12, 18]", '[12, "18"]'), 5, "'values' mixes numbers and strings"),
    ('input = "FLEET"\n' + GOOD_PARAM.replace("values = [12, 18]", "range = {start = 1, stop = 9}"), 5,
     "parameter 'cycle_time': a range needs a 'step' unless [sample] draws from it"),
    ('input = "FLEET"\n' + GOOD_PARAM.replace("values = [12, 18]", "range = {start = 9, stop = 1, step = 1}"), 5,
     "range stop 1 is below start 9"),
    ('input = "FLEET"\n' + GOOD_PARAM.replace(f"{LWR}/cycle_time", "/simulation/facility[name=="), 4,
     "is not a valid XPath"),
    ('input = "FLEET"\n' + GOOD_PARAM + "[sample]\nmethod = 'sobbol'\nn = 4\n", 7, "[sample] method must be one of"),
    ('input = "FLEET"\n' + GOOD_PARAM + "[sample]\nmethod = 'lhs'\nn = 0\n", 8, "[sample] 'n' must be a positive integer"),
    ('input = "FLEET"\n' + GOOD_PARAM + '[[metric]]\nname = "e"\nsql = """\nSELEC 1\n"""\n', 8,
     "metric 'e': SQL error: near \"SELEC\": syntax error"),
    ('input = "FLEET"\n' + GOOD_PARAM + '[[metric]]\nname = "e"\nsql = "SELECT 1; SELECT 2"\n', 8,
     "metric 'e': SQL error: You can only execute one statement at a time"),
    ('input = "FLEET"\n' + GOOD_PARAM + '[[metric]]\nname = "cycle_time"\nsql = "SELECT 1"\n', 6,
     "metric name 'cycle_time' is already used by a parameter"),
    ('input = "FLEET"\n' + GOOD_PARAM.replace('"cycle_time"', '"status"'), 2, "parameter name 'status' is taken"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_a_bad_sweep_file_is_one_error_naming_file_line_and_key(tmp_path, text, line, message):
    path = sweep_file(tmp_path, text)
    with pytest.raises(SweepError) as info:
        load_sweep(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)


SCENARIO_ERRORS = [
    ("/simulation/facility[name='PWR']/config/Reactor/cycle_time", "values = [12]", 2,
     "parameter 'cycle_time': path \"/simulation/facility[name='PWR']/config/Reactor/cycle_time\" matches nothing"),
    (f"{LWR}", "values = [12]", 2, "selects <Reactor>, which holds elements"),
    ("count(//facility)", "values = [12]", 2, "gives 5.0, not elements or attributes to set"),
    (f"{LWR}/cycle_time", 'values = ["soon"]', 2,
     f"parameter 'cycle_time' = 'soon' ({LWR}/cycle_time) makes the input invalid: "),
]


@pytest.mark.parametrize(("path", "values", "line", "message"), SCENARIO_ERRORS)
def test_a_scenario_the_input_rejects_is_an_error_before_anything_runs(tmp_path, path, values, line, message):
    sweep = sweep_file(tmp_path, f'input = "FLEET"\n[[parameter]]\nname = "cycle_time"\npath = "{path}"\n{values}\n')
    out = tmp_path / "out"
    with pytest.raises(SweepError) as info:
        run_sweep(sweep, out)  # no cluster is started: the error comes first
    assert str(info.value).startswith(f"{sweep}:{line}: ")
    assert message in str(info.value)
    assert not (out / "runs").exists() or not list((out / "runs").iterdir())
    assert not (out / "summary.parquet").exists()


def test_cli_prints_the_error_on_one_line_and_exits_1(tmp_path, capsys):
    path = sweep_file(tmp_path, 'input = "FLEET"\n' + GOOD_PARAM.replace("[12, 18]", "[12, -3]"))
    assert main(["sweep", str(path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"cycsrv: error: {path}:2: parameter 'cycle_time' = -3 ({LWR}/cycle_time) makes the input invalid:")


def test_key_lines_skip_multiline_values():
    text = 'a = """\nb = 1\n"""\nc = [\n  1,\n  2]\n[[t]]\nd = 2\n[[t]]\n# x = 1\nd = 3\n'
    lines = key_lines(text)
    assert lines.key("", 0, "a") == 1 and lines.key("", 0, "c") == 4 and ("", 0, "b") not in lines.keys
    assert (lines.table("t", 0), lines.table("t", 1)) == (7, 9)
    assert (lines.key("t", 0, "d"), lines.key("t", 1, "d")) == (8, 11)
