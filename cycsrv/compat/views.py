"""Agents as Cyclus's Python API hands them out: callable (`self.parent()`), yet the agent.

Cyclus returns wrappers whose `parent` is a method; cycsrv's kernel keeps `parent` as an
attribute. A cyclus.agents agent answers `agent()` with itself; any other kernel agent (a
built-in institution, say) is handed out as a view: an instance of a subclass of its class that
shares its attributes, equal to it and hashing like it, so it behaves as the agent itself.
"""

from __future__ import annotations

from typing import Any

_VIEW_CLASSES: dict[type, type] = {}


def _view_eq(self: Any, other: object) -> bool:
    return getattr(other, "_cy_real", other) is self._cy_real


def _view_hash(self: Any) -> int:
    return object.__hash__(self._cy_real)


def _view_call(self: Any) -> Any:
    return self


def callable_agent(agent: Any) -> Any:
    """`agent`, callable as `agent()` (returning itself); None stays None."""
    if agent is None or callable(agent):
        return agent
    cls = type(agent)
    view_cls = _VIEW_CLASSES.get(cls)
    if view_cls is None:
        view_cls = _VIEW_CLASSES[cls] = type(cls.__name__, (cls,), {
            "__slots__": ("_cy_real",), "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__call__": _view_call, "__eq__": _view_eq, "__hash__": _view_hash})
    view = object.__new__(view_cls)
    view.__dict__ = agent.__dict__
    view._cy_real = agent
    return view


def real_agent(agent: Any) -> Any:
    """The agent behind a view (or `agent` itself)."""
    return getattr(agent, "_cy_real", agent)
