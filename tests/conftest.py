"""Shared test fixtures: paths to bundled inputs, a helper that runs an input to SQLite, and
the headless Chromium the dashboard tests drive."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
INPUTS = DATA / "inputs"
FLOWS = DATA / "flows"
sys.path.insert(0, str(TESTS))


class CollectingBackend:
    """A backend that keeps every row in memory by table name (for kernel tests)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = defaultdict(list)

    def notify(self, batches) -> None:
        for b in batches:
            self.rows[b.schema.name].extend(b.rows)

    def close(self) -> None:
        pass


#: Debian's Chromium (apt-get install chromium); Playwright's own browser download is never used.
CHROMIUM = os.environ.get("CYCSRV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for every browser test (each opens its own pages); skips, saying
    what is missing, without Playwright for Python or without Chromium."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set CYCSRV_CHROMIUM)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def run_input(tmp_path, monkeypatch):
    """Run an input file with the kernel into a fresh SQLite file; returns its path."""
    from cycsrv.kernel.simulation import Simulation
    from cycsrv.store.sqlite import SqliteBackend

    def run(path: Path, name: str = "out.sqlite") -> Path:
        out = tmp_path / name
        monkeypatch.chdir(path.parent)
        sim = Simulation.from_file(path, backends=[SqliteBackend(str(out))])
        try:
            sim.run()
        finally:
            sim.close()
        return out

    return run


def _pong_only_while_open() -> None:
    """trio-websocket <= 0.12.2 answers a ping that arrives after its client started closing,
    which wsproto refuses (LocalProtocolError in the client's reader task; trio-websocket issue
    #184, fix proposed in PR #198). The server paces per-step streams with pings, so the test
    clients get that fix here; the server side is unaffected (it only sends pings)."""
    import trio_websocket._impl as impl
    from wsproto.connection import ConnectionState

    async def handle_ping(self, event) -> None:
        if self._wsproto.state == ConnectionState.OPEN:
            await self._send(event.response())

    impl.WebSocketConnection._handle_ping_event = handle_ping


_pong_only_while_open()
