"""Cyclus's input format conversions (`--xml-to-json`, `--json-to-py`, ...), as its tools write them.

XML -> JSON follows Cyclus's reading of an input tree: an element with child elements is an
object, one without is its text (null when it has none), repeated names become arrays, and
the whole is ``{"<root>": {...}}``. JSON/Python -> XML is what cycsrv itself reads
(`input_as_xml`). JSON -> Python is ``SIMULATION = <pretty-printed dict>``. Python inputs are
read as literals, never run.
"""

from __future__ import annotations

import json
import pprint
from pathlib import Path
from typing import Any

from lxml import etree

from cycsrv.kernel.infile import InputError, input_as_xml, python_simulation


def _element_value(el: Any) -> Any:
    children = [c for c in el if isinstance(c.tag, str)]
    if not children:
        return el.text if el.text is not None else None
    out: dict[str, Any] = {}
    for child in children:
        value = _element_value(child)
        if child.tag not in out:
            out[child.tag] = value
        elif isinstance(out[child.tag], list):
            out[child.tag].append(value)
        else:
            out[child.tag] = [out[child.tag], value]
    return out


def xml_text_to_json(path: str, xml: str | bytes) -> str:
    """An XML input's text as Cyclus's JSON form."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(path, exc.lineno or 1, f"malformed XML: {exc.msg}") from None
    return json.dumps({root.tag: _element_value(root)}, indent=1) + "\n"


def json_text_to_py(path: str, text: str) -> str:
    """A JSON input's text as a Cyclus Python input (``SIMULATION = {...}``)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, exc.lineno, f"malformed JSON: {exc.msg}") from None
    return "SIMULATION = " + pprint.pformat(doc, indent=1) + "\n"


def _py_to_json(path: str) -> str:
    value = python_simulation(path, Path(path).read_bytes())
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InputError(path, exc.lineno, f"SIMULATION is not valid JSON text: {exc.msg}") from None
    return json.dumps(value, sort_keys=True, indent=1) + "\n"


def convert(kind: str, path: str) -> str:
    """The file at `path` converted as Cyclus's ``--<kind>`` does (e.g. ``xml-to-json``).

    Raises `InputError` for a file that cannot be read or parsed, KeyError for an unknown kind.
    """
    if not Path(path).is_file():
        raise InputError(path, 0, "no such file")
    read = Path(path).read_text
    if kind in ("json-to-xml", "py-to-xml"):
        return input_as_xml(path)
    if kind == "xml-to-json":
        return xml_text_to_json(path, Path(path).read_bytes())
    if kind == "json-to-py":
        return json_text_to_py(path, read())
    if kind == "py-to-json":
        return _py_to_json(path)
    if kind == "xml-to-py":
        return json_text_to_py(path, xml_text_to_json(path, Path(path).read_bytes()))
    raise KeyError(kind)


#: The conversions Cyclus's command line offers, each ``--<name> FILE``.
CONVERSIONS = ("json-to-xml", "xml-to-json", "json-to-py", "py-to-json", "py-to-xml", "xml-to-py")
