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
            qty, total = _merged_clones(mats) if ctx.decay == "lazy" else _merged(ctx, mats)
            if qty <= 0:
                continue
            if full:
                for nuc, v in sorted(total.items()):
                    add(tables.EXPLICIT_INVENTORY, (aid, t, name, nuc, v, "kg"))
            if compact:
                add(tables.EXPLICIT_INVENTORY_COMPACT, (aid, t, name, qty, "kg", normalize(total)))


def _merged(ctx: Context, mats: list[Material]) -> tuple[float, dict[int, float]]:
    """(kg, nuclide masses) of `mats` merged, as Cyclus merges copies of them: absorbing a
    different composition makes a new one, which takes a QualId."""
    total: dict[int, float] = {}
    qty = 0.0
    comp = mats[0].comp
    for m in mats:
        if m.comp is not comp:
            ctx.next_comp_id()
            comp = None  # type: ignore[assignment]
        qty += m.qty
        for nuc, v in m.comp.mass_scaled(m.qty).items():
            total[nuc] = total.get(nuc, 0.0) + v
    return qty, total


def _merged_clones(mats: list[Material]) -> tuple[float, dict[int, float]]:
    """`_merged` for lazily decaying materials, done as Cyclus does it: the clones decay as they
    are absorbed and read (new compositions, kept in the lineages), the materials do not."""
    merged = mats[0].clone()
    for m in mats[1:]:
        merged.absorb(m.clone())
    return merged.qty, merged.comp.mass_scaled(merged.qty)
