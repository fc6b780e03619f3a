"""`cycsrv serve input.xml ...`: options, action tokens, startup and clear errors."""

from __future__ import annotations

import argparse
import ast
import errno
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from cycsrv.server.events import Request
    from cycsrv.server.state import ServeOptions


def parse_action_tokens(tokens: Sequence[str]) -> tuple[Request, ...]:
    """`["sleep", "n=1", "table_data", "table='TimeSeriesPower'"]` -> validated requests.

    A token without `=` names an event; `key=value` tokens are its params. Values are read
    with `ast.literal_eval` (never `eval`); a value that is not a Python literal is taken as
    a plain string, so `table=TimeSeriesPower` works too.
    """
    from cycsrv.server.events import ProtocolError, make_request

    requests: list[Request] = []
    name: str | None = None
    params: dict[str, Any] = {}

    def finish() -> None:
        if name is not None:
            requests.append(make_request(name, params or None))

    for token in tokens:
        if "=" in token:
            if name is None:
                raise ProtocolError(f"parameter {token!r} comes before any event name")
            key, _, text = token.partition("=")
            try:
                params[key] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                params[key] = text
        else:
            finish()
            name, params = token, {}
    finish()
    return tuple(requests)


#: What an input file may be: Cyclus XML, its JSON form, or its Python form.
INPUT_SUFFIXES = (".xml", ".json", ".py")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def add_serve_parser(sub: Any) -> None:
    # defaults live in cycsrv.server.config (None here means "not given on the command line")
    p = sub.add_parser(
        "serve", help="run an input under the websocket server (cyclus.server protocol) and a live dashboard",
        description="Check the input (as `cycsrv validate` does), then serve it over websockets with the "
                    "cyclus.server protocol, and a browser dashboard on the next port. The simulation "
                    "starts on a `load` event (or `-i load`). Every option can also be set as "
                    "CYCSRV_<NAME> in the environment or as <name> in a TOML --config file (command "
                    "line > environment > file). Under systemd it reports READY/STATUS/WATCHDOG and takes "
                    "the sockets of a .socket unit (LISTEN_FDS): the websocket's, then the dashboard's.")
    p.add_argument("input", nargs="?", help="Cyclus input file: .xml, .json or .py (may stand anywhere on "
                                            "the command line)")
    p.add_argument("-c", "--config", help="TOML file of settings (also CYCSRV_CONFIG)")
    p.add_argument("-o", "--output", help="output file: .h5 for HDF5, else SQLite (default: <input basename>.sqlite); an existing file is appended to")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("-p", "--port", type=int, help="websocket port (default 4242; 0 = any free)")
    p.add_argument("-r", "--repeating-actions", nargs="+", metavar="TOKEN",
                   help="actions queued every time step: NAME k=v ... (e.g. table_data table=TimeSeriesPower)")
    p.add_argument("-i", "--initial-actions", nargs="+", metavar="TOKEN",
                   help="actions queued once at start (e.g. load)")
    p.add_argument("--heartbeat", type=float, help="seconds between heartbeats (default 5)")
    p.add_argument("--http-port", type=int, help="dashboard HTTP port (default: websocket port + 1)")
    p.add_argument("--no-dashboard", action="store_true", default=None, help="do not serve the browser dashboard")
    p.add_argument("--max-message-size", type=int, help="largest accepted client message (bytes, default 1 MiB)")
    p.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS,
                   help="DEBUG, INFO, WARNING or ERROR (default INFO; tracebacks of a failed run at DEBUG)")
    p.add_argument("--log-format", choices=("text", "json"), help="text, or json: one object per line (journald)")
    p.add_argument("--log-file", help="log to this file instead of stderr (SIGHUP reopens it)")
    p.add_argument("--token-file", help="clients must send this file's token (Authorization: Bearer, subprotocol "
                   "cycsrv.token.<base64url>, or ?token=); open the dashboard as http://HOST:PORT/#token=<token>")
    p.add_argument("--allow-origin", action="append", metavar="ORIGIN",
                   help="accept browsers only from this Origin (repeatable; default: any)")
    p.add_argument("--certfile", help="TLS certificate (PEM): serve wss://")
    p.add_argument("--keyfile", help="TLS private key (PEM), if not in --certfile")
    p.add_argument("--rate-limit", type=float, help="messages per second per client (default 0: no limit)")
    p.add_argument("--rate-burst", type=int, help="burst allowed over --rate-limit (default: one second's worth)")
    p.add_argument("--client-timeout", type=float, help="seconds a client may read nothing while a message "
                   "waits for it before it is closed (1013; default 30). Slow readers are kept: per-step "
                   "broadcasts are conflated, the newest replacing the unsent")
    p.set_defaults(func=run_serve)


def take_input_from_actions(args: argparse.Namespace) -> None:
    """`serve -i load input.xml`: `-i`/`-r` take every word after them, so an input file given
    last lands among the action tokens; move it back to `input`."""
    if getattr(args, "input", None) is not None:
        return
    for name in ("initial_actions", "repeating_actions"):
        tokens = getattr(args, name, None)
        if tokens and "=" not in tokens[-1] and tokens[-1].endswith(INPUT_SUFFIXES):
            args.input = tokens.pop()
            return


def options_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ServeOptions:
    """The server's options from the command line, `CYCSRV_*` variables and `--config`.

    Raises `ConfigError` (naming the bad setting) or `ProtocolError` (a bad action).
    """
    from cycsrv.server.config import merge_settings

    return options_from_settings(merge_settings(args, os.environ if environ is None else environ))


def options_from_settings(s: Mapping[str, Any]) -> ServeOptions:
    """`ServeOptions` from merged settings (`cycsrv.server.config.merge_settings`)."""
    from cycsrv.server.config import ConfigError
    from cycsrv.server.security import AccessPolicy, read_token_file, server_ssl_context
    from cycsrv.server.state import ServeOptions
    from cycsrv.store.output import default_output

    if not s["input"]:
        raise ConfigError("no input file: give one on the command line, as CYCSRV_INPUT or input = in --config")
    http_port = None
    if not s["no_dashboard"]:
        http_port = s["http_port"] if s["http_port"] is not None else (s["port"] + 1 if s["port"] else 0)
    token = None
    if s["token_file"]:
        try:
            token = read_token_file(s["token_file"])
        except (OSError, ValueError) as exc:
            raise ConfigError(f"token_file: {exc}") from None
    ssl_context = None
    if s["certfile"]:
        try:
            ssl_context = server_ssl_context(s["certfile"], s["keyfile"])
        except (OSError, ValueError) as exc:
            raise ConfigError(f"certfile/keyfile: cannot load {s['certfile']}: {exc}") from None
    elif s["keyfile"]:
        raise ConfigError("keyfile: given without certfile")
    if s["rate_limit"] < 0:
        raise ConfigError(f"rate_limit: must be 0 (off) or positive, got {s['rate_limit']}")
    if not s["client_timeout"] > 0:
        raise ConfigError(f"client_timeout: must be a positive number of seconds, got {s['client_timeout']}")
    if s["log_level"].upper() not in LOG_LEVELS:
        raise ConfigError(f"log_level: must be one of {', '.join(LOG_LEVELS)}, got {s['log_level']!r}")
    if s["log_format"] not in ("text", "json"):
        raise ConfigError(f"log_format: must be text or json, got {s['log_format']!r}")
    return ServeOptions(
        input=s["input"],
        output=s["output"] or default_output(s["input"]),
        host=s["host"],
        port=s["port"],
        repeating_actions=parse_action_tokens(s["repeating_actions"]),
        initial_actions=parse_action_tokens(s["initial_actions"]),
        heartbeat=s["heartbeat"],
        max_message_size=s["max_message_size"],
        http_port=http_port,
        access=AccessPolicy(token, tuple(s["allow_origin"])),
        ssl_context=ssl_context,
        rate_limit=s["rate_limit"],
        rate_burst=s["rate_burst"] or 0,
        client_timeout=s["client_timeout"],
        handle_signals=True,
    )


@attrs.define
class AnnounceReady:
    """The `task_status` given to `serve()`: prints the ready line once the listener is up and
    tells systemd (`READY=1`), the one place either belongs."""

    host: str
    scheme: str = "ws"

    def started(self, port: int | None = None) -> None:
        from cycsrv import systemd

        if not sys.stdout.isatty():  # for scripts; on a terminal the log line says it already
            print(f"serving cyclus at {self.scheme}://{self.host}:{port}", flush=True)
        systemd.notify("READY=1", f"STATUS=listening on {self.scheme}://{self.host}:{port}",
                       f"MAINPID={os.getpid()}")


def run_serve(args: argparse.Namespace) -> int:
    import functools

    import trio

    from cycsrv import systemd
    from cycsrv.kernel.checks import check_input
    from cycsrv.server.app import serve
    from cycsrv.server.config import ConfigError, merge_settings
    from cycsrv.server.events import ProtocolError
    from cycsrv.server.logs import setup_logging

    take_input_from_actions(args)
    try:
        settings = merge_settings(args, os.environ)
        options = options_from_settings(settings)
    except ConfigError as exc:
        print(f"cycsrv serve: error: {exc}", file=sys.stderr)
        return 2
    except ProtocolError as exc:
        print(f"cycsrv serve: error: bad action: {exc.message}", file=sys.stderr)
        return 2
    try:
        setup_logging(settings["log_level"], settings["log_format"], settings["log_file"])
    except (OSError, ValueError) as exc:
        print(f"cycsrv serve: error: log settings: {exc}", file=sys.stderr)
        return 2
    if not Path(options.input).is_file():
        print(f"cycsrv serve: error: input file {options.input} not found", file=sys.stderr)
        return 2
    problems = check_input(options.input)  # before READY=1: systemd sees a failed start
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    sockets = tuple(systemd.listen_sockets())
    if sockets:
        options = attrs.evolve(options, sockets=sockets, host=sockets[0].getsockname()[0],
                               port=sockets[0].getsockname()[1])
    ready = AnnounceReady(options.host, "ws" if options.ssl_context is None else "wss")
    try:
        trio.run(functools.partial(serve, options, task_status=ready))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"cycsrv serve: error: port {options.port} on {options.host} is already in use; "
                  "choose another with -p/--port (or -p 0 for any free port)", file=sys.stderr)
        else:
            print(f"cycsrv serve: error: cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m cycsrv.server.cli")
    add_serve_parser(parser.add_subparsers(required=True))
    parsed = parser.parse_args()
    sys.exit(parsed.func(parsed))
