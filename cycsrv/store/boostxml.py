"""Container values as Boost.Serialization XML archives, byte-identical to Cyclus's SQLite BLOBs.

Cyclus stores every container column (vector, set, list, pair, map, nested) as the text of a
`boost::archive::xml_oarchive` holding one object named ``vect``. The rules reproduced here:

* Class types carry ``class_id="k" tracking_level="0" version="0"`` on their first occurrence
  only, k numbered 0, 1, 2, ... in order of first appearance in the archive. Maps' elements are
  ``std::pair<const K, V>``, a class distinct from ``std::pair<K, V>``.
* Vectors, lists and sets of fundamental types (int, double, float, bool) carry no class
  attributes (Boost marks them ``object_serializable``); scalars never do.
* Collections write ``count`` and ``item_version`` then one ``item`` per element; maps and
  sets in key order (as `std::map`/`std::set` iterate); pairs write ``first`` and ``second``.
* Doubles use ``%.17e``; strings are XML-escaped (``& < > " '``); the archive ends "\\n\\n".
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from cycsrv.store.containers import CType, ctype_of
from cycsrv.store.schema import DbType

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
    "<!DOCTYPE boost_serialization>\n"
    '<boost_serialization signature="serialization::archive" version="18">\n'
)
_FOOTER = "</boost_serialization>\n\n"
_FUNDAMENTAL = frozenset({"INT", "DOUBLE", "FLOAT", "BOOL"})
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def boost_xml(value: Any, dbtype: DbType) -> bytes:
    """The Boost XML archive Cyclus writes for container `value` of type `dbtype`."""
    out = [_HEADER]
    _write(out, "vect", value, ctype_of(dbtype), 0, {})
    out.append(_FOOTER)
    return "".join(out).encode("utf-8")


def _scalar_text(value: Any, kind: str) -> str:
    if kind == "INT":
        return str(int(value))
    if kind in ("DOUBLE", "FLOAT"):
        return f"{value:.17e}"
    if kind == "BOOL":
        return "1" if value else "0"
    if kind == "BLOB" and isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).translate(_XML_ESCAPES)


def _class_attrs(key: Hashable, has_class_info: bool, ids: dict[Hashable, int]) -> str:
    if not has_class_info or key in ids:
        return ""
    ids[key] = len(ids)
    return f' class_id="{ids[key]}" tracking_level="0" version="0"'


def _write(out: list[str], tag: str, value: Any, t: str | CType, depth: int, ids: dict[Hashable, int]) -> None:
    tabs = "\t" * depth
    if isinstance(t, str):
        out.append(f"{tabs}<{tag}>{_scalar_text(value, t)}</{tag}>\n")
        return
    plain = t.kind in ("VECTOR", "LIST", "SET") and t.args[0] in _FUNDAMENTAL
    out.append(f"{tabs}<{tag}{_class_attrs(t, not plain, ids)}>\n")
    inner = "\t" * (depth + 1)
    if t.kind == "PAIR":
        _write(out, "first", value[0], t.args[0], depth + 1, ids)
        _write(out, "second", value[1], t.args[1], depth + 1, ids)
    elif t.kind == "MAP":
        out.append(f"{inner}<count>{len(value)}</count>\n{inner}<item_version>0</item_version>\n")
        item_key = ("MAP_ITEM", t.args[0], t.args[1])
        for k, v in sorted(value.items(), key=lambda kv: kv[0]):
            out.append(f"{inner}<item{_class_attrs(item_key, True, ids)}>\n")
            _write(out, "first", k, t.args[0], depth + 2, ids)
            _write(out, "second", v, t.args[1], depth + 2, ids)
            out.append(f"{inner}</item>\n")
    else:
        items = sorted(value) if t.kind == "SET" else value
        out.append(f"{inner}<count>{len(items)}</count>\n{inner}<item_version>0</item_version>\n")
        for item in items:
            _write(out, "item", item, t.args[0], depth + 1, ids)
    out.append(f"{tabs}</{tag}>\n")
