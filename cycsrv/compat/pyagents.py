"""`cyclus.pyagents`: the small Python archetypes Cyclus ships (`:cyclus.pyagents:Sink`, ...).

Written against the `cyclus.agents` API like any user archetype, with the state variables,
defaults and trading behaviour of Cyclus's own: a Sink asks for `capacity` of each of its
commodities every step (one demand shared by all of them), a Source offers up to `capacity`
per step, made from its recipe or, without one, from what was asked for.
"""

from __future__ import annotations

from typing import Any

from cycsrv.compat import typesystem as ts
from cycsrv.compat.agents import Facility, Institution, Region
from cycsrv.compat.system import CY_LARGE_DOUBLE


class NullRegion(Region):
    """A region that only holds its institutions."""


class NullInst(Institution):
    """An institution that only holds its facilities."""


class Sink(Facility):
    """Takes up to `capacity` per step of any of its input commodities."""

    in_commods = ts.VectorString(
        doc="Commodities this sink takes.", tooltip="sink input commodities",
        uilabel="Input Commodities", uitype=["oneormore", "incommodity"])
    recipe = ts.String(
        default="", doc="Recipe of the material asked for; empty asks for any composition.",
        tooltip="requested recipe", uilabel="Requested Recipe", uitype="recipe")
    max_inv_size = ts.Double(
        default=CY_LARGE_DOUBLE, doc="Largest amount the sink holds in total.",
        tooltip="sink inventory limit", uilabel="Inventory Limit")
    capacity = ts.Double(
        default=100.0, doc="Largest amount the sink takes per time step.",
        tooltip="sink throughput", uilabel="Throughput")

    inventory = ts.ResBufMaterialInv()
    products = ts.ResBufProductInv()

    def get_material_requests(self) -> dict[str, Any]:
        comp = self.context.get_recipe(self.recipe) if self.recipe else {}
        target = ts.Material.create_untracked(self.capacity, comp)
        return {"commodities": [{c: target} for c in self.in_commods], "constraints": self.capacity}

    def get_product_requests(self) -> dict[str, Any]:
        target = ts.Product.create_untracked(self.capacity, "")
        return {"commodities": [{c: target} for c in self.in_commods], "constraints": self.capacity}

    def accept_material_trades(self, responses: dict[Any, ts.Material]) -> None:
        for mat in responses.values():
            self.inventory.push(mat)

    def accept_product_trades(self, responses: dict[Any, ts.Product]) -> None:
        for prod in responses.values():
            self.products.push(prod)


class Source(Facility):
    """Offers up to `capacity` per step of one commodity."""

    commod = ts.String(
        doc="Commodity this source offers.", tooltip="source commodity", schematype="token",
        uilabel="Commodity", uitype="outcommodity")
    recipe_name = ts.String(
        default="", doc="Recipe of what the source makes; empty makes what each request asks for.",
        tooltip="source recipe", schematype="token", uilabel="Recipe", uitype="recipe")
    capacity = ts.Double(
        doc="Largest amount the source supplies per time step.", tooltip="source throughput",
        uilabel="Throughput")

    def build(self, parent: Any) -> None:
        super().build(parent)
        if self.lifetime >= 0:
            self.context.schedule_decom(self, self.exit_time)

    def get_material_bids(self, requests: dict[str, tuple[ts.Request, ...]]) -> dict[str, Any] | None:
        reqs = requests.get(self.commod)
        if not reqs:
            return None
        if not self.recipe_name:
            return {"bids": list(reqs), "constraints": self.capacity}
        comp = self.context.get_recipe(self.recipe_name)
        bids = [{"request": req, "offer": ts.Material.create_untracked(min(req.target.quantity, self.capacity), comp)}
                for req in reqs]
        return {"bids": bids, "constraints": self.capacity}

    def get_material_trades(self, trades: tuple[ts.Trade, ...]) -> dict[ts.Trade, ts.Material]:
        if not self.recipe_name:
            return {t: ts.Material.create(self, t.amt, t.request.target.comp()) for t in trades}
        comp = self.context.get_recipe(self.recipe_name)
        return {t: ts.Material.create(self, t.amt, comp) for t in trades}
