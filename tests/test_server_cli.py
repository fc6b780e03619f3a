"""`cycsrv serve` as a user runs it: a real process, its ready line, exit status and output file."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from server_helpers import EXAMPLE, read_line, receive, request, send, wait_finished
from trio_websocket import open_websocket

from cycsrv.server.cli import parse_action_tokens
from cycsrv.server.events import ProtocolError

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cycsrv", "serve", *args]


async def test_serve_runs_until_shutdown_then_exits_0_with_the_default_output(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "input.xml")
    proc = await trio.lowlevel.open_process(
        serve_command("input.xml", "-p", "0", "--no-dashboard", "--heartbeat", "0.2", "-i", "load"),
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with trio.fail_after(30):
            line = await read_line(proc.stdout)
            assert line.startswith(b"serving cyclus at ws://127.0.0.1:")
            port = int(line.rsplit(b":", 1)[1])
            async with open_websocket("127.0.0.1", port, "/", use_ssl=False, max_message_size=1 << 26) as ws:
                assert (await receive(ws, "heartbeat"))["data"] == 0.2
                await wait_finished(ws)
                # the server stays up after the run and keeps answering
                assert (await request(ws, "echo", {"s": "after"}))["data"] == "after"
                await send(ws, "shutdown", {"when": "empty"})
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    db = sqlite3.connect(tmp_path / "input.sqlite")
    assert db.execute("SELECT EarlyTerm, EndTime FROM Finish").fetchone() == (0, 119)


def test_a_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(serve_command(str(EXAMPLE), "-p", str(port), "--no-dashboard"),
                              cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_action_tokens_are_python_literals_never_evaluated():
    (sleep, table) = parse_action_tokens(["sleep", "n=0.5", "table_data", "table='TimeSeriesPower'",
                                          "conds=[['Time', '>', 3]]"])
    assert (sleep.event, sleep.params.n) == ("sleep", 0.5)
    assert table.params.table == "TimeSeriesPower" and table.params.conds == [["Time", ">", 3]]
    assert parse_action_tokens(["table_data", "table=Info"])[0].params.table == "Info"
    # an expression is not evaluated: it stays a string, and then fails validation
    with pytest.raises(ProtocolError, match="expected a number"):
        parse_action_tokens(["sleep", "n=__import__('os').getpid()"])
    with pytest.raises(ProtocolError, match="unknown event"):
        parse_action_tokens(["bogus", "x=1"])
    with pytest.raises(ProtocolError, match="before any event name"):
        parse_action_tokens(["n=1", "sleep"])
