"""The server, driven over real websockets: every event, pause, shutdown, several clients,
slow clients and bad messages."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pandas as pd
import pytest
import trio
from server_helpers import count_rows, options, receive, request, send, start, wait_finished
from trio_websocket import ConnectionClosed, open_websocket

HOST = "127.0.0.1"
BIG = 1 << 26


async def test_every_event_gets_its_reply(nursery, tmp_path):
    port = await start(nursery, options(tmp_path))
    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
        assert (await receive(ws, "heartbeat"))["data"] == 0.5
        assert await request(ws, "echo", {"s": "hi"}) == {"event": "echo", "params": {"s": "hi"}, "data": "hi"}
        assert (await request(ws, "registry_request", reply="registry"))["data"] == []
        assert (await request(ws, "table_names_request", reply="table_names"))["data"] == []
        ann = await request(ws, "agent_annotations", {"spec": ":agents:Source"})
        assert ann["data"]["entity"] == "facility" and "capacity" in ann["data"]["vars"]
        bad = await request(ws, "agent_annotations", {"spec": "os:path:join"})
        assert bad["event"] == "error" and "unknown archetype" in bad["data"]["message"]

        assert await request(ws, "load", reply="loaded") == {
            "event": "loaded", "params": {"status": "ok"}, "data": None}
        again = await request(ws, "load", reply="loaded")
        assert again["event"] == "error" and "already loaded" in again["data"]["message"]
        await wait_finished(ws)

        names = (await request(ws, "table_names_request", reply="table_names"))["data"]
        assert {"AgentEntry", "Transactions", "Resources", "Finish"} <= set(names)
        assert (await request(ws, "sleep", {"n": 0.01}))["params"] == {"n": 0.01}

        # table_data equals pandas' to_json of the same rows (original row labels kept)
        db = sqlite3.connect(tmp_path / "out.sqlite")
        frame = pd.read_sql("SELECT * FROM Transactions", db)
        frame["SimId"] = frame["SimId"].map(lambda b: uuid.UUID(bytes=b))  # as MemBack holds it
        subset = frame[(frame.Time > 100) & (frame.SenderId != 12)]
        conds = [["Time", ">", 100], ["SenderId", "!=", 12]]
        for orient in ("split", "records", "index", "columns", "values", "table"):
            msg = await request(ws, "table_data", {"table": "Transactions", "conds": conds, "orient": orient})
            assert msg["params"] == {"table": "Transactions", "conds": conds, "orient": orient}
            assert msg["data"] == json.loads(subset.to_json(orient=orient, default_handler=str)), orient
        missing = await request(ws, "table_data", {"table": "NoSuchTable"})
        assert missing["data"] == "NoSuchTable is not available."

        reg = await request(ws, "register_tables", {"tables": ["Transactions", "AgentEntry"]}, reply="registry")
        assert reg["data"] == ["AgentEntry", "Transactions"]
        reg = await request(ws, "deregister_tables", {"tables": ["AgentEntry"]}, reply="registry")
        assert reg["data"] == ["Transactions"]
        assert (await request(ws, "registry_request", reply="registry"))["data"] == ["Transactions"]
        await send(ws, "shutdown", {"when": "now"})


async def test_pause_really_stops_the_simulation_and_unpause_resumes(nursery, tmp_path):
    port = await start(nursery, options(tmp_path, repeating="sleep n=0.01"))
    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
        await request(ws, "load", reply="loaded")
        await trio.sleep(0.3)
        await send(ws, "pause")
        await trio.sleep(0.2)
        paused = await count_rows(ws, "Transactions")
        assert 0 < paused < 240
        await trio.sleep(0.5)
        # data requests are answered while paused, and nothing moves
        assert await count_rows(ws, "Transactions") == paused
        await send(ws, "unpause")
        await trio.sleep(0.5)
        assert await count_rows(ws, "Transactions") > paused
        await send(ws, "shutdown", {"when": "now"})


@pytest.mark.parametrize("when", ["now", "empty"])
async def test_shutdown_closes_clients_flushes_and_returns(tmp_path, when):
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            port = await start(nursery, options(tmp_path, repeating="sleep n=0.005"))
            async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
                await request(ws, "load", reply="loaded")
                await trio.sleep(0.2)
                await send(ws, "echo", {"s": "queued"})
                await send(ws, "shutdown", {"when": when})
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await ws.get_message()
                assert closed.value.reason.code == 1001
        # serve() returned: the nursery closed by itself
    db = sqlite3.connect(tmp_path / "out.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    early, end = db.execute("SELECT EarlyTerm, EndTime FROM Finish").fetchone()
    steps = db.execute("SELECT MAX(Time) FROM Transactions").fetchone()[0]
    assert end == steps  # every recorded step is complete up to the last one
    assert early == (end < 119)


async def test_two_clients_get_broadcasts_but_only_their_own_replies(nursery, tmp_path):
    port = await start(nursery, options(tmp_path, heartbeat=0.1))
    async with open_websocket(HOST, port, "/", use_ssl=False) as a, \
            open_websocket(HOST, port, "/", use_ssl=False) as b:
        await receive(a, "heartbeat")
        await receive(b, "heartbeat")
        await send(a, "echo", {"s": "for a"})
        assert (await receive(a, "echo"))["data"] == "for a"
        with trio.move_on_after(0.3) as quiet:
            await receive(b, "echo")
        assert quiet.cancelled_caught
        assert (await receive(b, "heartbeat"))["event"] == "heartbeat"


async def test_client_that_never_reads_is_dropped_without_stalling_others(nursery, tmp_path):
    opts = options(tmp_path, repeating="table_data table=Resources", heartbeat=0.05, client_buffer=4)
    port = await start(nursery, opts)
    # a raw client that completes the handshake with a tiny receive buffer, then never reads
    sock = trio.socket.socket()
    sock.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_RCVBUF, 4096)
    await sock.connect((HOST, port))
    stalled = trio.SocketStream(sock)
    await stalled.send_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    assert b"101" in await stalled.receive_some(4096)
    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
        await request(ws, "load", reply="loaded")
        await wait_finished(ws, within=60)
        assert (await request(ws, "echo", {"s": "still here"}))["data"] == "still here"
        await send(ws, "shutdown", {"when": "now"})
    await stalled.aclose()


@pytest.mark.parametrize("message, expected", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"params": {}}', "no 'event'"),
    ('{"event": "bogus_event"}', "unknown event 'bogus_event'"),
    ('{"event": "echo"}', "needs 'params'"),
    ('{"event": "echo", "params": {"s": "x", "extra": 1}}', "extra"),
    ('{"event": "sleep", "params": {"n": -3}}', "between 0 and"),
    ('{"event": "table_data", "params": {"table": "Info", "orient": "sideways"}}', "orient must be one of"),
    ('{"event": "shutdown", "params": {"when": "later"}}', "bad params for 'shutdown'"),
    ('{"event": "load", "params": {"file": "/etc/passwd"}}', "takes no params"),
])
async def test_bad_messages_get_error_events_and_the_connection_stays_open(nursery, tmp_path, message, expected):
    port = await start(nursery, options(tmp_path))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        await ws.send_message(message)
        err = await receive(ws, "error")
        assert err["event"] == "error" and expected in err["data"]["message"]
        assert (await request(ws, "echo", {"s": "ok"}))["data"] == "ok"


async def test_bad_conditions_and_bad_input_are_errors_not_crashes(nursery, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<simulation><control><duration>x</duration></control></simulation>")
    port = await start(nursery, options(tmp_path, input=broken))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        err = await request(ws, "load", reply="loaded")
        assert err["event"] == "error" and "broken.xml:1" in err["data"]["message"]
        assert (await request(ws, "echo", {"s": "alive"}))["data"] == "alive"


async def test_table_data_with_bad_conditions_is_an_error(nursery, tmp_path):
    port = await start(nursery, options(tmp_path, initial="load"))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        await wait_finished(ws)
        err = await request(ws, "table_data", {"table": "Transactions", "conds": [["Nope", "==", 1]]})
        assert err["event"] == "error" and "Nope" in err["data"]["message"]
        err = await request(ws, "table_data", {"table": "Transactions", "conds": [["Time", "~", 1]]})
        assert err["event"] == "error"
