"""Resources: compositions, materials and products, with Cyclus's ids and history rows.

Every resource object takes a state id and an object id from the context's counters when it
is made, tracked or not, exactly as Cyclus does, so ids in `Resources` match Cyclus's. Only
tracked resources (made with `create`, or split from tracked ones) write rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from cycsrv.kernel import decay, tables

if TYPE_CHECKING:
    from cycsrv.kernel.recorder import Recorder

UNPACKAGED = "unpackaged"
NAN = float("nan")


class ResourceContext(Protocol):
    """What resources take from the simulation context (`kernel.context.Context`): the clock,
    the tolerance, id counters and the recorder."""

    time: int
    eps_rsrc: float
    recorder: Recorder
    #: `<control><decay>`: "never", "manual" or "lazy"; `dt`: seconds per time step.
    decay: str
    dt: int
    #: Read and bumped inline by `Material` (made by the thousand every step).
    _next_state: int
    _next_obj: int

    def next_comp_id(self) -> int: ...

    def next_state_id(self) -> int: ...

    def next_obj_id(self) -> int: ...

    def product_quality_id(self, quality: str) -> int: ...


class Creator(Protocol):
    """The agent a new tracked resource is credited to in `ResCreators`."""

    id: int

    @property
    def context(self) -> ResourceContext: ...


def kahan_sum(values: list[float]) -> float:
    """Compensated sum of `values` taken in ascending order (Cyclus's `KahanSum` of sorted values)."""
    total = 0.0
    c = 0.0
    for v in sorted(values):
        y = v - c
        t = total + y
        c = (t - total) - y
        total = t
    return total


def normalize(comp: Mapping[int, float], val: float = 1.0) -> dict[int, float]:
    """Scale `comp` so its values sum to `val` (unchanged when the sum is 0 or already `val`)."""
    return _scaled(comp, kahan_sum(list(comp.values())), val)


def _scaled(comp: Mapping[int, float], total: float, val: float) -> dict[int, float]:
    if total != val and total != 0:
        f = val / total
        return {k: v * f for k, v in comp.items()}
    return dict(comp)


class Composition:
    """A nuclide vector with an id (`QualId`); identity matters: same object, same QualId.

    Holds the map it was made from (mass or atom basis); the other basis is derived lazily
    with atomic masses. Decayed versions share one lineage (`decay`); its slots are set on
    first decay only, so compositions that never decay cost nothing more.
    """

    __slots__ = ("_atom", "_atom_total", "_decayed_for", "_lineage", "_mass", "_mass_total",
                 "_notice", "id", "recorded")

    def __init__(self, ctx: ResourceContext, mass: dict[int, float] | None, atom: dict[int, float] | None) -> None:
        self.id = ctx.next_comp_id()
        self._mass = mass
        self._atom = atom
        self._mass_total: float | None = None
        self._atom_total: float | None = None
        self.recorded = False

    @classmethod
    def from_mass(cls, ctx: ResourceContext, mass: Mapping[int, float]) -> Composition:
        return cls(ctx, dict(mass), None)

    @classmethod
    def from_atom(cls, ctx: ResourceContext, atom: Mapping[int, float]) -> Composition:
        return cls(ctx, None, dict(atom))

    def mass(self) -> dict[int, float]:
        """Nuclide -> mass (not normalised)."""
        if self._mass is None:
            from cycsrv.kernel.nucdata import atomic_mass

            self._mass = {n: v * atomic_mass(n) for n, v in self._atom.items()}  # type: ignore[union-attr]
        return self._mass

    def atom(self) -> dict[int, float]:
        """Nuclide -> atoms (not normalised)."""
        if self._atom is None:
            from cycsrv.kernel.nucdata import atomic_mass

            self._atom = {n: v / atomic_mass(n) for n, v in self._mass.items()}  # type: ignore[union-attr]
        return self._atom

    def mass_scaled(self, val: float = 1.0) -> dict[int, float]:
        """`normalize(self.mass(), val)`, with the (never changing) total computed once."""
        if self._mass_total is None:
            self._mass_total = kahan_sum(list(self.mass().values()))
        return _scaled(self.mass(), self._mass_total, val)

    def atom_scaled(self, val: float = 1.0) -> dict[int, float]:
        """`normalize(self.atom(), val)`, with the total computed once."""
        if self._atom_total is None:
            self._atom_total = kahan_sum(list(self.atom().values()))
        return _scaled(self.atom(), self._atom_total, val)

    def decay(self, ctx: ResourceContext, steps: int) -> Composition:
        """This composition after `steps` time steps of `ctx.dt` seconds of decay, as Cyclus's
        `Composition::Decay`: every composition decayed from a common ancestor shares one
        lineage keyed by total steps decayed, so each (ancestor, elapsed time) is computed once
        and always gives the same composition (and QualId)."""
        lineage: dict[int, Composition] | None = getattr(self, "_lineage", None)
        if lineage is None:
            lineage = self._lineage = {}
            self._decayed_for = 0
        total = self._decayed_for + steps
        got = lineage.get(total)
        if got is None:
            got = Composition(ctx, None, decay.decay_atoms(self.atom(), float(ctx.dt) * steps))
            got._lineage = lineage
            got._decayed_for = total
            lineage[total] = got
        return got

    def steps_to_notice(self, secs_per_step: int) -> float:
        """The fewest steps of `secs_per_step` seconds before a material of this composition
        decays (`decay.steps_to_notice`: Cyclus skips changes below 1e-4), computed once."""
        got: tuple[int, float] | None = getattr(self, "_notice", None)
        if got is None or got[0] != secs_per_step:
            got = self._notice = (secs_per_step, decay.steps_to_notice(self.atom(), secs_per_step))
        return got[1]

    def record(self, ctx: ResourceContext) -> None:
        """Write the `Compositions` rows once: mass fractions in ascending nuclide order."""
        if self.recorded:
            return
        self.recorded = True
        add = ctx.recorder.add
        schema = tables.COMPOSITIONS
        for nuc, frac in sorted(self.mass_scaled().items()):
            add(schema, (self.id, nuc, frac))


class Resource:
    """What materials and products share: quantity, ids, package and history tracking."""

    __slots__ = ("ctx", "obj_id", "package", "qty", "state_id", "tracked", "unit_value")

    resource_type = ""
    units = ""
    qual_id: int

    def __init__(self, ctx: ResourceContext, qty: float, package: str = UNPACKAGED) -> None:
        self.ctx = ctx
        self.qty = qty
        self.state_id = ctx.next_state_id()
        self.obj_id = ctx.next_obj_id()
        self.package = package
        self.tracked = False
        self.unit_value = NAN

    def quantity(self) -> float:
        return self.qty

    def _record(self, parent1: int, parent2: int, bump: bool = True) -> None:
        """Write this state's `Resources` row (taking a new state id when `bump`)."""
        ctx = self.ctx
        if bump:
            self.state_id = ctx.next_state_id()
        ctx.recorder.add(tables.RESOURCES, (
            self.state_id, self.obj_id, self.resource_type, ctx.time, self.qty, self.units,
            self.unit_value, self.qual_id, self.package, parent1, parent2,
        ))
        self._record_quality()

    def _record_quality(self) -> None:
        """Rows a resource type writes after its `Resources` row."""

    def _record_split(self, child: Resource) -> None:
        """History of a split: the child's row, then this resource's row unless it is used up."""
        if self.tracked:
            child.tracked = True
            child._record(self.state_id, 0)
            if self.qty > self.ctx.eps_rsrc:
                self._record(self.state_id, 0)

    def _track_new(self, creator: Creator) -> None:
        self.tracked = True
        self._record(0, 0, bump=False)
        self.ctx.recorder.add(tables.RES_CREATORS, (self.state_id, creator.id))


class Material(Resource):
    """A quantity (kg) of nuclides with a composition."""

    __slots__ = ("comp", "prev_decay_time")

    resource_type = "Material"
    units = "kg"

    def __init__(self, ctx: ResourceContext, qty: float, comp: Composition, package: str = UNPACKAGED) -> None:
        # Resource.__init__ inlined: materials are made by the thousand every step.
        self.ctx = ctx
        self.qty = qty
        self.state_id = ctx._next_state
        ctx._next_state += 1
        self.obj_id = ctx._next_obj
        ctx._next_obj += 1
        self.package = package
        self.tracked = False
        self.unit_value = NAN
        self.comp = comp
        self.prev_decay_time = ctx.time

    @classmethod
    def create(cls, creator: Creator, qty: float, comp: Composition, package: str = UNPACKAGED,
               unit_value: float = NAN) -> Material:
        """A new tracked material made by `creator` (writes Resources and ResCreators rows); in a
        `lazy` decay simulation it decays whenever its composition is read (`LazyMaterial`)."""
        ctx = creator.context
        m = (LazyMaterial if cls is Material and ctx.decay == "lazy" else cls)(ctx, qty, comp, package)
        m.unit_value = unit_value
        m._track_new(creator)
        return m

    @classmethod
    def create_untracked(cls, ctx: ResourceContext, qty: float, comp: Composition) -> Material:
        """A material that leaves no history: request targets and bid offers."""
        return cls(ctx, qty, comp)

    @classmethod
    def blank(cls, ctx: ResourceContext, qty: float) -> Material:
        """An untracked material with a new empty composition (Cyclus's `NewBlankMaterial`)."""
        return cls(ctx, qty, Composition.from_mass(ctx, {}))

    def clone(self) -> Material:
        """An untracked copy with this material's ids, composition and decay time (Cyclus's
        `Clone`): in a lazy simulation reading the copy decays the copy, not this material."""
        c = object.__new__(type(self))
        c.ctx, c.qty, c.state_id, c.obj_id = self.ctx, self.qty, self.state_id, self.obj_id
        c.package, c.tracked, c.unit_value = self.package, False, self.unit_value
        _COMP_SLOT.__set__(c, stored_comp(self))
        c.prev_decay_time = self.prev_decay_time
        return c

    @property
    def qual_id(self) -> int:
        return self.comp.id

    def _record_quality(self) -> None:
        self.ctx.recorder.add(tables.MATERIAL_INFO, (self.state_id, self.prev_decay_time))
        self.comp.record(self.ctx)

    def extract_qty(self, qty: float) -> Material:
        """Split off `qty` kg with the same composition."""
        return self.extract_comp(qty, self.comp)

    def extract_comp(self, qty: float, comp: Composition, threshold: float | None = None) -> Material:
        """Split off `qty` kg of composition `comp`; what remains holds the difference."""
        ctx = self.ctx
        if self.qty < qty:
            raise ValueError(f"mass extraction causes negative quantity ({qty} kg from {self.qty} kg)")
        if comp is not self.comp:
            if threshold is None:
                threshold = ctx.eps_rsrc
            mine = self.comp.mass_scaled(self.qty)
            other = comp.mass_scaled(qty)
            for nuc, v in other.items():
                mine[nuc] = mine.get(nuc, 0.0) - v
            self.comp = Composition.from_mass(ctx, {n: v for n, v in mine.items() if abs(v) > threshold})
        self.qty -= qty
        child = Material(ctx, qty, comp)
        child.prev_decay_time = self.prev_decay_time
        self._record_split(child)
        return child

    def absorb(self, other: Material) -> None:
        """Merge `other` into this material; `other` is left empty."""
        ctx = self.ctx
        if other.comp is not self.comp:
            mine = self.comp.mass_scaled(self.qty)
            for nuc, v in other.comp.mass_scaled(other.qty).items():
                mine[nuc] = mine.get(nuc, 0.0) + v
            self.comp = Composition.from_mass(ctx, mine)
        if self.qty < other.qty:
            self.prev_decay_time = other.prev_decay_time
        total = self.qty + other.qty
        if not (math.isnan(self.unit_value) and math.isnan(other.unit_value)) and total > 0:
            self.unit_value = (_nz(self.unit_value) * self.qty + _nz(other.unit_value) * other.qty) / total
        self.qty = total
        other.qty = 0.0
        if self.tracked:
            self._record(self.state_id, other.state_id)

    def transmute(self, comp: Composition) -> None:
        """Change the composition in place (a new history state)."""
        self.comp = comp
        if self.prev_decay_time < self.ctx.time:
            self.prev_decay_time = self.ctx.time
        if self.tracked:
            self._record(self.state_id, 0)

    def decay(self, time: int | None = None) -> None:
        """Decay from the last decay time to `time` (default, or negative as in Cyclus: now), as
        Cyclus's `Material::Decay`.

        Nothing happens in `never` mode, when no time has passed, or when no nuclide would
        change noticeably (then the time keeps accumulating); otherwise the decayed composition
        is a transmutation: a new history state, recorded for a tracked material.
        """
        ctx = self.ctx
        if ctx.decay == "never":
            return
        if time is None or time < 0:
            time = ctx.time
        steps = time - self.prev_decay_time
        if steps == 0:
            return
        if steps < 0:
            raise ValueError(f"cannot decay backwards: material last decayed at time {self.prev_decay_time}, "
                             f"asked to decay to time {time}")
        comp = stored_comp(self)
        if steps < comp.steps_to_notice(ctx.dt):
            return
        self.prev_decay_time = time
        self.transmute(comp.decay(ctx, steps))


#: The `comp` slot itself, read and written without lazy decay.
_COMP_SLOT = Material.comp


def stored_comp(mat: Material) -> Composition:
    """The composition `mat` holds now, without decaying it first (Cyclus's `comp_`)."""
    return _COMP_SLOT.__get__(mat, Material)  # type: ignore[no-any-return]


class LazyMaterial(Material):
    """A tracked material of a `lazy` decay simulation: reading `comp` first decays it to now.

    Cyclus decays in `Material::comp()` and `Absorb`; its own bookkeeping (history rows,
    `ExtractQty`/`ExtractComp`, packaging) reads the stored composition, and so does this class.
    Never and manual simulations use plain `Material`, so they pay nothing for this.
    """

    __slots__ = ()

    @property  # type: ignore[override]
    def comp(self) -> Composition:
        if self.prev_decay_time < self.ctx.time:
            self.decay()
        return _COMP_SLOT.__get__(self, Material)  # type: ignore[no-any-return]

    @comp.setter
    def comp(self, comp: Composition) -> None:
        _COMP_SLOT.__set__(self, comp)

    @property
    def qual_id(self) -> int:
        return stored_comp(self).id

    def _record_quality(self) -> None:
        self.ctx.recorder.add(tables.MATERIAL_INFO, (self.state_id, self.prev_decay_time))
        stored_comp(self).record(self.ctx)

    def extract_qty(self, qty: float) -> Material:
        return self.extract_comp(qty, stored_comp(self))

    def extract_comp(self, qty: float, comp: Composition, threshold: float | None = None) -> Material:
        # Material's own code, run with this object seen as a plain Material so that it reads
        # the stored composition; the piece split off decays lazily too.
        self.__class__ = Material  # type: ignore[assignment]
        try:
            child = Material.extract_comp(self, qty, comp, threshold)
        finally:
            self.__class__ = LazyMaterial  # type: ignore[assignment]
        child.__class__ = LazyMaterial  # type: ignore[assignment]
        return child

    def absorb(self, other: Material) -> None:
        self.decay()  # Cyclus decays this material first, then `other` (if it decays lazily)
        Material.absorb(self, other)


class Product(Resource):
    """A quantity of a non-material good identified by a quality string."""

    __slots__ = ("quality",)

    resource_type = "Product"
    units = "NONE"

    def __init__(self, ctx: ResourceContext, qty: float, quality: str, package: str = UNPACKAGED) -> None:
        super().__init__(ctx, qty, package)
        self.quality = quality

    @classmethod
    def create(cls, creator: Creator, qty: float, quality: str, package: str = UNPACKAGED) -> Product:
        p = cls(creator.context, qty, quality, package)
        p.ctx.product_quality_id(quality)
        p._track_new(creator)
        return p

    @classmethod
    def create_untracked(cls, ctx: ResourceContext, qty: float, quality: str) -> Product:
        return cls(ctx, qty, quality)

    @property
    def qual_id(self) -> int:
        return self.ctx.product_quality_id(self.quality)

    def extract(self, qty: float) -> Product:
        """Split off `qty` units."""
        ctx = self.ctx
        if self.qty < qty:
            raise ValueError(f"extraction causes negative quantity ({qty} from {self.qty})")
        self.qty -= qty
        child = Product(ctx, qty, self.quality)
        self._record_split(child)
        return child

    def absorb(self, other: Product) -> None:
        if other.quality != self.quality:
            raise ValueError(f"incompatible product qualities {self.quality!r} and {other.quality!r}")
        self.qty += other.qty
        other.qty = 0.0
        if self.tracked:
            self._record(self.state_id, other.state_id)


def _nz(v: float) -> float:
    return 0.0 if math.isnan(v) else v
