"""What the server's tasks share: options, clients, the simulation, pause and shutdown state."""

from __future__ import annotations

import itertools
import logging
import socket
import ssl
from collections.abc import Hashable
from typing import Any

import attrs
import orjson
import trio
from trio_websocket import WebSocketConnection

from cycsrv.kernel.simulation import Simulation
from cycsrv.server.events import Request
from cycsrv.server.outbox import Outbox
from cycsrv.server.security import AccessPolicy, RateLimiter
from cycsrv.store.memory import MemoryBackend
from cycsrv.store.sqlite import SqliteBackend

log = logging.getLogger("cycsrv.server")

#: Seconds a client being dropped as too slow has to take the frame being sent to it.
SLOW_CLIENT_GRACE = 1.0


@attrs.frozen
class ServeOptions:
    """Everything `cycsrv serve` can be told (CLI, environment or config file)."""

    input: str
    output: str
    host: str = "127.0.0.1"
    port: int = 4242
    repeating_actions: tuple[Request, ...] = ()
    initial_actions: tuple[Request, ...] = ()
    heartbeat: float = 5.0
    max_message_size: int = 1 << 20
    #: unsent replies a client may have before it is dropped (1013)
    client_buffer: int = 256
    #: seconds a client may take nothing while a message waits for it before it is dropped
    client_timeout: float = 30.0
    action_queue: int = 1024
    http_port: int | None = None
    #: who may connect (token, origins); everyone on the bound address by default
    access: AccessPolicy = attrs.field(factory=AccessPolicy)
    ssl_context: ssl.SSLContext | None = None
    #: messages per second per client (token bucket of `rate_burst`); 0 = no limit
    rate_limit: float = 0.0
    rate_burst: int = 0
    #: SIGTERM/SIGINT shut down, SIGHUP reopens log files (only in the main thread: the CLI)
    handle_signals: bool = False
    #: listening sockets from systemd (socket activation): the websocket's, then the dashboard's
    sockets: tuple[socket.socket, ...] = ()


@attrs.define(eq=False)
class Client:
    """One websocket connection and its outbox (drained by its own writer task)."""

    id: int
    ws: WebSocketConnection
    outbox: Outbox
    #: why the server is dropping this client (1013), once it is
    too_slow: str | None = None
    #: cancel scope of the connection's tasks, set by the connection handler
    scope: trio.CancelScope | None = None
    limiter: RateLimiter | None = None

    def send_nowait(self, message: str, key: Hashable | None = None, *, paced: bool = False) -> None:
        """Queue a reply (`key` None) or a broadcast that replaces the unsent one with the same
        key (`Outbox`); a client with too many unsent replies is disconnected."""
        if not self.outbox.put_nowait(message, key, paced=paced):
            self.drop_slow(f"more than {self.outbox.limit} replies unsent")

    def drop_slow(self, reason: str) -> None:
        """Stop queueing and close with 1013 once the frame being sent is through (or, if the
        client takes nothing within `SLOW_CLIENT_GRACE`, drop the connection)."""
        if self.too_slow is not None:
            return
        self.too_slow = reason
        self.outbox.close(discard=True)
        if self.scope is not None:
            self.scope.deadline = min(self.scope.deadline, trio.current_time() + SLOW_CLIENT_GRACE)
        log.warning("client %d cannot keep up (%s); disconnecting it", self.id, reason)


@attrs.frozen
class Action:
    """A queued event: from a client (replies go to it), or from the CLI/simulation (to all)."""

    request: Request
    client: Client | None = None
    done: trio.Event | None = None


@attrs.define(eq=False)
class ServerState:
    """The shared state of one server."""

    options: ServeOptions
    memory: MemoryBackend
    actions: trio.MemorySendChannel[Action]
    monitor: trio.MemorySendChannel[Action]
    clients: dict[int, Client] = attrs.field(factory=dict)
    sim: Simulation | None = None
    sqlite: SqliteBackend | None = None
    load_requested: trio.Event = attrs.field(factory=trio.Event)
    load_lock: trio.Lock = attrs.field(factory=trio.Lock)
    load_finished: trio.Event = attrs.field(factory=trio.Event)
    load_error: str | None = None
    sim_finished: trio.Event = attrs.field(factory=trio.Event)
    sim_error: str | None = None
    step: int = -1
    pause_scope: trio.CancelScope | None = None
    unpaused: trio.Event = attrs.field(factory=trio.Event)
    active_actions: int = 0
    action_finished: trio.Event = attrs.field(factory=trio.Event)
    shutdown_requested: trio.Event = attrs.field(factory=trio.Event)
    _ids: Any = attrs.field(factory=lambda: itertools.count(1))

    def new_client(self, ws: WebSocketConnection) -> Client:
        client = Client(next(self._ids), ws, Outbox(self.options.client_buffer))
        if self.options.rate_limit > 0:
            burst = self.options.rate_burst or max(1, int(self.options.rate_limit))
            client.limiter = RateLimiter(self.options.rate_limit, burst)
        self.clients[client.id] = client
        return client

    def drop_client(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        client.outbox.close()

    def broadcast(self, message: str, key: Hashable | None = None, *, paced: bool = False) -> None:
        """Send to every connected client; with a `key`, a newer message of that key replaces
        one a client has not yet been sent (heartbeats, repeating and initial actions)."""
        for client in list(self.clients.values()):
            client.send_nowait(message, key, paced=paced)

    def reply(self, action: Action, message: str) -> None:
        """Send to the client that asked, or to everyone for CLI and per-step actions (one
        stream per request: the same event with the same params)."""
        if action.client is None:
            key = (action.request.event, orjson.dumps(action.request.raw_params, option=orjson.OPT_SORT_KEYS))
            self.broadcast(message, key, paced=action.done is not None)  # `done`: a per-step action
        else:
            action.client.send_nowait(message)

    @property
    def paused(self) -> bool:
        return self.pause_scope is not None

    def registry(self) -> list[str]:
        """The in-memory registry as the protocol reports it ([] while every table is kept)."""
        reg = self.memory.registry
        return [] if reg is True else sorted(reg)  # type: ignore[arg-type]

    def finish_action(self) -> None:
        """Count an action as done and wake whoever waits for the queue to drain."""
        self.active_actions -= 1
        self.action_finished.set()
        self.action_finished = trio.Event()
