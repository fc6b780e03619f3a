"""cycamore:Conversion: takes in any of its commodities and offers it, unchanged, as another one."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.common import (
    FACILITY_ALL_PARENTS,
    FACILITY_PARENTS,
    LARGE,
    VERSION,
    latitude_var,
    longitude_var,
    record_position,
)
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, Request, RequestPortfolio, Trade
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar


class Conversion(Facility):
    """Relabels material: it buys any of `incommods` and, up to `throughput` kg per time step,
    offers it unchanged on `outcommod`."""

    cpp_name = "cycamore::Conversion"
    version = VERSION
    parents = FACILITY_PARENTS
    all_parents = FACILITY_ALL_PARENTS

    latitude = latitude_var()
    longitude = longitude_var()
    incommods = StateVar(["std::vector", "std::string"], tooltip="input commodities",
                         doc="Commodities it buys, one or more; any composition is accepted.",
                         uilabel="Input Commodities", uitype=["oneormore", "incommodity"])
    outcommod = StateVar("std::string", tooltip="output commodity",
                         doc="Commodity it offers the converted material on.",
                         uilabel="Output Commodity", uitype="outcommodity")
    throughput = StateVar("double", default=LARGE, tooltip="conversion per step",
                          uilabel="Maximum Conversion Throughput", uitype="range", range=[0.0, LARGE],
                          doc="Most it moves from input to output in one time step (kg). Default: no limit.")
    input_capacity = StateVar("double", default=LARGE, tooltip="input buffer capacity",
                              uilabel="Maximum Input Inventory", uitype="range", range=[0.0, LARGE],
                              doc="Most unconverted material it holds (kg); each step it requests the free "
                                  "space, throughput does not cap the request. Default: no limit.")
    input = Inventory(capacity="input_capacity", doc="Bought, not yet converted")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.input_buf: ResBuf[Material] = ResBuf(bulk=True, eps=ctx.eps_rsrc)
        self.output_buf: ResBuf[Material] = ResBuf(bulk=True, eps=ctx.eps_rsrc)

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"input": self.input_buf.items()}

    def enter_notify(self) -> None:
        super().enter_notify()
        self.input_buf.capacity = self.input_capacity
        record_position(self)

    def tick(self) -> None:
        amt = min(self.input_buf.quantity(), self.throughput)
        if amt > 0:  # (Cycamore pops even 0 kg when throughput is 0, which is undefined in C++)
            self.output_buf.push(self.input_buf.pop(amt))

    def get_material_requests(self) -> list[RequestPortfolio]:
        # Cycamore requests the free input space (not capped by throughput, whatever the doc says)
        avail = self.input_buf.capacity - self.input_buf.quantity()
        if avail <= 0:
            return []
        port = RequestPortfolio()
        mat = Material.blank(self.context, avail)
        for commod in self.incommods:
            port.add_request(mat, self, commod)
        port.add_constraint(CapacityConstraint(avail))
        return [port]

    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        held = self.output_buf.quantity()
        if held <= 0:
            return []
        port = BidPortfolio()
        comp = self.output_buf.peek().comp
        for req in requests.get(self.outcommod, ()):
            qty = min(held, req.target.qty)
            if qty > 0:
                port.add_bid(req, Material.create_untracked(self.context, qty, comp), self)
        port.add_constraint(CapacityConstraint(held))
        return [port]

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        return [(tr, self.output_buf.pop(tr.amt)) for tr in trades]

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for _, m in responses:
            self.input_buf.push(m)


ARCHETYPE = Conversion
