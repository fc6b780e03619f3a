"""One coroutine per event: what the server does when asked, and what it replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

from cycsrv.archetypes.registry import annotations
from cycsrv.server import events
from cycsrv.server.state import Action, ServerState, log
from cycsrv.store.orient import render

ActionFn = Callable[[ServerState, Action], Awaitable[None]]

#: Tables at least this long are rendered on a worker thread, off the trio thread.
RENDER_IN_THREAD_ROWS = 2000


async def load(state: ServerState, action: Action) -> None:
    """Load the input and start the simulation; `loaded` follows. One attempt at a time, so
    each request gets the outcome of its own attempt."""
    async with state.load_lock:
        if state.sim is not None:
            state.reply(action, events.error("the simulation is already loaded", None, "load"))
            return
        state.load_error = None
        state.load_finished = trio.Event()
        state.load_requested.set()
        await state.load_finished.wait()
        error = state.load_error
    if error is not None:
        state.reply(action, events.error(error, None, "load"))
    else:
        state.reply(action, events.encode("loaded", {"status": "ok"}, None))


async def pause(state: ServerState, action: Action) -> None:
    """Hold the simulation at the end of the current step until `unpause`."""
    if state.paused:
        return
    with trio.CancelScope() as scope:
        state.pause_scope = scope
        state.unpaused = trio.Event()
        log.info("paused at time step %d", state.step)
        try:
            await trio.sleep_forever()
        finally:
            state.pause_scope = None
            state.unpaused.set()
            log.info("unpaused")


async def unpause(state: ServerState, action: Action) -> None:
    """Cancel the pause (a monitor action: it never waits behind queued actions)."""
    if state.pause_scope is not None:
        state.pause_scope.cancel()


async def register_tables(state: ServerState, action: Action) -> None:
    current = state.registry()
    state.memory.set_registry(set(current) | set(action.request.params.tables))
    await registry_request(state, action)


async def deregister_tables(state: ServerState, action: Action) -> None:
    reg = state.memory.registry
    current = set() if reg is True else set(reg)  # type: ignore[arg-type]
    state.memory.set_registry(current - set(action.request.params.tables))
    await registry_request(state, action)


async def registry_request(state: ServerState, action: Action) -> None:
    state.reply(action, events.encode("registry", None, state.registry()))


async def table_names_request(state: ServerState, action: Action) -> None:
    names = state.sqlite.table_names() if state.sqlite is not None else []
    state.reply(action, events.encode("table_names", None, names))


async def echo(state: ServerState, action: Action) -> None:
    s = action.request.params.s
    state.reply(action, events.encode("echo", action.request.raw_params, s))


async def sleep(state: ServerState, action: Action) -> None:
    """Sleep n seconds (as a repeating action this slows every time step); then reply to the client."""
    await trio.sleep(action.request.params.n)
    if action.client is not None:  # a per-step sleep would only be noise for every client
        state.reply(action, events.encode("sleep", action.request.raw_params, None))


async def agent_annotations(state: ServerState, action: Action) -> None:
    """Annotations of a built-in archetype or one the loaded input lists; never imports."""
    spec = action.request.params.spec
    loaded = state.sim.archetypes if state.sim is not None else None
    try:
        data = annotations(spec, loaded)
    except KeyError as exc:
        state.reply(action, events.error(str(exc.args[0]), action.request.raw_params, "agent_annotations"))
        return
    state.reply(action, events.encode("agent_annotations", action.request.raw_params, data))


async def table_data(state: ServerState, action: Action) -> None:
    """The rows of a table in the in-memory backend, with conditions, as pandas orient JSON."""
    p = action.request.params
    params = {"table": p.table, "conds": p.conds, "orient": p.orient}
    if p.table not in state.memory.tables():
        state.reply(action, events.encode("table_data", params, f"{p.table} is not available."))
        return
    try:
        result = state.memory.query(p.table, p.conds)
        if result.num_rows >= RENDER_IN_THREAD_ROWS:
            text = await trio.to_thread.run_sync(render, result, p.orient)
        else:
            text = render(result, p.orient)
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        state.reply(action, events.error(str(message), action.request.raw_params, "table_data"))
        return
    state.reply(action, events.encode("table_data", params, raw_data=text))


ACTIONS: dict[str, ActionFn] = {
    "agent_annotations": agent_annotations,
    "deregister_tables": deregister_tables,
    "echo": echo,
    "load": load,
    "pause": pause,
    "register_tables": register_tables,
    "registry_request": registry_request,
    "sleep": sleep,
    "table_data": table_data,
    "table_names_request": table_names_request,
    "unpause": unpause,
}


async def run_action(state: ServerState, action: Action) -> None:
    """Run one action; an exception inside it becomes an `error` event, never a crash."""
    request = action.request
    state.active_actions += 1
    try:
        await ACTIONS[request.event](state, action)
    except Exception as exc:
        log.exception("action %s failed", request.event)
        state.reply(action, events.error(f"{request.event} failed: {exc}", request.raw_params, request.event))
    finally:
        state.finish_action()
        if action.done is not None:
            action.done.set()
