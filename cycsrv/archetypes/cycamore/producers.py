"""Supply accounting shared by cycamore's institutions and GrowthRegion.

A facility is a *commodity producer* when it reports `commodity_production()`
(commodity -> (capacity, cost)); Source, Reactor and Storage do. DeployInst and ManagerInst
are *producer managers*: they track their producing children so a GrowthRegion can add up
supply. ManagerInst is also a *builder*: it offers prototypes a GrowthRegion may order.
"""

from __future__ import annotations

from cycsrv.kernel.agent import Agent


def production(agent: Agent) -> dict[str, tuple[float, float]] | None:
    """`{commodity: (capacity, cost)}` for a commodity producer, else None."""
    produce = getattr(agent, "commodity_production", None)
    return produce() if produce is not None else None


class ProducerManager:
    """The producing children of an institution, in registration order."""

    def __init__(self) -> None:
        self.producers: dict[int, Agent] = {}

    def register(self, agent: Agent) -> None:
        if production(agent) is not None:
            self.producers[agent.id] = agent

    def unregister(self, agent: Agent) -> None:
        self.producers.pop(agent.id, None)

    def supply(self, commodity: str) -> float:
        """Total capacity of the registered producers for `commodity`."""
        total = 0.0
        for agent in self.producers.values():
            caps = production(agent) or {}
            if commodity in caps:
                total += caps[commodity][0]
        return total
