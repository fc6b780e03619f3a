"""What every Cycamore archetype shares: position variables, TimeSeries rows, versions."""

from __future__ import annotations

import math

from cycsrv.kernel.agent import Agent
from cycsrv.kernel.exchange import BidPortfolio, Request
from cycsrv.kernel.resources import Material
from cycsrv.kernel.statevar import StateVar
from cycsrv.store.schema import DbType, TableSchema

#: `AgentVersions.Version` for cycamore archetypes in the reference build.
VERSION = "1.6.0"
LARGE = 1e299
LARGE_INT = 2147483647

#: annotation `parents` / `all_parents` of every cycamore facility
FACILITY_PARENTS = ("cyclus::Facility", "cyclus::toolkit::Position")
FACILITY_ALL_PARENTS = ("EconomicEntity", "cyclus::Agent", "cyclus::Facility", "cyclus::Ider",
                        "cyclus::StateWrangler", "cyclus::TimeListener", "cyclus::Trader",
                        "cyclus::toolkit::Position")
#: the same for facilities that also report what they produce (Reactor, Source)
PRODUCER_PARENTS = ("cyclus::Facility", "cyclus::toolkit::CommodityProducer", "cyclus::toolkit::Position")
PRODUCER_ALL_PARENTS = ("EconomicEntity", "cyclus::Agent", "cyclus::Facility", "cyclus::Ider",
                        "cyclus::StateWrangler", "cyclus::TimeListener", "cyclus::Trader",
                        "cyclus::toolkit::AgentManaged", "cyclus::toolkit::CommodityProducer",
                        "cyclus::toolkit::Position")


def latitude_var() -> StateVar:
    return StateVar("double", default=0.0, uilabel="Latitude (degrees)", tooltip="latitude",
                    doc="Where the agent sits, north-south: decimal degrees, -90 to 90 (north positive). "
                        "Written to AgentPosition; it changes no behaviour.")


def longitude_var() -> StateVar:
    return StateVar("double", default=0.0, uilabel="Longitude (degrees)", tooltip="longitude",
                    doc="Where the agent sits, east-west: decimal degrees, -180 to 180 (east positive). "
                        "Written to AgentPosition; it changes no behaviour.")


AGENT_POSITION = TableSchema.of("AgentPosition", ("Spec", DbType.STRING), ("Prototype", DbType.STRING),
                                ("AgentId", DbType.INT), ("Latitude", DbType.DOUBLE),
                                ("Longitude", DbType.DOUBLE))

_TIMESERIES: dict[str, TableSchema] = {}


def record_position(agent: Agent) -> None:
    """One `AgentPosition` row (cycamore archetypes write it in `enter_notify`)."""
    agent.context.recorder.add(AGENT_POSITION, (agent.spec, agent.prototype, agent.id,
                                                getattr(agent, "latitude", 0.0), getattr(agent, "longitude", 0.0)))


def record_time_series(agent: Agent, name: str, value: float, units: str = "") -> None:
    """A row of table `TimeSeries<name>` (e.g. "supply" + commodity -> `TimeSeriessupplyuox`)."""
    schema = _TIMESERIES.get(name)
    if schema is None:
        schema = _TIMESERIES[name] = TableSchema.of(
            f"TimeSeries{name}", ("AgentId", DbType.INT), ("Time", DbType.INT), ("Value", DbType.DOUBLE),
            ("Units", DbType.STRING))
    ctx = agent.context
    ctx.recorder.add(schema, (agent.id, ctx.time, float(value), units))


def bid_until_covered(port: BidPortfolio, reqs: list[Request], mats: list[Material], bidder: Agent, *,
                      exclusive: bool = False, min_qty: float = -math.inf) -> None:
    """Bid `mats`, in order, on each request until their total covers its quantity, as Cycamore
    offers whole inventory items; items of `min_qty` or less count towards the total unoffered."""
    add_bid = port.add_bid
    for req in reqs:
        want = req.target.qty
        tot = 0.0
        for m in mats:
            tot += m.qty
            if m.qty > min_qty:
                add_bid(req, m, bidder, exclusive)
            if tot >= want:
                break
