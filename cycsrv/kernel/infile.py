"""Read a Cyclus input file into a `SimSpec`, with errors that point at file and line.

This does what Cyclus's loader and its RelaxNG validation do before anything is built:
xi:include, `<control>`, commodities, recipes, packages, transport units, archetype specs,
prototypes and the initial agent tree (hierarchical or flat schema). Archetype `<config>`
elements are kept as lxml elements; `kernel/config.py` reads them once the archetype's
state variables are known.

Parsing follows Cyclus: ints, doubles and booleans are whitespace-trimmed, strings (names,
commodities) are not; a value element must hold exactly one text node. Every problem raises
one `InputError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import ast
import copy
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from lxml import etree

from cycsrv.kernel import nucname, xpointer

__all__ = [
    "DEFAULT_DT",
    "DEFAULT_SEED",
    "ArchetypeRef",
    "CommoditySpec",
    "Control",
    "FlatAgentSpec",
    "InputError",
    "InstitutionSpec",
    "Location",
    "PackageSpec",
    "PrototypeSpec",
    "RecipeSpec",
    "RegionSpec",
    "SimSpec",
    "TransportUnitSpec",
    "element_text",
    "error_at",
    "input_as_xml",
    "load_input",
    "location_of",
    "parse_double",
    "parse_int",
    "parse_kernel_bool",
    "python_simulation",
]

#: Seconds per time step when `<dt>` is absent: cyclusYear / 12, what Cyclus records.
DEFAULT_DT = 2_629_850
DEFAULT_SEED = 20_160_212
#: `<control><decay>` values, as Cyclus documents them (Cyclus's default is "manual").
DECAY_MODES = ("never", "manual", "lazy")
DBL_MAX = sys.float_info.max
INT_MAX = 2**31 - 1

_XI_INCLUDE = "{http://www.w3.org/2001/XInclude}include"
_XI_FALLBACK = "{http://www.w3.org/2001/XInclude}fallback"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_MAX_INCLUDE_DEPTH = 32

# ---------------------------------------------------------------------------------------------
# Errors and locations


@attrs.frozen
class Location:
    """Where something was written: a file and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class InputError(Exception):
    """A problem in an input file; ``str()`` is ``FILE:LINE: message`` (``FILE: message`` when no line applies)."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(file, line, message)
        self.file = file
        self.line = line
        self.message = message

    def __str__(self) -> str:
        if not self.line:  # the file as a whole (unreadable, not XML at all)
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"

    @property
    def location(self) -> Location:
        return Location(self.file, self.line)


def location_of(el: Any) -> Location:
    """The file and line an element was written at (included fragments keep their own file)."""
    line = el.sourceline or 0
    node = el
    while node is not None:
        base = node.get(_XML_BASE) if isinstance(node.tag, str) else None
        if base is not None:
            return Location(base, line)
        node = node.getparent()
    return Location(el.getroottree().docinfo.URL or "<input>", line)


def error_at(el: Any, message: str) -> InputError:
    """An `InputError` located at element `el`."""
    loc = location_of(el)
    return InputError(loc.file, loc.line, message)


# ---------------------------------------------------------------------------------------------
# Values

_INT_RE = re.compile(r"[+-]?[0-9]+")
_DOUBLE_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)",
                        re.IGNORECASE)


def element_text(el: Any) -> str:
    """The text of a value element, untrimmed; it must be exactly one text node, as in Cyclus."""
    for child in el:
        if isinstance(child.tag, str):
            what = f"<{child.tag}>"
        else:
            what = "a comment" if child.tag is etree.Comment else "markup"
        raise error_at(child, f"<{el.tag}> must hold only a value, found {what} inside it")
    if not el.text:
        raise error_at(el, f"<{el.tag}> is empty; it needs a value")
    return el.text


def parse_int(text: str) -> int:
    """A 32-bit integer, whitespace-trimmed; `ValueError` says what is wrong."""
    s = text.strip()
    if not _INT_RE.fullmatch(s):
        raise ValueError(f"must be an integer, got {text!r}")
    value = int(s)
    if not -(2**31) <= value <= INT_MAX:
        raise ValueError(f"integer {s} is out of range")
    return value


def parse_double(text: str) -> float:
    """A double, whitespace-trimmed; `ValueError` says what is wrong."""
    s = text.strip()
    if not _DOUBLE_RE.fullmatch(s):
        raise ValueError(f"must be a number, got {text!r}")
    return float(s)


def parse_kernel_bool(text: str) -> bool:
    """A kernel boolean: true/t/1 or false/f/0, any case, whitespace-trimmed."""
    s = text.strip().lower()
    if s in ("true", "t", "1"):
        return True
    if s in ("false", "f", "0"):
        return False
    raise ValueError(f"must be true or false, got {text!r}")


def _value(el: Any, parse: Any) -> Any:
    try:
        return parse(element_text(el))
    except ValueError as exc:
        raise error_at(el, f"<{el.tag}> {exc}") from None


def _nonneg_int(el: Any) -> int:
    value = _value(el, parse_int)
    if value < 0:
        raise error_at(el, f"<{el.tag}> must not be negative, got {value}")
    return value


# ---------------------------------------------------------------------------------------------
# Structure

_ONE = (1, 1)
_OPT = (0, 1)
_ANY = (0, None)
_SOME = (1, None)


def _children(el: Any, allowed: Mapping[str, tuple[int, int | None]]) -> dict[str, list[Any]]:
    """The element children of `el` by tag, checked against `allowed` {tag: (min, max)}."""
    found: dict[str, list[Any]] = {tag: [] for tag in allowed}
    if el.text and el.text.strip():
        raise error_at(el, f"unexpected text {el.text.strip()!r} in <{el.tag}>")
    for child in el:
        if child.tail and child.tail.strip():
            raise error_at(child, f"unexpected text {child.tail.strip()!r} in <{el.tag}>")
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        if child.tag not in allowed:
            expected = ", ".join(f"<{tag}>" for tag in allowed)
            raise error_at(child, f"unexpected element <{child.tag}> in <{el.tag}>; expected {expected}")
        found[child.tag].append(child)
    for tag, (lo, hi) in allowed.items():
        if len(found[tag]) < lo:
            raise error_at(el, f"<{el.tag}> is missing <{tag}>")
        if hi is not None and len(found[tag]) > hi:
            raise error_at(found[tag][hi], f"<{tag}> may appear only once in <{el.tag}>")
    return found


def _opt(found: Mapping[str, list[Any]], tag: str, parse: Any, default: Any) -> Any:
    els = found[tag]
    return parse(els[0]) if els else default


def _string(el: Any) -> str:
    return element_text(el)


# ---------------------------------------------------------------------------------------------
# Specs


@attrs.frozen
class ArchetypeRef:
    """An archetype spec ``path:lib:name``; `<alias>` is ignored, as Cyclus does."""

    path: str
    lib: str
    name: str
    #: where the first `<spec>` naming it was written (not part of equality)
    location: Location | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def spec(self) -> str:
        return f"{self.path}:{self.lib}:{self.name}"


@attrs.frozen
class Control:
    """The `<control>` block, with Cyclus's defaults."""

    duration: int
    startmonth: int
    startyear: int
    simhandle: str = ""
    decay: str = "manual"
    dt: int = DEFAULT_DT
    explicit_inventory: bool = False
    explicit_inventory_compact: bool = False
    tolerance_generic: float = 1e-6
    tolerance_resource: float = 1e-6
    seed: int = DEFAULT_SEED
    stride: int = 10_000
    solver: str = "greedy"
    preconditioner: str = "greedy"
    coin_timeout: float = -1.0
    coin_verbose: bool = False
    coin_mps: bool = False
    allow_exclusive_orders: bool = True


@attrs.frozen
class CommoditySpec:
    """A `<commodity>` priority (Cyclus records it and never uses it)."""

    name: str
    solution_priority: float


@attrs.frozen
class RecipeSpec:
    """A recipe: canonical nuclide ids in ascending order with their (unnormalised) amounts."""

    name: str
    basis: str
    nuclides: tuple[tuple[int, float], ...]
    location: Location


@attrs.frozen
class PackageSpec:
    name: str
    fill_min: float
    fill_max: float
    strategy: str


@attrs.frozen
class TransportUnitSpec:
    name: str
    fill_min: int
    fill_max: int
    strategy: str


@attrs.frozen
class PrototypeSpec:
    """A prototype: its name, lifetime (-1 = forever), archetype name and `<config>` element.

    `config` is the archetype element inside `<config>` (e.g. ``<Source>``); read it with
    `cycsrv.kernel.config.read_config`.
    """

    name: str
    lifetime: int
    archetype: str
    config: Any = attrs.field(eq=False, repr=False)
    location: Location


@attrs.frozen
class InstitutionSpec:
    prototype: PrototypeSpec
    initial_facilities: tuple[tuple[str, int], ...]


@attrs.frozen
class RegionSpec:
    prototype: PrototypeSpec
    institutions: tuple[InstitutionSpec, ...]


@attrs.frozen
class FlatAgentSpec:
    """An initial agent of the flat schema; `parent` is another agent's name or None."""

    name: str
    prototype: str
    parent: str | None


@attrs.frozen
class SimSpec:
    """Everything an input file says, checked for structure, before any agent exists."""

    path: str
    input_text: str
    control: Control
    archetypes: tuple[ArchetypeRef, ...]
    commodities: tuple[CommoditySpec, ...]
    recipes: tuple[RecipeSpec, ...]
    packages: tuple[PackageSpec, ...]
    transport_units: tuple[TransportUnitSpec, ...]
    facilities: tuple[PrototypeSpec, ...] = ()
    regions: tuple[RegionSpec, ...] = ()
    flat: bool = False
    flat_prototypes: tuple[PrototypeSpec, ...] = ()
    flat_agents: tuple[FlatAgentSpec, ...] = ()

    @property
    def prototypes(self) -> tuple[PrototypeSpec, ...]:
        """All prototypes in Cyclus's creation order: facilities, institutions, regions
        (hierarchical schema), or document order (flat schema)."""
        if self.flat:
            return self.flat_prototypes
        insts = tuple(i.prototype for r in self.regions for i in r.institutions)
        return self.facilities + insts + tuple(r.prototype for r in self.regions)

    def archetype_ref(self, archetype: str) -> ArchetypeRef:
        """The spec a `<config>` element name selects. Several specs may share a name; Cyclus
        then keeps the last in sorted spec-string order."""
        matches = sorted((a for a in self.archetypes if a.name == archetype), key=lambda a: a.spec)
        if not matches:
            raise KeyError(archetype)
        return matches[-1]


# ---------------------------------------------------------------------------------------------
# Reading the document


def _read_document(path: str) -> Any:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InputError(path, 0, f"cannot read the input file: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(path, 1, "the input file is empty")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".py":
        data = _python_to_xml(path, data)
    elif suffix == ".json":
        data = _json_to_xml(path, data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)
    try:
        return etree.fromstring(data, parser, base_url=path).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise InputError(path, line, f"malformed XML: {exc.msg}") from None


_PYTHON_NAMES = ("simulation", "SIMULATION", "Simulation")  # the names Cyclus looks for, in order


def input_as_xml(path: str) -> str:
    """The input file at `path` (XML, JSON or Python) as the XML cycsrv reads, includes left as written."""
    return etree.tostring(_read_document(path), encoding="unicode") + "\n"


def _python_to_xml(path: str, data: bytes) -> bytes:
    """A Cyclus Python input file's simulation as XML (see `python_simulation`)."""
    value = python_simulation(path, data)
    if isinstance(value, (str, bytes)):
        return _json_to_xml(path, value.encode() if isinstance(value, str) else value)
    return _document_to_xml(path, value, "a Python input's SIMULATION")


def python_simulation(path: str, data: bytes) -> Any:
    """A Cyclus Python input file's simulation, read without running the file.

    Cyclus runs the file and takes its ``simulation``/``SIMULATION``/``Simulation`` variable: a
    dict in the JSON form, or JSON text. Here the last top-level assignment of that name must be
    such a literal (`ast.literal_eval`); a file that computes it is refused, so no input runs code.
    """
    try:
        module = ast.parse(data, filename=path)
    except SyntaxError as exc:
        raise InputError(path, exc.lineno or 1, f"malformed Python: {exc.msg}") from None
    assigned: dict[str, ast.expr] = {}
    for stmt in module.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and target.id in _PYTHON_NAMES:
                    assigned[target.id] = stmt.value
    name = next((n for n in _PYTHON_NAMES if n in assigned), None)
    if name is None:
        raise InputError(path, 1, "a Python input must assign SIMULATION at top level")
    node = assigned[name]
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise InputError(path, node.lineno, f"{name} must be a literal dict or JSON string: cycsrv reads "
                         "Python inputs without running them") from None
    if not isinstance(value, (str, bytes, dict)):
        raise InputError(path, node.lineno, f"{name} must be a dict or JSON text, not {type(value).__name__}")
    return value


def _json_to_xml(path: str, data: bytes) -> bytes:
    """Cyclus's JSON input form as XML (see `_document_to_xml`)."""
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(path, exc.lineno, f"malformed JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, 1, f"malformed JSON: {exc}") from None
    return _document_to_xml(path, doc, "a JSON input")


def _document_to_xml(path: str, doc: Any, what: str) -> bytes:
    """The JSON form as XML: object members become elements in alphabetical order, arrays
    repeated elements, null an empty element, booleans 1/0. Error lines then refer to this
    XML, one element per line."""
    if not isinstance(doc, dict) or len(doc) != 1:
        raise InputError(path, 1, f'{what} must be one object, {{"simulation": {{...}}}}')
    ((name, body),) = doc.items()
    root = _json_element(path, None, name)
    _json_fill(path, root, body)
    return etree.tostring(root, pretty_print=True)


def _json_element(path: str, parent: Any, name: str) -> Any:
    try:
        return etree.Element(name) if parent is None else etree.SubElement(parent, name)
    except ValueError:
        raise InputError(path, 1, f"JSON key {name!r} is not a valid XML element name") from None


def _json_fill(path: str, el: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            for one in item if isinstance(item, (list, tuple)) else [item]:
                if isinstance(one, (list, tuple)):
                    raise InputError(path, 1, f"JSON key {key!r}: arrays of arrays have no XML form")
                _json_fill(path, _json_element(path, el, key), one)
    elif isinstance(value, bool):
        el.text = "1" if value else "0"
    elif isinstance(value, (int, float, str)):
        try:
            el.text = repr(value) if isinstance(value, float) else str(value)
        except ValueError:
            raise InputError(path, 1, f"JSON value for <{el.tag}> holds characters XML cannot") from None
    else:
        raise InputError(path, 1, f"unsupported JSON value for <{el.tag}>: {value!r}")


def _resolve_href(href: str, including_file: str) -> str | None:
    """`href` relative to the including file's directory, else to the current directory."""
    if os.path.isabs(href):
        return href if os.path.isfile(href) else None
    beside = os.path.normpath(os.path.join(os.path.dirname(including_file), href))
    if os.path.isfile(beside):
        return beside
    return href if os.path.isfile(href) else None


def _expand_includes(root: Any, file: str, stack: tuple[str, ...]) -> None:
    """Replace every xi:include under `root` with the content it names, recursively."""
    for inc in list(root.iter(_XI_INCLUDE)):
        if any(a.tag == _XI_INCLUDE for a in inc.iterancestors()):
            continue  # inside another include's fallback, handled with it
        href = inc.get("href")
        if not href:
            raise error_at(inc, "xi:include needs an href")
        pointer = inc.get("xpointer")
        parse = inc.get("parse", "xml")
        if parse not in ("xml", "text"):
            raise error_at(inc, f"xi:include parse={parse!r} must be 'xml' or 'text'")
        if pointer is not None and parse == "text":
            raise error_at(inc, "xi:include with parse='text' cannot have an xpointer")
        target = _resolve_href(href, location_of(inc).file)
        if target is None:
            fallback = inc.find(_XI_FALLBACK)
            if fallback is None:
                raise error_at(inc, f"xi:include cannot find {href!r} (looked beside "
                               f"{location_of(inc).file!r} and in the current directory)")
            _splice(inc, fallback.text, list(fallback))
            continue
        if len(stack) >= _MAX_INCLUDE_DEPTH or os.path.abspath(target) in stack:
            raise error_at(inc, f"xi:include of {href!r} is recursive")
        if parse == "text":
            try:
                with open(target, encoding=inc.get("encoding", "utf-8")) as f:
                    _splice(inc, f.read(), [])
            except (OSError, UnicodeDecodeError, LookupError) as exc:
                raise error_at(inc, f"xi:include cannot read {href!r}: {exc}") from None
            continue
        fragment = _read_document(target).getroot()
        _expand_includes(fragment, target, (*stack, os.path.abspath(target)))
        if fragment.get(_XML_BASE) is None:
            fragment.set(_XML_BASE, target)
        if pointer is None:
            _splice(inc, None, [fragment])
            continue
        try:
            selected = xpointer.select(fragment, pointer)
        except xpointer.XPointerError as exc:
            raise error_at(inc, f"xi:include xpointer {pointer!r}: {exc}") from None
        if not selected:
            fallback = inc.find(_XI_FALLBACK)
            if fallback is None:
                raise error_at(inc, f"xi:include xpointer {pointer!r} selects nothing in {target}")
            _splice(inc, fallback.text, list(fallback))
            continue
        _splice_selected(inc, selected, target)


def _splice_selected(inc: Any, selected: list[Any], target: str) -> None:
    """Replace `inc` by the nodes an xpointer selected from `target` (strings become text)."""
    text: list[str] = []
    nodes: list[Any] = []
    for node in selected:
        if isinstance(node, str):
            if nodes:
                nodes[-1].tail = (nodes[-1].tail or "") + node
            else:
                text.append(node)
            continue
        base = location_of(node).file if isinstance(node.tag, str) else target
        node = copy.deepcopy(node)  # the same node may be selected twice
        if isinstance(node.tag, str) and node.get(_XML_BASE) is None:
            node.set(_XML_BASE, base)
        node.tail = None
        nodes.append(node)
    _splice(inc, "".join(text) or None, nodes)


def _splice(inc: Any, text: str | None, nodes: list[Any]) -> None:
    """Replace element `inc` by `text` followed by `nodes`, keeping the text after it."""
    parent = inc.getparent()
    index = parent.index(inc)
    prev = inc.getprevious()
    tail = inc.tail or ""
    parent.remove(inc)
    lead = text or ""
    if nodes:
        nodes[-1].tail = (nodes[-1].tail or "") + tail
    else:
        lead += tail
    if prev is not None:
        prev.tail = (prev.tail or "") + lead
    else:
        parent.text = (parent.text or "") + lead
    for offset, node in enumerate(nodes):
        parent.insert(index + offset, node)


def _serialise(tree: Any) -> str:
    """The document as Cyclus stores it in `InputFiles`: XML declaration, top-level nodes one
    per line, included content inlined, xml:base attributes removed."""
    root = tree.getroot()
    copy = etree.fromstring(etree.tostring(root))
    for el in copy.iter():
        if isinstance(el.tag, str) and _XML_BASE in el.attrib:
            del el.attrib[_XML_BASE]
    before = list(reversed(list(root.itersiblings(preceding=True))))
    after = list(root.itersiblings())
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    for node in [*before, copy, *after]:
        parts.append(etree.tostring(node, encoding="unicode", with_tail=False))
        parts.append("\n")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Sections

_CONTROL = {
    "simhandle": _OPT, "duration": _ONE, "startyear": _ONE, "startmonth": _ONE, "decay": _OPT,
    "dt": _OPT, "explicit_inventory": _OPT, "explicit_inventory_compact": _OPT,
    "tolerance_generic": _OPT, "tolerance_resource": _OPT, "seed": _OPT, "stride": _OPT,
    "solver": _OPT,
}  # fmt: skip


def _read_control(el: Any) -> Control:
    c = _children(el, _CONTROL)
    startmonth = _value(c["startmonth"][0], parse_int)
    if not 1 <= startmonth <= 12:
        raise error_at(c["startmonth"][0], f"<startmonth> must be 1..12, got {startmonth}")
    dt = _opt(c, "dt", _nonneg_int, DEFAULT_DT)
    if dt <= 0:
        raise error_at(c["dt"][0], "<dt> must be a positive number of seconds")
    stride = _opt(c, "stride", _nonneg_int, 10_000)
    if stride <= 0:
        raise error_at(c["stride"][0], "<stride> must be positive")
    decay = _opt(c, "decay", _string, "manual")
    if decay not in DECAY_MODES:
        raise error_at(c["decay"][0], f"<decay> must be one of {', '.join(DECAY_MODES)}, got {decay!r}")
    kw: dict[str, Any] = {
        "duration": _nonneg_int(c["duration"][0]),
        "startmonth": startmonth,
        "startyear": _nonneg_int(c["startyear"][0]),
        "simhandle": _opt(c, "simhandle", _string, ""),
        "decay": decay,
        "dt": dt,
        "explicit_inventory": _opt(c, "explicit_inventory", _kbool, False),
        "explicit_inventory_compact": _opt(c, "explicit_inventory_compact", _kbool, False),
        "tolerance_generic": _opt(c, "tolerance_generic", _double, 1e-6),
        "tolerance_resource": _opt(c, "tolerance_resource", _double, 1e-6),
        "seed": _opt(c, "seed", _nonneg_int, DEFAULT_SEED),
        "stride": stride,
    }
    if c["solver"]:
        kw.update(_read_solver(c["solver"][0]))
    return Control(**kw)


def _double(el: Any) -> float:
    return _value(el, parse_double)


def _kbool(el: Any) -> bool:
    return _value(el, parse_kernel_bool)


def _read_solver(el: Any) -> dict[str, Any]:
    s = _children(el, {"config": _OPT, "allow_exclusive_orders": _OPT})
    kw: dict[str, Any] = {"allow_exclusive_orders": _opt(s, "allow_exclusive_orders", _kbool, True)}
    if not s["config"]:
        return kw
    cfg = s["config"][0]
    choice = _children(cfg, {"greedy": _OPT, "coin-or": _OPT})
    if choice["greedy"] and choice["coin-or"]:
        raise error_at(choice["coin-or"][0], "<solver><config> takes one of <greedy> or <coin-or>, not both")
    if choice["greedy"]:
        g = _children(choice["greedy"][0], {"preconditioner": _OPT})
        kw["solver"] = "greedy"
        kw["preconditioner"] = _opt(g, "preconditioner", _string, "greedy")
        if kw["preconditioner"] != "greedy":
            raise error_at(g["preconditioner"][0],
                           f"unknown preconditioner {kw['preconditioner']!r}; the only one is 'greedy'")
    elif choice["coin-or"]:
        co = _children(choice["coin-or"][0], {"timeout": _OPT, "verbose": _OPT, "mps": _OPT})
        kw["solver"] = "coin-or"
        kw["coin_timeout"] = _opt(co, "timeout", _double, -1.0)
        kw["coin_verbose"] = _opt(co, "verbose", _kbool, False)
        kw["coin_mps"] = _opt(co, "mps", _kbool, False)
    else:
        raise error_at(cfg, "<solver><config> needs <greedy> or <coin-or>")
    return kw


def _read_commodity(el: Any) -> CommoditySpec:
    c = _children(el, {"name": _ONE, "solution_priority": _OPT})
    return CommoditySpec(_string(c["name"][0]), _opt(c, "solution_priority", _double, -1.0))


def _read_archetypes(els: Iterable[Any]) -> tuple[ArchetypeRef, ...]:
    refs: list[ArchetypeRef] = []
    for el in els:
        for spec in _children(el, {"spec": _SOME})["spec"]:
            s = _children(spec, {"path": _OPT, "lib": _OPT, "name": _ONE, "alias": _OPT})
            name = _string(s["name"][0])
            ref = ArchetypeRef(_opt(s, "path", _string, ""), _opt(s, "lib", _string, name), name,
                               location_of(spec))
            if ref not in refs:
                refs.append(ref)
    return tuple(refs)


def _read_recipe(el: Any) -> RecipeSpec:
    r = _children(el, {"name": _ONE, "basis": _ONE, "nuclide": _SOME})
    name = _string(r["name"][0])
    basis = _string(r["basis"][0])
    if basis not in ("mass", "atom"):
        raise error_at(r["basis"][0], f"recipe {name!r}: basis {basis!r} is not 'mass' or 'atom'")
    comp: dict[int, float] = {}
    for nuc in r["nuclide"]:
        n = _children(nuc, {"id": _ONE, "comp": _ONE})
        id_el = n["id"][0]
        text = element_text(id_el).strip()
        try:
            nucid = nucname.id(text)
        except nucname.NucnameError as exc:
            raise error_at(id_el, f"recipe {name!r}: {exc}") from None
        if not nucname.is_nuclide(nucid):
            raise error_at(id_el, f"recipe {name!r}: {text!r} ({nucid}) is an element or not a "
                           "nuclide; recipes need specific nuclides such as U235")
        amount = _double(n["comp"][0])
        if amount < 0 or math.isnan(amount) or math.isinf(amount):
            raise error_at(n["comp"][0], f"recipe {name!r}: <comp> of {text} must be a finite, "
                           f"non-negative number, got {amount}")
        comp[nucid] = amount  # a repeated nuclide: the last one wins, as in Cyclus
    return RecipeSpec(name, basis, tuple(sorted(comp.items())), location_of(el))


_PACKAGE_STRATEGIES = ("first", "equal", "uniform", "normal")
_TRANSPORT_STRATEGIES = ("first", "equal", "hybrid")


def _read_packages(els: Iterable[Any], fill_min_default: float) -> tuple[PackageSpec, ...]:
    out: dict[str, PackageSpec] = {}
    for el in els:
        p = _children(el, {"name": _OPT, "fill_min": _OPT, "fill_max": _OPT, "strategy": _OPT})
        spec = PackageSpec(
            _opt(p, "name", _string, "default"),
            _opt(p, "fill_min", _double, fill_min_default),
            _opt(p, "fill_max", _double, DBL_MAX),
            _opt(p, "strategy", _string, "first"),
        )
        _check_fill(el, "package", spec.name, spec.fill_min, spec.fill_max)
        if spec.strategy not in _PACKAGE_STRATEGIES:
            raise error_at(el, f"package {spec.name!r}: unknown strategy {spec.strategy!r}; "
                           f"use one of {', '.join(_PACKAGE_STRATEGIES)}")
        if spec.name == "unpackaged" or spec.name in out:
            raise error_at(el, f"package {spec.name!r} already exists")
        out[spec.name] = spec
    return tuple(out.values())


def _read_transport_units(els: Iterable[Any]) -> tuple[TransportUnitSpec, ...]:
    out: dict[str, TransportUnitSpec] = {}
    for el in els:
        t = _children(el, {"name": _OPT, "fill_min": _OPT, "fill_max": _OPT, "strategy": _OPT})
        spec = TransportUnitSpec(
            _opt(t, "name", _string, "default"),
            _opt(t, "fill_min", _nonneg_int, 0),
            _opt(t, "fill_max", _nonneg_int, INT_MAX),
            _opt(t, "strategy", _string, "first"),
        )
        _check_fill(el, "transport unit", spec.name, spec.fill_min, spec.fill_max)
        if spec.strategy not in _TRANSPORT_STRATEGIES:
            raise error_at(el, f"transport unit {spec.name!r}: unknown strategy {spec.strategy!r}; "
                           f"use one of {', '.join(_TRANSPORT_STRATEGIES)}")
        if spec.name == "unrestricted" or spec.name in out:
            raise error_at(el, f"transport unit {spec.name!r} already exists")
        out[spec.name] = spec
    return tuple(out.values())


def _check_fill(el: Any, what: str, name: str, lo: float, hi: float) -> None:
    if lo < 0 or hi < 0:
        raise error_at(el, f"{what} {name!r}: fill_min and fill_max must be non-negative")
    if lo > hi:
        raise error_at(el, f"{what} {name!r}: fill_min must be less than or equal to fill_max")


class _Prototypes:
    """Reads prototypes, checking names are unique and archetypes are declared."""

    def __init__(self, archetypes: tuple[ArchetypeRef, ...]) -> None:
        self.archetype_names = {a.name for a in archetypes}
        self.by_name: dict[str, PrototypeSpec] = {}

    def read(self, el: Any, extra: Mapping[str, tuple[int, int | None]] | None = None) -> tuple[
            PrototypeSpec, dict[str, list[Any]]]:
        found = _children(el, {"name": _ONE, "lifetime": _OPT, "config": _ONE, **(extra or {})})
        name = _string(found["name"][0])
        lifetime = _opt(found, "lifetime", _nonneg_int, -1)
        config = found["config"][0]
        if config.text and config.text.strip():
            raise error_at(config, f"unexpected text {config.text.strip()!r} in <config>")
        archetype_els = [c for c in config if isinstance(c.tag, str)]
        if len(archetype_els) != 1:
            raise error_at(config, f"prototype {name!r}: <config> must hold exactly one archetype "
                           f"element, found {len(archetype_els)}")
        arch = archetype_els[0]
        if arch.tag not in self.archetype_names:
            listed = ", ".join(sorted(self.archetype_names)) or "none"
            raise error_at(arch, f"prototype {name!r}: archetype <{arch.tag}> is not listed in "
                           f"<archetypes> (listed: {listed})")
        if name in self.by_name:
            first = self.by_name[name].location
            raise error_at(found["name"][0], f"duplicate prototype name {name!r} (first defined at {first})")
        proto = PrototypeSpec(name, lifetime, arch.tag, arch, location_of(el))
        self.by_name[name] = proto
        return proto, found


def _read_hierarchy(top: Mapping[str, list[Any]], protos: _Prototypes) -> tuple[
        tuple[PrototypeSpec, ...], tuple[RegionSpec, ...]]:
    facilities = tuple(protos.read(el)[0] for el in top["facility"])
    pending: list[tuple[Any, str]] = []  # (entry <prototype> element, name) checked at the end
    regions = []
    for rel in top["region"]:
        rproto, rfound = protos.read(rel, {"institution": _SOME})
        insts = []
        for iel in rfound["institution"]:
            iproto, ifound = protos.read(iel, {"initialfacilitylist": _OPT})
            entries: list[tuple[str, int]] = []
            for flist in ifound["initialfacilitylist"]:
                for entry in _children(flist, {"entry": _SOME})["entry"]:
                    e = _children(entry, {"prototype": _ONE, "number": _ONE})
                    fac = _string(e["prototype"][0])
                    entries.append((fac, _nonneg_int(e["number"][0])))
                    pending.append((e["prototype"][0], fac))
            insts.append(InstitutionSpec(iproto, tuple(entries)))
        regions.append(RegionSpec(rproto, tuple(insts)))
    for el, fac in pending:
        if fac not in protos.by_name:
            raise error_at(el, f"initialfacilitylist names unknown prototype {fac!r}")
    return facilities, tuple(regions)


def _read_flat(top: Mapping[str, list[Any]], protos: _Prototypes) -> tuple[
        tuple[PrototypeSpec, ...], tuple[FlatAgentSpec, ...]]:
    prototypes = tuple(protos.read(el)[0] for el in top["prototype"])
    agents: dict[str, FlatAgentSpec] = {}
    where: dict[str, Any] = {}
    for el in top["agent"]:
        a = _children(el, {"name": _ONE, "prototype": _ONE, "parent": _OPT})
        name = _string(a["name"][0])
        proto = _string(a["prototype"][0])
        parent = _opt(a, "parent", _string, None)
        if name in agents:
            raise error_at(a["name"][0], f"duplicate agent name {name!r}")
        if proto not in protos.by_name:
            raise error_at(a["prototype"][0], f"agent {name!r} names unknown prototype {proto!r}")
        agents[name] = FlatAgentSpec(name, proto, parent)
        where[name] = el
    for name, agent in agents.items():
        seen = {name}
        parent = agent.parent
        while parent is not None:
            if parent not in agents:
                raise error_at(where[name], f"agent {name!r} names unknown parent {parent!r}")
            if parent in seen:
                raise error_at(where[name], f"agent {name!r} is its own ancestor")
            seen.add(parent)
            parent = agents[parent].parent
    return prototypes, tuple(agents.values())


_COMMON_TOP = {
    "schematype": _OPT, "ui": _OPT, "control": _ONE, "commodity": _ANY, "archetypes": _SOME,
    "recipe": _SOME, "package": _ANY, "transportunit": _ANY,
}  # fmt: skip
_TREE_TOP = {**_COMMON_TOP, "facility": _SOME, "region": _SOME}
_FLAT_TOP = {**_COMMON_TOP, "prototype": _SOME, "agent": _SOME}


def load_input(path: str | os.PathLike[str], *, flat_schema: bool = False) -> SimSpec:
    """Read and check the input file at `path` (XML; JSON if it ends in ``.json``; a Python input's
    literal ``SIMULATION`` if it ends in ``.py``). The flat
    schema is used if `flat_schema` is set or the file says ``<schematype>flat</schematype>``;
    raises `InputError` on any problem."""
    file = os.fspath(path)
    tree = _read_document(file)
    root = tree.getroot()
    if root.tag != "simulation":
        raise error_at(root, f"the root element must be <simulation>, not <{root.tag}>")
    _expand_includes(root, file, (os.path.abspath(file),))
    input_text = _serialise(tree)

    schematype = [c for c in root if c.tag == "schematype"]
    flat = flat_schema or bool(schematype and element_text(schematype[0]) == "flat")
    top = _children(root, _FLAT_TOP if flat else _TREE_TOP)

    control = _read_control(top["control"][0])
    archetypes = _read_archetypes(top["archetypes"])
    protos = _Prototypes(archetypes)
    spec: dict[str, Any] = {
        "path": file,
        "input_text": input_text,
        "control": control,
        "archetypes": archetypes,
        "commodities": tuple(_read_commodity(el) for el in top["commodity"]),
        "recipes": tuple(_read_recipe(el) for el in top["recipe"]),
        "packages": _read_packages(top["package"], control.tolerance_generic),
        "transport_units": _read_transport_units(top["transportunit"]),
        "flat": flat,
    }
    if flat:
        spec["flat_prototypes"], spec["flat_agents"] = _read_flat(top, protos)
    else:
        spec["facilities"], spec["regions"] = _read_hierarchy(top, protos)
    return SimSpec(**spec)
