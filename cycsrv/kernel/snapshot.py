"""Agent state as rows: `AgentStateAgent`, `AgentState<spec>Info`, `AgentStateInventories`."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from cycsrv.kernel import tables
from cycsrv.store.schema import DbType, TableSchema

if TYPE_CHECKING:
    from cycsrv.kernel.agent import Agent
    from cycsrv.kernel.recorder import Recorder


def agent_state_table(spec: str) -> str:
    """`AgentState<sanitised spec>Info`, e.g. `:agents:Source` -> `AgentState_agents_SourceInfo`."""
    clean = spec
    for ch in "/-:.":
        clean = clean.replace(ch, "_")
    return f"AgentState{clean}Info"


@functools.cache
def state_schema(cls: type[Agent], spec: str) -> TableSchema:
    """The `AgentState<spec>Info` schema: AgentId, SimTime, then the state variables in order."""
    fields: list[tuple[str, DbType]] = [("AgentId", DbType.INT), ("SimTime", DbType.INT)]
    fields += [(name, var.dbtype) for name, var in cls.state_vars.items()]
    return TableSchema.of(agent_state_table(spec), *fields)


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value


def record_state(recorder: Recorder, agent: Agent, t: int) -> None:
    """The agent's `AgentStateAgent` and `AgentState<spec>Info` rows at time `t`."""
    recorder.add(tables.AGENT_STATE_AGENT, (agent.id, t, agent.prototype, agent.lifetime))
    recorder.add(state_schema(type(agent), agent.spec),
                 (agent.id, t, *(_plain(getattr(agent, n)) for n in agent.state_vars)))


def record_inventories(recorder: Recorder, agent: Agent, t: int) -> None:
    """One `AgentStateInventories` row per resource the agent holds."""
    for name, resources in agent.snapshot_inventories().items():
        for r in resources:
            recorder.add(tables.AGENT_STATE_INVENTORIES, (agent.id, t, name, r.state_id))
