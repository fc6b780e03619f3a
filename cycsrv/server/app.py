"""`serve()`: one nursery, five tasks — simulation, action consumer, websocket server,
heartbeat and monitor — talking over trio memory channels (plus signal handling and systemd
status reports when run as a service).

The simulation runs in a worker thread (`trio.to_thread`). After every time step its hook
comes back into trio (`trio.from_thread.run`) to queue the repeating actions, wait until they
have run, and wait while a pause is active, so a table streamed every step sees every step.
`pause` is a cancel scope that sleeps; `unpause` and `shutdown` go to the monitor, which
never waits behind the action queue.
"""

from __future__ import annotations

import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import trio
from trio_websocket import ConnectionClosed, WebSocketRequest, WebSocketServer

from cycsrv import systemd
from cycsrv.kernel.infile import InputError
from cycsrv.kernel.simulation import Simulation
from cycsrv.server import actions, events, logs
from cycsrv.server.security import selected_subprotocol
from cycsrv.server.state import SLOW_CLIENT_GRACE, Action, Client, ServeOptions, ServerState, log
from cycsrv.store.memory import MemoryBackend
from cycsrv.store.output import appending_message, open_output

CLOSE_GOING_AWAY = 1001
CLOSE_POLICY_VIOLATION = 1008
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_TIMEOUT = 2.0
CONNECT_TIMEOUT = 10.0
HTTP_FORBIDDEN = 403


#: Checks a websocket handshake before it is accepted (token auth, origin); False rejects it (403).
HandshakeCheck = Callable[[WebSocketRequest], Awaitable[bool]]


async def serve(options: ServeOptions, *, on_handshake: HandshakeCheck | None = None,
                task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Run the server until a `shutdown` event; `task_status.started(port)` once listening.

    The listening socket is bound before anything else starts, so a port in use is a plain
    `OSError` from this call rather than a failure inside the nursery.
    """
    listeners: list[trio.abc.Listener[trio.abc.Stream]]
    if options.sockets:  # systemd socket activation: the .socket unit bound and listens
        listeners = [trio.SocketListener(trio.socket.from_stdlib_socket(options.sockets[0]))]
        if options.ssl_context is not None:
            listeners = [trio.SSLListener(listeners[0], options.ssl_context)]
    elif options.ssl_context is None:
        listeners = list(await trio.open_tcp_listeners(options.port, host=options.host))
    else:
        listeners = list(await trio.open_ssl_over_tcp_listeners(options.port, options.ssl_context,
                                                                host=options.host))
    actions_send, actions_recv = trio.open_memory_channel[Action](options.action_queue)
    monitor_send, monitor_recv = trio.open_memory_channel[Action](64)
    state = ServerState(options=options, memory=MemoryBackend(registry=True),
                        actions=actions_send, monitor=monitor_send)
    server = WebSocketServer(functools.partial(handle_connection, state, on_handshake), listeners,
                             max_message_size=options.max_message_size,
                             connect_timeout=CONNECT_TIMEOUT, disconnect_timeout=CLOSE_TIMEOUT)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_simulation, state)
        nursery.start_soon(consume_actions, state, actions_recv)
        nursery.start_soon(run_monitor, state, monitor_recv, nursery.cancel_scope)
        if options.handle_signals:
            await nursery.start(handle_signals, state)
        await nursery.start(server.run)
        port = server.port
        nursery.start_soon(send_heartbeats, state)
        if options.http_port is not None:
            await _start_dashboard(nursery, options, port)
        for request in options.initial_actions:
            await queue(state, Action(request))
        scheme = "ws" if options.ssl_context is None else "wss"
        log.info("serving cyclus at %s://%s:%d", scheme, options.host, port)
        task_status.started(port)
        if systemd.notify_address() is not None:
            # after started(): READY=1 (sent by the CLI's task_status) comes first
            nursery.start_soon(report_to_systemd, state)
    log.info("server stopped")


async def _start_dashboard(nursery: trio.Nursery, options: ServeOptions, ws_port: int) -> None:
    try:
        from cycsrv.server.http import serve_dashboard
    except ImportError:  # pragma: no cover - the dashboard ships with the package
        return
    ws_url = f"{'ws' if options.ssl_context is None else 'wss'}://{options.host}:{ws_port}"
    inherited = options.sockets[1:2]  # a second socket of the .socket unit is the dashboard's
    try:
        listeners = await nursery.start(functools.partial(serve_dashboard, options.host, options.http_port,
                                                          ws_url, sockets=inherited))
    except OSError as exc:
        log.warning("dashboard not started on port %s: %s", options.http_port, exc)
        return
    url = f"http://{options.host}:{listeners[0].socket.getsockname()[1]}/"
    if options.access.token is None:
        log.info("dashboard at %s", url)
    else:
        # never the token itself: logs are read by more people than the token file
        log.info("dashboard at %s (this server needs a token: open %s#token=<the token in --token-file>)", url, url)


async def queue(state: ServerState, action: Action) -> None:
    """Queue an action for the consumer, or for the monitor if it must never wait."""
    channel = state.monitor if action.request.event in events.MONITOR_EVENTS else state.actions
    await channel.send(action)


# --- task 1: the simulation ----------------------------------------------------------------
async def run_simulation(state: ServerState) -> None:
    """Wait for `load`, load the input, run every step in a worker thread."""
    while True:
        await state.load_requested.wait()
        try:
            state.sim = await trio.to_thread.run_sync(_load, state)
        except InputError as exc:
            state.load_error = str(exc)
        except Exception as exc:
            log.exception("loading %s failed", state.options.input)
            state.load_error = f"loading {state.options.input} failed: {exc}"
        finally:
            if state.load_error is not None:
                state.load_requested = trio.Event()
            state.load_finished.set()
        if state.sim is not None:
            break
    sim = state.sim

    def on_step(t: int) -> None:
        # runs in this task's context, so cancelling the server cancels the simulation here
        trio.from_thread.run(after_step, state, t)

    try:
        await trio.to_thread.run_sync(sim.run, on_step)
        log.info("simulation finished after %d steps", sim.time + 1)
    except trio.Cancelled:
        raise
    except Exception as exc:
        state.sim_error = f"simulation failed at time step {sim.time + 1}: {exc}"
        # one line for the operator; the traceback is for whoever debugs the archetype
        log.error("%s", state.sim_error)
        log.debug("traceback of the failed simulation", exc_info=True)
        state.broadcast(events.error(state.sim_error, None, "load"))
    finally:
        with trio.CancelScope(shield=True):
            try:
                await trio.to_thread.run_sync(sim.close)
            except Exception:
                # e.g. another process reading the output keeps it from leaving WAL mode: every
                # step is already committed, so this is no reason to fail the whole server
                log.exception("closing the output %s failed", state.options.output)
        state.sim_finished.set()


def _load(state: ServerState) -> Simulation:
    out = Path(state.options.output)
    appending = appending_message(out)
    if appending:
        log.info("%s", appending)
    state.sqlite = open_output(out)
    try:
        return Simulation.from_file(state.options.input, backends=[state.memory, state.sqlite])
    except BaseException:
        state.sqlite.close()
        state.sqlite = None
        if not appending:
            out.unlink(missing_ok=True)
        raise


async def after_step(state: ServerState, t: int) -> None:
    """The per-step hook: run the repeating actions, then hold while paused."""
    state.step = t
    done = []
    repeating = () if state.shutdown_requested.is_set() else state.options.repeating_actions
    for request in repeating:
        event = trio.Event()
        await state.actions.send(Action(request, None, event))
        done.append(event)
    for event in done:
        await event.wait()
    while state.paused:
        await state.unpaused.wait()
    if state.shutdown_requested.is_set():
        # the server is stopping: hold at this step boundary (no new repeating actions) until
        # the shutdown cancels the run, which then records Finish and flushes every step
        await trio.sleep_forever()


# --- task 2: the action consumer -----------------------------------------------------------
async def consume_actions(state: ServerState, receive: trio.MemoryReceiveChannel[Action]) -> None:
    """Start each queued action in its own task, in arrival order (so a pause never blocks
    requests for data)."""
    async with trio.open_nursery() as nursery, receive:
        async for action in receive:
            nursery.start_soon(actions.run_action, state, action)


# --- task 3: the monitor -------------------------------------------------------------------
async def run_monitor(state: ServerState, receive: trio.MemoryReceiveChannel[Action],
                      server_scope: trio.CancelScope) -> None:
    """Unpause and shutdown, handled in order and never behind the action queue."""
    async for action in receive:
        if action.request.event == "unpause":
            await actions.unpause(state, action)
        elif action.request.event == "shutdown":
            await shutdown(state, action.request.params.when)
            server_scope.cancel()
            return


async def shutdown(state: ServerState, when: str) -> None:
    """Stop: `empty` waits for queued actions first; the recorder is flushed either way."""
    log.info("shutdown (%s) requested", when)
    systemd.notify("STOPPING=1", f"STATUS=stopping at time step {state.step}")
    state.shutdown_requested.set()
    if when == "empty":
        while state.actions.statistics().current_buffer_used or state.active_actions > (1 if state.paused else 0):
            await state.action_finished.wait()
    if state.pause_scope is not None:
        state.pause_scope.cancel()
    await close_clients(state, CLOSE_GOING_AWAY, "server shutting down")


async def close_clients(state: ServerState, code: int, reason: str) -> None:
    with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT):
        async with trio.open_nursery() as nursery:
            for client in list(state.clients.values()):
                nursery.start_soon(_close, client, code, reason)


async def _close(client: Client, code: int, reason: str) -> None:
    try:
        await client.ws.aclose(code, reason)
    except Exception:
        pass


# --- task 4: the websocket server ----------------------------------------------------------
async def handle_connection(state: ServerState, on_handshake: HandshakeCheck | None,
                            request: WebSocketRequest) -> None:
    """One client: a reader (this task) and a writer task draining its bounded outbox."""
    try:
        refusal = state.options.access.refusal(request)
        if refusal is not None:
            log.warning("handshake from %s refused (%d)", request.remote, refusal)
            await request.reject(refusal, body=b"unauthorized" if refusal == 401 else b"forbidden")
            return
        if on_handshake is not None and not await on_handshake(request):
            log.warning("handshake from %s refused", request.remote)
            await request.reject(HTTP_FORBIDDEN, body=b"forbidden")
            return
        ws = await request.accept(subprotocol=selected_subprotocol(request))
    except ConnectionClosed:
        return
    except Exception:
        # an exception escaping a handler would stop the whole server (trio-websocket)
        log.exception("handshake from %s failed", request.remote)
        return
    client = state.new_client(ws)
    log.info("client %d connected from %s", client.id, ws.remote)
    try:
        async with trio.open_nursery() as nursery:
            client.scope = nursery.cancel_scope
            nursery.start_soon(_write, client, nursery.cancel_scope)
            nursery.start_soon(_watch_reads, client, state.options.client_timeout)
            await _read(state, client)
            if client.too_slow is not None:
                pass  # drop_slow set the deadline: the frame being sent gets its grace period
            elif client.limiter is not None and client.limiter.exhausted:
                # let the writer send what is queued (the errors that say why), briefly
                client.outbox.close()
                nursery.cancel_scope.deadline = min(nursery.cancel_scope.deadline,
                                                    trio.current_time() + SLOW_CLIENT_GRACE)
            else:
                nursery.cancel_scope.cancel()
    except Exception:
        log.exception("client %d failed", client.id)
    finally:
        state.drop_client(client)
        with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT):
            if client.too_slow is not None:
                await _close(client, CLOSE_TRY_AGAIN_LATER, f"client too slow: {client.too_slow}")
            elif client.limiter is not None and client.limiter.exhausted:
                await _close(client, CLOSE_POLICY_VIOLATION, "rate limit exceeded")
            else:
                await _close(client, CLOSE_GOING_AWAY, "closing")
        log.info("client %d disconnected", client.id)


async def _write(client: Client, scope: trio.CancelScope) -> None:
    outbox = client.outbox
    try:
        while True:
            try:
                message, paced = await outbox.get()
            except trio.EndOfChannel:
                break
            outbox.sending_since = trio.current_time()
            # only a client that stopped reading is ever cancelled mid-frame (Client.drop_slow)
            await client.ws.send_message(message)
            if paced:
                # the pong comes once the client has read up to here; until then newer
                # per-step broadcasts replace older ones in the outbox, not in socket buffers
                await client.ws.ping()
            outbox.sending_since = None
    except ConnectionClosed:
        pass
    scope.cancel()


async def _watch_reads(client: Client, patience: float) -> None:
    """Drop a client that has taken nothing for `patience` seconds while a message waited."""
    while True:
        await trio.sleep(max(patience / 4, 0.05))
        since = client.outbox.sending_since
        if since is not None and trio.current_time() - since >= patience:
            client.drop_slow(f"read nothing for {patience:g} s")
            return


async def _read(state: ServerState, client: Client) -> None:
    while True:
        try:
            text = await client.ws.get_message()
        except ConnectionClosed:
            return
        if client.limiter is not None and not client.limiter.allow():
            if client.limiter.exhausted:
                log.warning("client %d keeps exceeding the rate limit; closing it", client.id)
                return
            client.send_nowait(events.error(
                f"rate limit exceeded ({state.options.rate_limit:g} messages/s): message dropped", None))
            continue
        try:
            request = events.parse_message(text)
        except events.ProtocolError as exc:
            client.send_nowait(events.error(exc.message, exc.params))
            continue
        action = Action(request, client)
        if request.event in events.MONITOR_EVENTS:
            await state.monitor.send(action)
            continue
        try:
            state.actions.send_nowait(action)
        except trio.WouldBlock:
            client.send_nowait(events.error("server busy: too many queued actions, try again",
                                            request.raw_params, request.event))


# --- task 5: the heartbeat -----------------------------------------------------------------
async def send_heartbeats(state: ServerState) -> None:
    """Tell every client the server is alive, every `heartbeat` seconds."""
    period = state.options.heartbeat
    message = events.heartbeat(period)
    while True:
        state.broadcast(message, "heartbeat")
        await trio.sleep(period)


# --- service tasks (cycsrv serve as a daemon) ----------------------------------------------
async def handle_signals(state: ServerState, *,
                         task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """SIGTERM and SIGINT shut down like `shutdown when="now"`; SIGHUP reopens log files."""
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
        task_status.started()
        async for signum in signals:
            if signum == signal.SIGHUP:
                logs.reopen_log_files()
                log.info("log files reopened (SIGHUP)")
                continue
            log.info("%s received: shutting down", signal.Signals(signum).name)
            await queue(state, Action(events.make_request("shutdown", {"when": "now"})))


async def report_to_systemd(state: ServerState) -> None:
    """`STATUS=` with the current time step, and `WATCHDOG=1` at half the watchdog period.

    The ping comes from the event loop, so a blocked loop lets the watchdog fire.
    """
    watchdog = systemd.watchdog_period()
    period = min(watchdog, 1.0) if watchdog is not None else 1.0
    last = None
    while True:
        status = f"STATUS={describe(state)}"
        lines = [status] if status != last else []
        if watchdog is not None:
            lines.append("WATCHDOG=1")
        if lines:
            systemd.notify(*lines)
        last = status
        await trio.sleep(period)


def describe(state: ServerState) -> str:
    """One line for `systemctl status`: where the simulation is and who is connected."""
    if state.sim is None:
        where = "waiting for load" if state.load_error is None else "load failed"
    elif state.sim_finished.is_set():
        where = f"finished at time step {state.step}" + (" (error)" if state.sim_error else "")
    else:
        where = f"time step {state.step} of {state.sim.duration}" + (" (paused)" if state.paused else "")
    return f"{where}; {len(state.clients)} client(s)"


logging.getLogger("trio-websocket").setLevel(logging.WARNING)
