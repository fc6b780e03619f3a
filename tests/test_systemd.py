"""systemd integration: sd_notify datagrams (path and abstract sockets), the watchdog period,
the notifications a real `cycsrv serve` process sends, and the unit file passing
`systemd-analyze verify`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import trio
from server_helpers import EXAMPLE, send, wait_finished
from trio_websocket import open_websocket

from cycsrv import systemd

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "scripts" / "cycsrv.service"
SOCKET_UNIT = ROOT / "scripts" / "cycsrv.socket"


def listener(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(5)
    return sock


def test_notify_sends_one_datagram_to_a_path_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "notify")
    with listener(path) as sock:
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert systemd.notify("READY=1", "STATUS=up")
        assert sock.recv(4096) == b"READY=1\nSTATUS=up"


def test_notify_supports_the_abstract_namespace(monkeypatch):
    name = f"cycsrv-test-{uuid.uuid4().hex}"
    with listener("\0" + name) as sock:
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert systemd.notify("STOPPING=1")
        assert sock.recv(4096) == b"STOPPING=1"


def test_notify_outside_systemd_or_to_a_dead_socket_does_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not systemd.notify("READY=1")
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    assert not systemd.notify("READY=1")


def test_watchdog_period_is_half_of_watchdog_usec_and_only_for_our_pid(monkeypatch):
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert systemd.watchdog_period() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert systemd.watchdog_period() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert systemd.watchdog_period() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert systemd.watchdog_period() is None
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    monkeypatch.setenv("WATCHDOG_USEC", "soon")
    assert systemd.watchdog_period() is None


async def test_serve_notifies_ready_status_watchdog_then_stopping(tmp_path):
    path = str(tmp_path / "notify")
    sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    await sock.bind(path)
    shutil.copy(EXAMPLE, tmp_path / "input.xml")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}
    env.pop("WATCHDOG_PID", None)
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-m", "cycsrv", "serve", "input.xml", "-p", "0", "--no-dashboard",
         "-i", "load", "-r", "sleep", "n=0.01"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: list[str] = []
    try:
        with trio.fail_after(30):
            while not any(m.startswith("STATUS=time step") for m in seen) or "WATCHDOG=1" not in seen:
                seen += (await sock.recv(4096)).decode().split("\n")
            proc.send_signal(signal.SIGTERM)
            while "STOPPING=1" not in seen:
                seen += (await sock.recv(4096)).decode().split("\n")
            assert await proc.wait() == 0
    finally:
        sock.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    # READY=1 comes first, once the websocket listens; then status and pings; STOPPING last
    assert seen[0] == "READY=1" and seen[1].startswith("STATUS=listening on ws://127.0.0.1:")
    assert seen.index("READY=1") < seen.index("WATCHDOG=1") < seen.index("STOPPING=1")
    steps = [m for m in seen if m.startswith("STATUS=time step")]
    assert " of 120; " in steps[0] and steps[0].endswith("client(s)")


def test_listen_sockets_takes_what_systemd_passed_only_when_meant_for_us(monkeypatch):
    monkeypatch.delenv("LISTEN_PID", raising=False)
    monkeypatch.delenv("LISTEN_FDS", raising=False)
    assert systemd.listen_sockets() == []
    monkeypatch.setenv("LISTEN_PID", str(os.getpid() + 1))  # for another process
    monkeypatch.setenv("LISTEN_FDS", "1")
    assert systemd.listen_sockets() == []
    assert "LISTEN_FDS" not in os.environ  # never passed on to children


async def test_serve_uses_the_sockets_of_a_socket_unit(tmp_path):
    """As systemd does for a .socket unit: bound, listening sockets from fd 3 on, LISTEN_FDS and
    LISTEN_PID (this process's pid after exec); the server and the dashboard use them."""
    ws_sock, http_sock = socket.socket(), socket.socket()
    for s in (ws_sock, http_sock):
        s.bind(("127.0.0.1", 0))
        s.listen()
    ws_port, http_port = ws_sock.getsockname()[1], http_sock.getsockname()[1]
    shutil.copy(EXAMPLE, tmp_path / "input.xml")
    # what systemd does between fork and exec: the sockets at fds 3 and 4, then LISTEN_PID
    activate = (f"import os, sys; os.dup2({ws_sock.fileno()}, 3); os.dup2({http_sock.fileno()}, 4); "
                "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='2'); "
                "os.execv(sys.executable, [sys.executable, '-m', 'cycsrv', 'serve', 'input.xml', '-p', '1', "
                "'-i', 'load'])")
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-c", activate], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        pass_fds=(ws_sock.fileno(), http_sock.fileno()), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ws_sock.close()
    http_sock.close()
    try:
        with trio.fail_after(30):
            line = b""
            while not line.endswith(b"\n") and (chunk := await proc.stdout.receive_some(1)):
                line += chunk
            assert line == f"serving cyclus at ws://127.0.0.1:{ws_port}\n".encode(), \
                (await proc.stderr.receive_some(65536)).decode()
            async with open_websocket("127.0.0.1", ws_port, "/", use_ssl=False, max_message_size=1 << 26) as ws:
                await wait_finished(ws)
                stream = await trio.open_tcp_stream("127.0.0.1", http_port)
                await stream.send_all(b"GET /config.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                page = b""
                while f":{ws_port}".encode() not in page:  # /config.json names the websocket
                    page += await stream.receive_some(65536)
                assert page.startswith(b"HTTP/1.1 200")
                await stream.aclose()
                await send(ws, "shutdown", {"when": "now"})
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed (Debian package: systemd)")
def test_the_unit_file_passes_systemd_analyze_verify(tmp_path):
    # verify insists that ExecStart's binary exists: the shipped units, with the venv's python
    # (/opt/cycsrv, as the README installs it) pointed at this one
    shipped = UNIT.read_text()
    assert "\nExecStart=/opt/cycsrv/bin/python -m cycsrv serve " in shipped
    (tmp_path / "cycsrv.service").write_text(shipped.replace("/opt/cycsrv/bin/python", sys.executable))
    shutil.copy(SOCKET_UNIT, tmp_path / "cycsrv.socket")
    proc = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "cycsrv.service"),
                           str(tmp_path / "cycsrv.socket")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Unknown" not in proc.stderr and "ignoring" not in proc.stderr.lower(), proc.stderr
    text = UNIT.read_text()
    for line in ("Type=notify", "DynamicUser=yes", "StateDirectory=cycsrv", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"):
        assert f"\n{line}\n" in text


MDWE_RUN = """
import ctypes, sys
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit(77)
import pyarrow, numpy  # what the server may load
callback = ctypes.CFUNCTYPE(ctypes.c_int)(lambda: 7)  # a libffi closure
assert callback() == 7
from cycsrv.cli import main
sys.exit(main(["run", sys.argv[1], "-o", sys.argv[2], "-q"]))
"""


def test_a_run_works_under_memory_deny_write_execute(tmp_path):
    """The kernel rule behind MemoryDenyWriteExecute=yes (PR_SET_MDWE, Linux 6.3+) on this
    Python build: a whole simulation, pyarrow, numpy and a ctypes callback still work."""
    proc = subprocess.run([sys.executable, "-c", MDWE_RUN, str(EXAMPLE), str(tmp_path / "out.sqlite")],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)
    if proc.returncode == 77:
        pytest.skip("the kernel has no PR_SET_MDWE (Linux < 6.3)")
    assert proc.returncode == 0, proc.stderr
