"""`cyclus.lib` as archetypes use it: the context, custom-table datums, time series, portfolios.

`Context` is the kernel context seen through Cyclus's Python interface (`schedule_build`,
`get_recipe` as a nuclide dict, `new_datum(title).add_val(field, value, type=ts.DOUBLE)`);
it shares the kernel context's state, so nothing is copied. `record_time_series` writes
Cyclus's `TimeSeries<name>` rows and calls the functions in `TIME_SERIES_LISTENERS[name]`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from cycsrv.compat import typesystem as ts
from cycsrv.compat.views import real_agent
from cycsrv.kernel.agent import Agent
from cycsrv.kernel.context import Context as _KernelContext
from cycsrv.kernel.recorder import Datum as _KernelDatum
from cycsrv.store.schema import DbType, TableSchema

__all__ = [
    "ENRICH_FEED", "ENRICH_SWU", "POWER", "TIME_SERIES_LISTENERS", "Agent", "Context", "Datum",
    "call_listeners", "context_view", "normalize_bid_portfolio", "normalize_request_portfolio",
    "record_time_series",
]

#: Time series types of `record_time_series` and the tables they write (`TimeSeriesPower`, ...).
POWER, ENRICH_SWU, ENRICH_FEED = 0, 1, 2
_SERIES_NAMES = {POWER: "Power", ENRICH_SWU: "EnrichmentSWU", ENRICH_FEED: "EnrichmentFeed"}

#: Series name -> functions called as `f(agent, time, value, series_name)` after each row.
TIME_SERIES_LISTENERS: defaultdict[str, list[Callable[..., Any]]] = defaultdict(list)


class Datum:
    """A row of a custom table being built: `add_val(...)` per column, then `record()`."""

    def __init__(self, kernel: _KernelDatum) -> None:
        self.kernel = kernel

    @property
    def title(self) -> str:
        return self.kernel.title

    def add_val(self, field: str | bytes, value: Any, shape: Sequence[int] | None = None,
                type: Any = None) -> Datum:
        """Add column `field` holding `value` of Cyclus type `type` (a `ts` id such as
        `ts.DOUBLE`, or a normal form such as ``"double"``)."""
        if type is None:
            raise TypeError(f"add_val({field!r}, ...) needs the value's type, e.g. type=ts.DOUBLE")
        if isinstance(field, bytes):
            field = field.decode()
        if not isinstance(field, str):
            raise ValueError(f"a field name must be str or bytes, got {field!r}")
        dbtype = ts.kernel_dbtype(type)
        self.kernel.add_val(field, _column_value(value, dbtype), dbtype)
        return self

    def record(self) -> None:
        self.kernel.record()


def _column_value(value: Any, dbtype: DbType) -> Any:
    if dbtype in (DbType.DOUBLE, DbType.FLOAT):
        return float(value)
    if dbtype == DbType.INT:
        return int(value)
    if dbtype == DbType.BOOL:
        return bool(value)
    if dbtype in (DbType.STRING, DbType.VL_STRING):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


class Context(_KernelContext):
    """The simulation context with Cyclus's Python methods (see `context_view`)."""

    def get_recipe(self, name: str, basis: str = "mass") -> dict[int, float]:  # type: ignore[override]
        """The recipe's nuclide -> mass (or atom) values; Cyclus hands recipes over as dicts."""
        comp = _KernelContext.get_recipe(self, name)
        if basis == "mass":
            return dict(comp.mass())
        if basis == "atom":
            return dict(comp.atom())
        raise ValueError(f"Composition basis must be either mass or atom, not {basis!r}")

    def add_recipe(self, name: str, comp: Any, basis: str = "mass") -> None:  # type: ignore[override]
        _KernelContext.add_recipe(self, name, ts.composition(self, comp, basis))

    def schedule_build(self, parent: Any, proto_name: str, t: int = -1) -> None:
        self.sched_build(real_agent(parent), proto_name, t)

    def schedule_decom(self, agent: Any, t: int = -1) -> None:
        self.sched_decom(real_agent(agent), t)

    def new_datum(self, title: str) -> Datum:  # type: ignore[override]
        return Datum(_KernelContext.new_datum(self, title))

    @property
    def sim_id(self) -> Any:
        return self.recorder.sim_id

    def del_agent(self, agent: Any) -> None:
        """Take `agent` out of the simulation now (Cyclus's `DelAgent`)."""
        real_agent(agent).decommission()


def context_view(ctx: _KernelContext) -> Context:
    """`ctx` with Cyclus's Python interface: the same object state (shared attributes), so
    the kernel and the archetype see one context."""
    if isinstance(ctx, Context):
        return ctx
    view = ctx.__dict__.get("_cyclus_view")
    if view is None:
        view = object.__new__(Context)
        view.__dict__ = ctx.__dict__
        ctx.__dict__["_cyclus_view"] = view
    return view


_SERIES_SCHEMAS: dict[tuple[str, DbType], TableSchema] = {}


def _series_value(value: Any) -> tuple[Any, DbType]:
    if isinstance(value, bool):
        return value, DbType.BOOL
    if isinstance(value, int):
        return value, DbType.INT
    if isinstance(value, float):
        return value, DbType.DOUBLE
    if isinstance(value, str):
        return value, DbType.STRING
    raise TypeError(f"time series values must be bool, int, float or str, got {type(value).__name__}")


def record_time_series(tstype: str | int, agent: Agent, value: Any) -> None:
    """One row of `TimeSeries<name>` (AgentId, Time, Value, Units) for `agent` now, then the
    listeners of that series. `tstype` is a series name or POWER / ENRICH_SWU / ENRICH_FEED."""
    if isinstance(tstype, str):
        name = tstype
        value, dbtype = _series_value(value)
    else:
        try:
            name = _SERIES_NAMES[tstype]
        except KeyError:
            raise ValueError(f"unknown time series type {tstype!r}; use POWER, ENRICH_SWU, ENRICH_FEED "
                             "or a series name") from None
        value, dbtype = float(value), DbType.DOUBLE
    schema = _SERIES_SCHEMAS.get((name, dbtype))
    if schema is None:
        schema = _SERIES_SCHEMAS[name, dbtype] = TableSchema.of(
            f"TimeSeries{name}", ("AgentId", DbType.INT), ("Time", DbType.INT), ("Value", dbtype),
            ("Units", DbType.STRING))
    ctx = agent.context
    ctx.recorder.add(schema, (agent.id, ctx.time, value, ""))
    call_listeners(name, agent, ctx.time, value)


def call_listeners(tsname: str, agent: Agent, time: int, value: Any) -> None:
    """Call every listener of series `tsname`."""
    for f in list(TIME_SERIES_LISTENERS.get(tsname, ())):
        f(agent, time, value, tsname)


# ---------------------------------------------------------------------------------------------
# Portfolios in Cyclus's Python forms


def _as_list(value: Any) -> list[Any]:
    return [value] if not isinstance(value, Iterable) or isinstance(value, (str, bytes)) else list(value)


def normalize_request_portfolio(inp: Any) -> dict[str, Any]:
    """A request portfolio in its full form: ``{"commodities": [{name: [request, ...]}, ...],
    "constraints": [...]}``, each request ``{"target", "preference", "exclusive", "cost"}``.

    Accepted: ``{"commodities": [{name: target, "preference": p, "exclusive": e}, ...],
    "constraints": c}`` or ``{name: target, ...}``, where a target may also be a request dict
    or a list of targets/dicts. An entry's preference and exclusivity apply to a single
    target given directly (as in Cyclus); requests in a list carry their own.
    """
    if not isinstance(inp, Mapping):
        inp = dict(inp)
    full = "commodities" in inp
    entries = list(inp["commodities"]) if full else [inp]
    constraints = inp.get("constraints", []) if full else []
    commods: list[dict[str, list[dict[str, Any]]]] = []
    for entry in entries:
        for name, reqs in entry.items():
            if name in ("preference", "exclusive"):
                continue
            if isinstance(reqs, ts.Resource):
                req = _request(reqs)
                if full:
                    req["preference"] = entry.get("preference", 1.0)
                    req["exclusive"] = entry.get("exclusive", False)
                commods.append({name: [req]})
            elif isinstance(reqs, Mapping):
                commods.append({name: [_request(reqs)]})
            elif isinstance(reqs, Sequence):
                commods.append({name: [_request(x) for x in reqs]})
            else:
                raise TypeError(f"request portfolio: commodity {name!r} needs a resource, a request dict "
                                f"or a list of them, got {reqs!r}")
    return {"commodities": commods, "constraints": _as_list(constraints)}


def _request(x: Any) -> dict[str, Any]:
    req: dict[str, Any] = {"target": None, "preference": 1.0, "exclusive": False, "cost": None}
    if isinstance(x, ts.Resource):
        req["target"] = x
    elif isinstance(x, Mapping):
        req.update(x)
    else:
        raise TypeError(f"request portfolio: a request must be a resource or a dict, got {x!r}")
    return req


def normalize_bid_portfolio(inp: Any) -> dict[str, Any]:
    """A bid portfolio in its full form: ``{"bids": [{"request", "offer", "preference",
    "exclusive"}, ...], "constraints": [...]}``.

    Accepted: ``{"bids": [...], "constraints": c}``, a single bid dict, or a list of bids;
    a bid may be a dict, a ``(request, offer)`` pair, or a request (offering its target).
    """
    if not isinstance(inp, Mapping):
        bids, constraints = inp, []
    elif "bids" in inp:
        bids, constraints = inp["bids"], inp.get("constraints", [])
    else:
        bids, constraints = [inp], []
    if not isinstance(bids, Sequence):
        bids = [bids]
    out = []
    for b in bids:
        bid: dict[str, Any] = {"request": None, "offer": None, "preference": 1.0, "exclusive": False}
        if isinstance(b, Mapping):
            bid.update(b)
        elif isinstance(b, ts.request_types):
            bid["request"], bid["offer"] = b, b.target
        elif isinstance(b, Sequence):
            bid["request"], bid["offer"] = b
        else:
            raise TypeError(f"bid portfolio: a bid must be a dict, a (request, offer) pair or a request, got {b!r}")
        out.append(bid)
    return {"bids": out, "constraints": _as_list(constraints)}
