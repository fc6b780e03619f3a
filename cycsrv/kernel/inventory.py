"""Agent inventories as tables: snapshots (`AgentStateInventories`) and explicit inventories."""

from __future__ import annotations

from cycsrv.kernel import tables
from cycsrv.kernel.context import Context
from cycsrv.kernel.resources import Material, normalize


def record_explicit_inventory(ctx: Context, *, full: bool, compact: bool) -> None:
    """`ExplicitInventory` / `ExplicitInventoryCompact` rows for every live agent (Tock phase)."""
    add = ctx.recorder.add
    t = ctx.time
    for aid in sorted(ctx.agents):
        agent = ctx.agents[aid]
        for name, resources in agent.snapshot_inventories().items():
            mats = [r for r in resources if isinstance(r, Material)]
            if not mats:
                continue
            total: dict[int, float] = {}
            qty = 0.0
            # Cyclus merges copies of the materials into one; absorbing a different
            # composition makes a new one, which takes a QualId.
            comp = mats[0].comp
            for m in mats:
                if m.comp is not comp:
                    ctx.next_comp_id()
                    comp = None  # type: ignore[assignment]
                qty += m.qty
                for nuc, v in m.comp.mass_scaled(m.qty).items():
                    total[nuc] = total.get(nuc, 0.0) + v
            if qty <= 0:
                continue
            if full:
                for nuc, v in sorted(total.items()):
                    add(tables.EXPLICIT_INVENTORY, (aid, t, name, nuc, v, "kg"))
            if compact:
                add(tables.EXPLICIT_INVENTORY_COMPACT, (aid, t, name, qty, "kg", normalize(total)))
