"""`cycsrv serve` as a service: settings from CLI/environment/file, signals, no data lost after
SIGTERM or kill -9, access control (token, origins, TLS), rate and size limits, bad clients,
and 100 clients coming and going while a table streams every step."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
import trio
from server_helpers import EXAMPLE, options, read_line, receive, request, send, start, wait_finished
from trio_websocket import ConnectionClosed, ConnectionRejected, open_websocket

from cycsrv.cli import make_parser
from cycsrv.server import logs
from cycsrv.server.cli import options_from_args
from cycsrv.server.config import ConfigError
from cycsrv.server.security import AccessPolicy, RateLimiter, server_ssl_context

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
HOST = "127.0.0.1"
BIG = 1 << 26


# --- settings ------------------------------------------------------------------------------
def settings(argv: list[str], environ: dict[str, str] | None = None):
    return options_from_args(make_parser().parse_args(["serve", *argv]), environ or {})


def test_cli_beats_environment_beats_config_file_beats_defaults(tmp_path):
    config = tmp_path / "cycsrv.toml"
    config.write_text('input = "in.xml"\nport = 1111\nheartbeat = 2\nhost = "0.0.0.0"\n'
                      'repeating_actions = ["table_data", "table=Transactions"]\n')
    env = {"CYCSRV_PORT": "2222", "CYCSRV_HOST": "::1", "CYCSRV_ALLOW_ORIGIN": "http://a http://b"}
    opts = settings(["--config", str(config), "-p", "3333"], env)
    assert (opts.input, opts.port, opts.host, opts.heartbeat) == ("in.xml", 3333, "::1", 2.0)
    assert opts.repeating_actions[0].params.table == "Transactions"
    assert opts.access.origins == ("http://a", "http://b")
    opts = settings(["--config", str(config)], env)
    assert opts.port == 2222
    opts = settings(["x.xml"], {"CYCSRV_CONFIG": str(config)})
    assert (opts.input, opts.port, opts.host) == ("x.xml", 1111, "0.0.0.0")
    opts = settings(["x.xml"])
    assert (opts.port, opts.host, opts.heartbeat, opts.output) == (4242, "127.0.0.1", 5.0, "x.sqlite")
    assert opts.handle_signals and opts.access == AccessPolicy()


def test_bad_settings_are_errors_that_name_the_setting(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('input = "in.xml"\nprot = 1\n')
    with pytest.raises(ConfigError, match="unknown key 'prot'"):
        settings(["--config", str(config)])
    config.write_text('port = "eighty"\n')
    with pytest.raises(ConfigError, match="key 'port': expected int"):
        settings(["in.xml", "--config", str(config)])
    with pytest.raises(ConfigError, match="CYCSRV_HEARTBEAT: expected float"):
        settings(["in.xml"], {"CYCSRV_HEARTBEAT": "often"})
    with pytest.raises(ConfigError, match="CYCSRV_PROT: not a cycsrv serve setting"):
        settings(["in.xml"], {"CYCSRV_PROT": "1"})
    with pytest.raises(ConfigError, match="no input file"):
        settings([])
    with pytest.raises(ConfigError, match="token_file"):
        settings(["in.xml", "--token-file", str(tmp_path / "missing")])
    with pytest.raises(ConfigError, match="keyfile: given without certfile"):
        settings(["in.xml", "--keyfile", "k.pem"])
    with pytest.raises(ConfigError, match="certfile/keyfile: cannot load"):
        settings(["in.xml", "--certfile", str(tmp_path / "none.pem")])
    with pytest.raises(ConfigError, match=r"config file .*missing\.toml"):
        settings(["in.xml", "--config", str(tmp_path / "missing.toml")])
    with pytest.raises(ConfigError, match="client_timeout: must be a positive number"):
        settings(["in.xml"], {"CYCSRV_CLIENT_TIMEOUT": "0"})
    with pytest.raises(ConfigError, match="log_level: must be one of DEBUG, INFO, WARNING, ERROR"):
        settings(["in.xml"], {"CYCSRV_LOG_LEVEL": "chatty"})


def test_the_client_timeout_reaches_the_options_from_each_source():
    assert settings(["in.xml"]).client_timeout == 30.0
    assert settings(["in.xml", "--client-timeout", "2.5"]).client_timeout == 2.5
    assert settings(["in.xml"], {"CYCSRV_CLIENT_TIMEOUT": "7"}).client_timeout == 7.0


def test_a_bad_setting_stops_serve_with_exit_2_and_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "cycsrv", "serve", str(EXAMPLE)], cwd=tmp_path,
                          env={**ENV, "CYCSRV_PORT": "http"}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "CYCSRV_PORT: expected int, got 'http'" in proc.stderr and "Traceback" not in proc.stderr


# --- a real process: signals and data on disk ------------------------------------------------
async def open_serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    """Start `cycsrv serve input.xml ...` in tmp_path; returns (process, websocket port)."""
    shutil.copy(EXAMPLE, tmp_path / "input.xml")
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-m", "cycsrv", "serve", "input.xml", "-p", "0", "--no-dashboard", *args],
        cwd=tmp_path, env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with trio.fail_after(30):
        line = await read_line(proc.stdout)
    return proc, int(line.rsplit(b":", 1)[1])


async def wait_until(condition: Callable[[], bool], within: float) -> None:
    """Poll something another process writes (a file); there is nothing to await on."""
    with trio.fail_after(within):
        while not condition():  # noqa: ASYNC110 - the state is in another process
            await trio.sleep(0.02)


async def stop(proc: trio.Process) -> None:
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


def max_time(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        try:
            return conn.execute("SELECT MAX(Time) FROM Transactions").fetchone()[0] or -1
        except sqlite3.OperationalError:
            return -1


async def test_sigterm_mid_run_closes_clients_with_1001_records_finish_and_exits_0(tmp_path):
    proc, port = await open_serve(tmp_path, "-i", "load", "-r", "sleep", "n=0.02")
    try:
        async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
            await wait_until(lambda: max_time(tmp_path / "input.sqlite") >= 5, 30)
            proc.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                with trio.fail_after(20):
                    while True:
                        await ws.get_message()
            assert closed.value.reason.code == 1001 and closed.value.reason.reason
        with trio.fail_after(20):
            assert await proc.wait() == 0
    finally:
        await stop(proc)
    db = sqlite3.connect(tmp_path / "input.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    early, end = db.execute("SELECT EarlyTerm, EndTime FROM Finish").fetchone()
    assert early == 1 and 5 <= end < 119
    assert end == max_time(tmp_path / "input.sqlite")


def rows_up_to(db: Path, table: str, time_column: str, t: int) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] != "SimId"]
        return sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {time_column} <= ?", (t,)))


async def test_kill_9_mid_run_leaves_a_sound_database_with_every_completed_step(tmp_path):
    full = tmp_path / "full.sqlite"
    await trio.run_process([sys.executable, "-m", "cycsrv", "run", str(EXAMPLE), "-o", str(full), "-q"],
                           env=ENV, check=True)
    proc, _port = await open_serve(tmp_path, "-i", "load", "-r", "sleep", "n=0.01")
    try:
        await wait_until(lambda: max_time(tmp_path / "input.sqlite") >= 20, 30)
        proc.kill()  # SIGKILL: no handler, no flush
        await proc.wait()
    finally:
        await stop(proc)
    db = tmp_path / "input.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    last = max_time(db)
    assert 20 <= last < 119
    for table, column in (("Transactions", "Time"), ("Resources", "TimeCreated")):
        assert rows_up_to(db, table, column, last) == rows_up_to(full, table, column, last), table


FAILS_AT_STEP_3 = '''
from cycsrv.kernel.agent import Facility


class BreaksAtStep3(Facility):
    """A user archetype whose third tick raises."""

    def tick(self) -> None:
        if self.context.time == 2:
            raise RuntimeError("broke at step 3")
'''


async def test_a_simulation_error_is_reported_and_recorded_as_an_early_end(nursery, tmp_path, monkeypatch):
    (tmp_path / "cycsrv_test_breaks.py").write_text(FAILS_AT_STEP_3)
    monkeypatch.syspath_prepend(str(tmp_path))
    xml = tmp_path / "breaks.xml"
    xml.write_text(
        "<simulation><control><duration>10</duration><startmonth>1</startmonth><startyear>2020</startyear>"
        "</control><archetypes><spec><lib>cycsrv_test_breaks</lib><name>BreaksAtStep3</name></spec>"
        "<spec><lib>agents</lib><name>NullRegion</name></spec><spec><lib>agents</lib><name>NullInst</name></spec>"
        "</archetypes><facility><name>f</name><config><BreaksAtStep3/></config></facility>"
        "<region><name>r</name><config><NullRegion/></config><institution><name>i</name><config><NullInst/>"
        "</config><initialfacilitylist><entry><prototype>f</prototype><number>1</number></entry>"
        "</initialfacilitylist></institution></region><recipe><name>r</name><basis>mass</basis>"
        "<nuclide><id>U235</id><comp>1</comp></nuclide></recipe></simulation>")
    port = await start(nursery, options(tmp_path, input=xml))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        await request(ws, "load", reply="loaded")
        err = await receive(ws, "error")
        assert "broke at step 3" in err["data"]["message"]
        await wait_finished(ws)
        await send(ws, "shutdown", {"when": "now"})
    await wait_until(lambda: not (tmp_path / "out.sqlite-wal").exists(), 10)
    db = sqlite3.connect(tmp_path / "out.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT EarlyTerm, EndTime FROM Finish").fetchone()[0] == 1


async def test_sighup_reopens_the_log_file_and_json_logs_are_one_object_per_line(tmp_path):
    log_file = tmp_path / "cycsrv.log"
    proc, _port = await open_serve(tmp_path, "--log-file", str(log_file), "--log-format", "json")
    try:
        await wait_until(lambda: "serving cyclus" in log_file.read_text(), 20)
        log_file.rename(tmp_path / "cycsrv.log.1")  # what logrotate does
        proc.send_signal(signal.SIGHUP)
        await wait_until(lambda: log_file.exists() and "reopened" in log_file.read_text(), 20)
        proc.send_signal(signal.SIGINT)
        with trio.fail_after(20):
            assert await proc.wait() == 0
    finally:
        await stop(proc)
    for path in (tmp_path / "cycsrv.log.1", log_file):
        entries = [json.loads(line) for line in path.read_text().splitlines()]
        assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert any("SIGINT" in e["message"] for e in map(json.loads, log_file.read_text().splitlines()))


def test_log_file_reopen_keeps_the_handler(tmp_path):
    path = tmp_path / "a.log"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.setup_logging("INFO", "text", str(path))
        logging.getLogger("cycsrv.test").info("before")
        path.rename(tmp_path / "a.log.1")
        logs.reopen_log_files()
        logging.getLogger("cycsrv.test").info("after")
        assert "after" in path.read_text() and "before" in (tmp_path / "a.log.1").read_text()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], level = saved
        root.setLevel(level)


# --- access control ------------------------------------------------------------------------
async def test_token_missing_is_401_wrong_is_403_right_is_in(nursery, tmp_path):
    port = await start(nursery, options(tmp_path, access=AccessPolicy(token="s3cret")))
    for path, headers, status in (("/", None, 401), ("/?token=nope", None, 403),
                                  ("/", [("Authorization", "Bearer nope")], 403)):
        with pytest.raises(ConnectionRejected) as rejected:
            async with open_websocket(HOST, port, path, use_ssl=False, extra_headers=headers):
                pass
        assert rejected.value.status_code == status, (path, headers)
    async with open_websocket(HOST, port, "/", use_ssl=False,
                              extra_headers=[("Authorization", "Bearer s3cret")]) as ws:
        assert (await request(ws, "echo", {"s": "header"}))["data"] == "header"
    async with open_websocket(HOST, port, "/?token=s3cret", use_ssl=False) as ws:
        assert (await request(ws, "echo", {"s": "query"}))["data"] == "query"
        await send(ws, "shutdown", {"when": "now"})


async def test_only_allowed_origins_get_in(nursery, tmp_path):
    port = await start(nursery, options(tmp_path, access=AccessPolicy(origins=("http://127.0.0.1:4243",))))
    for origin in ("http://evil.example", "null", "http://127.0.0.1:4243.evil.example"):
        with pytest.raises(ConnectionRejected) as rejected:
            async with open_websocket(HOST, port, "/", use_ssl=False, extra_headers=[("Origin", origin)]):
                pass
        assert rejected.value.status_code == 403
    # not a browser (no Origin): let through (a token, if set, is what guards these)
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        assert (await request(ws, "echo", {"s": "cli"}))["data"] == "cli"
    async with open_websocket(HOST, port, "/", use_ssl=False,
                              extra_headers=[("Origin", "http://127.0.0.1:4243")]) as ws:
        assert (await request(ws, "echo", {"s": "ok"}))["data"] == "ok"
        await send(ws, "shutdown", {"when": "now"})


def self_signed_cert(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl CLI is available")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        return cert, key
    import ipaddress

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(private.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
                                  critical=False)
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, key


async def test_tls_serves_wss_to_a_client_that_trusts_the_certificate(nursery, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    port = await start(nursery, options(tmp_path, ssl_context=server_ssl_context(str(cert), str(key))))
    client = ssl.create_default_context(cafile=str(cert))
    async with open_websocket(HOST, port, "/", use_ssl=client) as ws:
        assert (await request(ws, "echo", {"s": "encrypted"}))["data"] == "encrypted"
    # a plain-text handshake does not get a websocket (at most a TLS alert, then the close)
    stream = await trio.open_tcp_stream(HOST, port)
    await stream.send_all(HANDSHAKE)
    answer = b""
    with trio.move_on_after(1):
        while chunk := await stream.receive_some():
            answer += chunk
    await stream.aclose()
    assert b"HTTP/1.1 101" not in answer
    async with open_websocket(HOST, port, "/", use_ssl=client) as ws:
        await send(ws, "shutdown", {"when": "now"})


# --- limits --------------------------------------------------------------------------------
async def test_rate_limit_answers_with_errors_then_closes_1008(nursery, tmp_path):
    port = await start(nursery, options(tmp_path, rate_limit=1.0, rate_burst=3, heartbeat=60))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        for i in range(30):
            try:
                await send(ws, "echo", {"s": str(i)})
            except ConnectionClosed:
                break
        replies = []
        with pytest.raises(ConnectionClosed) as closed:
            with trio.fail_after(10):
                while True:
                    replies.append(json.loads(await ws.get_message()))
    assert closed.value.reason.code == 1008 and closed.value.reason.reason == "rate limit exceeded"
    echoes = [r for r in replies if r["event"] == "echo"]
    errors = [r for r in replies if r["event"] == "error"]
    # only the burst (plus what refilled meanwhile) was run; replies still queued when the
    # connection is cut may be lost, an abusive client is not owed them
    assert len(echoes) <= 5 and [e["data"] for e in echoes] == [str(i) for i in range(len(echoes))]
    assert errors and all("rate limit exceeded" in e["data"]["message"] for e in errors)


async def test_rate_limiter_refills_over_time():
    limiter = RateLimiter(rate=1000.0, burst=2)
    assert limiter.allow() and limiter.allow() and not limiter.allow()
    await trio.sleep(0.01)
    assert limiter.allow()
    assert not limiter.exhausted


async def test_an_oversized_message_closes_with_1009_and_a_clear_reason(nursery, tmp_path):
    port = await start(nursery, options(tmp_path, max_message_size=1000))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        await send(ws, "echo", {"s": "x" * 2000})
        with pytest.raises(ConnectionClosed) as closed:
            with trio.fail_after(10):
                while True:
                    await ws.get_message()
    assert closed.value.reason.code == 1009
    assert "maximum message size: 1000 bytes" in closed.value.reason.reason
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        await send(ws, "shutdown", {"when": "now"})


EVIL = "import sys\nsys.modules['cycsrv_evil_ran'] = sys\n"


async def test_a_spec_sent_by_a_client_never_imports_a_module(nursery, tmp_path, monkeypatch):
    for name in ("cycsrv_evil", "cycsrv_evil_pkg"):
        (tmp_path / f"{name}.py").write_text(EVIL)
    monkeypatch.syspath_prepend(str(tmp_path))
    port = await start(nursery, options(tmp_path))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        for spec in (":os:system", "os:system", ":cycsrv_evil:X", "cycsrv_evil:X", "cycsrv_evil_pkg::X",
                     ":tests.evil:X", ":subprocess:Popen", "__import__('os')"):
            reply = await request(ws, "agent_annotations", {"spec": spec})
            assert reply["event"] == "error", spec
        await send(ws, "shutdown", {"when": "now"})
    assert not {"cycsrv_evil", "cycsrv_evil_pkg", "cycsrv_evil_ran", "tests.evil"} & set(sys.modules)


# --- bad clients and many clients ----------------------------------------------------------
HANDSHAKE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


async def test_clients_that_vanish_mid_handshake_or_mid_frame_do_not_hurt_the_server(nursery, tmp_path):
    port = await start(nursery, options(tmp_path))
    half_frame = bytes([0x81, 0x80 | 100]) + b"\0\0\0\0" + b'{"event": "echo", "par'
    for chunks in ([HANDSHAKE[:30]], [HANDSHAKE, half_frame], [HANDSHAKE, half_frame[:1]],
                   [HANDSHAKE, bytes([0x81, 0xFF]) + (1 << 62).to_bytes(8, "big")]):
        stream = await trio.open_tcp_stream(HOST, port)
        for chunk in chunks:
            await stream.send_all(chunk)
        await trio.sleep(0.05)
        await stream.aclose()
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        assert (await request(ws, "echo", {"s": "still here"}))["data"] == "still here"
        await send(ws, "shutdown", {"when": "now"})


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


@attrs.define
class Watcher:
    """A client that stays connected and records every streamed table."""

    times: list[int] = attrs.field(factory=list)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to read the server's memory")
async def test_100_clients_come_and_go_while_a_table_streams_every_step(tmp_path):
    proc, port = await open_serve(tmp_path, "--heartbeat", "0.2", "-r", "table_data", "table=Transactions",
                                  "orient=values", "sleep", "n=0.01")
    watcher = Watcher()
    replies: list[str] = []

    async def watch(ws, task_status=trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            try:
                msg = json.loads(await ws.get_message())
            except ConnectionClosed:  # the shutdown at the end
                return
            if msg["event"] == "table_data" and msg["data"] and isinstance(msg["data"], list):
                watcher.times.append(max(row[6] for row in msg["data"]))  # Time

    async def visitor(i: int) -> None:
        async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
            for j in range(3):
                reply = await request(ws, "echo", {"s": f"{i}.{j}"})
                replies.append(reply["data"])

    try:
        async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as ws:
            assert (await request(ws, "load", reply="loaded"))["event"] == "loaded"
            baseline = rss_kib(proc.pid)
            async with trio.open_nursery() as nursery:
                await nursery.start(watch, ws)
                with trio.fail_after(60):
                    for wave in range(5):
                        async with trio.open_nursery() as visitors:
                            for i in range(20):
                                visitors.start_soon(visitor, wave * 20 + i)
                    async with open_websocket(HOST, port, "/", use_ssl=False, max_message_size=BIG) as probe:
                        await wait_finished(probe)
                        peak = rss_kib(proc.pid, "VmHWM")
                        await send(probe, "shutdown", {"when": "empty"})
                nursery.cancel_scope.cancel()
        assert await proc.wait() == 0
    finally:
        await stop(proc)
    assert sorted(replies) == sorted(f"{i}.{j}" for i in range(100) for j in range(3))
    # the watcher saw the table in order, each step at most once, up to the end (a step is
    # skipped only when a newer table replaced it before the watcher had read the last one)
    assert watcher.times == sorted(set(watcher.times)) and watcher.times[-1] == 119
    assert len(watcher.times) > 20
    # Bound: each client's outbox holds one message per stream and at most 256 replies; these
    # tables are a few KiB, so 100 clients can add at most a few MiB. 64 MiB is generous.
    print(f"RSS after load {baseline} KiB, peak {peak} KiB with 100 clients")
    assert peak - baseline < 64 * 1024
