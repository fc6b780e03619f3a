"""Hypothesis throws arbitrary bytes, arbitrary JSON and near-valid events at one running server:
every message gets an answer or an error event (or a clean close), and the server keeps
answering afterwards. The server runs in its own thread (its own trio loop) for the module;
each example is one client connection in a fresh trio run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from server_helpers import options
from trio_websocket import open_websocket

from cycsrv.server import events
from cycsrv.server.app import serve

HOST = "127.0.0.1"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def server_port(tmp_path_factory) -> Iterator[int]:
    """One server (max message 64 KiB) in a thread for the whole module; stopped at the end."""
    opts = options(tmp_path_factory.mktemp("fuzz"), heartbeat=60, max_message_size=1 << 16)
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def run() -> None:
        async with trio.open_nursery() as nursery:
            box["port"] = await nursery.start(serve, opts)
            box["token"] = trio.lowlevel.current_trio_token()
            box["scope"] = nursery.cancel_scope
            ready.set()

    def main() -> None:
        try:
            trio.run(run)
        except BaseException as exc:  # a crash is what these tests look for
            box["crash"] = exc
            ready.set()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(30) and "crash" not in box
    yield box["port"]
    assert thread.is_alive() and "crash" not in box, box.get("crash")
    trio.from_thread.run_sync(box["scope"].cancel, trio_token=box["token"])
    thread.join(10)
    assert "crash" not in box, box["crash"]


def exchange(port: int, message: str | bytes) -> None:
    """Send `message`, then an echo: every reply before the echo is well-formed JSON with an
    event, the echo comes back, and a new client is served."""

    async def main() -> None:
        with trio.fail_after(20):
            async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=1 << 26) as ws:
                # a message within the size limit never closes the connection (ConnectionClosed
                # fails the test): it is answered, or gets an error event
                await ws.send_message(message)
                await ws.send_message('{"event": "echo", "params": {"s": "probe"}}')
                while True:
                    reply = json.loads(await ws.get_message())
                    assert isinstance(reply, dict) and reply["event"] in events.EVENTS | {
                        "error", "heartbeat", "loaded", "registry", "table_names"}
                    if reply["event"] == "error":
                        assert isinstance(reply["data"]["message"], str)
                    if reply["event"] == "echo" and reply["data"] == "probe":
                        break
            async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
                await ws.send_message('{"event": "echo", "params": {"s": "alive"}}')
                while json.loads(await ws.get_message()).get("data") != "alive":
                    pass

    trio.run(main)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)

PARAM_KEYS = ["s", "n", "spec", "table", "tables", "conds", "orient", "when"]
near_valid = st.fixed_dictionaries(
    {"event": st.sampled_from(sorted(events.EVENTS)) | st.text(max_size=12)},
    optional={"params": st.none() | json_values | st.dictionaries(st.sampled_from(PARAM_KEYS), json_values,
                                                                   max_size=4),
              "data": json_values})


def is_shutdown(message: Any) -> bool:
    """A valid shutdown would stop the shared server; it has its own tests."""
    try:
        return events.parse_message(json.dumps(message)).event == "shutdown"
    except events.ProtocolError:
        return False


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_bytes_and_text(server_port, payload):
    exchange(server_port, payload)


@FUZZ
@given(json_values)
def test_arbitrary_json(server_port, value):
    assume(not is_shutdown(value))
    exchange(server_port, json.dumps(value))


@FUZZ
@given(near_valid)
def test_near_valid_events(server_port, message):
    assume(not is_shutdown(message))
    if message["event"] == "sleep" and isinstance(message.get("params"), dict):
        assume(not isinstance(message["params"].get("n"), (int, float)) or message["params"]["n"] < 1)
    exchange(server_port, json.dumps(message))


@FUZZ
@given(st.binary(min_size=1, max_size=200))
def test_arbitrary_frames_after_the_handshake(server_port, garbage):
    """Raw bytes where websocket frames belong: the connection may close, the server carries on."""
    handshake = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")

    async def main() -> None:
        with trio.fail_after(20):
            stream = await trio.open_tcp_stream(HOST, server_port)
            try:
                await stream.send_all(handshake + garbage)
                with trio.move_on_after(0.05):
                    while await stream.receive_some():
                        pass
            except trio.BrokenResourceError:
                pass
            finally:
                await stream.aclose()

    trio.run(main)
    exchange(server_port, '{"event": "echo", "params": {"s": "after garbage"}}')
