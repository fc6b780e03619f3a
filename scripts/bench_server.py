#!/usr/bin/env python3
"""Server benchmark: echo round trips, table_data pushes, pause latency, memory per slow
client, rendering vs pandas.

Usage: scripts/bench_server.py [--seconds S] [--slow-clients N]

Starts `cycsrv serve` in a child process on a free loopback port and drives it with
trio-websocket clients from this process. Targets from the server issue: echo p50 round trip
under 1 ms; table_data rendering at least 3x faster than pandas `to_json`; pause effective
within one time step. Slow clients: the peak memory of a server streaming a table every step
to one fast reader, then to the same plus N readers taking one message every 0.5 s, then plus
N that read nothing; the difference over N is what one such client costs. Figures are ratios,
latencies and memory measured in this run.
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


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


async def stream_to(port: int, slow: int, stopped: int) -> tuple[int, int]:
    """Load, then read the per-step stream with one fast client, `slow` clients that take one
    message every 0.5 s and `stopped` ones that take none, until the run ends; (messages the
    fast client got, messages the slow ones got in all)."""
    got = {"fast": 0, "slow": 0}
    finished = trio.Event()

    async def reader(kind: str, pause: float, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with await connect(port) as ws:
            task_status.started()
            while not finished.is_set():
                msg = orjson.loads(await ws.get_message())
                if msg["event"] == "table_data":
                    got[kind] += 1
                    if kind == "fast" and isinstance(msg["data"], list) and msg["data"] \
                            and max(row[6] for row in msg["data"]) >= STREAM_STEPS - 1:
                        finished.set()
                await trio.sleep(pause)

    async def idle(task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with await connect(port):
            task_status.started()
            await finished.wait()

    async with trio.open_nursery() as nursery:
        await nursery.start(reader, "fast", 0)
        for _ in range(slow):
            await nursery.start(reader, "slow", 0.5)
        for _ in range(stopped):
            await nursery.start(idle)
        async with await connect(port) as ws:
            await ws.send_message('{"event":"load"}')
            await reply(ws, "loaded")
        with trio.fail_after(300):
            await finished.wait()
        nursery.cancel_scope.cancel()
    return got["fast"], got["slow"]


#: Steps of the streaming run: 10 transactions a step, so the streamed table grows to 10,000 rows.
STREAM_STEPS = 1000


def slow_client_memory(tmp: Path, n: int) -> None:
    """Print the server's peak memory with 0 / n slow / n stopped clients besides a fast one."""
    peaks = {}
    for label, slow, stopped in (("1 fast reader", 0, 0), (f"+ {n} slow readers", n, 0),
                                 (f"+ {n} stopped readers", 0, n)):
        port = free_port()
        server = start_server(tmp, port, STREAM_STEPS, "-r", "table_data", "table=Transactions", "orient=values",
                              "sleep", "n=0.003", "--client-timeout", "600")
        try:
            fast, slow_got = trio.run(stream_to, port, slow, stopped)
            peaks[label] = peak_rss_kib(server.pid)
        finally:
            server.terminate()
            server.wait(10)
        extra = f", slow readers got {slow_got} tables in all" if slow else ""
        print(f"streaming {STREAM_STEPS} steps, {label:>20}: peak RSS {peaks[label] / 1024:7.1f} MiB "
              f"(fast reader got {fast} tables{extra})")
    base = peaks["1 fast reader"]
    for label in list(peaks)[1:]:
        print(f"  memory per client ({label.removeprefix('+ ')}): {(peaks[label] - base) / n:+.0f} KiB")


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
    ap.add_argument("--slow-clients", type=int, default=20)
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
        slow_client_memory(tmp, a.slow_clients)
    print("rendering vs pandas (scripts/bench_orient.py):")
    print(render_ratio())
    return 0


if __name__ == "__main__":
    sys.exit(main())
