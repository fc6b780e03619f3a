"""cycamore:Mixer: blends N input streams at fixed ratios into one output commodity."""

from __future__ import annotations

from cycsrv.archetypes.cycamore.common import (
    FACILITY_ALL_PARENTS,
    FACILITY_PARENTS,
    LARGE,
    VERSION,
    latitude_var,
    longitude_var,
    record_position,
    record_time_series,
)
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.exchange import Request, RequestPortfolio, Trade
from cycsrv.kernel.policies import MatlSellPolicy
from cycsrv.kernel.resbuf import ResBuf
from cycsrv.kernel.resources import Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar


class Mixer(Facility):
    """Blends several input streams in fixed mass ratios into one output commodity.

Each stream has its own inventory and is bought on its own commodities. Every time step it mixes as
much as the scarcest stream (at its ratio), the free output space and `throughput` allow, and offers
the output inventory on `out_commod`."""

    cpp_name = "cycamore::Mixer"
    version = VERSION
    parents = FACILITY_PARENTS
    all_parents = FACILITY_ALL_PARENTS
    extra_annotations = {"niche": "mixing facility"}

    streams_ = StateVar(
        ["std::vector", ["std::pair", ["std::pair", "double", "double"], ["std::map", "std::string", "double"]]],
        alias=["in_streams", ["stream", ["info", "mixing_ratio", "buf_size"], ["commodities", "commodity", "pref"]]],
        uitype=["oneormore", ["pair", ["pair", "double", "double"], ["oneormore", "incommodity", "double"]]],
        uilabel="Input Streams",
        doc="The streams to blend, in order. Per stream: mixing_ratio, its share of the blend by mass "
            "(ratios are scaled to sum to 1; all 0 means equal shares; negative is refused), buf_size, the "
            "most it stores in kg (negative: no limit), and commodities, pairs of commodity and request "
            "preference it buys the stream on.")
    out_commod = StateVar("std::string", doc="Commodity it sells the blend on.",
                          uilabel="Output Commodity", uitype="outcommodity")
    out_buf_size = StateVar("double", default=LARGE, uilabel="Maximum Output Inventory", uitype="range",
                            range=[0.0, LARGE], units="kg",
                            doc="Most blended material it holds (kg); when full, mixing stops until some is "
                                "sold. Default: no limit.")
    output = Inventory(capacity="out_buf_size", doc="Blend for sale")
    throughput = StateVar("double", default=LARGE, uilabel="Maximum Throughput", uitype="range",
                          range=[0.0, LARGE], units="kg",
                          doc="Most material it blends in one time step (kg). Default: no limit.")
    latitude = latitude_var()
    longitude = longitude_var()

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.output_buf: ResBuf[Material] = ResBuf(eps=ctx.eps_rsrc)
        self.stream_bufs: dict[str, ResBuf[Material]] = {}
        self.mixing_ratios: list[float] = []
        self.in_commods: list[dict[str, float]] = []
        self.sell_policy: MatlSellPolicy | None = None
        self._req_streams: dict[Request, str] = {}

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        invs: dict[str, list[Resource]] = {"output-inv-name": self.output_buf.items()}
        for name in sorted(self.stream_bufs):
            invs[name] = self.stream_bufs[name].items()
        return invs

    def enter_notify(self) -> None:
        super().enter_notify()
        self.output_buf.capacity = self.out_buf_size
        self.mixing_ratios = []
        self.in_commods = []
        for i, ((ratio, buf_size), commods) in enumerate(self.streams_):
            if ratio < 0:
                raise ValueError(f"{self.prototype} (id {self.id}): in_streams stream {i} has a negative "
                                 f"mixing_ratio ({ratio}); ratios must be >= 0")
            self.mixing_ratios.append(ratio)
            buf = self.stream_bufs.setdefault(f"in_stream_{i}", ResBuf(eps=self.context.eps_rsrc))
            if buf_size >= 0:
                buf.capacity = buf_size
            self.in_commods.append(dict(commods))
            record_position(self)
        total = sum(self.mixing_ratios)
        n = len(self.mixing_ratios)
        if total != 0:
            self.mixing_ratios = [r * (1.0 / total) for r in self.mixing_ratios]
        elif n:
            self.mixing_ratios = [1.0 / n] * n
        if self.sell_policy is not None:
            self.sell_policy.stop()
        self.sell_policy = MatlSellPolicy(self, self.output_buf, "output").set(self.out_commod)
        self.sell_policy.start()

    def decommission(self) -> None:
        if self.sell_policy is not None:
            self.sell_policy.stop()
        super().decommission()

    def tick(self) -> None:
        out = self.output_buf
        if out.quantity() < out.capacity:
            tgt = out.space()
            for i, ratio in enumerate(self.mixing_ratios):
                tgt = min(tgt, self.stream_bufs[f"in_stream_{i}"].quantity() / ratio)
            tgt = min(tgt, self.throughput)
            if tgt > 0:
                eps = self.context.eps_rsrc
                mixed: Material | None = None
                for i, ratio in enumerate(self.mixing_ratios):
                    piece = self.stream_bufs[f"in_stream_{i}"].pop(ratio * tgt, eps)
                    if mixed is None:
                        mixed = piece
                    else:
                        mixed.absorb(piece)
                if mixed is not None:  # no streams: nothing to mix
                    out.push(mixed)
        record_time_series(self, "supply" + self.out_commod, out.quantity())

    def get_material_requests(self) -> list[RequestPortfolio]:
        ctx = self.context
        for i, commods in enumerate(self.in_commods):
            space = self.stream_bufs[f"in_stream_{i}"].space()
            for commod in sorted(commods):
                record_time_series(self, "demand" + commod, space)
        ports = []
        for i, commods in enumerate(self.in_commods):
            name = f"in_stream_{i}"
            space = self.stream_bufs[name].space()
            if space > ctx.eps_rsrc:
                port = RequestPortfolio()
                m = Material.blank(ctx, space)
                reqs = []
                for commod in sorted(commods):
                    r = port.add_request(m, self, commod, commods[commod], False)
                    self._req_streams[r] = name
                    reqs.append(r)
                port.add_mutual_requests(reqs)
                ports.append(port)
        return ports

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for tr, m in responses:
            name = self._req_streams.get(tr.request)
            if name is None:
                raise ValueError(f"{self.prototype} (id {self.id}) was overmatched on requests")
            self.stream_bufs[name].push(m)
        self._req_streams.clear()


ARCHETYPE = Mixer
