"""`cycsrv serve input.xml ...`: options, action tokens, startup and clear errors."""

from __future__ import annotations

import argparse
import ast
import errno
import logging
import sys
from collections.abc import Sequence
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


def add_serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run an input under the websocket server (cyclus.server protocol)")
    p.add_argument("input", help="Cyclus input file")
    p.add_argument("-o", "--output", help="output SQLite file (default: <input basename>.sqlite)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("-p", "--port", type=int, default=4242, help="websocket port (default 4242; 0 = any free)")
    p.add_argument("-r", "--repeating-actions", nargs="+", default=[], metavar="TOKEN",
                   help="actions queued every time step: NAME k=v ... (e.g. table_data table=TimeSeriesPower)")
    p.add_argument("-i", "--initial-actions", nargs="+", default=[], metavar="TOKEN",
                   help="actions queued once at start (e.g. load)")
    p.add_argument("--heartbeat", type=float, default=5.0, help="seconds between heartbeats (default 5)")
    p.add_argument("--http-port", type=int, default=None,
                   help="dashboard HTTP port (default: websocket port + 1)")
    p.add_argument("--no-dashboard", action="store_true", help="do not serve the browser dashboard")
    p.add_argument("--max-message-size", type=int, default=1 << 20, help="largest accepted client message (bytes)")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (logs go to stderr)")
    p.set_defaults(func=run_serve)


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    from cycsrv.cli import default_output
    from cycsrv.server.state import ServeOptions

    http_port = None
    if not args.no_dashboard:
        http_port = args.http_port if args.http_port is not None else (args.port + 1 if args.port else 0)
    return ServeOptions(
        input=args.input,
        output=args.output or default_output(args.input),
        host=args.host,
        port=args.port,
        repeating_actions=parse_action_tokens(args.repeating_actions),
        initial_actions=parse_action_tokens(args.initial_actions),
        heartbeat=args.heartbeat,
        max_message_size=args.max_message_size,
        http_port=http_port,
    )


@attrs.define
class AnnounceReady:
    """The `task_status` given to `serve()`: prints the ready line once the listener is up
    (the one place a systemd READY=1 notification belongs)."""

    host: str

    def started(self, port: int | None = None) -> None:
        print(f"serving cyclus at ws://{self.host}:{port}", flush=True)


def run_serve(args: argparse.Namespace) -> int:
    import functools

    import trio

    from cycsrv.server.app import serve
    from cycsrv.server.events import ProtocolError

    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        options = options_from_args(args)
    except ProtocolError as exc:
        print(f"cycsrv serve: error: bad action: {exc.message}", file=sys.stderr)
        return 2
    if not Path(options.input).is_file():
        print(f"cycsrv serve: error: input file {options.input} not found", file=sys.stderr)
        return 2
    try:
        trio.run(functools.partial(serve, options, task_status=AnnounceReady(options.host)))
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
