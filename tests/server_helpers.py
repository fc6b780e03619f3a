"""Helpers for driving a real `cycsrv` server over real websockets in tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import trio
from trio_websocket import WebSocketConnection

from cycsrv.server.app import serve
from cycsrv.server.cli import parse_action_tokens
from cycsrv.server.state import ServeOptions

EXAMPLE = Path(__file__).resolve().parent.parent / "cycsrv" / "examples" / "source_to_sink.xml"


def options(tmp_path: Path, *, repeating: str = "", initial: str = "", **kw: Any) -> ServeOptions:
    return ServeOptions(
        input=str(kw.pop("input", EXAMPLE)), output=str(tmp_path / "out.sqlite"), port=0,
        repeating_actions=parse_action_tokens(repeating.split()),
        initial_actions=parse_action_tokens(initial.split()),
        heartbeat=kw.pop("heartbeat", 0.5), **kw)


async def start(nursery: trio.Nursery, opts: ServeOptions) -> int:
    """Start a server in `nursery`; returns its port."""
    return await nursery.start(serve, opts)


async def read_line(stream: trio.abc.ReceiveStream) -> bytes:
    """One line from a child's stdout (its "serving cyclus at ..." line); fails if it exits first."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = await stream.receive_some(1)
        assert chunk, "serve exited before it was ready"
        line += chunk
    return line


async def send(ws: WebSocketConnection, event: str, params: Any = None) -> None:
    message: dict[str, Any] = {"event": event}
    if params is not None:
        message["params"] = params
    await ws.send_message(json.dumps(message))


async def receive(ws: WebSocketConnection, *events: str, within: float = 10) -> dict[str, Any]:
    """The next message whose event is one of `events` (or an error), skipping the rest."""
    with trio.fail_after(within):
        while True:
            msg = json.loads(await ws.get_message())
            if msg["event"] in events or msg["event"] == "error":
                return msg


async def request(ws: WebSocketConnection, event: str, params: Any = None, reply: str | None = None) -> dict:
    await send(ws, event, params)
    return await receive(ws, reply or event)


async def wait_finished(ws: WebSocketConnection, within: float = 30) -> None:
    """Poll until the simulation wrote its Finish row."""
    with trio.fail_after(within):
        while True:
            msg = await request(ws, "table_data", {"table": "Finish"})
            if isinstance(msg["data"], dict) and msg["data"]["data"]:
                return
            await trio.sleep(0.05)


async def count_rows(ws: WebSocketConnection, table: str) -> int:
    msg = await request(ws, "table_data", {"table": table, "orient": "values"})
    return len(msg["data"]) if isinstance(msg["data"], list) else 0


def network_input(path: Path, steps: int, pairs: int = 2) -> Path:
    """`pairs` agents Sources each shipping 1 kg a step to its own Sink, for `steps` steps."""
    facs = "".join(
        f"<facility><name>src{i}</name><config><Source><commod>u{i}</commod><recipe_name>r</recipe_name>"
        f"<capacity>1</capacity></Source></config></facility>"
        f"<facility><name>snk{i}</name><config><Sink><in_commods><val>u{i}</val></in_commods>"
        f"<capacity>1</capacity></Sink></config></facility>" for i in range(pairs))
    entries = "".join(f"<entry><prototype>{k}{i}</prototype><number>1</number></entry>"
                      for i in range(pairs) for k in ("src", "snk"))
    libs = "".join(f"<spec><lib>agents</lib><name>{n}</name></spec>" for n in ("Source", "Sink", "NullRegion", "NullInst"))
    path.write_text(
        f"<simulation><control><duration>{steps}</duration><startmonth>1</startmonth><startyear>2000</startyear>"
        f"</control><archetypes>{libs}</archetypes>{facs}<region><name>R</name><config><NullRegion/></config>"
        f"<institution><name>I</name><initialfacilitylist>{entries}</initialfacilitylist><config><NullInst/>"
        "</config></institution></region><recipe><name>r</name><basis>mass</basis><nuclide><id>U235</id>"
        "<comp>1</comp></nuclide></recipe></simulation>")
    return path
