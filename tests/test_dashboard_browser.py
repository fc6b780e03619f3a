"""The dashboard in headless Chromium against a real `cycsrv serve` of the bundled example.

Needs Debian's `chromium` and Playwright for Python (the `browser` fixture in conftest.py);
without them these tests skip and say what is missing. Each test starts its own server and
page and sets up what it needs (loads, pauses, adds a condition), so any subset runs alone.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import trio
from trio_websocket import open_websocket_url

EXAMPLE = Path(__file__).resolve().parents[1] / "cycsrv" / "examples" / "source_to_sink.xml"
#: Each time step sleeps this long (a repeating action) so a person, or a test, can watch it.
STEP_SLEEP = "0.2"
WAIT_MS = 15_000

TIME_SERIES_INPUT = Path(__file__).resolve().parent / "data" / "inputs" / "cycamore__input__physor__1_Enrichment_2_Reactor.xml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, ws_port: int, http_port: int, input_file: Path = EXAMPLE,
                 step_sleep: str = STEP_SLEEP, extra_args: Sequence[str] = ()) -> subprocess.Popen[str]:
    """`cycsrv serve` of the example (plus `extra_args`), returned once the dashboard answers HTTP."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cycsrv", "serve", str(input_file), "-p", str(ws_port), "--http-port", str(http_port),
         "--heartbeat", "1", *extra_args, "-r", "sleep", f"n={step_sleep}"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"cycsrv serve exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", http_port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("cycsrv serve did not open its dashboard port within 20 s")


def stop_server(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Site:
    """A running server of its own and the pages opened on it."""

    def __init__(self, workdir: Path, step_sleep: str = STEP_SLEEP) -> None:
        self.workdir = workdir
        self.ws_port = free_port()
        self.http_port = free_port()
        self.proc = start_server(workdir, self.ws_port, self.http_port, step_sleep=step_sleep)
        self.page_errors: list[str] = []

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    def open_page(self, browser) -> object:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{self.http_port}/")
        page.wait_for_selector("#conn[data-state='open']")
        return page

    def table_data(self, table: str, conds: list[list[object]] | None = None) -> dict[str, object]:
        """Ask the server directly, as a script would, for a table in split orient."""

        async def ask() -> dict[str, object]:
            async with open_websocket_url(self.ws_url) as ws:
                await ws.send_message(json.dumps({"event": "table_data", "params": {"table": table, "conds": conds}}))
                while True:
                    reply = json.loads(await ws.get_message())
                    if reply["event"] == "table_data" and reply["params"]["table"] == table:
                        return reply["data"]

        return trio.run(ask)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A server whose time steps take STEP_SLEEP each, so a test can watch time pass."""
    site = Site(tmp_path)
    yield site
    stop_server(site.proc)


@pytest.fixture
def page(browser, site: Site) -> Iterator[object]:
    page = site.open_page(browser)
    yield page
    page.close()


@pytest.fixture(scope="module")
def finished_site(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server whose run (no sleep per step) was loaded and has finished: read-only from then
    on, so the tests that only read tables share it (each with its own page)."""
    site = Site(tmp_path_factory.mktemp("finished"), step_sleep="0")
    try:
        page = site.open_page(browser)
        page.click("#btn-load")
        page.wait_for_selector("#sim-state[data-state='finished']")
        page.close()
        yield site
    finally:
        stop_server(site.proc)


@pytest.fixture
def finished_page(browser, finished_site: Site) -> Iterator[tuple[object, Site]]:
    """A fresh page on `finished_site`, once it shows the finished run."""
    page = finished_site.open_page(browser)
    page.wait_for_selector("#sim-state[data-state='finished']")
    yield page, finished_site
    page.close()


def load(page, at_least: int = 3) -> None:
    """Load the simulation from the page and wait until it shows time step `at_least`."""
    page.click("#btn-load")
    page.wait_for_function(f"() => Number(document.querySelector('#time-step').textContent) >= {at_least}")


def add_condition(page, field: str, op: str, value: str) -> None:
    page.click("text=+ condition")
    page.fill(".cond-field", field)
    page.select_option(".cond-op", op)
    page.fill(".cond-value", value)


def js_text(value: object) -> str:
    """How JavaScript's String() shows a JSON value (1000.0 parses to 1000)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def step(page) -> int:
    text = page.text_content("#time-step")
    return int(text) if text and text.isdigit() else -1


def wait_for_steady_step(page, quiet_s: float = 1.2) -> int:
    """The shown time step once it has not changed for `quiet_s` seconds."""
    last, since = step(page), time.monotonic()
    while time.monotonic() - since < quiet_s:
        page.wait_for_timeout(200)
        now = step(page)
        if now != last:
            last, since = now, time.monotonic()
    return last


def test_page_loads_and_connects(page, site):
    page.wait_for_selector("#conn[data-state='open']")
    page.wait_for_selector("#heartbeat[data-state='ok']")
    assert page.text_content("#sim-state") == "not loaded"
    assert page.text_content("#ws-url").startswith(site.ws_url)
    assert site.page_errors == []


def test_load_starts_the_simulation_and_time_advances(page, site):
    load(page)
    first = step(page)
    page.wait_for_function(f"() => Number(document.querySelector('#time-step').textContent) > {first}")
    assert page.text_content("#sim-state") == "running"
    assert page.text_content("#duration") == "120"
    assert page.text_content("#sim-date").startswith("2030-")


def test_pause_stops_time(page, site):
    load(page)
    page.click("#btn-pause")
    page.wait_for_selector("#sim-state[data-state='paused']")
    held = wait_for_steady_step(page)
    page.wait_for_timeout(1500)
    assert step(page) == held
    # the server agrees: no transaction after the step the page shows
    data = site.table_data("Transactions", [["Time", ">", held]])
    assert data["data"] == []
    assert page.is_disabled("#btn-pause") and page.is_enabled("#btn-unpause")


def test_unpause_resumes(page, site):
    load(page)
    page.click("#btn-pause")
    page.wait_for_selector("#sim-state[data-state='paused']")
    held = wait_for_steady_step(page)
    page.click("#btn-unpause")
    page.wait_for_function(f"() => Number(document.querySelector('#time-step').textContent) > {held}")
    assert page.text_content("#sim-state") == "running"


def test_plots_have_points_and_axes_with_units(page, site):
    load(page, at_least=4)
    page.wait_for_selector("figure[data-plot='traded'] canvas")
    page.wait_for_function("() => Number(document.querySelector(\"figure[data-plot='traded']\").dataset.points) > 3")
    points = int(page.get_attribute("figure[data-plot='traded']", "data-points"))
    assert points > 3
    assert "natl_u" in page.text_content("figure[data-plot='traded'] .u-legend")
    assert "SmallMine" in page.text_content("figure[data-plot='shipped'] .u-legend")
    for plot, unit in (("traded", "kg per time step"), ("shipped", "kg per time step"), ("facilities", "facilities")):
        figure = f"figure[data-plot='{plot}']"
        assert page.get_attribute(figure, "data-y-axis") == unit
        assert page.get_attribute(figure, "data-x-axis") == "simulated month (time step)"


def test_agent_tree_and_flow_matrix(page, site):
    load(page)
    page.wait_for_function("() => document.querySelector('#agents-tree').textContent.includes('SmallMine')")
    tree = page.text_content("#agents-tree")
    for name in ("World", "Utility", "Mine", "SmallMine", "Mill"):
        assert name in tree
    page.wait_for_selector("#flow-matrices figure[data-commodity='natl_u']")
    matrix = page.text_content("#flow-matrices")
    assert "Mine" in matrix and "Mill" in matrix


def test_table_browser_shows_the_rows_table_data_gives(finished_page):
    page, site = finished_page
    page.select_option("#tb-table", "Transactions")
    add_condition(page, "Time", "<", "3")
    page.click("#tb-fetch")
    page.wait_for_selector("#tb-result tbody tr")
    shown_cols = page.eval_on_selector_all("#tb-result thead th", "ths => ths.map(t => t.textContent)")
    shown = page.eval_on_selector_all(
        "#tb-result tbody tr", "trs => trs.map(tr => [...tr.children].map(c => c.textContent))")
    expected = site.table_data("Transactions", [["Time", "<", 3]])
    assert shown_cols == ["index", *expected["columns"]]
    as_text = [[js_text(i), *(js_text(v) for v in row)]
               for i, row in zip(expected["index"], expected["data"], strict=True)]
    assert shown == as_text[:25]
    assert len(expected["data"]) == 6
    assert page.text_content("#tb-range") == "rows 1\u20136 of 6"


@pytest.mark.parametrize("orient", ["records", "index", "columns", "values", "table", "split"])
def test_table_browser_reads_every_orient(finished_page, orient):
    """Whatever orient is asked for, the browser shows the same cells as the split reply."""
    page, site = finished_page
    expected = site.table_data("Transactions", [["Time", "<", 3]])
    page.select_option("#tb-table", "Transactions")
    add_condition(page, "Time", "<", "3")
    page.select_option("#tb-orient", orient)
    page.click("#tb-fetch")
    page.wait_for_selector(f"#tb-status:has-text('{orient}')")
    cells = page.eval_on_selector_all(
        "#tb-result tbody tr", "trs => trs.map(tr => [...tr.querySelectorAll('td')].map(c => c.textContent))")
    assert cells == [[js_text(v) for v in row] for row in expected["data"]]


def test_a_finished_run_shows_every_step_done(finished_page):
    page, _site = finished_page
    assert page.text_content("#time-step") == page.text_content("#duration") == "120"  # N / N
    assert page.text_content("#sim-state") == "finished"


def test_server_errors_are_shown(finished_page):
    page, _site = finished_page
    page.select_option("#tb-table", "Transactions")
    add_condition(page, "NoSuchColumn", "<", "3")
    page.click("#tb-fetch")
    page.wait_for_selector("#errors:not([hidden]) .error-message")
    assert "NoSuchColumn" in page.text_content("#errors")
    assert "failed" in page.text_content("#tb-status")


def test_shutdown_asks_first_then_the_page_shows_the_lost_connection_and_reconnects(page, site):
    page.click("#btn-shutdown")
    page.wait_for_selector("#shutdown-dialog[open]")
    page.click("#shutdown-dialog button[value='cancel']")
    assert site.proc.poll() is None
    page.click("#btn-shutdown")
    page.click("#shutdown-now")
    page.wait_for_selector("#conn[data-state='lost']")
    assert "reconnecting" in page.text_content("#conn-detail")
    site.proc.wait(timeout=10)
    site.proc = start_server(site.workdir, site.ws_port, site.http_port)
    page.wait_for_selector("#conn[data-state='open']")
    page.wait_for_selector("#sim-state[data-state='idle']")
    assert page.text_content("#sim-state") == "not loaded"
    assert site.page_errors == []


def test_time_series_tables_are_plotted_per_prototype(browser, tmp_path):
    """A Cycamore input writes TimeSeries tables; the page offers them and plots them to the end."""
    if not TIME_SERIES_INPUT.exists():
        pytest.skip(f"{TIME_SERIES_INPUT.name} is not in tests/data/inputs")
    ws_port, http_port = free_port(), free_port()
    proc = start_server(tmp_path, ws_port, http_port, TIME_SERIES_INPUT, step_sleep="0")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"http://127.0.0.1:{http_port}/")
        page.wait_for_selector("#conn[data-state='open']")
        page.click("#btn-load")
        page.wait_for_selector("#sim-state[data-state='finished']")
        page.wait_for_selector("button.chip[data-table='TimeSeriesEnrichmentSWU'].on")
        swu = "figure[data-plot='TimeSeriesEnrichmentSWU']"
        page.wait_for_selector(f"{swu} canvas")
        assert int(page.get_attribute(swu, "data-points")) > 0
        # switching a table on adds its plot
        page.click("button.chip[data-table='TimeSeriessupplyenriched_u']")
        page.wait_for_selector("figure[data-plot='TimeSeriessupplyenriched_u'] canvas")
        # a finished run shows N / N, and each plot's y axis its table's unit
        assert int(page.text_content("#time-step")) == int(page.text_content("#duration"))
        assert page.get_attribute(swu, "data-y-axis") == "kg SWU"
        page.close()
    finally:
        stop_server(proc)
