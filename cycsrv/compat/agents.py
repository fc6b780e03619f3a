"""`cyclus.agents`: Agent, Region, Institution and Facility for archetypes written for Cyclus.

These are cycsrv's kernel agent classes with Cyclus's Python interface on top. When an
archetype class defines a hook (`tick`, `enter_notify`, `get_material_requests`, ...), the
class gets an adapter under that name that the kernel calls: it does what Cyclus's C++ side
does around the hook (registration before `enter_notify`, the build before `build`), hands the
hook Cyclus's Python shapes (request dicts, `{trade: material}`, `{(request, bid): pref}`)
and turns the answer back into kernel portfolios. A call reaching an adapter through
`super()` from a hook is passed straight on, so archetype class hierarchies work as in Cyclus.

An error in a hook ends the run as an `ArchetypeError` naming the archetype, the hook and the
agent. Cyclus itself leaves such errors pending and carries on; `set_hook_errors("report")`
does that (printing the traceback to stderr) for runs that must behave like Cyclus.
"""

from __future__ import annotations

import copy
import inspect
import json
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from cycsrv.compat import lib
from cycsrv.compat import typesystem as ts
from cycsrv.compat.views import callable_agent, real_agent
from cycsrv.kernel.agent import Agent as _KAgent
from cycsrv.kernel.agent import Facility as _KFacility
from cycsrv.kernel.agent import Institution as _KInstitution
from cycsrv.kernel.agent import Region as _KRegion
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, RequestPortfolio
from cycsrv.kernel.resources import Material as _KMaterial
from cycsrv.kernel.resources import Product as _KProduct
from cycsrv.kernel.statevar import REQUIRED

__all__ = ["Agent", "ArchetypeError", "Facility", "Institution", "Region", "set_hook_errors"]

_HOOK_ERRORS = "raise"


class ArchetypeError(RuntimeError):
    """An archetype's hook raised; the message names the archetype, hook and agent."""


def set_hook_errors(mode: str) -> None:
    """"raise" (default): an error in an archetype hook ends the run. "report": print it to
    stderr and carry on, as Cyclus does."""
    global _HOOK_ERRORS
    if mode not in ("raise", "report"):
        raise ValueError(f"hook error mode must be 'raise' or 'report', got {mode!r}")
    _HOOK_ERRORS = mode


@contextmanager
def _running(agent: Agent, hook: str) -> Iterator[None]:
    """Mark `hook` as running on `agent` (so `super()` calls pass through), with the agent's
    context active for context-free calls, and errors named after the archetype."""
    active = agent._cy_active
    active.add(hook)
    token = ts.ACTIVE_CONTEXT.set(agent.context)
    try:
        yield
    except ArchetypeError:
        raise
    except Exception as exc:
        where = f"in {type(agent).__module__}.{type(agent).__qualname__}.{hook} of agent {agent.id} ({agent.prototype!r})"
        if _HOOK_ERRORS == "report":
            print(f"cycsrv: error {where}; carrying on, as Cyclus does:", file=sys.stderr)
            traceback.print_exception(exc, file=sys.stderr)
        else:
            raise ArchetypeError(f"{where}: {type(exc).__name__}: {exc}") from exc
    finally:
        ts.ACTIVE_CONTEXT.reset(token)
        active.discard(hook)


# ---------------------------------------------------------------------------------------------
# Adapters: kernel-facing methods wrapping an archetype's Cyclus-style hooks

Adapter = Callable[[str, Callable[..., Any]], Callable[..., Any]]


def _plain_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """tick, tock, decision, check_decommission_condition: same call, context set."""
    def adapter(self: Agent, *args: Any) -> Any:
        if hook in self._cy_active:
            return fn(self, *args)
        result = None
        with _running(self, hook):
            result = fn(self, *args)
        return bool(result) if hook == "check_decommission_condition" else result
    return adapter


def _notify_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """build_notify / decom_notify: the kernel passes the child, Cyclus's hook takes nothing."""
    def adapter(self: Agent, *args: Any) -> None:
        if hook in self._cy_active:
            fn(self, *args)
            return
        with _running(self, hook):
            fn(self)
    return adapter


def _build_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """build: the kernel's build (parent link, enter_notify, AgentEntry) first, then the hook."""
    def build(self: Agent, parent: Any) -> None:
        if hook in self._cy_active:
            fn(self, parent)
            return
        super(Agent, self).build(parent)
        with _running(self, hook):
            fn(self, self.parent)
    return build


def _enter_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """enter_notify: the kernel's registrations first, then the hook."""
    def enter_notify(self: Agent) -> None:
        if hook in self._cy_active:
            fn(self)
            return
        super(Agent, self).enter_notify()
        with _running(self, hook):
            fn(self)
    return enter_notify


def _resource_kind(hook: str) -> type[Any]:
    return _KProduct if "product" in hook else _KMaterial


def _requests_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    kind = _resource_kind(hook)

    def adapter(self: Agent) -> list[RequestPortfolio]:
        if hook in self._cy_active:
            return fn(self)
        ports: list[RequestPortfolio] = []
        with _running(self, hook):
            ports = request_portfolios(self, fn(self), kind)
        return ports
    return adapter


def _bids_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    kind = _resource_kind(hook)

    def adapter(self: Agent, commod_requests: Mapping[str, list[Any]]) -> list[BidPortfolio]:
        if hook in self._cy_active:
            return fn(self, commod_requests)
        requests = {c: tuple(ts.Request(r) for r in commod_requests[c]) for c in sorted(commod_requests)}
        ports: list[BidPortfolio] = []
        with _running(self, hook):
            ports = bid_portfolios(self, fn(self, requests), kind)
        return ports
    return adapter


def _trades_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    kind = _resource_kind(hook)

    def adapter(self: Agent, trades: list[Any]) -> list[tuple[Any, Any]]:
        if hook in self._cy_active:
            return fn(self, trades)
        sent: list[tuple[Any, Any]] = []
        with _running(self, hook):
            raw = fn(self, tuple(ts.Trade(t) for t in trades))
            pairs = (raw.items() if isinstance(raw, Mapping) else raw) if raw else ()
            sent = [(t.kernel if isinstance(t, ts.Trade) else t, ts.unwrap(r, kind)) for t, r in pairs]
        return sent
    return adapter


def _accept_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def adapter(self: Agent, responses: Any) -> None:
        if hook in self._cy_active:
            fn(self, responses)
            return
        with _running(self, hook):
            fn(self, {ts.Trade(t): ts.wrap(r) for t, r in responses})
    return adapter


def _prefs_hook(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def adapter(self: Agent, prefs: Any) -> Any:
        if hook in self._cy_active:
            return fn(self, prefs)
        flat = {(ts.Request(r), ts.Bid(b)): p for r, bids in prefs.items() for b, p in bids.items()}
        with _running(self, hook):
            for (req, bid), pref in (fn(self, flat) or {}).items():
                prefs[req.kernel][bid.kernel] = float(pref)
    return adapter


_ADAPTERS: dict[str, Adapter] = {
    "tick": _plain_hook, "tock": _plain_hook, "decision": _plain_hook,
    "check_decommission_condition": _plain_hook,
    "build": _build_hook, "enter_notify": _enter_hook,
    "build_notify": _notify_hook, "decom_notify": _notify_hook,
    "get_material_requests": _requests_hook, "get_product_requests": _requests_hook,
    "get_material_bids": _bids_hook, "get_product_bids": _bids_hook,
    "get_material_trades": _trades_hook, "get_product_trades": _trades_hook,
    "accept_material_trades": _accept_hook, "accept_product_trades": _accept_hook,
    "adjust_material_prefs": _prefs_hook, "adjust_product_prefs": _prefs_hook,
}


def request_portfolios(agent: Agent, raw: Any, kind: type[Any] = _KMaterial) -> list[RequestPortfolio]:
    """Kernel request portfolios from a hook's answer (one portfolio dict, a list, or None).

    Every request of a portfolio satisfies the same demand (Cyclus makes them mutual)."""
    if raw is None:
        return []
    out = []
    for port in [raw] if isinstance(raw, Mapping) else raw:
        norm = lib.normalize_request_portfolio(port)
        rp = RequestPortfolio()
        made = []
        for commodity in norm["commodities"]:
            for name, reqs in commodity.items():
                for req in reqs:
                    if req.get("cost") is not None:
                        raise ValueError("request cost functions are not supported for Python archetypes")
                    made.append(rp.add_request(ts.unwrap(req["target"], kind), agent, name,
                                               float(req["preference"]), bool(req["exclusive"])))
        if made:
            rp.add_mutual_requests(made)
        for c in norm["constraints"]:
            rp.add_constraint(CapacityConstraint(float(c)))
        out.append(rp)
    return out


def bid_portfolios(agent: Agent, raw: Any, kind: type[Any] = _KMaterial) -> list[BidPortfolio]:
    """Kernel bid portfolios from a hook's answer (one portfolio dict, a list, or None)."""
    if raw is None:
        return []
    out = []
    for port in [raw] if isinstance(raw, Mapping) else raw:
        norm = lib.normalize_bid_portfolio(port)
        bp = BidPortfolio()
        for b in norm["bids"]:
            req = b["request"]
            bp.add_bid(req.kernel if isinstance(req, ts.Request) else req, ts.unwrap(b["offer"], kind), agent,
                       bool(b["exclusive"]), float(b["preference"]))
        for c in norm["constraints"]:
            bp.add_constraint(CapacityConstraint(float(c)))
        out.append(bp)
    return out


# ---------------------------------------------------------------------------------------------
# The classes


def _annotations(cls: type[Agent]) -> dict[str, Any]:
    """The annotations Cyclus gives a Python archetype (its `annotations_json`)."""
    out: dict[str, Any] = {
        "vars": {name: var.to_dict(name, i) for i, (name, var) in enumerate(cls.state_vars.items())
                 if isinstance(var, ts.StateVar)},
        "name": cls.__name__,
        "entity": cls.entity,
        "parents": [_cyclus_name(b) for b in cls.__bases__],
        "all_parents": _cyclus_mro(cls),
        "doc": inspect.getdoc(cls),
        "userlevel": cls.userlevel,
    }
    for key in ("niche", "tooltip"):
        value = getattr(cls, key, None)
        if value is not None:
            out[key] = value
    return out


#: Cyclus's Python class chains above each base (its extension types included).
_CHAINS: dict[str, list[str]] = {
    "Agent": ["Agent", "_Agent", "Agent", "_Agent"],
    "Facility": ["Facility", "_Facility", "_Agent", "_Agent"],
    "Institution": ["Institution", "_Institution", "_Agent", "_Agent"],
    "Region": ["Region", "_Region", "_Agent", "_Agent"],
}


def _cyclus_name(cls: type) -> str:
    return cls.__name__


def _cyclus_mro(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__[1:]:
        if klass.__module__ == __name__ and klass.__name__ in _CHAINS:
            names += _CHAINS[klass.__name__]
            break
        if klass is not object:
            names.append(klass.__name__)
    return [*names, "object"]


_RNG_TYPES = {"bool": "boolean", "int": "int", "float": "float", "double": "double", "std::string": "string",
              "cyclus::Blob": "string", "boost::uuids::uuid": "string"}


def _rng(t: Any, alias: Any, schematype: Any, indent: str) -> list[str]:
    """RelaxNG for one value of type `t` under element name(s) `alias`."""
    name = alias[0] if isinstance(alias, list) else alias
    if isinstance(name, list):
        name = name[0]
    if isinstance(t, str):
        data = schematype if isinstance(schematype, str) else _RNG_TYPES.get(t, "string")
        return [f'{indent}<element name="{name}"><data type="{data}"/></element>']
    head = t[0]
    lines = [f'{indent}<element name="{name}">']
    inner = indent + "  "
    if head in ("std::vector", "std::set", "std::list"):
        lines += [f"{inner}<oneOrMore>", *_rng(t[1], alias[1], None, inner + "  "), f"{inner}</oneOrMore>"]
    elif head == "std::pair":
        lines += [*_rng(t[1], alias[1], None, inner), *_rng(t[2], alias[2], None, inner)]
    elif head == "std::map":
        item = alias[0][1] if isinstance(alias[0], list) else "item"
        lines += [f"{inner}<oneOrMore>", f'{inner}  <element name="{item}">',
                  *_rng(t[1], alias[1], None, inner + "    "), *_rng(t[2], alias[2], None, inner + "    "),
                  f"{inner}  </element>", f"{inner}</oneOrMore>"]
    return [*lines, f"{indent}</element>"]


def _schema(cls: type[Agent]) -> str:
    """The RelaxNG an archetype's `<config>` body must match (its non-internal variables)."""
    body: list[str] = []
    for name, var in cls.state_vars.items():
        if var.internal:
            continue
        alias = ts.canonical_annotation(ts.DEFAULT_ALIASES, var.type, name, var.alias)
        element = _rng(var.type, alias, var.schematype, "  " if var.default is REQUIRED else "    ")
        body += element if var.default is REQUIRED else ["  <optional>", *element, "  </optional>"]
    return "<text/>" if not body else "\n".join(["<interleave>", *body, "</interleave>"])


class Agent(_KAgent):
    """Base of archetypes written for Cyclus; a kernel agent with Cyclus's Python interface."""

    entity = "archetype"
    niche: ClassVar[Any] = None
    tooltip: ClassVar[Any] = None
    userlevel: ClassVar[int] = 0
    version = "0.0.0"
    _cy_inventories: ClassVar[dict[str, ts.Inventory]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.state_vars = dict(sorted(cls.state_vars.items(), key=lambda kv: getattr(kv[1], "index", -1)))
        invs: dict[str, ts.Inventory] = {}
        for klass in reversed(cls.__mro__):
            invs.update((n, v) for n, v in vars(klass).items() if isinstance(v, ts.Inventory))
        cls._cy_inventories = dict(sorted(invs.items(), key=lambda kv: kv[1].index))
        if cls.__module__ != __name__:
            _install_adapters(cls)
        cls.extra_annotations = _annotations(cls)

    def __init__(self, ctx: Any) -> None:
        self._cy_active: set[str] = set()
        self._cy_parent: Any = None
        super().__init__(ctx)
        self.context = lib.context_view(ctx)
        for name, var in self.state_vars.items():
            if isinstance(var, ts.StateVar) and var.value is not None:
                setattr(self, name, copy.deepcopy(var.value))
        for name, inv in self._cy_inventories.items():
            setattr(self, name, inv.new_buffer())

    # --- identity as Cyclus shows it ----------------------------------------------------------
    def __hash__(self) -> int:
        return self.id

    def __call__(self) -> Agent:
        return self

    def __str__(self) -> str:
        return (f"{self.kind}_{self.prototype} ( ID={self.id}, implementation={self.spec},  "
                f"name={self.prototype},  parentID={self.parent_id} ) ")

    @property  # type: ignore[override]
    def parent(self) -> Any:
        """The parent agent; call it (`self.parent()`) as in Cyclus, or use it directly."""
        return self._cy_parent

    @parent.setter
    def parent(self, agent: Any) -> None:
        self._cy_parent = callable_agent(agent)

    @property
    def schema(self) -> str:
        return _schema(type(self))

    @property
    def annotations(self) -> str:
        """The annotations as JSON text (Cyclus hands out a JSON value that prints as such)."""
        return json.dumps(self.extra_annotations, separators=(",", ":"))

    @property
    def annotations_json(self) -> str:
        return self.annotations

    def in_family_tree(self, other: Any) -> bool:
        return real_agent(other) is self or self.ancestor_of(other) or self.decendent_of(other)

    def ancestor_of(self, other: Any) -> bool:
        node = real_agent(real_agent(other).parent)
        while node is not None:
            if node is self:
                return True
            node = real_agent(node.parent)
        return False

    def decendent_of(self, other: Any) -> bool:
        return any(kid is self or self.decendent_of(kid) for kid in real_agent(other).children)

    def lifetime_force(self, n_timesteps: int) -> None:
        """Set the lifetime even after the agent is built (ending no earlier than now)."""
        if self.enter_time == -1:
            self.lifetime = n_timesteps
        elif self.enter_time + n_timesteps <= self.context.time:
            self.lifetime = self.context.time - self.enter_time + 1
        else:
            self.lifetime = n_timesteps

    # --- the kernel's hooks with Cyclus's defaults for archetype code -------------------------
    def build(self, parent: Any) -> None:
        if "build" not in self._cy_active:
            super().build(parent)

    def enter_notify(self) -> None:
        if "enter_notify" not in self._cy_active:
            super().enter_notify()

    def build_notify(self, *child: Any) -> None:
        """A child was built (Cyclus's Python hook takes no argument)."""

    def decom_notify(self, *child: Any) -> None:
        """A child is being decommissioned (Cyclus's Python hook takes no argument)."""

    def configure(self, values: dict[str, Any]) -> None:
        super().configure(values)
        self._size_inventories()

    def init_from(self, other: _KAgent) -> None:
        super().init_from(other)
        for name in self._cy_inventories:
            getattr(self, name).capacity = getattr(other, name).capacity

    def init_from_agent(self, other: Agent) -> None:
        """Cyclus's name for copying a prototype's state into a clone."""
        self.init_from(other)

    def _size_inventories(self) -> None:
        for name, inv in self._cy_inventories.items():
            cap = inv.capacity
            value = 1e300 if cap is None else getattr(self, cap) if isinstance(cap, str) else cap
            buf = getattr(self, name)
            if hasattr(buf, "buffer"):
                buf.buffer.capacity = float(value)


def _install_adapters(cls: type[Agent]) -> None:
    """Put an adapter on `cls` for each hook it defines itself or takes from a plain mixin
    (hooks from archetype base classes already have theirs)."""
    for hook, adapt in _ADAPTERS.items():
        owner = next((k for k in cls.__mro__ if hook in vars(k)), None)
        if owner is None or (owner is not cls and issubclass(owner, _KAgent)):
            continue
        fn = vars(owner)[hook]
        if inspect.isfunction(fn) and not getattr(fn, "_cy_adapter", False):
            adapter = adapt(hook, fn)
            adapter._cy_adapter = True  # type: ignore[attr-defined]
            adapter.__name__ = adapter.__qualname__ = hook
            adapter.__doc__ = fn.__doc__
            setattr(cls, hook, adapter)


class Region(Agent, _KRegion):
    """A region archetype written for Cyclus."""

    entity = "region"

    def __str__(self) -> str:
        return Agent.__str__(self) + " has insts: " + "".join(f"{c.prototype}, " for c in self.children)


class Institution(Agent, _KInstitution):
    """An institution archetype written for Cyclus (it does not retire facilities by itself)."""

    entity = "institution"

    def tock(self) -> None:
        """Cyclus's Python institutions leave expired facilities alone unless they act."""

    def __str__(self) -> str:
        parent = self.parent
        where = f" in region{parent.prototype}" if parent is not None else " with no region."
        return Agent.__str__(self) + where


class Facility(Agent, _KFacility):
    """A facility archetype written for Cyclus."""

    entity = "facility"

    def __str__(self) -> str:
        return Agent.__str__(self) + f" with:  lifetime: {self.lifetime} build date: {self.enter_time}"
