"""`cycsrv sweep` on a real dask LocalCluster of two worker processes: grids, samples, resume, failures,
a worker killed mid-run, Ctrl-C."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cycsrv.cli import main
from cycsrv.sweep import run_sweep
from cycsrv.sweep.progress import Counts

DATA = Path(__file__).resolve().parent / "data" / "sweep"
ENERGY = "SELECT SUM(Value) FROM TimeSeriesPower"
TRANSACTIONS = "SELECT COUNT(*) FROM Transactions"
LWR = "/simulation/facility[name='LWR']/config/Reactor"


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster for the module: two single-threaded worker processes, no dashboard."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                      silence_logs=40) as c, Client(c) as client:
        yield client


@pytest.fixture
def client(cluster):
    cluster.wait_for_workers(2, timeout=60)
    return cluster


def write_sweep(tmp_path: Path, body: str, name: str = "sweep.toml") -> Path:
    """A sweep file in `tmp_path` over tests/data/sweep/fleet.xml."""
    path = tmp_path / name
    path.write_text(f'input = "{DATA / "fleet.xml"}"\n{body}')
    return path


def param(name: str, path: str, values: str) -> str:
    return f'[[parameter]]\nname = "{name}"\npath = "{path}"\n{values}\n'


def metric(name: str, sql: str) -> str:
    return f'[[metric]]\nname = "{name}"\nsql = "{sql}"\n'


def rows(outdir: Path) -> list[dict]:
    return pq.read_table(outdir / "summary.parquet").to_pylist()


def query(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def plain_run(tmp_path: Path, input_xml: Path) -> Path:
    """`cycsrv run` of an edited input (beside a copy of the tripwire module it uses)."""
    where = tmp_path / f"plain-{input_xml.stem}"
    where.mkdir()
    shutil.copy(DATA / "sweeptrip.py", where)
    shutil.copy(input_xml, where / "input.xml")
    assert main(["run", str(where / "input.xml"), "-o", str(where / "out.sqlite"), "-q"]) == 0
    return where / "out.sqlite"


def test_grid_runs_every_combination_with_metrics_equal_to_a_plain_run(client, tmp_path):
    sweep = write_sweep(tmp_path, param("cycle_time", f"{LWR}/cycle_time", "values = [12, 18]")
                        + param("power_cap", f"{LWR}/power_cap", "range = {start = 800, stop = 1200, step = 200}")
                        + metric("energy", ENERGY) + metric("transactions", TRANSACTIONS))
    out = tmp_path / "out"
    result = run_sweep(sweep, out, client=client)
    got = rows(out)
    assert [(r["cycle_time"], r["power_cap"]) for r in got] == [
        (12, 800), (12, 1000), (12, 1200), (18, 800), (18, 1000), (18, 1200)]
    assert {r["status"] for r in got} == {"ok"} and result.counts.ok == 6
    assert pq.read_schema(out / "summary.parquet").names == [
        "run_id", "status", "error", "seconds", "cycle_time", "power_cap", "energy", "transactions"]
    assert all(r["seconds"] > 0 for r in got)
    # energy grows with the power cap; a shorter cycle means more refuelling trades
    by = {(r["cycle_time"], r["power_cap"]): r for r in got}
    assert by[(18, 800)]["energy"] < by[(18, 1000)]["energy"] < by[(18, 1200)]["energy"]
    assert by[(12, 1000)]["transactions"] > by[(18, 1000)]["transactions"]
    for r in got:
        edited = out / "inputs" / f"{r['run_id']}.xml"
        assert r["run_id"] == hashlib.sha256(edited.read_bytes()).hexdigest()[:16]
        assert f"<cycle_time>{r['cycle_time']}</cycle_time>" in edited.read_text()
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(f"{x['run_id']}.sqlite" for x in got)
    # one scenario against `cycsrv run` of the same edited input: same metrics, same tables
    r = by[(12, 1200)]
    plain = plain_run(tmp_path, out / "inputs" / f"{r['run_id']}.xml")
    swept = out / "runs" / f"{r['run_id']}.sqlite"
    assert query(plain, ENERGY)[0][0] == r["energy"]
    assert query(plain, TRANSACTIONS)[0][0] == r["transactions"]
    for table in ("Transactions", "TimeSeriesPower", "AgentEntry"):
        sql = f"SELECT * FROM {table}"
        strip = (lambda rs: [row[1:] for row in rs])  # noqa: E731  SimId differs per run
        assert strip(query(swept, sql)) == strip(query(plain, sql))


def test_sampled_sweep_is_a_latin_hypercube_and_reproducible(client, tmp_path):
    body = (param("cycle_time", f"{LWR}/cycle_time", "range = {start = 12, stop = 24}")
            + param("power_cap", f"{LWR}/power_cap", "range = {start = 800.0, stop = 1200.0}")
            + '[sample]\nmethod = "lhs"\nn = 5\nseed = 7\n' + metric("energy", ENERGY))
    out = tmp_path / "out"
    run_sweep(write_sweep(tmp_path, body), out, client=client)
    got = rows(out)
    assert len(got) == 5 and {r["status"] for r in got} == {"ok"}
    assert all(isinstance(r["cycle_time"], int) and 12 <= r["cycle_time"] <= 24 for r in got)
    caps = [r["power_cap"] for r in got]
    assert sorted(int((c - 800.0) / 400.0 * 5) for c in caps) == [0, 1, 2, 3, 4]  # one per stratum
    for r in got:  # the sampled value is what the run used
        text = (out / "inputs" / f"{r['run_id']}.xml").read_text()
        assert f"<power_cap>{r['power_cap']!r}</power_cap>" in text
    again = tmp_path / "again"
    run_sweep(write_sweep(tmp_path, body, "again.toml"), again, client=client)
    assert [r["run_id"] for r in rows(again)] == [r["run_id"] for r in got]


def test_rerun_skips_finished_runs_discards_partials_and_recomputes_changed_metrics(client, tmp_path):
    grid = param("power_cap", f"{LWR}/power_cap", "values = [900, 1000, 1100]")
    sweep = write_sweep(tmp_path, grid + metric("energy", ENERGY))
    out = tmp_path / "out"
    run_sweep(sweep, out, client=client)
    first = rows(out)
    runs = out / "runs"
    mtimes = {p.name: p.stat().st_mtime_ns for p in runs.iterdir()}
    lost = runs / f"{first[1]['run_id']}.sqlite"
    lost.unlink()
    partial = runs / f"{first[1]['run_id']}.sqlite.0123abcd.tmp"
    partial.write_bytes(b"half a file")
    (runs / f"{partial.name}-wal").write_bytes(b"")

    result = run_sweep(sweep, out, client=client)
    assert (result.counts.skipped, result.counts.ok) == (2, 1)
    assert not partial.exists() and not (runs / f"{partial.name}-wal").exists()
    second = rows(out)
    assert [r for r in second if r["run_id"] != first[1]["run_id"]] == [first[0], first[2]]
    assert {**second[1], "seconds": None} == {**first[1], "seconds": None}
    kept = {p.name: p.stat().st_mtime_ns for p in runs.iterdir() if p.name != lost.name}
    assert kept == {k: v for k, v in mtimes.items() if k != lost.name}

    # a changed metric is measured again on the existing outputs, without simulating again
    changed = write_sweep(tmp_path, grid + metric("energy", "SELECT MAX(Value) FROM TimeSeriesPower"))
    result = run_sweep(changed, out, client=client)
    assert result.counts.ok == 3
    assert [r["energy"] for r in rows(out)] == [900.0, 1000.0, 1100.0]  # one reactor at its cap
    assert {p.name: p.stat().st_mtime_ns for p in runs.iterdir() if p.name != lost.name} == kept
    assert [r["seconds"] for r in rows(out)] == [r["seconds"] for r in second]  # the simulations' times


def test_archetypes_written_for_cyclus_run_on_the_workers(client, tmp_path):
    # the workers load `import cyclus.agents` modules as `cycsrv run` does (market.xml uses bakery.py)
    market = DATA.parent / "cyclus_py" / "market.xml"
    received = ("SELECT SUM(r.Quantity) FROM Transactions t JOIN Resources r ON t.ResourceId = r.ResourceId")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f'input = "{market}"\n'
                     + param("qty", "/simulation/facility[name='pantry']/config/Pantry/qty", "values = [1.5, 3.0]")
                     + metric("received", received) + metric("trades", TRANSACTIONS))
    result = run_sweep(sweep, tmp_path / "out", client=client)
    got = {r["qty"]: r for r in rows(tmp_path / "out")}
    assert result.counts.ok == 2, [r["error"] for r in got.values()]
    for qty, r in got.items():
        where = tmp_path / f"plain-{qty}"
        where.mkdir()
        shutil.copy(market.parent / "bakery.py", where)
        shutil.copy(tmp_path / "out" / "inputs" / f"{r['run_id']}.xml", where / "input.xml")
        assert main(["run", str(where / "input.xml"), "-o", str(where / "out.sqlite"), "-q"]) == 0
        assert query(where / "out.sqlite", received)[0][0] == r["received"]
        assert query(where / "out.sqlite", TRANSACTIONS)[0][0] == r["trades"]
    assert got[1.5]["received"] < got[3.0]["received"]


def test_a_failing_scenario_is_recorded_and_the_others_finish(client, tmp_path):
    sweep = write_sweep(tmp_path, param("trip_at", "//Tripwire/trip_at", "values = [-1, 10, 30]")
                        + metric("energy", ENERGY) + metric("nothing", "SELECT Value FROM NoSuchTable"))
    out = tmp_path / "out"
    result = run_sweep(sweep, out, client=client)
    got = {r["trip_at"]: r for r in rows(out)}
    assert result.counts.failed == 3  # two stopped early; the one that finished has a bad metric
    assert "error at time step 10: RuntimeError: tripwire at step 10" in got[10]["error"]
    assert "tripwire at step 30" in got[30]["error"]
    assert got[-1]["error"] == "metric 'nothing': SQL error: no such table: NoSuchTable"
    runs = out / "runs"
    assert sorted(p.name for p in runs.iterdir()) == [f"{got[-1]['run_id']}.sqlite"]  # no partials left

    fixed = write_sweep(tmp_path, param("trip_at", "//Tripwire/trip_at", "values = [-1, 10, 30]")
                        + metric("energy", ENERGY) + metric("nothing", "SELECT 0"))
    run_sweep(fixed, out, client=client)
    got = {r["trip_at"]: r for r in rows(out)}
    assert [got[t]["status"] for t in (-1, 10, 30)] == ["ok", "failed", "failed"]
    assert got[-1]["nothing"] == 0.0 and got[-1]["energy"] == 162000.0 and got[10]["energy"] is None


class KillWhileRunning:
    """A reporter that SIGKILLs the worker process running our task, once, while it writes its output."""

    def __init__(self, client, runs: Path) -> None:
        self.client = client
        self.runs = runs
        self.killed: int | None = None

    def start(self, counts: Counts) -> None:
        pass

    def finished(self, row, counts: Counts) -> None:
        pass

    def update(self, counts: Counts) -> None:
        if self.killed or not counts.running:
            return
        if not list(self.runs.glob("*.tmp")):  # the run has opened its output
            return
        busy = [w for w, keys in self.client.processing().items()
                if any(str(k).startswith("cycsrv-run-") for k in keys)]
        pids = self.client.run(os.getpid, workers=busy[:1])
        self.killed = next(iter(pids.values()))
        os.kill(self.killed, signal.SIGKILL)

    def close(self) -> None:
        pass


def test_a_worker_killed_mid_run_has_its_run_retried_elsewhere(client, tmp_path):
    body = param("pause", "//Tripwire/pause", "values = [0.05]") + metric("energy", ENERGY)  # 3 s
    out = tmp_path / "out"
    killer = KillWhileRunning(client, out / "runs")
    before = set(client.run(os.getpid).values())
    result = run_sweep(write_sweep(tmp_path, body), out, client=client, reporter=killer)
    assert killer.killed in before
    [row] = rows(out)
    assert row["status"] == "ok" and result.counts.ok == 1
    done = out / "runs" / f"{row['run_id']}.sqlite"
    assert query(done, "SELECT EndTime, EarlyTerm FROM Finish") == [(59, 0)]  # ran to the end
    assert row["energy"] == query(done, ENERGY)[0][0] > 0
    leftovers = [p for p in (out / "runs").iterdir() if p != done]
    assert leftovers and all(".tmp" in p.name for p in leftovers)  # the killed attempt's half file
    client.wait_for_workers(2, timeout=60)
    assert run_sweep(write_sweep(tmp_path, body), out, client=client).counts.skipped == 1
    assert list((out / "runs").iterdir()) == [done]


def test_ctrl_c_stops_and_leaves_a_summary_of_what_finished(client, tmp_path):
    body = param("pause", "//Tripwire/pause", "values = [0.0, 0.05, 0.06, 0.07, 0.08]") + metric("energy", ENERGY)
    sweep = write_sweep(tmp_path, body)
    out = tmp_path / "out"
    address = client.scheduler.address
    # a test run started in the background (`scripts/test &`) has SIGINT ignored, and a child
    # inherits that: give the command the terminal's default, as a user's shell would
    proc = subprocess.Popen([sys.executable, "-m", "cycsrv", "sweep", str(sweep), "-o", str(out),
                             "--scheduler", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = json.loads(proc.stdout.readline())  # one JSON line per finished run
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "run the same command again to resume" in err
    assert first["status"] == "ok" and first["total"] == 5
    finished = [first] + [json.loads(line) for line in rest.splitlines()]
    summary = rows(out)
    assert 1 <= len(summary) < 5
    assert sorted(r["run_id"] for r in summary) == sorted(r["run_id"] for r in finished)
    assert {r["status"] for r in summary} == {"ok"}


def test_the_readme_example_runs(client, tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Many scenarios: cycsrv sweep", 1)[1]
    toml = section.split("cat > sweep.toml <<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    example = Path(__file__).resolve().parents[1] / "cycsrv" / "examples" / "source_to_sink.xml"
    assert 'input = "cycsrv/examples/source_to_sink.xml"' in toml
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(toml.replace('"cycsrv/examples/source_to_sink.xml"', f'"{example}"'))
    run_sweep(sweep, tmp_path / "sweep-out", client=client)
    got = {(r["mine_capacity"], r["small_mine_life"]): r for r in rows(tmp_path / "sweep-out")}
    assert len(got) == 9 and {r["status"] for r in got.values()} == {"ok"}
    # the Mill takes at most 1100 kg a month for 120 months; a longer-lived small mine trades more
    assert got[(1200, 120)]["delivered_kg"] == 1100 * 120
    assert got[(800, 24)]["delivered_kg"] < got[(800, 120)]["delivered_kg"]
    assert got[(800, 24)]["trades"] < got[(800, 120)]["trades"]
