"""What an operator sees when `cycsrv serve` / `validate` / `run` start: input problems with
file and line before anything is served, the input anywhere on the command line, clear help."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import trio
from conftest import INPUTS
from server_helpers import EXAMPLE, read_line, send, wait_finished
from trio_websocket import open_websocket

from cycsrv.cli import main

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
FLEET = INPUTS / "cycamore__input__enrichment__1_src_enr_rxtr_sink.xml"


def broken_recipes(tmp_path: Path) -> Path:
    """The fleet input with the Source's `outrecipe` (line 24) and the Reactor's second
    `fuel_outrecipes` entry (line 49) naming recipes it does not define."""
    lines = FLEET.read_text().splitlines(keepends=True)
    assert "<outrecipe>natl_u<" in lines[23] and "used_fuel_recipe" in lines[48]
    lines[23] = lines[23].replace("natl_u", "natl_u_typo")
    lines[48] = lines[48].replace("used_fuel_recipe", "spent")
    path = tmp_path / "fleet.xml"
    path.write_text("".join(lines))
    return path


def test_validate_names_every_undefined_recipe_with_file_and_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(broken_recipes(tmp_path))]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith(f"{tmp_path / 'fleet.xml'}:24: prototype 'Source': outrecipe names recipe 'natl_u_typo'")
    assert err[1].startswith(f"{tmp_path / 'fleet.xml'}:49: prototype 'Reactor': fuel_outrecipes names recipe 'spent'")
    assert main(["validate", str(FLEET)]) == 0


def test_run_refuses_an_undefined_recipe_before_writing_anything(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(broken_recipes(tmp_path)), "-o", "out.sqlite"]) == 1
    err = capsys.readouterr().err
    assert ":24: prototype 'Source'" in err and "Traceback" not in err
    assert not (tmp_path / "out.sqlite").exists()


def test_a_zero_duration_says_that_nothing_ran(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    xml = tmp_path / "zero.xml"
    xml.write_text(EXAMPLE.read_text().replace("<duration>120</duration>", "<duration>0</duration>"))
    assert "<duration>0</duration>" in xml.read_text()
    assert main(["run", str(xml), "-o", "out.sqlite"]) == 0
    assert "<duration> is 0, so no time step ran" in capsys.readouterr().err
    assert main(["validate", str(xml)]) == 0
    assert "a run would do no time step" in capsys.readouterr().out


def test_serve_with_a_broken_input_exits_1_with_file_and_line_before_ready(tmp_path):
    notify = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(notify))
        sock.setblocking(False)
        proc = subprocess.run([sys.executable, "-m", "cycsrv", "serve", str(broken_recipes(tmp_path)), "-p", "0",
                               "--no-dashboard", "-i", "load"], cwd=tmp_path, env={**ENV, "NOTIFY_SOCKET": str(notify)},
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
        assert f"{tmp_path / 'fleet.xml'}:24: prototype 'Source'" in proc.stderr
        assert "Traceback" not in proc.stderr and "serving" not in proc.stdout + proc.stderr
        try:
            datagram = sock.recv(4096)
        except BlockingIOError:
            datagram = b""
        assert b"READY=1" not in datagram  # systemd sees a failed start, not a ready server


async def test_the_input_may_come_after_the_actions(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "input.xml")
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-m", "cycsrv", "serve", "-p", "0", "--no-dashboard", "-i", "load", "input.xml"],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with trio.fail_after(30):
            line = await read_line(proc.stdout)
            assert line.startswith(b"serving cyclus at ws://127.0.0.1:")  # once on stdout (not a tty)
            port = int(line.rsplit(b":", 1)[1])
            async with open_websocket("127.0.0.1", port, "/", use_ssl=False, max_message_size=1 << 26) as ws:
                await wait_finished(ws)  # `-i load` ran: the input was taken as the input
                await send(ws, "shutdown", {"when": "now"})
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (tmp_path / "input.sqlite").exists()


def test_help_says_what_each_command_does_the_input_kinds_and_log_levels():
    def help_of(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "cycsrv", *args, "--help"], env={**ENV, "COLUMNS": "200"},
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    for command in ("run", "validate", "serve"):
        assert ".xml, .json or .py" in help_of(command)
    assert "{DEBUG,INFO,WARNING,ERROR}" in help_of("serve")
    assert "FILE:LINE" in help_of("validate")
    bad = subprocess.run([sys.executable, "-m", "cycsrv", "serve", str(EXAMPLE), "--log-level", "LOUD"],
                         env=ENV, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid choice: 'LOUD'" in bad.stderr


def test_annotations_into_a_pipe_that_closes_early_ends_quietly():
    proc = subprocess.run(f"{sys.executable} -m cycsrv annotations :cycamore:Reactor | head -n 1", shell=True,
                          env=ENV, capture_output=True, text=True, timeout=60)
    assert proc.stdout == "{\n"
    assert proc.stderr == ""
