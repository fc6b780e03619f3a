"""An archetype's RelaxNG snippet, built from its annotations by the rules Cyclus's cycpp follows.

What `--agent-schema` prints and `--metadata` lists: an ``<interleave>`` of one element per
input variable (in annotation order; internal variables and resource buffers left out), each
wrapped in ``<optional>`` when it has a default. Scalars are ``<element name=alias><data
type=.../></element>``; vectors, sets and lists an element holding ``oneOrMore`` items (``val``
by default); maps ``oneOrMore`` ``item`` elements holding an interleaved key and value; pairs
an interleaved ``first`` and ``second``. Element names come from the variable's alias, which
for containers may be nested lists (``["streams", ["item", "commod", "info"]]``). A
variable's ``schematype`` (an XML Schema type) overrides the data type; docs become
``a:documentation``. An archetype without input variables is ``<text/>``.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

#: C++ scalar types and their XML Schema data types.
DATA_TYPES = {
    "bool": "boolean", "std::string": "string", "int": "int", "float": "float", "double": "double",
    "cyclus::Blob": "string", "boost::uuids::uuid": "token",
}
SEQUENCES = ("std::vector", "std::set", "std::list")
#: XML Schema data types a `schematype` may name.
XSD_TYPES = frozenset("""anyType anySimpleType string boolean decimal float double duration dateTime time date
gYearMonth gYear gMonthDay gDay gMonth hexBinary base64Binary anyURI QName NOTATION normalizedString token
language NMTOKEN NMTOKENS Name NCName ID IDREF IDREFS ENTITY ENTITIES integer nonPositiveInteger negativeInteger
long int short byte nonNegativeInteger unsignedLong unsignedInt unsignedShort unsignedByte positiveInteger""".split())


def _fit(t: Any, other: Any) -> Any:
    """`other` (a name, schematype ... given for type `t`) padded to one entry per part of `t`."""
    if isinstance(t, str):
        return other
    if isinstance(other, str):
        other = [other]
    other = list(other) if other is not None else []
    return other + [None] * (len(t) - len(other))


def _data_type(cpp: str, schematype: Any, uitype: Any) -> str:
    given = schematype or uitype
    if isinstance(given, str) and given in XSD_TYPES:
        return given
    if given == "nuclide":  # nuclides may be written as names, whatever the C++ type
        return "string"
    try:
        return DATA_TYPES[cpp]
    except KeyError:
        raise ValueError(f"no XML Schema type for C++ type {cpp!r}") from None


def _element(name: str, docs: str | None, body: str) -> str:
    doc = f"<a:documentation>{escape(docs)}</a:documentation>" if docs else ""
    return f"<element name={quoteattr(name)}>{doc}{body}</element>"


def _build(t: Any, schematype: Any, uitype: Any, names: Any, docs: str | None = None) -> str:
    schematype, uitype, names = _fit(t, schematype), _fit(t, uitype), _fit(t, names)
    kind = t if isinstance(t, str) else t[0]
    if kind in DATA_TYPES:
        return _element(names if isinstance(names, str) else "val", docs,
                        f'<data type="{_data_type(kind, schematype, uitype)}" />')
    if kind in SEQUENCES:
        inner = _build(t[1], schematype[1], uitype[1], names[1])
        return _element(names[0] or "list", docs, f"<oneOrMore>{inner}</oneOrMore>")
    if kind == "std::map":
        outer = names[0] if isinstance(names[0], list) else [names[0], None]
        key = _build(t[1], schematype[1], uitype[1], names[1] if names[1] is not None else "key")
        val = _build(t[2], schematype[2], uitype[2], names[2] if names[2] is not None else "val")
        item = _element(outer[1] or "item", None, f"<interleave>{key}{val}</interleave>")
        return _element(outer[0] or "map", docs, f"<oneOrMore>{item}</oneOrMore>")
    if kind == "std::pair":
        first = _build(t[1], schematype[1], uitype[1], names[1] if names[1] is not None else "first")
        second = _build(t[2], schematype[2], uitype[2], names[2] if names[2] is not None else "second")
        return _element(names[0] or "pair", docs, f"<interleave>{first}{second}</interleave>")
    raise ValueError(f"no schema for C++ type {t!r}")


def agent_schema(annotations: dict[str, Any]) -> str:
    """The RelaxNG snippet of the archetype whose annotations (`annotations_of`) are given."""
    variables = sorted(annotations.get("vars", {}).items(), key=lambda kv: kv[1].get("index", 0))
    parts = []
    for name, info in variables:
        if not isinstance(info, dict) or info.get("internal"):
            continue
        t = info["type"]
        head = t if isinstance(t, str) else t[0]
        if head.startswith("cyclus::toolkit::"):  # resource buffers are state, not input
            continue
        alias = info.get("alias", name if isinstance(t, str) else [name])
        element = _build(t, info.get("schematype"), info.get("uitype"), alias, info.get("doc") or None)
        parts.append(f"<optional>{element}</optional>" if info.get("default") is not None else element)
    if not parts:
        return "<text/>"
    return "<interleave>" + "".join(parts) + "</interleave>"
