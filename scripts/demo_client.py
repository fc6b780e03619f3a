#!/usr/bin/env python3
"""A small client for `cycsrv serve`: load, watch a table grow, pause, resume, shut down.

Usage: scripts/demo_client.py [ws://127.0.0.1:4242] [--table Transactions] [--shutdown]

Start a server first (`cycsrv serve cycsrv/examples/source_to_sink.xml -r sleep n=0.02`).
Only the public protocol is used, so this is also a template for your own scripts.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import trio
from trio_websocket import WebSocketConnection, open_websocket_url


async def send(ws: WebSocketConnection, event: str, params: Any = None) -> None:
    message: dict[str, Any] = {"event": event}
    if params is not None:
        message["params"] = params
    await ws.send_message(json.dumps(message))


async def reply(ws: WebSocketConnection, event: str) -> dict[str, Any]:
    """The next `event` (or `error`) message, printing heartbeats as they pass."""
    while True:
        msg = json.loads(await ws.get_message())
        if msg["event"] == "heartbeat":
            print(f"  heartbeat (next in {msg['data']} s)")
        elif msg["event"] in (event, "error"):
            if msg["event"] == "error":
                print(f"  error: {msg['data']['message']}")
            return msg


async def rows(ws: WebSocketConnection, table: str) -> int:
    await send(ws, "table_data", {"table": table, "orient": "values"})
    data = (await reply(ws, "table_data"))["data"]
    return len(data) if isinstance(data, list) else 0


async def finished(ws: WebSocketConnection) -> bool:
    return await rows(ws, "Finish") > 0


async def main(url: str, table: str, shutdown: bool) -> None:
    async with open_websocket_url(url, max_message_size=1 << 28) as ws:
        await send(ws, "load")
        msg = await reply(ws, "loaded")
        print(f"load -> {msg['event']}")
        await trio.sleep(0.5)
        await send(ws, "pause")
        await trio.sleep(0.2)
        held = await rows(ws, table)
        await trio.sleep(1.0)
        print(f"paused: {table} has {held} rows, one second later {await rows(ws, table)}")
        await send(ws, "unpause")
        while not await finished(ws):
            print(f"running: {table} has {await rows(ws, table)} rows")
            await trio.sleep(0.5)
        print(f"finished: {table} has {await rows(ws, table)} rows")
        await send(ws, "table_names_request")
        print(f"tables on disk: {', '.join((await reply(ws, 'table_names'))['data'])}")
        if shutdown:
            await send(ws, "shutdown", {"when": "empty"})


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", nargs="?", default="ws://127.0.0.1:4242")
    ap.add_argument("--table", default="Transactions")
    ap.add_argument("--shutdown", action="store_true", help="shut the server down at the end")
    a = ap.parse_args()
    trio.run(main, a.url, a.table, a.shutdown)
