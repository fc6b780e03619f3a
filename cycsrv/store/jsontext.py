"""Single values as the JSON text pandas' `to_json` writes (its vendored ujson encoder).

Used for container cells (held as JSON text in Arrow) and for the few values the vectorised
renderer in `orient` hands back to Python (very large or very small floats, non-ASCII text).
The rules, measured against pandas: floats keep 10 decimal places with ujson's own rounding
and ``%.10g`` outside [1e-15, 1e16]; NaN/inf are ``null``; strings escape every non-ASCII code
point as lowercase ``\\uXXXX``, escape ``/`` as ``\\/`` and leave U+007F raw.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

from cycsrv.store.containers import CType, ctype_of
from cycsrv.store.schema import DbType

_POW10 = 10**10


def format_float(value: float) -> str:
    """`value` as pandas writes a double (`double_precision=10`)."""
    if math.isnan(value) or math.isinf(value):
        return "null"
    neg = value < 0
    a = -value if neg else value
    if a > 1e16 or (a != 0.0 and a < 1e-15):
        return f"{value:.10g}"
    whole = int(a)
    tmp = (a - whole) * 1e10
    frac = int(tmp)
    diff = tmp - frac
    if diff > 0.5 or (diff == 0.5 and (frac == 0 or frac & 1)):
        frac += 1
    if frac >= _POW10:
        frac = 0
        whole += 1
    text = f"{whole}.0" if frac == 0 else f"{whole}.{frac:010d}".rstrip("0")
    return "-" + text if neg else text


def quote_string(text: str) -> str:
    """`text` as a pandas JSON string literal, quotes included."""
    if "\x7f" in text:
        return '"' + "\x7f".join(json.dumps(p)[1:-1] for p in text.split("\x7f")).replace("/", "\\/") + '"'
    return json.dumps(text).replace("/", "\\/")


def _key_text(key: Any, t: str | CType) -> str:
    # pandas writes dict keys as str(key): a pair key (a tuple in Python) as "('a', 'b')"
    if isinstance(t, CType):
        return quote_string(str(tuple(key)))
    if t in ("DOUBLE", "FLOAT"):
        return quote_string(format_float(key))
    return quote_string(key if isinstance(key, str) else str(key))


def _value_text(value: Any, t: str | CType) -> str:
    if isinstance(t, str):
        if t == "INT":
            return str(int(value))
        if t in ("DOUBLE", "FLOAT"):
            return format_float(float(value))
        if t == "BOOL":
            return "true" if value else "false"
        if t == "UUID":
            return quote_string(str(value if isinstance(value, uuid.UUID) else uuid.UUID(bytes=value)))
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return quote_string(value)
    if t.kind == "PAIR":
        return f"[{_value_text(value[0], t.args[0])},{_value_text(value[1], t.args[1])}]"
    if t.kind == "MAP":
        k, v = t.args
        parts = (f"{_key_text(key, k)}:{_value_text(val, v)}" for key, val in sorted(value.items(), key=lambda kv: kv[0]))
        return "{" + ",".join(parts) + "}"
    items = sorted(value) if t.kind == "SET" else value
    return "[" + ",".join(_value_text(item, t.args[0]) for item in items) + "]"


def container_json(value: Any, dbtype: DbType) -> str:
    """Container `value` of type `dbtype` as pandas prints it: lists for vectors, sets, lists and
    pairs, objects with string keys for maps (maps and sets in key order, as Cyclus iterates)."""
    return _value_text(value, ctype_of(dbtype))
