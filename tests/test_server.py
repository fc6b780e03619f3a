"""The server, driven over real websockets: every event, pause, shutdown, several clients,
slow clients and bad messages."""

from __future__ import annotations

import functools
import itertools
import json
import logging
import sqlite3
import time
import uuid

import pandas as pd
import pytest
import trio
from server_helpers import count_rows, network_input, options, receive, request, send, start, wait_finished
from trio_websocket import ConnectionClosed, HandshakeError, open_websocket

from cycsrv.server.app import serve
from cycsrv.server.outbox import Outbox

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


def masked_text_frame(text: str) -> bytes:
    """A client-to-server text frame (masked with a zero key, which leaves the payload as is)."""
    payload = text.encode()
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each complete unmasked server frame in `data`."""
    frames, i = [], 0
    while i + 2 <= len(data):
        opcode, n, i = data[i] & 0x0F, data[i + 1] & 0x7F, i + 2
        if n == 126:
            n, i = int.from_bytes(data[i:i + 2], "big"), i + 2
        elif n == 127:
            n, i = int.from_bytes(data[i:i + 8], "big"), i + 8
        if i + n > len(data):
            break
        frames.append((opcode, data[i:i + n]))
        i += n
    return frames


async def test_client_that_stops_reading_is_closed_with_1013_and_others_carry_on(nursery, tmp_path, caplog):
    caplog.set_level(logging.WARNING)  # an earlier test may have left the root logger at ERROR
    port = await start(nursery, options(tmp_path, initial="load", heartbeat=0.05, client_buffer=4))
    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
        await wait_finished(ws)
        # a raw client with a tiny receive buffer asks for far more than it reads
        sock = trio.socket.socket()
        sock.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_RCVBUF, 4096)
        await sock.connect((HOST, port))
        slow = trio.SocketStream(sock)
        await slow.send_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += await slow.receive_some(1)
        assert b" 101 " in head
        ask = masked_text_frame('{"event":"table_data","params":{"table":"Transactions","orient":"records"}}')
        with trio.fail_after(20):
            # one burst, well over the reply bound; sent once so the server has read every byte
            # when it closes (more writes after that would make the close a reset)
            await slow.send_all(ask * 40)
            while "cannot keep up" not in caplog.text:  # noqa: ASYNC110 (a log line, not an event)
                await trio.sleep(0.01)
            # the other client and the server are unaffected
            assert (await request(ws, "echo", {"s": "still here"}))["data"] == "still here"
            # the slow client, once it reads again, finds whole frames and then a 1013 close
            received = b""
            while chunk := await slow.receive_some(1 << 16):
                received += chunk
        frames = server_frames(received)
        opcode, payload = frames[-1]
        assert opcode == 0x8 and int.from_bytes(payload[:2], "big") == 1013
        assert b"too slow" in payload[2:]
        assert all(json.loads(body)["event"] in ("table_data", "heartbeat") for op, body in frames[:-1])
        await slow.aclose()
        await send(ws, "shutdown", {"when": "now"})


async def test_outbox_keeps_replies_in_order_and_one_message_per_stream_in_its_place():
    box = Outbox(limit=2)
    assert box.put_nowait("table@1", "table") and box.put_nowait("echo a")
    assert box.put_nowait("heartbeat@1", "hb") and box.put_nowait("table@2", "table")
    assert box.put_nowait("echo b")
    assert not box.put_nowait("echo c")  # a third unsent reply is over the limit
    got = [(await box.get())[0] for _ in range(4)]
    assert got == ["table@2", "echo a", "heartbeat@1", "echo b"]  # the newer table, where the older stood
    assert box.put_nowait("echo c")  # sent replies no longer count
    box.close()
    assert (await box.get())[0] == "echo c"
    with pytest.raises(trio.EndOfChannel):
        await box.get()


STREAM = "table_data table=Transactions orient=values"


def last_step(db_path) -> int:
    """The last time step the simulation has committed to its SQLite output."""
    for _ in range(500):
        try:
            with sqlite3.connect(db_path) as db:
                return db.execute("SELECT MAX(Time) FROM Transactions").fetchone()[0] or 0
        except sqlite3.OperationalError:  # locked while the loader writes, or no table yet
            time.sleep(0.01)
    raise AssertionError(f"cannot read {db_path}")


async def test_a_client_reading_every_half_second_keeps_its_stream_and_gets_its_replies(nursery, tmp_path):
    xml = network_input(tmp_path / "long.xml", 100000)
    port = await start(nursery, options(tmp_path, input=xml, initial="load", heartbeat=60, repeating=STREAM))
    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
        await receive(ws, "loaded")
        reads: list[tuple[str, object, int]] = []  # (event, data, last committed step right after)
        with trio.fail_after(40):
            while len(reads) < 14 or sum(e in ("echo", "table_names") for e, _, _ in reads) < 4:
                await trio.sleep(0.5)  # a page that takes half a second to draw each message
                msg = json.loads(await ws.get_message())
                reads.append((msg["event"], msg["data"], last_step(tmp_path / "out.sqlite")))
                if len(reads) in (3, 8):
                    await send(ws, "echo", {"s": f"after read {len(reads)}"})
                    await send(ws, "table_names_request")
        assert ws.closed is None  # still connected after 7+ s of slow reading
        events = [e for e, _, _ in reads]
        replies = [(e, d) for e, d, _ in reads if e in ("echo", "table_names")]
        assert [e for e, _ in replies] == ["echo", "table_names", "echo", "table_names"]
        assert [d for e, d in replies if e == "echo"] == ["after read 3", "after read 8"]
        assert all("Transactions" in d for e, d in replies if e == "table_names")
        tables = [(i, max(row[6] for row in d)) for i, (e, d, _) in enumerate(reads) if e == "table_data"]
        assert len(tables) >= 8 and events.count("error") == 0
        # each table is the newest there was once the client had taken the one before it: it
        # was sent when that one reached the client's queue, right after the read before it
        for (prev, _), (_, t) in itertools.pairwise(tables):
            if prev >= 1:
                assert t >= reads[prev - 1][2] - 1, (reads[prev - 1][2], t)
        times = [t for _, t in tables]
        assert times == sorted(times) and times[-1] - times[0] > 5 * len(times)  # not every step: the newest
        await send(ws, "shutdown", {"when": "now"})


async def test_a_client_that_stops_reading_is_dropped_and_the_simulation_goes_on(nursery, tmp_path, caplog):
    xml = network_input(tmp_path / "long.xml", 100000)
    port = await start(nursery, options(tmp_path, input=xml, initial="load", repeating=STREAM, client_timeout=1))
    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as stopped:
        with trio.fail_after(20):
            await receive(stopped, "loaded")
            first = last_step(tmp_path / "out.sqlite")
            for _ in range(150):  # `stopped` reads nothing meanwhile
                if "read nothing for 1 s" in caplog.text:
                    break
                await trio.sleep(0.1)
            assert last_step(tmp_path / "out.sqlite") > first + 50  # the run went on meanwhile
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await stopped.get_message()
        assert closed.value.reason.code == 1013 and "read nothing" in closed.value.reason.reason
    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as probe:
        assert (await request(probe, "echo", {"s": "still here"}))["data"] == "still here"
        later = last_step(tmp_path / "out.sqlite")
        await trio.sleep(0.3)
        assert last_step(tmp_path / "out.sqlite") > later
        await send(probe, "shutdown", {"when": "now"})


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


FAILING_ARCHETYPE = '''
from cycsrv.kernel.agent import Facility


class Faulty(Facility):
    """Raises during its third tick."""

    def tick(self) -> None:
        if self.context.time == 2:
            raise RuntimeError("faulty facility broke")
'''


async def test_failing_simulation_reports_an_error_and_the_server_stays_up(nursery, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, "cycsrv.server")
    (tmp_path / "cycsrv_test_faulty.py").write_text(FAILING_ARCHETYPE)
    xml = tmp_path / "faulty.xml"
    xml.write_text(
        "<simulation><control><duration>10</duration><startmonth>1</startmonth><startyear>2020</startyear>"
        "</control><archetypes><spec><lib>cycsrv_test_faulty</lib><name>Faulty</name></spec>"
        "<spec><lib>agents</lib><name>NullRegion</name></spec><spec><lib>agents</lib><name>NullInst</name></spec>"
        "</archetypes><facility><name>f</name><config><Faulty/></config></facility>"
        "<region><name>r</name><config><NullRegion/></config><institution><name>i</name><config><NullInst/>"
        "</config><initialfacilitylist><entry><prototype>f</prototype><number>1</number></entry>"
        "</initialfacilitylist></institution></region><recipe><name>r</name><basis>mass</basis>"
        "<nuclide><id>U235</id><comp>1</comp></nuclide></recipe></simulation>")
    port = await start(nursery, options(tmp_path, input=xml))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        loaded = await request(ws, "load", reply="loaded")
        assert loaded["event"] == "loaded", loaded
        err = await receive(ws, "error")
        assert "simulation failed at time step 2" in err["data"]["message"]
        assert "faulty facility broke" in err["data"]["message"]
        assert (await request(ws, "echo", {"s": "alive"}))["data"] == "alive"
        # the operator's log: one ERROR line with the message; the traceback only at debug level
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and "faulty facility broke" in errors[0].getMessage()
        assert errors[0].exc_info is None
        assert any(r.exc_info for r in caplog.records if r.levelname == "DEBUG")
        finish = await request(ws, "table_data", {"table": "Finish", "orient": "records"})
        assert finish["data"][0]["EarlyTerm"] == 1
        await send(ws, "shutdown", {"when": "now"})


async def test_handshake_check_refuses_a_client_and_admits_the_next(nursery, tmp_path):
    async def only_with_token(request) -> bool:
        return request.path == "/?token=secret"

    opts = options(tmp_path)
    port = await nursery.start(functools.partial(serve, opts, on_handshake=only_with_token))
    with pytest.raises(HandshakeError):
        async with open_websocket(HOST, port, "/?token=wrong", use_ssl=False):
            pass
    async with open_websocket(HOST, port, "/?token=secret", use_ssl=False) as ws:
        assert (await request(ws, "echo", {"s": "in"}))["data"] == "in"
        await send(ws, "shutdown", {"when": "now"})


async def test_two_loads_at_once_load_once(nursery, tmp_path):
    port = await start(nursery, options(tmp_path))
    async with open_websocket(HOST, port, "/", use_ssl=False) as a, \
            open_websocket(HOST, port, "/", use_ssl=False) as b:
        await send(a, "load")
        await send(b, "load")
        replies = sorted([(await receive(a, "loaded"))["event"], (await receive(b, "loaded"))["event"]])
        assert replies == ["error", "loaded"]
        await send(a, "shutdown", {"when": "now"})
