"""cycamore:FuelFab: mixes fissile and filler (or top-up) streams to match a requested fuel's reactivity."""

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
from cycsrv.archetypes.cycamore.source import check_recipe
from cycsrv.kernel import nucdata
from cycsrv.kernel.agent import Facility
from cycsrv.kernel.exchange import BidPortfolio, CapacityConstraint, Request, RequestPortfolio, Trade
from cycsrv.kernel.resbuf import ResBuf, squash
from cycsrv.kernel.resources import Composition, Material, Resource
from cycsrv.kernel.statevar import Inventory, StateVar

NEAR_ZERO = 1e-8
#: Neutrons per fission used by the weights, per spectrum (others: 0).
NU = {
    "thermal": {922350000: 2.43, 922330000: 2.5, 942390000: 2.85, 942410000: 2.85},
    "fission_spectrum_ave": {922350000: 2.58, 922330000: 2.63, 942390000: 3.1, 942410000: 3.1},
}
U238 = 922380000
PU239 = 942390000

_P_CACHE: dict[tuple[int, str], float] = {}


def _reactivity(nuc: int, spectrum: str) -> float:
    """p = nu * sigma_f - sigma_a of `nuc` (0 for a nuclide without one-group data)."""
    key = (nuc, spectrum)
    p = _P_CACHE.get(key)
    if p is None:
        nu = NU.get(spectrum, NU["fission_spectrum_ave"]).get(nuc, 0.0)
        try:
            fiss = nucdata.simple_xs(nuc, "fission", spectrum)
            absorb = nucdata.simple_xs(nuc, "absorption", spectrum)
        except nucdata.NucDataError:
            if not nucdata.has_simple_xs(U238, spectrum):  # unknown spectrum: report it
                raise
            fiss = absorb = 0.0
        p = _P_CACHE[key] = nu * fiss - absorb
    return p


def cosi_weight(comp: Composition, spectrum: str) -> float:
    """Reactivity weight of `comp` on a scale where U238 is 0 and Pu239 is 1 (COSI equivalence)."""
    p_u238 = _reactivity(U238, spectrum)
    p_pu239 = _reactivity(PU239, spectrum)
    w = 0.0
    for nuc, frac in sorted(comp.atom_scaled().items()):
        w += frac * (_reactivity(nuc, spectrum) - p_u238) / (p_pu239 - p_u238)
    return w


def valid_weights(w_low: float, w_target: float, w_high: float) -> bool:
    return w_low <= w_target <= w_high


def high_frac(w_low: float, w_target: float, w_high: float, eps: float = NEAR_ZERO) -> float:
    """Atom fraction of the high-weight stream in a mix of weight `w_target`."""
    if not valid_weights(w_low, w_target, w_high):
        raise ValueError("low and high weights cannot meet target")
    if w_low == w_high and w_target == w_low:
        return 1.0
    f = abs((w_target - w_low) / (w_high - w_low))
    if 1 - f < eps:
        return 1.0
    if f < eps:
        return 0.0
    return f


def low_frac(w_low: float, w_target: float, w_high: float, eps: float = NEAR_ZERO) -> float:
    return 1 - high_frac(w_low, w_target, w_high, eps)


def atom_to_mass_frac(atomfrac: float, c1: Composition, c2: Composition) -> float:
    """Mass fraction of `c1` in a mix holding atom fraction `atomfrac` of `c1` and the rest of `c2`."""
    mass1 = 0.0
    for nuc, v in sorted(c1.atom_scaled(atomfrac).items()):
        mass1 += v * nucdata.atomic_mass(nuc)
    mass2 = 0.0
    for nuc, v in sorted(c2.atom_scaled(1 - atomfrac).items()):
        mass2 += v * nucdata.atomic_mass(nuc)
    return mass1 / (mass1 + mass2)


class FuelFab(Facility):
    """Blends fuel to order from two input streams.

For each request it mixes a fissile and a filler stream (or, for targets more reactive than the
fissile stream, the fissile and a top-up stream) so the mix has the same reactivity weight as the
requested composition.

A composition's weight is the sum over its nuclides of

    N * (p - p_U238) / (p_Pu239 - p_U238),   with p = nu * sigma_f - sigma_a

where N is the nuclide's atom fraction, nu the neutrons per fission and sigma_f, sigma_a its one-group
fission and absorption cross sections (PyNE's simple cross-section data, for the chosen `spectrum`).
The mixing ratio is interpolated linearly between the two streams' weights. This is the equivalence
method of the COSI code, after Baker and Ross [1]. Offers it cannot blend are not made.

Each stream has its own inventory; whatever arrives in one is merged into a single material. The
fissile and filler streams can be bought on several commodities, each with a preference; the top-up
stream on one, and only when `topup_size` is above zero (the default is 0: no top-up). At most
`throughput` kg is sold per time step, so a larger request is never met.

[1] Baker, A. R., and R. W. Ross, "Comparison of the value of plutonium and uranium isotopes in fast
reactors", Proceedings of the Conference on Breeding, Economics, and Safety in Large Fast Power
Reactors, 1963."""

    cpp_name = "cycamore::FuelFab"
    version = VERSION
    parents = FACILITY_PARENTS
    all_parents = FACILITY_ALL_PARENTS
    extra_annotations = {"niche": "fabrication"}

    latitude = latitude_var()
    longitude = longitude_var()
    fill_commods = StateVar(["std::vector", "std::string"], uilabel="Filler Stream Commodities",
                            uitype=["oneormore", "incommodity"],
                            doc="Commodities it buys filler on (e.g. depleted uranium), one or more.")
    fill_commod_prefs = StateVar(["std::vector", "double"], default=[], uilabel="Filler Stream Preferences",
                                 doc="Preference of each fill_commods entry (same order); empty: 1 for all.")
    fill_recipe = StateVar("std::string", uilabel="Filler Stream Recipe", uitype="inrecipe",
                           doc="Recipe requested for filler; also its weight before any filler arrives.")
    fill_size = StateVar("double", uilabel="Filler Stream Inventory Capacity", units="kg", range=[0.0, LARGE],
                         doc="Most filler it holds (kg).")
    fill = Inventory(capacity="fill_size", doc="Filler, merged into one material")
    fiss_commods = StateVar(["std::vector", "std::string"], uilabel="Fissile Stream Commodities",
                            uitype=["oneormore", "incommodity"],
                            doc="Commodities it buys fissile material on (e.g. separated plutonium), one or "
                                "more.")
    fiss_commod_prefs = StateVar(["std::vector", "double"], default=[], uilabel="Fissile Stream Preferences",
                                 doc="Preference of each fiss_commods entry (same order); empty: 1 for all.")
    fiss_recipe = StateVar("std::string", default="", uilabel="Fissile Stream Recipe", uitype="inrecipe",
                           doc="Recipe requested for fissile material. Empty (default): any composition "
                               "will do.")
    fiss_size = StateVar("double", uilabel="Fissile Stream Inventory Capacity", units="kg", range=[0.0, LARGE],
                         doc="Most fissile material it holds (kg).")
    fiss = Inventory(capacity="fiss_size", doc="Fissile material, merged into one")
    topup_commod = StateVar("std::string", default="", uilabel="Top-up Stream Commodity", uitype="incommodity",
                            doc="Commodity it buys top-up material on; needed when topup_size is above 0.")
    topup_pref = StateVar("double", default=1.0, uilabel="Top-up Stream Preference",
                          doc="Request preference for top-up material.")
    topup_recipe = StateVar("std::string", default="", uilabel="Top-up Stream Recipe", uitype="inrecipe",
                            doc="Recipe requested for top-up material; needed when topup_size is above 0.")
    topup_size = StateVar("double", default=0.0, uilabel="Top-up Stream Inventory Capacity", units="kg",
                          range=[0.0, LARGE],
                          doc="Most top-up material it holds (kg); 0 (default) turns the top-up stream off.")
    topup = Inventory(capacity="topup_size", doc="Top-up material, merged into one")
    outcommod = StateVar("std::string", uilabel="Output Commodity", uitype="outcommodity",
                         doc="Commodity it sells the blended fuel on.")
    throughput = StateVar("double", default=LARGE, uilabel="Maximum Throughput", units="kg", uitype="range",
                          range=[0.0, LARGE],
                          doc="Most fuel it sells per time step (kg); a bigger request is never met. "
                              "Default: no limit.")
    spectrum = StateVar("std::string", uilabel="Spectrum type", uitype="combobox",
                        categorical=["fission_spectrum_ave", "thermal"],
                        doc="Cross-section set behind the reactivity weights: 'fission_spectrum_ave' (fast "
                            "spectrum averages, for fast reactors) or 'thermal'.")

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        eps = ctx.eps_rsrc
        self.fill_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.fiss_buf: ResBuf[Material] = ResBuf(eps=eps)
        self.topup_buf: ResBuf[Material] = ResBuf(eps=eps)
        self._req_inventories: dict[Request, ResBuf[Material]] = {}

    def snapshot_inventories(self) -> dict[str, list[Resource]]:
        return {"fill": self.fill_buf.items(), "fiss": self.fiss_buf.items(), "topup": self.topup_buf.items()}

    def _error(self, message: str) -> ValueError:
        return ValueError(f"{self.prototype} (id {self.id}): {message}")

    def enter_notify(self) -> None:
        super().enter_notify()
        self.fill_buf.capacity = self.fill_size
        self.fiss_buf.capacity = self.fiss_size
        self.topup_buf.capacity = self.topup_size
        for kind in ("fiss", "fill"):
            commods = getattr(self, f"{kind}_commods")
            prefs = getattr(self, f"{kind}_commod_prefs")
            if not prefs:
                setattr(self, f"{kind}_commod_prefs", [1.0] * len(commods))
            elif len(prefs) != len(commods):
                raise self._error(f"{len(prefs)} {kind}_commod_prefs values, expected {len(commods)} (one per "
                                  f"{kind}_commods entry)")
        for name in ("fill_recipe", "fiss_recipe", "topup_recipe"):
            check_recipe(self, name, getattr(self, name))
        try:
            nucdata.has_simple_xs(U238, self.spectrum)
        except nucdata.NucDataError as exc:
            raise self._error(f"spectrum: {exc}") from None
        record_position(self)

    def _weight(self, comp: Composition) -> float:
        return cosi_weight(comp, self.spectrum)

    # --- buying ---------------------------------------------------------------------------
    def _request(self, port: RequestPortfolio, buf: ResBuf[Material], recipe: str, commods: list[str],
                 prefs: list[float]) -> None:
        ctx = self.context
        space = buf.space()
        m = (Material.create_untracked(ctx, space, ctx.get_recipe(recipe)) if recipe
             else Material.blank(ctx, space))
        reqs = []
        for commod, pref in zip(commods, prefs, strict=False):
            r = port.add_request(m, self, commod, pref)
            self._req_inventories[r] = buf
            reqs.append(r)
        port.add_mutual_requests(reqs)

    def get_material_requests(self) -> list[RequestPortfolio]:
        eps = self.context.eps_rsrc
        ports = []
        if self.fiss_buf.space() > eps:
            port = RequestPortfolio()
            self._request(port, self.fiss_buf, self.fiss_recipe, self.fiss_commods, self.fiss_commod_prefs)
            ports.append(port)
        if self.fill_buf.space() > eps:
            port = RequestPortfolio()
            self._request(port, self.fill_buf, self.fill_recipe, self.fill_commods, self.fill_commod_prefs)
            ports.append(port)
        if self.topup_buf.space() > eps:
            ctx = self.context
            space = self.topup_buf.space()
            m = (Material.create_untracked(ctx, space, ctx.get_recipe(self.topup_recipe)) if self.topup_recipe
                 else Material.blank(ctx, space))
            port = RequestPortfolio()
            r = port.add_request(m, self, self.topup_commod, self.topup_pref)
            self._req_inventories[r] = self.topup_buf
            ports.append(port)
        return ports

    def accept_material_trades(self, responses: list[tuple[Trade, Material]]) -> None:
        for trade, m in responses:
            buf = self._req_inventories.get(trade.request)
            if buf is None:
                raise self._error("cycamore::FuelFab was overmatched on requests")
            buf.push(m)
        self._req_inventories.clear()
        for buf in (self.fill_buf, self.fiss_buf, self.topup_buf):
            if buf.count() > 1:
                buf.push(squash(buf.pop_n(buf.count())))

    # --- selling --------------------------------------------------------------------------
    def get_material_bids(self, requests: dict[str, list[Request]]) -> list[BidPortfolio]:
        reqs = requests.get(self.outcommod)
        if self.throughput == 0 or not reqs:
            return []
        ctx = self.context
        fill, fiss, topup = self.fill_buf, self.fiss_buf, self.topup_buf
        c_fill = fill.peek().comp if fill.count() else ctx.get_recipe(self.fill_recipe)
        w_fill = self._weight(c_fill)
        w_topup = 0.0
        c_topup = c_fill
        if topup.count():
            c_topup = topup.peek().comp
            w_topup = self._weight(c_topup)
        elif self.topup_recipe:
            c_topup = ctx.get_recipe(self.topup_recipe)
            w_topup = self._weight(c_topup)
        w_fiss = w_fill  # lets the facility sell plain filler without fissile inventory
        c_fiss = c_fill
        if fiss.count():
            c_fiss = fiss.peek().comp
            w_fiss = self._weight(c_fiss)
        elif self.fiss_recipe:
            c_fiss = ctx.get_recipe(self.fiss_recipe)
            w_fiss = self._weight(c_fiss)

        port = BidPortfolio()
        for req in reqs:
            tgt = req.target
            w_tgt = self._weight(tgt.comp)  # type: ignore[attr-defined]
            qty = tgt.qty
            if valid_weights(w_fill, w_tgt, w_fiss):
                f = high_frac(w_fill, w_tgt, w_fiss)
                fiss_frac = atom_to_mass_frac(f, c_fiss, c_fill)
                fill_frac = atom_to_mass_frac(1 - f, c_fill, c_fiss)
                m1 = Material.create_untracked(ctx, fiss_frac * qty, c_fiss)
                m1.absorb(Material.create_untracked(ctx, fill_frac * qty, c_fill))
                port.add_bid(req, m1, self)
            elif topup.count() and valid_weights(w_fiss, w_tgt, w_topup):
                f = high_frac(w_fiss, w_tgt, w_topup)
                topup_frac = atom_to_mass_frac(f, c_topup, c_fiss)
                fiss_frac = atom_to_mass_frac(1 - f, c_fiss, c_topup)
                m1 = Material.create_untracked(ctx, topup_frac * qty, c_topup)
                m1.absorb(Material.create_untracked(ctx, fiss_frac * qty, c_fiss))
                port.add_bid(req, m1, self)

        def through_fill(offer: Resource) -> float:
            w_tgt = self._weight(offer.comp)  # type: ignore[attr-defined]
            if valid_weights(w_fill, w_tgt, w_fiss):
                return atom_to_mass_frac(low_frac(w_fill, w_tgt, w_fiss), c_fill, c_fiss) * offer.qty
            if valid_weights(w_fiss, w_tgt, w_topup):
                return 0.0
            return LARGE

        def through_fiss(offer: Resource) -> float:
            w_tgt = self._weight(offer.comp)  # type: ignore[attr-defined]
            if valid_weights(w_fill, w_tgt, w_fiss):
                return atom_to_mass_frac(high_frac(w_fill, w_tgt, w_fiss), c_fiss, c_fill) * offer.qty
            if valid_weights(w_fiss, w_tgt, w_topup):
                return atom_to_mass_frac(low_frac(w_fiss, w_tgt, w_topup), c_fiss, c_topup) * offer.qty
            return LARGE

        def through_topup(offer: Resource) -> float:
            w_tgt = self._weight(offer.comp)  # type: ignore[attr-defined]
            if valid_weights(w_fill, w_tgt, w_fiss):
                return 0.0
            if valid_weights(w_fiss, w_tgt, w_topup):
                return atom_to_mass_frac(high_frac(w_fiss, w_tgt, w_topup), c_topup, c_fiss) * offer.qty
            return LARGE

        port.add_constraint(CapacityConstraint(max(fill.quantity(), NEAR_ZERO), through_fill))
        port.add_constraint(CapacityConstraint(max(fiss.quantity(), NEAR_ZERO), through_fiss))
        port.add_constraint(CapacityConstraint(max(topup.quantity(), NEAR_ZERO), through_topup))
        port.add_constraint(CapacityConstraint(self.throughput))
        return [port]

    @staticmethod
    def _snap(qty: float, buf: ResBuf[Material], eps: float) -> float:
        """`qty`, or the whole buffer when within `eps` of it."""
        if abs(qty - buf.quantity()) < eps:
            return min(buf.quantity(), qty)
        return qty

    def get_material_trades(self, trades: list[Trade]) -> list[tuple[Trade, Material]]:
        eps = self.context.eps_rsrc
        fill, fiss, topup = self.fill_buf, self.fiss_buf, self.topup_buf
        w_fill = self._weight(fill.peek().comp) if fill.count() else 0.0
        w_topup = self._weight(topup.peek().comp) if topup.count() else 0.0
        w_fiss = self._weight(fiss.peek().comp) if fiss.count() else 0.0
        responses = []
        tot = 0.0
        for tr in trades:
            w_tgt = self._weight(tr.request.target.comp)  # type: ignore[attr-defined]
            qty = tr.amt
            tot += qty
            if tot > self.throughput + eps:
                raise self._error(f"FuelFab was matched above throughput limit: {tot} > {self.throughput}")
            if fiss.count() == 0:
                m = fill.pop(self._snap(qty, fill, eps), eps)
            elif fill.count() == 0 and valid_weights(w_fill, w_tgt, w_fiss):
                m = fiss.pop(self._snap(qty, fiss, eps), eps)
            elif valid_weights(w_fill, w_tgt, w_fiss):
                c_fiss, c_fill = fiss.peek().comp, fill.peek().comp
                fiss_frac = atom_to_mass_frac(high_frac(w_fill, w_tgt, w_fiss), c_fiss, c_fill)
                fill_frac = atom_to_mass_frac(low_frac(w_fill, w_tgt, w_fiss), c_fill, c_fiss)
                fillqty = self._snap(fill_frac * qty, fill, eps)
                m = fiss.pop(self._snap(fiss_frac * qty, fiss, eps), eps)
                if fill_frac > 0:
                    m.absorb(fill.pop(fillqty, eps))
            else:
                c_fiss, c_topup = fiss.peek().comp, topup.peek().comp
                f = high_frac(w_fiss, w_tgt, w_topup)
                topup_frac = atom_to_mass_frac(f, c_topup, c_fiss)
                fiss_frac = atom_to_mass_frac(1 - f, c_fiss, c_topup)
                topupqty = self._snap(topup_frac * qty, topup, eps)
                m = fiss.pop(self._snap(fiss_frac * qty, fiss, eps), eps)
                if topup_frac > 0:
                    m.absorb(topup.pop(topupqty, eps))
            responses.append((tr, m))
        return responses


ARCHETYPE = FuelFab
