"""Read an archetype's `<config>` element into state-variable values (cycpp conventions).

Cyclus generates each archetype's `InfileToDb` from its state-variable annotations; this is
that reader, driven by `StateVar` declarations instead of generated code:

- a scalar is the child element ``<alias>``;
- a vector, list or set is ``<alias><val>..</val>...</alias>`` (inner name from ``alias[1]``);
- a map is ``<alias><item><key>..</key><val>..</val></item>...</alias>`` (names from
  ``alias = [[outer, item], key, val]``);
- a pair is ``<alias><first>..</first><second>..</second></alias>``;
- containers nest, the inner alias naming the inner element.

Variables with a default are optional, `internal` ones are never read, ``uitype: nuclide``
values go through `nucname.id`, and a value outside a variable's `range` is an error.
"""

from __future__ import annotations

import copy
import math
import struct
import uuid
from collections.abc import Mapping
from typing import Any

from cycsrv.kernel import nucname
from cycsrv.kernel.infile import (
    InputError,
    PrototypeSpec,
    element_text,
    error_at,
    parse_double,
    parse_int,
)
from cycsrv.kernel.statevar import REQUIRED, CyclusType, StateVar

__all__ = ["parse_archetype_bool", "read_config", "validate_range"]

_SEQUENCES = ("std::vector", "std::list", "std::set")


def parse_archetype_bool(text: str) -> bool:
    """An archetype boolean: 0/1 as Cyclus reads them, and also true/false (any case)."""
    s = text.strip().lower()
    if s in ("1", "true"):
        return True
    if s in ("0", "false"):
        return False
    raise ValueError(f"must be 0, 1, true or false, got {text!r}")


def _parse_float32(text: str) -> float:
    value = parse_double(text)
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        raise ValueError(f"{text.strip()} is out of range for a float") from None


def _parse_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise ValueError(f"must be a UUID, got {text!r}") from None


_SCALAR_PARSERS: dict[str, Any] = {
    "bool": parse_archetype_bool,
    "int": parse_int,
    "float": _parse_float32,
    "double": parse_double,
    "std::string": str,
    "cyclus::Blob": str,
    "boost::uuids::uuid": _parse_uuid,
}


def _fmt(x: Any) -> str:
    """A number the way a user writes it: 0, 2.5, 1e299."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x).replace("e+", "e")


def validate_range(value: Any, var: StateVar) -> None:
    """Raise `ValueError` if numeric `value` lies outside ``var.range`` = [lo, hi].

    Variables without a numeric two-element range, and non-numeric values, always pass."""
    rng = var.range
    if not isinstance(rng, (list, tuple)) or len(rng) != 2:
        return
    lo, hi = rng
    if not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in (lo, hi)):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if math.isnan(value) or not lo <= value <= hi:
        raise ValueError(f"{_fmt(value)} is outside the allowed range [{_fmt(lo)}, {_fmt(hi)}]")


def _prepare(t: CyclusType, other: Any) -> Any:
    """cycpp's `prepare_type`: pad an alias/uitype list to the length of container type `t`."""
    if isinstance(t, str):
        return other
    if other is None:
        return [None] * len(t)
    out = [other] if isinstance(other, str) else list(other)
    return out + [None] * (len(t) - len(out))


def _element_name(alias: Any, default: str) -> str:
    """The element name an alias gives: the alias, its first entry for a container, or `default`."""
    while isinstance(alias, (list, tuple)):
        alias = alias[0] if alias else None
    return default if alias is None else alias


class _Reader:
    """Reads one prototype's values; errors name the prototype."""

    def __init__(self, proto: PrototypeSpec) -> None:
        self.proto = proto

    def error(self, el: Any, message: str) -> InputError:
        return error_at(el, f"prototype {self.proto.name!r}: {message}")

    def children(self, el: Any, allowed: tuple[str, ...]) -> list[Any]:
        """Element children of container element `el`; each must be named one of `allowed`."""
        out = []
        if el.text and el.text.strip():
            raise self.error(el, f"unexpected text {el.text.strip()!r} in <{el.tag}>")
        for child in el:
            if child.tail and child.tail.strip():
                raise self.error(child, f"unexpected text {child.tail.strip()!r} in <{el.tag}>")
            if not isinstance(child.tag, str):
                continue
            if child.tag not in allowed:
                expected = " or ".join(f"<{a}>" for a in allowed)
                raise self.error(child, f"unexpected element <{child.tag}> in <{el.tag}>; expected {expected}")
            out.append(child)
        return out

    def one(self, el: Any, name: str) -> Any:
        found = [c for c in el if c.tag == name]
        if not found:
            raise self.error(el, f"<{el.tag}> is missing <{name}>")
        if len(found) > 1:
            raise self.error(found[1], f"<{name}> may appear only once in <{el.tag}>")
        return found[0]

    def value(self, el: Any, t: CyclusType, alias: Any, uitype: Any, var_name: str) -> Any:
        """The value of type `t` held by element `el`."""
        if isinstance(t, str):
            return self.scalar(el, t, uitype, var_name)
        head = t[0]
        alias = _prepare(t, alias)
        uitype = _prepare(t, uitype)
        if head in _SEQUENCES:
            inner = _element_name(alias[1], "val")
            items = [self.value(c, t[1], alias[1] if alias[1] is not None else inner, uitype[1], var_name)
                     for c in self.children(el, (inner,))]
            return set(items) if head == "std::set" else items
        if head == "std::pair":
            first_name = _element_name(alias[1], "first")
            second_name = _element_name(alias[2], "second")
            self.children(el, (first_name, second_name))
            first = self.value(self.one(el, first_name), t[1], alias[1] or first_name, uitype[1], var_name)
            second = self.value(self.one(el, second_name), t[2], alias[2] or second_name, uitype[2], var_name)
            return (first, second)
        if head == "std::map":
            outer = alias[0]
            item_name = "item"
            if isinstance(outer, (list, tuple)) and len(outer) > 1 and outer[1] is not None:
                item_name = _element_name(outer[1], "item")
            key_name = _element_name(alias[1], "key")
            val_name = _element_name(alias[2], "val")
            out: dict[Any, Any] = {}
            for item in self.children(el, (item_name,)):
                self.children(item, (key_name, val_name))
                key = self.value(self.one(item, key_name), t[1], alias[1] or key_name, uitype[1], var_name)
                val = self.value(self.one(item, val_name), t[2], alias[2] or val_name, uitype[2], var_name)
                if isinstance(key, (list, dict, set)):
                    raise self.error(item, f"{var_name}: a map key cannot be a container")
                out[key] = val  # a repeated key: the last one wins, as in Cyclus
            return out
        raise self.error(el, f"{var_name}: unsupported type {t!r}")

    def scalar(self, el: Any, t: str, uitype: Any, var_name: str) -> Any:
        try:
            text = element_text(el)
        except InputError as exc:
            raise InputError(exc.file, exc.line, f"prototype {self.proto.name!r}: {exc.message}") from None
        if uitype == "nuclide":
            try:
                nucid = nucname.id(text.strip())
            except nucname.NucnameError as exc:
                raise self.error(el, f"{var_name}: {exc}") from None
            return nucid
        parse = _SCALAR_PARSERS.get(t)
        if parse is None:
            raise self.error(el, f"{var_name}: unsupported type {t!r}")
        try:
            return parse(text)
        except ValueError as exc:
            raise self.error(el, f"<{el.tag}> {exc}") from None


def _default(var: StateVar) -> Any:
    value = copy.deepcopy(var.default)
    if var.uitype == "nuclide" and isinstance(value, str):
        return nucname.id(value)
    return value


def _check_range(reader: _Reader, el: Any, name: str, value: Any, var: StateVar) -> None:
    values = value if isinstance(value, (list, set)) else [value]
    for v in values:
        try:
            validate_range(v, var)
        except ValueError as exc:
            raise reader.error(el, f"{name} = {exc}") from None


def read_config(proto: PrototypeSpec, state_vars: Mapping[str, StateVar]) -> dict[str, Any]:
    """The state-variable values `proto`'s `<config>` element gives, with defaults filled in.

    Keys follow `state_vars` order; `internal` variables are left out (they keep their
    defaults). Raises `InputError` (file:line) for a missing required variable, an unknown
    element, an unparsable value, or a value outside a variable's `range`."""
    reader = _Reader(proto)
    arch = proto.config
    by_element: dict[str, tuple[str, StateVar]] = {}
    for name, var in state_vars.items():
        if not var.internal:
            by_element[_element_name(var.alias, name)] = (name, var)

    given: dict[str, Any] = {}
    for child in reader.children(arch, tuple(by_element)):
        if child.tag in given:
            raise reader.error(child, f"<{child.tag}> may appear only once in <{arch.tag}>")
        given[child.tag] = child

    values: dict[str, Any] = {}
    for element, (name, var) in by_element.items():
        el = given.get(element)
        if el is None:
            if var.default is REQUIRED:
                raise reader.error(arch, f"<{arch.tag}> is missing required <{element}> ({name})")
            values[name] = _default(var)
            continue
        alias = var.alias if var.alias is not None else (name if isinstance(var.type, str) else [name])
        value = reader.value(el, var.type, alias, var.uitype, name)
        _check_range(reader, el, name, value, var)
        values[name] = value
    return {name: values[name] for name in state_vars if name in values}
