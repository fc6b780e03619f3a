"""Query results as the JSON text `pandas.DataFrame.to_json(orient=..., default_handler=str)` gives.

The original Cyclus server answered `table_data` with pandas' `to_json` of MemBack's frame;
this renders the same bytes straight from Arrow, without pandas. Each column becomes an Arrow
string array of JSON cells (ints and floats formatted by Arrow kernels and numpy, following
ujson's rules in `jsontext`), rows are joined element-wise, and the joined rows' buffer is the
body of the answer. Only rare values (floats outside [1e-15, 1e16], non-ASCII or control
characters in text) are formatted one by one in Python.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cycsrv.store.arrow import field_dbtype
from cycsrv.store.jsontext import format_float, quote_string
from cycsrv.store.memory import QueryResult
from cycsrv.store.schema import DbType, is_container

ORIENTS = ("split", "records", "index", "columns", "values", "table")

_NULL = pa.scalar("null")
#: Below this whole part, whole * 10**10 + fraction still fits in an int64.
_ONE_NUMBER_LIMIT = 900_000_000
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# where the 32 hex digits of a UUID go inside '"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"'
_UUID_DIGIT_POS = np.array([*range(1, 9), *range(10, 14), *range(15, 19), *range(20, 24), *range(25, 37)])


def _string_array(data: bytes | np.ndarray, offsets: np.ndarray, n: int) -> pa.Array:
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _uuid_cells(col: pa.Array) -> pa.Array:
    """16-byte values as quoted `str(uuid.UUID(bytes=...))`, built as one byte matrix."""
    n = len(col)
    raw = np.frombuffer(col.buffers()[1], dtype=np.uint8, count=16 * (col.offset + n))[16 * col.offset :]
    raw = raw.reshape(n, 16)
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 15]
    out = np.full((n, 38), ord("-"), dtype=np.uint8)
    out[:, 0] = out[:, 37] = ord('"')
    out[:, _UUID_DIGIT_POS] = digits
    cells = _string_array(out.tobytes(), np.arange(0, 38 * (n + 1), 38, dtype=np.int32), n)
    return _fill_nulls(col, cells)


def _fill_nulls(col: pa.Array, cells: pa.Array) -> pa.Array:
    if col.null_count:
        return pc.if_else(pc.is_valid(col), cells, _NULL)
    return cells


def _patch(cells: pa.Array, mask: np.ndarray, values: list[str]) -> pa.Array:
    """`cells` with the positions in `mask` replaced by `values` (in order)."""
    if not values:
        return cells
    return pc.replace_with_mask(cells, pa.array(mask), pa.array(values, type=pa.string()))


def _float_cells(col: pa.Array) -> pa.Array:
    """Doubles as ujson writes them: 10 decimals with its rounding, trailing zeros stripped."""
    v = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    finite = np.isfinite(v)
    a = np.abs(v)
    with np.errstate(invalid="ignore"):
        expo = finite & ((a > 1e16) | ((a != 0) & (a < 1e-15)))
        neg = v < 0
    fixed = finite & ~expo
    a = np.where(fixed, a, 0.0)
    whole = np.trunc(a)
    tmp = (a - whole) * 1e10
    frac_f = np.trunc(tmp)
    diff = tmp - frac_f
    frac = frac_f.astype(np.int64)
    frac += (diff > 0.5) | ((diff == 0.5) & ((frac == 0) | (frac & 1 == 1)))
    carry = frac >= 10**10
    frac[carry] = 0
    whole_i = whole.astype(np.int64) + carry
    if whole_i.max(initial=0) < _ONE_NUMBER_LIMIT:
        # whole and fraction as one integer, "." put back 10 digits from the right
        text = pc.cast(pa.array(whole_i * 10**10 + frac), pa.string())
        text = pc.ascii_lpad(text, width=11, padding="0")
        text = pc.utf8_replace_slice(text, start=-10, stop=-10, replacement=".")
        text = pc.ascii_rtrim(text, characters="0")  # stops at the "."
    else:
        frac_s = pc.utf8_slice_codeunits(pc.cast(pa.array(frac + 10**10), pa.string()), 1)
        text = pc.binary_join_element_wise(pc.cast(pa.array(whole_i), pa.string()),
                                           pc.ascii_rtrim(frac_s, characters="0"), pa.scalar("."))
    zero = frac == 0
    if zero.any():  # "1." -> "1.0"
        text = pc.if_else(pa.array(zero), pc.binary_join_element_wise(text, pa.scalar("0"), pa.scalar("")), text)
    cells = text
    if neg.any():
        sign = pc.if_else(pa.array(neg), pa.scalar("-"), pa.scalar(""))
        cells = pc.binary_join_element_wise(sign, text, pa.scalar(""))
    if not finite.all():
        cells = pc.if_else(pa.array(finite), cells, _NULL)
    if expo.any():
        cells = _patch(cells, expo, [format_float(x) for x in v[expo]])
    return cells


def _text_cells(col: pa.Array) -> pa.Array:
    """Strings quoted and escaped as pandas does (`force_ascii`, ``/`` escaped)."""
    text = col
    if pc.any(pc.match_substring_regex(col, r'[\\"/]')).as_py():
        text = pc.replace_substring(text, "\\", "\\\\")
        text = pc.replace_substring(text, '"', '\\"')
        text = pc.replace_substring(text, "/", "\\/")
    cells = pc.binary_join_element_wise(pa.scalar('"'), text, pa.scalar('"'), pa.scalar(""))
    slow = pc.or_(pc.invert(pc.string_is_ascii(col)), pc.match_substring_regex(col, r"[\x00-\x1f]"))
    slow_np = np.asarray(pc.fill_null(slow, False))
    if slow_np.any():
        cells = _patch(cells, slow_np, [quote_string(s) for s in col.filter(pa.array(slow_np)).to_pylist()])
    return _fill_nulls(col, cells)


def _blob_cells(col: pa.Array) -> pa.Array:
    """Bytes as pandas writes them: their UTF-8 text (invalid bytes become U+FFFD here)."""
    try:
        text = pc.cast(col, pa.string())
    except pa.ArrowInvalid:
        text = pa.array([None if b is None else b.decode("utf-8", "replace") for b in col.to_pylist()],
                        type=pa.string())
    return _text_cells(text)


def column_cells(col: pa.Array, dbtype: DbType) -> pa.Array:
    """A column as an Arrow string array of JSON cells (no nulls: missing values are ``null``).

    Text and UUID columns usually repeat a few values (commodities, units, the SimId): those
    are formatted once per distinct value and then spread out with `take`.
    """
    t = col.type
    if len(col) > 64 and (pa.types.is_string(t) or pa.types.is_fixed_size_binary(t)) and not is_container(dbtype):
        encoded = pc.dictionary_encode(col)
        if len(encoded.dictionary) * 4 <= len(col):
            return pc.fill_null(pc.take(_cells(encoded.dictionary, dbtype), encoded.indices), _NULL)
    return _cells(col, dbtype)


def _cells(col: pa.Array, dbtype: DbType) -> pa.Array:
    t = col.type
    if pa.types.is_boolean(t):
        return pc.fill_null(pc.if_else(col, pa.scalar("true"), pa.scalar("false")), _NULL)
    if pa.types.is_integer(t):
        return pc.fill_null(pc.cast(col, pa.string()), _NULL)
    if pa.types.is_floating(t):
        return _float_cells(col)
    if pa.types.is_fixed_size_binary(t) and t.byte_width == 16:
        return _uuid_cells(col)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return _blob_cells(col)
    if is_container(dbtype):
        return pc.fill_null(col.cast(pa.string()), _NULL)  # already JSON text
    return _text_cells(col)


def _joined(parts: list[pa.Array | pa.Scalar | str]) -> memoryview:
    """Every row's concatenated parts, all rows back to back (the joined array's data buffer)."""
    rows = pc.binary_join_element_wise(*[pa.scalar(p) if isinstance(p, str) else p for p in parts], pa.scalar(""))
    n = len(rows)
    if n == 0:
        return memoryview(b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * rows.offset)
    return memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]]


def _listed(parts: list[pa.Array | str]) -> memoryview:
    """Rows joined with ``,`` (each row ends with a comma; the last one is cut)."""
    body = _joined([*parts, ","])
    return body[:-1] if len(body) else body


def _row_parts(names: list[str], cells: list[pa.Array], open_: str, close: str) -> list[pa.Array | str]:
    """`open_` "name":cell,... `close` per row, as constant strings and cell arrays."""
    parts: list[pa.Array | str] = []
    for i, (name, cell) in enumerate(zip(names, cells, strict=True)):
        parts.append((open_ if i == 0 else ",") + quote_string(name) + ":")
        parts.append(cell)
    parts.append(close)
    return parts


def _table_type(dbtype: DbType) -> str:
    if dbtype in (DbType.INT,):
        return '"type":"integer"'
    if dbtype in (DbType.DOUBLE, DbType.FLOAT):
        return '"type":"number"'
    if dbtype == DbType.BOOL:
        return '"type":"boolean"'
    if dbtype in (DbType.STRING, DbType.VL_STRING):
        return '"type":"string","extDtype":"str"'  # pandas 3 infers its str dtype for text
    return '"type":"string"'  # object columns: UUIDs, bytes, containers


def render(result: QueryResult, orient: str = "split") -> str:
    """`result` as `DataFrame.to_json(orient=orient, default_handler=str)` text, index = row labels."""
    if orient not in ORIENTS:
        raise ValueError(f"unknown orient {orient!r}; allowed: {', '.join(ORIENTS)}")
    table = result.table
    names = table.column_names
    dbtypes = [field_dbtype(f) for f in table.schema]
    cells = [column_cells(table.column(i).combine_chunks(), dbtypes[i]) for i in range(table.num_columns)]
    index = pc.cast(result.index, pa.string())
    out: list[bytes | memoryview | str]
    if orient in ("values", "split"):
        inner = pc.binary_join_element_wise(*cells, pa.scalar(",")) if cells else pa.array([""] * table.num_rows)
        data = _listed(["[", inner, "]"])
        if orient == "values":
            out = ["[", data, "]"]
        else:
            out = ['{"columns":[', ",".join(map(quote_string, names)), '],"index":[', _listed([index]),
                   '],"data":[', data, "]}"]
    elif orient == "records":
        out = ["[", _listed(_row_parts(names, cells, "{", "}")), "]"]
    elif orient == "index":
        keys = pc.binary_join_element_wise(pa.scalar('"'), index, pa.scalar('":{'), pa.scalar(""))
        out = ["{", _listed([keys, *_row_parts(names, cells, "", "}")]), "}"]
    elif orient == "columns":
        # every key carries the comma before it; the first one is cut from each column's body
        keys = pc.binary_join_element_wise(pa.scalar(',"'), index, pa.scalar('":'), pa.scalar(""))
        out = ["{"]
        for i, (name, cell) in enumerate(zip(names, cells, strict=True)):
            out += ["," if i else "", quote_string(name), ":{", _joined([keys, cell])[1:], "}"]
        out.append("}")
    else:
        fields = ['{"name":"index","type":"integer"}']
        fields += ['{"name":' + quote_string(n) + "," + _table_type(t) + "}" for n, t in zip(names, dbtypes, strict=True)]
        out = ['{"schema":{"fields":[', ",".join(fields), '],"primaryKey":["index"],"pandas_version":"1.4.0"},"data":[',
               _listed(['{"index":', index, *_row_parts(names, cells, ",", "}")]), "]}"]
    return b"".join(p.encode("ascii") if isinstance(p, str) else p for p in out).decode("ascii")
