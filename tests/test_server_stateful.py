"""Property-based harness: random sequences of valid and invalid events against a running server.

Invariants: every request is answered (or errored), the registry equals what was registered,
table_data rows only grow while unpaused and never change while paused, the server never dies.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import trio
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from server_helpers import count_rows, options, receive, request, send
from trio_websocket import open_websocket

from cycsrv.server.app import serve

HOST = "127.0.0.1"
TABLES = ["AgentEntry", "Resources", "Compositions", "TimeSeriesPower", "Info"]
junk = st.one_of(
    st.text(max_size=40),
    st.dictionaries(st.sampled_from(["event", "params", "data", "x"]),
                    st.one_of(st.none(), st.integers(), st.text(max_size=10), st.lists(st.integers(), max_size=3)),
                    max_size=3).map(json.dumps),
    st.sampled_from(['{"event": "nope"}', '{"event": "echo", "params": 3}', '{"event": 5}',
                     '{"event": "table_data", "params": {"table": 1}}']),
)


class ServerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.tmp = Path(tempfile.mkdtemp(prefix="cycsrv-stateful-"))
        self.port: int | None = None
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=trio.run, args=(self._serve,), daemon=True)
        self.thread.start()
        assert self.ready.wait(10)
        self.registry: set[str] = {"Transactions"}
        self.paused = False
        self.paused_count: int | None = None
        self.last_count = 0
        self.client(self._setup)

    async def _serve(self) -> None:
        opts = options(self.tmp, repeating="sleep n=0.01", heartbeat=30)
        async with trio.open_nursery() as nursery:
            self.port = await nursery.start(serve, opts)
            self.ready.set()
        self.stopped.set()

    def client(self, fn, *args):
        async def main():
            with trio.fail_after(15):
                async with open_websocket(HOST, self.port, "/", use_ssl=False, max_message_size=1 << 26) as ws:
                    return await fn(ws, *args)
        return trio.run(main)

    async def _setup(self, ws) -> None:
        assert (await request(ws, "register_tables", {"tables": ["Transactions"]}, reply="registry"))["data"] == [
            "Transactions"]
        assert (await request(ws, "load", reply="loaded"))["data"] is None

    @rule(s=st.text(max_size=30))
    def echo(self, s):
        reply = self.client(request, "echo", {"s": s})
        assert reply == {"event": "echo", "params": {"s": s}, "data": s}

    @rule(tables=st.lists(st.sampled_from(TABLES), max_size=3))
    def register(self, tables):
        reply = self.client(request, "register_tables", {"tables": tables}, "registry")
        self.registry |= set(tables)
        assert reply["data"] == sorted(self.registry)

    @rule(tables=st.lists(st.sampled_from(TABLES), max_size=3))
    def deregister(self, tables):
        reply = self.client(request, "deregister_tables", {"tables": tables}, "registry")
        self.registry -= set(tables)
        assert reply["data"] == sorted(self.registry)

    @rule()
    def registry_request(self):
        assert self.client(request, "registry_request", None, "registry")["data"] == sorted(self.registry)

    @precondition(lambda self: not self.paused)
    @rule()
    def pause(self):
        self.client(send, "pause")
        self.paused = True
        self.paused_count = None

    @precondition(lambda self: self.paused)
    @rule()
    def unpause(self):
        self.client(send, "unpause")
        self.paused = False

    @rule()
    def rows(self):
        n = self.client(count_rows, "Transactions")
        if self.paused:
            # the step that was running when pause arrived may still finish; then nothing moves
            if self.paused_count is None:
                time.sleep(0.05)
                n = self.client(count_rows, "Transactions")
                self.paused_count = n
            assert n == self.paused_count
        assert n >= self.last_count
        self.last_count = n

    @rule(orient=st.sampled_from(["split", "records", "index", "columns", "values", "table"]),
          op=st.sampled_from(["<", ">", "<=", ">=", "==", "!=", "~"]), t=st.integers(-1, 130))
    def table_data(self, orient, op, t):
        params = {"table": "Transactions", "conds": [["Time", op, t]], "orient": orient}
        reply = self.client(request, "table_data", params)
        if op == "~":
            assert reply["event"] == "error" and reply["params"] == params
        else:
            assert reply["event"] == "table_data" and reply["params"] == params

    @rule(message=junk)
    def junk_message(self, message):
        async def go(ws):
            await ws.send_message(message)
            return await receive(ws, "error")
        reply = self.client(go)
        assert reply["event"] == "error" and reply["data"]["message"]

    @invariant()
    def server_alive(self):
        assert self.thread.is_alive()

    def teardown(self) -> None:
        self.client(send, "shutdown", {"when": "now"})
        assert self.stopped.wait(15)
        self.thread.join(5)


ServerMachine.TestCase.settings = settings(max_examples=6, stateful_step_count=15, deadline=None,
                                           suppress_health_check=list(HealthCheck))
TestServerMachine = ServerMachine.TestCase
