"""The time-step loop: Build, Tick, exchange (materials, products), Tock, Decision, Decommission."""

from __future__ import annotations

from collections.abc import Callable

from cycsrv.kernel import tables
from cycsrv.kernel.agent import overrides
from cycsrv.kernel.context import Context
from cycsrv.kernel.exchange import MATERIAL_HOOKS, PRODUCT_HOOKS, run_exchange
from cycsrv.kernel.inventory import record_explicit_inventory

StepHook = Callable[[int], None]


def do_build(ctx: Context, t: int) -> None:
    for prototype, parent in ctx.build_queue.pop(t, []):
        agent = ctx.create_agent(prototype)
        agent.build(parent)
        if parent is not None:
            parent.build_notify(agent)


def do_decom(ctx: Context, t: int) -> None:
    for agent in list(ctx.decom_queue.get(t, [])):
        if not agent.alive:
            continue
        if agent.parent is not None:
            agent.parent.decom_notify(agent)
        agent.decommission()
    ctx.decom_queue.pop(t, None)


def run_step(ctx: Context, t: int, *, explicit_inventory: bool = False, compact: bool = False) -> None:
    """Run every phase of step `t`."""
    ctx.time = t
    do_build(ctx, t)
    for agent in list(ctx.time_listeners):
        if agent.alive:
            agent.tick()
    run_exchange(ctx, MATERIAL_HOOKS)
    run_exchange(ctx, PRODUCT_HOOKS)
    for agent in list(ctx.time_listeners):
        if agent.alive:
            agent.tock()
    if explicit_inventory or compact:
        record_explicit_inventory(ctx, full=explicit_inventory, compact=compact)
    for agent in sorted(ctx.time_listeners, key=lambda a: a.id):
        if overrides(agent, "decision"):
            agent.decision()
    do_decom(ctx, t)


def record_finish(ctx: Context, early: bool, end_time: int) -> None:
    ctx.recorder.add(tables.FINISH, (early, end_time))
