#!/usr/bin/env python3
"""Server benchmark: echo round trips, table_data pushes, pause latency, rendering vs pandas.

Usage: scripts/bench_server.py [--seconds S]

Starts `cycsrv serve` in a child process on a free loopback port and drives it with
trio-websocket clients from this process. Targets from the server issue: echo p50 round trip
under 1 ms; table_data rendering at least 3x faster than pandas `to_json`; pause effective
within one time step. Figures are ratios and latencies measured in this run.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import trio
from trio_websocket import open_websocket

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def network_input(path: Path, steps: int) -> None:
    """10 sources and 10 sinks on one commodity: 10 transactions per step."""
    facs = "".join(
        f"<facility><name>src{i}</name><config><Source><commod>u</commod><recipe_name>r</recipe_name>"
        f"<capacity>1</capacity></Source></config></facility>"
        f"<facility><name>snk{i}</name><config><Sink><in_commods><val>u</val></in_commods>"
        f"<capacity>1</capacity></Sink></config></facility>" for i in range(10))
    entries = "".join(f"<entry><prototype>{k}{i}</prototype><number>1</number></entry>"
                      for i in range(10) for k in ("src", "snk"))
    path.write_text(
        f"<simulation><control><duration>{steps}</duration><startmonth>1</startmonth><startyear>2000</startyear>"
        "</control><archetypes><spec><lib>agents</lib><name>Source</name></spec><spec><lib>agents</lib>"
        "<name>Sink</name></spec><spec><lib>agents</lib><name>NullRegion</name></spec><spec><lib>agents</lib>"
        f"<name>NullInst</name></spec></archetypes>{facs}<region><name>R</name><config><NullRegion/></config>"
        f"<institution><name>I</name><initialfacilitylist>{entries}</initialfacilitylist><config><NullInst/>"
        "</config></institution></region><recipe><name>r</name><basis>mass</basis><nuclide><id>U235</id>"
        "<comp>1</comp></nuclide></recipe></simulation>")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


async def connect(port: int):
    return open_websocket(HOST, port, "/", use_ssl=False, max_message_size=1 << 28, receive_buffer_size=1 << 16)


async def reply(ws, event: str) -> dict:
    while True:
        msg = orjson.loads(await ws.get_message())
        if msg["event"] in (event, "error"):
            return msg


async def echo_clients(port: int, clients: int, seconds: float) -> tuple[float, float]:
    """(round trips per second in total, p50 latency in ms)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        async with await connect(port) as ws:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                await ws.send_message('{"event":"echo","params":{"s":"x"}}')
                await reply(ws, "echo")
                latencies.append(time.perf_counter() - t0)

    async with trio.open_nursery() as nursery:
        for _ in range(clients):
            nursery.start_soon(one)
    return len(latencies) / seconds, statistics.median(latencies) * 1000


async def table_pushes(port: int, seconds: float) -> tuple[int, float]:
    """(rows in the table, table_data replies per second)."""
    async with await connect(port) as ws:
        await ws.send_message('{"event":"table_data","params":{"table":"Transactions","orient":"values"}}')
        rows = len((await reply(ws, "table_data"))["data"])
        n = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            await ws.send_message('{"event":"table_data","params":{"table":"Transactions"}}')
            await reply(ws, "table_data")
            n += 1
        return rows, n / (time.perf_counter() - t0)


async def max_time(ws) -> int:
    await ws.send_message('{"event":"table_data","params":{"table":"Transactions","conds":[["Time",">=",0]],'
                          '"orient":"values"}}')
    data = (await reply(ws, "table_data"))["data"]
    return max((row[6] for row in data), default=-1) if isinstance(data, list) else -1


async def pause_latency(port: int) -> tuple[int, float]:
    """(steps completed after pause was sent, ms until the simulation stood still)."""
    async with await connect(port) as ws:
        await ws.send_message('{"event":"load"}')
        await reply(ws, "loaded")
        await trio.sleep(0.5)
        before = await max_time(ws)
        t0 = time.perf_counter()
        await ws.send_message('{"event":"pause"}')
        last, stable_at = await max_time(ws), time.perf_counter()
        while time.perf_counter() - t0 < 1.0:
            now = await max_time(ws)
            if now != last:
                last, stable_at = now, time.perf_counter()
        await ws.send_message('{"event":"shutdown","params":{"when":"now"}}')
        return last - before, (stable_at - t0) * 1000


def start_server(tmp: Path, port: int, steps: int, *extra: str) -> subprocess.Popen:
    inp = tmp / f"bench{steps}.xml"
    network_input(inp, steps)
    proc = subprocess.Popen([sys.executable, "-m", "cycsrv", "serve", str(inp), "-o", str(tmp / f"o{port}.sqlite"),
                             "-p", str(port), "--no-dashboard", "--log-level", "WARNING", *extra],
                            stdout=subprocess.PIPE, text=True, cwd=tmp)
    assert proc.stdout is not None and "serving cyclus" in proc.stdout.readline()
    return proc


def render_ratio() -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_orient.py")], capture_output=True, text=True)
    return proc.stdout.strip() or proc.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        port = free_port()
        server = start_server(tmp, port, 1000, "-i", "load")
        try:
            time.sleep(3)  # let the 1000-step run (10,000 transactions) finish
            for clients in (1, 10):
                rate, p50 = trio.run(echo_clients, port, clients, a.seconds)
                print(f"echo, {clients:>2} client(s): {rate:8.0f} round trips/s, p50 {p50:.3f} ms")
            rows, rate = trio.run(table_pushes, port, a.seconds)
            print(f"table_data, {rows} rows (split): {rate:.1f} replies/s")
        finally:
            server.terminate()
            server.wait(10)
        port = free_port()
        server = start_server(tmp, port, 100000, "-r", "sleep", "n=0.01")
        try:
            steps, ms = trio.run(pause_latency, port)
            print(f"pause: {steps} step(s) completed after pause was sent; still after {ms:.1f} ms")
        finally:
            server.wait(10)
    print("rendering vs pandas (scripts/bench_orient.py):")
    print(render_ratio())
    return 0


if __name__ == "__main__":
    sys.exit(main())
