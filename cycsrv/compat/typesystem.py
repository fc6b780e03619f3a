"""`cyclus.typesystem` for Python archetypes: state-variable types, resources, buffers, trades.

Each Cyclus type has a state-variable class named as Cyclus names it (`Double`, `String`,
`VectorString`, `MapStringDouble`, ...; `MaterialStateVar` for a material) that builds a
kernel `StateVar` carrying Cyclus's annotations, so cycsrv's input reader, state tables and
annotations use it directly. `Material`, `Product` and `Resource` wrap kernel resources with
Cyclus's Python interface (`quantity` property, `comp()` as a dict, `create(agent, qty, comp)`);
`ResBufMaterial`/`ResBufMaterialInv` (etc.) are buffers and their inventory descriptors;
`MaterialRequest`, `MaterialBid`, `MaterialTrade` (and Product ones) wrap the exchange's.
"""

from __future__ import annotations

import contextvars
import copy
import itertools
import math
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from cycsrv.compat.views import callable_agent
from cycsrv.kernel import nucname
from cycsrv.kernel.resbuf import ResBuf as _KernelResBuf
from cycsrv.kernel.resources import Composition
from cycsrv.kernel.resources import Material as _KMaterial
from cycsrv.kernel.resources import Product as _KProduct
from cycsrv.kernel.resources import Resource as _KResource
from cycsrv.kernel.statevar import REQUIRED, CyclusType
from cycsrv.kernel.statevar import StateVar as _KernelStateVar
from cycsrv.store.schema import DbType

#: The simulation context of the archetype hook running now (set by `cyclus.agents` around
#: every hook), for calls that name none, such as `Material.create_untracked(qty, comp)`.
ACTIVE_CONTEXT: contextvars.ContextVar[Any] = contextvars.ContextVar("cyclus_context")

# Cyclus's unique types (one per C++ type) with their DbTypes id and enum name, from its
# `DbTypes` enum; the first id of each C++ type is the one Cyclus reports as `uniquetypeid`.
_TYPE_TABLE = """
0 BOOL bool|1 INT int|2 FLOAT float|3 DOUBLE double|4 STRING std::string|6 BLOB cyclus::Blob
7 UUID boost::uuids::uuid|8 VECTOR_BOOL std::vector<bool>|10 VECTOR_INT std::vector<int>
12 VECTOR_FLOAT std::vector<float>|14 VECTOR_DOUBLE std::vector<double>
16 VECTOR_STRING std::vector<std::string>|20 VECTOR_BLOB std::vector<cyclus::Blob>
22 VECTOR_UUID std::vector<boost::uuids::uuid>|24 SET_BOOL std::set<bool>|26 SET_INT std::set<int>
28 SET_FLOAT std::set<float>|30 SET_DOUBLE std::set<double>|32 SET_STRING std::set<std::string>
36 SET_BLOB std::set<cyclus::Blob>|38 SET_UUID std::set<boost::uuids::uuid>|40 LIST_BOOL std::list<bool>
42 LIST_INT std::list<int>|44 LIST_FLOAT std::list<float>|46 LIST_DOUBLE std::list<double>
48 LIST_STRING std::list<std::string>|52 LIST_BLOB std::list<cyclus::Blob>
54 LIST_UUID std::list<boost::uuids::uuid>|56 PAIR_INT_BOOL std::pair<int, bool>
57 PAIR_INT_INT std::pair<int, int>|58 PAIR_INT_FLOAT std::pair<int, float>
59 PAIR_INT_DOUBLE std::pair<int, double>|60 PAIR_INT_STRING std::pair<int, std::string>
62 PAIR_INT_BLOB std::pair<int, cyclus::Blob>|63 PAIR_INT_UUID std::pair<int, boost::uuids::uuid>
64 PAIR_STRING_BOOL std::pair<std::string, bool>|65 PAIR_STRING_INT std::pair<std::string, int>
66 PAIR_STRING_FLOAT std::pair<std::string, float>|67 PAIR_STRING_DOUBLE std::pair<std::string, double>
68 PAIR_STRING_STRING std::pair<std::string, std::string>
70 PAIR_STRING_BLOB std::pair<std::string, cyclus::Blob>
71 PAIR_STRING_UUID std::pair<std::string, boost::uuids::uuid>|80 MAP_INT_BOOL std::map<int, bool>
82 MAP_INT_INT std::map<int, int>|84 MAP_INT_FLOAT std::map<int, float>
86 MAP_INT_DOUBLE std::map<int, double>|88 MAP_INT_STRING std::map<int, std::string>
92 MAP_INT_BLOB std::map<int, cyclus::Blob>|94 MAP_INT_UUID std::map<int, boost::uuids::uuid>
96 MAP_STRING_BOOL std::map<std::string, bool>|98 MAP_STRING_INT std::map<std::string, int>
100 MAP_STRING_FLOAT std::map<std::string, float>|102 MAP_STRING_DOUBLE std::map<std::string, double>
104 MAP_STRING_STRING std::map<std::string, std::string>
108 MAP_STRING_BLOB std::map<std::string, cyclus::Blob>
110 MAP_STRING_UUID std::map<std::string, boost::uuids::uuid>
128 MAP_PAIR_INT_STRING_DOUBLE std::map<std::pair<int, std::string>, double>
132 MAP_STRING_VECTOR_DOUBLE std::map<std::string, std::vector<double>>
140 MAP_STRING_MAP_INT_DOUBLE std::map<std::string, std::map<int, double>>
148 MAP_STRING_PAIR_DOUBLE_MAP_INT_DOUBLE std::map<std::string, std::pair<double, std::map<int, double>>>
156 MAP_STRING_PAIR_DOUBLE_MAP_STRING_DOUBLE std::map<std::string, std::pair<double, std::map<std::string, double>>>
157 MAP_INT_MAP_STRING_DOUBLE std::map<int, std::map<std::string, double>>
165 MAP_STRING_VECTOR_PAIR_INT_PAIR_STRING_STRING std::map<std::string, std::vector<std::pair<int, std::pair<std::string, std::string>>>>
197 LIST_PAIR_INT_INT std::list<std::pair<int, int>>
199 MAP_STRING_PAIR_STRING_VECTOR_DOUBLE std::map<std::string, std::pair<std::string, std::vector<double>>>
215 MAP_STRING_MAP_STRING_INT std::map<std::string, std::map<std::string, int>>
231 VECTOR_PAIR_PAIR_DOUBLE_DOUBLE_MAP_STRING_DOUBLE std::vector<std::pair<std::pair<double, double>, std::map<std::string, double>>>
239 PAIR_INT_PAIR_STRING_STRING std::pair<int, std::pair<std::string, std::string>>
243 PAIR_DOUBLE_DOUBLE std::pair<double, double>
244 PAIR_PAIR_DOUBLE_DOUBLE_MAP_STRING_DOUBLE std::pair<std::pair<double, double>, std::map<std::string, double>>
248 MATERIAL cyclus::Material|249 PRODUCT cyclus::Product
250 RES_BUF_MATERIAL cyclus::toolkit::ResBuf<cyclus::Material>
251 RES_BUF_PRODUCT cyclus::toolkit::ResBuf<cyclus::Product>
252 RES_MAP_INT_MATERIAL cyclus::toolkit::ResMap<int, cyclus::Material>
253 RES_MAP_INT_PRODUCT cyclus::toolkit::ResMap<int, cyclus::Product>
254 RES_MAP_STRING_MATERIAL cyclus::toolkit::ResMap<std::string, cyclus::Material>
255 RES_MAP_STRING_PRODUCT cyclus::toolkit::ResMap<std::string, cyclus::Product>
258 PAIR_DOUBLE_MAP_INT_DOUBLE std::pair<double, std::map<int, double>>
260 PAIR_DOUBLE_MAP_STRING_DOUBLE std::pair<double, std::map<std::string, double>>
261 VECTOR_PAIR_INT_PAIR_STRING_STRING std::vector<std::pair<int, std::pair<std::string, std::string>>>
269 PAIR_STRING_VECTOR_DOUBLE std::pair<std::string, std::vector<double>>
273 MAP_PAIR_STRING_STRING_INT std::map<std::pair<std::string, std::string>, int>
281 MAP_STRING_MAP_STRING_DOUBLE std::map<std::string, std::map<std::string, double>>
"""

_CLASS_PARTS = {
    "bool": "Bool", "int": "Int", "float": "Float", "double": "Double", "std::string": "String",
    "cyclus::Blob": "Blob", "boost::uuids::uuid": "Uuid", "cyclus::Material": "Material",
    "cyclus::Product": "Product", "std::set": "Set", "std::map": "Map", "std::pair": "Pair",
    "std::list": "List", "std::vector": "Vector", "cyclus::toolkit::ResBuf": "ResBuf",
    "cyclus::toolkit::ResMap": "ResMap",
}
_INVENTORY_HEADS = ("cyclus::toolkit::ResBuf", "cyclus::toolkit::ResMap")
_RESOURCE_TYPES = ("cyclus::Material", "cyclus::Product")


def parse_cpp_type(text: str) -> CyclusType:
    """`"std::map<std::string, std::vector<double>>"` -> `["std::map", "std::string", ["std::vector", "double"]]`."""
    text = text.strip()
    if "<" not in text:
        return text
    head, _, rest = text.partition("<")
    inner = rest[: rest.rindex(">")]
    args, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(inner[start:i])
            start = i + 1
    args.append(inner[start:])
    return [head.strip(), *(parse_cpp_type(a) for a in args)]


def class_name(t: CyclusType) -> str:
    """Cyclus's class name for a type: the parts' names joined (`VectorString`, `ResBufMaterial`)."""
    if isinstance(t, str):
        return _CLASS_PARTS[t]
    return "".join(class_name(p) for p in t)


def _norm(t: CyclusType) -> Any:
    """A type as Cyclus spells its normal form in annotations: a string, or nested tuples."""
    return t if isinstance(t, str) else tuple(_norm(p) for p in t)


def _freeze(t: CyclusType) -> Any:
    return t if isinstance(t, str) else tuple(_freeze(p) for p in t)


@attrs.frozen
class TypeInfo:
    """One Cyclus type: its `DbTypes` id and name, and its normal form."""

    id: int
    name: str
    type: CyclusType


TYPES: list[TypeInfo] = []
for _line in _TYPE_TABLE.strip().splitlines():
    for _entry in _line.split("|"):
        _id, _name, _cpp = _entry.split(" ", 2)
        TYPES.append(TypeInfo(int(_id), _name, parse_cpp_type(_cpp)))
_BY_ID = {t.id: t for t in TYPES}
_BY_NORM = {_freeze(t.type): t for t in TYPES}

#: DbTypes ids by name (BOOL, INT, ..., VECTOR_STRING, ...), plus VL_STRING.
IDS: dict[str, int] = {t.name: t.id for t in TYPES} | {"VL_STRING": 5}
NAMES: dict[int, str] = {v: k for k, v in IDS.items()}
#: Normal forms and C++ spellings by id.
NORMS: dict[int, Any] = {t.id: _norm(t.type) for t in TYPES}
CPPTYPES: dict[int, str] = {}
globals().update(IDS)


def type_info(t: Any) -> TypeInfo:
    """The type a `DbTypes` id (int) or normal form (`"double"`, `("std::vector", "int")`) names."""
    if isinstance(t, bool):
        raise TypeError(f"not a Cyclus type: {t!r}")
    if isinstance(t, int):
        found = _BY_ID.get(4 if t == 5 else t)
    else:
        found = _BY_NORM.get(_freeze(parse_cpp_type(t) if isinstance(t, str) else list(t)))
    if found is None:
        raise TypeError(f"not a Cyclus type: {t!r}")
    return found


def kernel_dbtype(t: Any) -> DbType:
    """The column type cycsrv records for Cyclus type `t`; TypeError when it records none."""
    info = type_info(t)
    try:
        return DbType[info.name]
    except KeyError:
        raise TypeError(f"cycsrv cannot record {_cpp(info.type)} values in a table yet "
                        f"(Cyclus type {info.name})") from None


def _cpp(t: CyclusType) -> str:
    return t if isinstance(t, str) else f"{t[0]}<{', '.join(_cpp(p) for p in t[1:])}>"


CPPTYPES.update({t.id: _cpp(t.type) for t in TYPES})


# ---------------------------------------------------------------------------------------------
# State variables

_INDEX = itertools.count()

DEFAULT_ALIASES: dict[str, tuple[Any, ...]] = {
    "std::vector": (None, "val"), "std::set": (None, "val"), "std::list": (None, "val"),
    "std::pair": (None, "first", "second"), "std::map": ((None, "item"), "key", "val"),
}
DEFAULT_UI: dict[str, tuple[Any, ...]] = {
    "std::vector": (None, ""), "std::set": (None, ""), "std::list": (None, ""),
    "std::pair": (None, "", ""), "std::map": ((None, ""), "", ""),
}


def _pad(ann: Any, n: int) -> list[Any]:
    if ann is None:
        return [None] * n
    if isinstance(ann, str):
        return [ann] + [None] * (n - 1)
    ann = list(ann)
    return ann + [None] * (n - len(ann))


def canonical_annotation(defaults: Mapping[str, tuple[Any, ...]], t: CyclusType, name: str, ann: Any) -> Any:
    """cycpp's nested default for an alias/tooltip/uilabel: the variable name at the top,
    Cyclus's inner names (`val`, `key`, `item`, ...) below, given values kept."""
    if isinstance(t, str):
        return ann or name
    template = defaults[t[0]]
    ann = _pad(ann, len(t))
    if template[0] is None:
        top: Any = ann[0] or name
    else:
        outer = _pad(ann[0], len(template[0]))
        top = [outer[0] or name] + [a or d for a, d in zip(outer[1:], template[0][1:], strict=True)]
    return [top] + [canonical_annotation(defaults, ti, di, ai)
                    for ti, di, ai in zip(t[1:], template[1:], ann[1:], strict=True)]


def prepare_type_representation(t: CyclusType, other: Any) -> Any:
    """Pad `other` (a uitype) with None to the shape of type `t`, recursively."""
    if isinstance(t, str):
        return other
    other = _pad(other, len(t))
    return [other[0]] + [prepare_type_representation(ti, oi) for ti, oi in zip(t[1:], other[1:], strict=True)]


@attrs.frozen
class StateVar(_KernelStateVar):
    """A kernel state variable declared the Cyclus way; keeps Cyclus's extra annotations.

    `index` orders variables as Cyclus does (declaration order across the program),
    `value` is an initial value that overrides the default.
    """

    index: int = -1
    uniquetypeid: int = -1
    value: Any = None
    annotations: tuple[tuple[str, Any], ...] = ()

    def to_dict(self, name: str, index: int) -> dict[str, Any]:
        """The variable's Cyclus annotations (what Cyclus's `StateVar.to_dict` holds) minus
        the value, with cycpp's defaults for alias, tooltip, uilabel and uitype filled in;
        `index` is its place among its archetype's variables."""
        out: dict[str, Any] = {
            "name": name, "type": _norm(self.type), "index": index,
            "default": None if self.default is REQUIRED else _plain(self.default),
            "internal": self.internal, "shape": self.shape, "doc": self.doc,
            "tooltip": canonical_annotation(DEFAULT_UI, self.type, name, self.tooltip),
            "units": self.units or "", "userlevel": self.userlevel or 0,
            "alias": canonical_annotation(DEFAULT_ALIASES, self.type, name, self.alias),
            "uilabel": canonical_annotation(DEFAULT_UI, self.type, name, self.uilabel),
            "uitype": prepare_type_representation(self.type, self.uitype),
            "range": self.range, "categorical": self.categorical, "schematype": self.schematype,
        }
        out.update(self.annotations)
        out["uniquetypeid"] = self.uniquetypeid
        return {k: v for k, v in out.items() if v is not None}


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value


_CODE_SNIPPETS = ("initfromcopy", "initfromdb", "infiletodb", "schema", "snapshot", "snapshotinv", "initinv")


def _make_var(info: TypeInfo, kwargs: dict[str, Any]) -> StateVar:
    unknown = set(kwargs) - _VAR_KEYWORDS
    if unknown:
        raise TypeError(f"{class_name(info.type)}() got unexpected annotation(s): {', '.join(sorted(unknown))}")
    try:
        DbType[info.name]
    except KeyError:
        raise TypeError(f"{class_name(info.type)}: cycsrv cannot record {_cpp(info.type)} state "
                        "variables yet") from None
    default = kwargs.get("default")
    internal = bool(kwargs.get("internal", False))
    if internal and default is None:
        raise TypeError(f"{class_name(info.type)}: a state variable marked internal needs a default")
    index = kwargs.get("index", -1)
    userlevel = kwargs.get("userlevel", 0)
    return StateVar(
        type=info.type, default=REQUIRED if default is None else default, doc=kwargs.get("doc", ""),
        alias=kwargs.get("alias"), tooltip=kwargs.get("tooltip"), uilabel=kwargs.get("uilabel"),
        uitype=kwargs.get("uitype"), units=kwargs.get("units", ""), range=kwargs.get("range"),
        categorical=kwargs.get("categorical"), schematype=kwargs.get("schematype"),
        userlevel=userlevel, internal=internal, shape=kwargs.get("shape"),
        index=next(_INDEX) if index is None or index < 0 else index, uniquetypeid=info.id,
        value=kwargs.get("value"),
        annotations=tuple((k, kwargs.get(k, "")) for k in _CODE_SNIPPETS),
    )


_VAR_KEYWORDS = {"value", "default", "internal", "shape", "doc", "tooltip", "units", "userlevel", "alias",
                 "uilabel", "uitype", "range", "categorical", "schematype", "index", *_CODE_SNIPPETS}


def _var_factory(info: TypeInfo) -> Any:
    def make(value: Any = None, **annotations: Any) -> StateVar:
        return _make_var(info, {"value": value, **annotations})

    cls_name = class_name(info.type)
    make.__name__ = make.__qualname__ = cls_name + ("StateVar" if info.type in _RESOURCE_TYPES else "")
    make.__doc__ = f"A state variable of C++ type {_cpp(info.type)}."
    return make


# ---------------------------------------------------------------------------------------------
# Resources


def _context() -> Any:
    try:
        return ACTIVE_CONTEXT.get()
    except LookupError:
        raise RuntimeError("resources can only be made while a simulation runs an archetype") from None


def composition(ctx: Any, c: Any, basis: str = "mass") -> Composition:
    """A new composition (new QualId, as Cyclus makes one each time) from a nuclide -> value map."""
    if isinstance(c, Composition):
        return c
    items = c.items() if isinstance(c, Mapping) else c
    values = {nucname.id(k): float(v) for k, v in items}
    if basis == "mass":
        return Composition.from_mass(ctx, values)
    if basis == "atom":
        return Composition.from_atom(ctx, values)
    raise ValueError(f"Composition basis must be either mass or atom, not {basis!r}")


def _composition_dict(comp: Composition, basis: str) -> dict[int, float]:
    if basis == "mass":
        return dict(comp.mass())
    if basis == "atom":
        return dict(comp.atom())
    raise ValueError(f"Composition basis must be either mass or atom, not {basis!r}")


def _untracked_copy(r: _KResource) -> _KResource:
    """Cyclus's `Clone`: the kernel's for materials; a product is copied the same way."""
    clone = getattr(r, "clone", None)
    if clone is not None:
        return clone()
    twin = copy.copy(r)
    twin.tracked = False
    return twin


class Resource:
    """A resource as archetypes see it; wraps a kernel resource (`.kernel`)."""

    __slots__ = ("kernel",)

    def __init__(self, kernel: _KResource | None = None) -> None:
        self.kernel = kernel

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resource) and other.kernel is self.kernel

    def __hash__(self) -> int:
        return id(self.kernel)

    def __repr__(self) -> str:
        r = self.kernel
        return f"{type(self).__name__}(quantity={r.qty!r}, state_id={r.state_id})" if r else f"{type(self).__name__}()"

    @property
    def obj_id(self) -> int:
        return self.kernel.obj_id

    @property
    def state_id(self) -> int:
        return self.kernel.state_id

    @property
    def qual_id(self) -> int:
        return self.kernel.qual_id

    @property
    def type(self) -> str:
        return self.kernel.resource_type

    @property
    def units(self) -> str:
        return self.kernel.units

    @property
    def quantity(self) -> float:
        return self.kernel.qty

    def bump_state_id(self) -> None:
        self.kernel.state_id = self.kernel.ctx.next_state_id()

    def clone(self) -> Resource:
        """An untracked copy (same ids, records nothing)."""
        return wrap(_untracked_copy(self.kernel))

    def extract_res(self, quantity: float) -> Resource:
        r = self.kernel
        return wrap(r.extract_qty(quantity) if isinstance(r, _KMaterial) else r.extract(quantity))


class Material(Resource):
    """A material: `create(agent, qty, comp)` for a tracked one, `comp()` as a nuclide dict."""

    __slots__ = ()

    @staticmethod
    def create(creator: Any, quantity: float, c: Any, basis: str = "mass") -> Material:
        ctx = creator.context
        return Material(_KMaterial.create(creator, float(quantity), composition(ctx, c, basis)))

    @staticmethod
    def create_untracked(quantity: float, c: Any, basis: str = "mass") -> Material:
        ctx = _context()
        return Material(_KMaterial.create_untracked(ctx, float(quantity), composition(ctx, c, basis)))

    def extract_qty(self, quantity: float) -> Material:
        return Material(self.kernel.extract_qty(quantity))

    def extract_comp(self, qty: float, c: Any, basis: str = "mass", threshold: float | None = None) -> Material:
        m = self.kernel
        return Material(m.extract_comp(qty, composition(m.ctx, c, basis), threshold))

    def absorb(self, mat: Material) -> None:
        self.kernel.absorb(mat.kernel)

    def transmute(self, c: Any, basis: str = "mass") -> None:
        m = self.kernel
        m.transmute(composition(m.ctx, c, basis))

    def decay(self, curr_time: int) -> None:
        """Decay up to `curr_time` (the kernel's `Material.decay`)."""
        self.kernel.decay(curr_time)

    @property
    def prev_decay_time(self) -> int:
        return self.kernel.prev_decay_time

    def decay_heat(self) -> float:
        raise NotImplementedError("Material.decay_heat: cycsrv's kernel has no decay heat data")

    def comp(self, basis: str = "mass") -> dict[int, float]:
        return _composition_dict(self.kernel.comp, basis)


class Product(Resource):
    """A product: a quantity of something named by its quality string."""

    __slots__ = ()

    @staticmethod
    def create(creator: Any, quantity: float, quality: str) -> Product:
        return Product(_KProduct.create(creator, float(quantity), quality))

    @staticmethod
    def create_untracked(quantity: float, quality: str) -> Product:
        return Product(_KProduct.create_untracked(_context(), float(quantity), quality))

    def extract(self, qty: float) -> Product:
        return Product(self.kernel.extract(qty))

    def absorb(self, other: Product) -> None:
        self.kernel.absorb(other.kernel)

    @property
    def quality(self) -> str:
        return self.kernel.quality


def wrap(r: _KResource) -> Resource:
    """The archetype-side wrapper of a kernel resource."""
    if isinstance(r, _KMaterial):
        return Material(r)
    if isinstance(r, _KProduct):
        return Product(r)
    return Resource(r)


def unwrap(r: Any, kind: type[_KResource] = _KResource) -> Any:
    """The kernel resource behind `r`; TypeError names what was given instead."""
    kernel = r.kernel if isinstance(r, Resource) else r
    if not isinstance(kernel, kind):
        raise TypeError(f"expected a {kind.__name__}, got {r!r}")
    return kernel


# ---------------------------------------------------------------------------------------------
# Buffers and their inventory descriptors


class ResBuf:
    """A resource buffer (Cyclus's toolkit `ResBuf`) holding wrapped resources."""

    resource: type[Resource] = Resource

    def __init__(self, init: bool = True, capacity: float = math.inf) -> None:
        self.buffer: _KernelResBuf[Any] = _KernelResBuf(capacity)

    @property
    def quantity(self) -> float:
        return self.buffer.quantity()

    def empty(self) -> bool:
        return self.buffer.empty()

    @property
    def capacity(self) -> float:
        return self.buffer.capacity

    @capacity.setter
    def capacity(self, value: float) -> None:
        if value - self.buffer.quantity() < -self.buffer.eps:
            raise ValueError(f"new capacity {value} is lower than the quantity held ({self.buffer.quantity()})")
        self.buffer.capacity = float(value)

    @property
    def count(self) -> int:
        return self.buffer.count()

    def __len__(self) -> int:
        return self.buffer.count()

    def __iter__(self) -> Iterator[Resource]:
        return (self.resource(r) for r in self.buffer.items())

    @property
    def space(self) -> float:
        return self.buffer.space()

    def pop(self, qty: float = -1.0, eps: float = -1.0) -> Resource:
        if qty < 0.0:
            return self.resource(self.buffer.pop_front())
        return self.resource(self.buffer.pop(qty, None if eps < 0.0 else eps))

    def pop_n(self, n: int) -> list[Resource]:
        return [self.resource(r) for r in self.buffer.pop_n(n)]

    def pop_n_res(self, n: int) -> list[Resource]:
        return [wrap(r) for r in self.buffer.pop_n(n)]

    def peek(self) -> Resource:
        return self.resource(self.buffer.peek())

    def pop_back(self) -> Resource:
        return self.resource(self.buffer.pop_back())

    def push(self, r: Resource) -> None:
        self.buffer.push(unwrap(r, _kernel_kind(self.resource)))

    def pop_all_res(self) -> list[Resource]:
        return self.pop_n_res(self.buffer.count())

    def push_many(self, rs: Iterable[Resource]) -> None:
        for r in rs:
            self.push(r)


class ResBufMaterial(ResBuf):
    """A buffer of materials."""

    resource = Material


class ResBufProduct(ResBuf):
    """A buffer of products."""

    resource = Product


def _kernel_kind(res: type[Resource]) -> type[_KResource]:
    return {Material: _KMaterial, Product: _KProduct}.get(res, _KResource)


class ResMap:
    """Resources by key (Cyclus's toolkit `ResMap`)."""

    resource: type[Resource] = Resource

    def __init__(self, init: bool = True) -> None:
        self.items_: dict[Any, Any] = {}

    @property
    def quantity(self) -> float:
        return sum(r.qty for r in self.items_.values())

    def empty(self) -> bool:
        return not self.items_

    @property
    def size(self) -> int:
        return len(self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    def __iter__(self) -> Iterator[tuple[Any, Resource]]:
        for k in sorted(self.items_):
            yield k, self.resource(self.items_[k])

    def __getitem__(self, key: Any) -> Resource:
        return self.resource(self.items_[key])

    def __setitem__(self, key: Any, value: Resource) -> None:
        self.items_[key] = unwrap(value, _kernel_kind(self.resource))

    def __delitem__(self, key: Any) -> None:
        del self.items_[key]

    def clear(self) -> None:
        self.items_.clear()

    def values(self) -> list[Resource]:
        return [self.resource(self.items_[k]) for k in sorted(self.items_)]

    def res_values(self) -> list[Resource]:
        return [wrap(self.items_[k]) for k in sorted(self.items_)]

    def pop(self, key: Any) -> Resource:
        return self.resource(self.items_.pop(key))

    def pop_all_res(self) -> list[Resource]:
        out = self.res_values()
        self.items_.clear()
        return out

    def push_many(self, rs: Iterable[Resource]) -> None:
        """Store `rs` under keys 0, 1, 2, ... (as Cyclus's `ResValues` does)."""
        self.items_ = {i: unwrap(r, _kernel_kind(self.resource)) for i, r in enumerate(rs)}


class Inventory:
    """An inventory declaration: each agent gets its own buffer of `kind` under this name.

    `capacity` is a number, the name of a state variable holding it, or None (unbounded).
    """

    kind: type[Any] = ResBuf

    def __init__(self, value: Any = None, capacity: float | str | None = None, **annotations: Any) -> None:
        self.capacity = capacity
        self.annotations = annotations
        self.index = next(_INDEX)

    def new_buffer(self) -> Any:
        return self.kind(init=True)


_BUFFER_CLASSES: dict[str, type[Any]] = {}
for _info in TYPES:
    if isinstance(_info.type, list) and _info.type[0] in _INVENTORY_HEADS:
        _res = Material if _info.type[-1] == "cyclus::Material" else Product
        _base = ResBuf if _info.type[0] == "cyclus::toolkit::ResBuf" else ResMap
        _name = class_name(_info.type)
        _buf = type(_name, (_base,), {"resource": _res, "__doc__": f"A {_cpp(_info.type)}."})
        _BUFFER_CLASSES[_name] = _buf
        _BUFFER_CLASSES[_name + "Inv"] = type(_name + "Inv", (Inventory,), {
            "kind": _buf, "__doc__": f"An inventory held in a {_cpp(_info.type)}."})
    else:
        _factory = _var_factory(_info)
        globals()[_factory.__name__] = _factory
_BUFFER_CLASSES["ResBufMaterial"] = ResBufMaterial
_BUFFER_CLASSES["ResBufProduct"] = ResBufProduct
_BUFFER_CLASSES["ResBufMaterialInv"].kind = ResBufMaterial
_BUFFER_CLASSES["ResBufProductInv"].kind = ResBufProduct
globals().update(_BUFFER_CLASSES)


def new_py_inst(t: Any) -> Any:
    """The value a variable of type `t` (id or normal form) has when nothing sets it."""
    info = type_info(t)
    if isinstance(info.type, str):
        return {"bool": False, "int": 0, "float": 0.0, "double": 0.0, "std::string": "", "cyclus::Blob": b"",
                "boost::uuids::uuid": uuid.UUID(int=0)}.get(info.type)
    return {"std::set": set, "std::map": dict, "std::list": list, "std::vector": list}.get(
        info.type[0], lambda: None)()


# ---------------------------------------------------------------------------------------------
# Requests, bids and trades


class _Wrapped:
    """Equality and hashing by the wrapped exchange object, as Cyclus hashes by pointer."""

    __slots__ = ("kernel",)

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Wrapped) and other.kernel is self.kernel

    def __hash__(self) -> int:
        return id(self.kernel)


class Request(_Wrapped):
    """A request in the exchange: target resource, requester, commodity, preference."""

    __slots__ = ()

    @property
    def target(self) -> Resource:
        return wrap(self.kernel.target)

    @property
    def requester(self) -> Any:
        return callable_agent(self.kernel.requester)

    @property
    def commodity(self) -> str:
        return self.kernel.commodity

    @property
    def preference(self) -> float:
        return self.kernel.preference

    @property
    def exclusive(self) -> bool:
        return self.kernel.exclusive

    @property
    def cost_function(self) -> Any:
        raise RuntimeError("Cost functions are not supported for Python archetypes.")


class Bid(_Wrapped):
    """A bid in the exchange: the request it answers, the offer, the bidder."""

    __slots__ = ()

    @property
    def request(self) -> Request:
        return Request(self.kernel.request)

    @property
    def offer(self) -> Resource:
        return wrap(self.kernel.offer)

    @property
    def requester(self) -> Any:
        return callable_agent(self.kernel.request.requester)

    @property
    def bidder(self) -> Any:
        return callable_agent(self.kernel.bidder)

    @property
    def commodity(self) -> str:
        return self.kernel.request.commodity

    @property
    def preference(self) -> float:
        pref = self.kernel.preference
        return self.kernel.request.preference if pref != pref else pref

    @property
    def exclusive(self) -> bool:
        return self.kernel.exclusive


class Trade(_Wrapped):
    """A matched request and bid with the amount traded."""

    __slots__ = ()

    @property
    def request(self) -> Request:
        return Request(self.kernel.request)

    @property
    def bid(self) -> Bid:
        return Bid(self.kernel.bid)

    @property
    def amt(self) -> float:
        return self.kernel.amt

    @property
    def price(self) -> float:
        return 0.0


MaterialRequest = ProductRequest = Request
MaterialBid = ProductBid = Bid
MaterialTrade = ProductTrade = Trade
request_types = (Request,)
bid_types = (Bid,)
trade_types = (Trade,)
