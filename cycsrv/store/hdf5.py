"""The HDF5 file backend: Cyclus's `Hdf5Back` layout, readable by PyTables and h5py.

Layout as Cyclus writes it (`-o out.h5`):

* one chunked, extendable dataset per table at the root, a packed compound of its columns,
  ``SimId`` first; attributes ``CLASS``/``VERSION``/``TITLE``/``FIELD_i_NAME`` (the HDF5 Table
  convention PyTables reads), ``cyclus_dbtypes`` (each column's type code) and ``shape<i>``;
* BOOL as a signed char, INT int32, FLOAT/DOUBLE float32/64, UUID 16 raw bytes (fixed string);
* strings, blobs and containers are variable length: the column holds the SHA-1 of the value
  (five uint32, the digest's big-endian words) and the value itself is stored once, in
  ``<Name>Vals`` (a 5-D dataset indexed by those words) with the digest listed in
  ``<Name>Keys``; ``<Name>`` is the camel-cased type (``String``, ``Blob``, ``MapIntDouble``,
  ``VectorString``, ...). Strings nested in containers are digests too, stored in ``String``.

Durability: HDF5 has no transactions, so between steps nothing of the file's structure is
written (the metadata cache never evicts, freed space is never reused and chunks are stored
uncompressed, rewritten in place); each `notify` ends with one flush. A killed process leaves
a file holding every step flushed before the kill, unless the kill lands inside that flush.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import h5py
import numpy as np

from cycsrv.store.containers import CType, ctype_of
from cycsrv.store.schema import DbType, TableBatch, TableSchema, is_container

#: Rows per chunk of a table dataset (Cyclus's value).
CHUNK_ROWS = 1024
#: Digests per chunk of a ``Keys`` dataset (Cyclus's value).
KEY_CHUNK = 512
_VALS_SHAPE = (4294967295,) * 5
SHA1 = np.dtype(("<u4", (5,)))
_SCALAR_DTYPES = {
    "BOOL": np.dtype("i1"), "INT": np.dtype("<i4"), "FLOAT": np.dtype("<f4"), "DOUBLE": np.dtype("<f8"),
    "UUID": np.dtype("S16"),
}
_STRUCT = {"BOOL": "?", "INT": "<i", "FLOAT": "<f", "DOUBLE": "<d"}
_HVL = np.dtype([("len", "<u8"), ("p", "<u8")])

#: Cyclus's type code of the all-variable-length variant of each column type (its HDF5 type).
VL_CODES: dict[DbType, int] = {
    DbType.STRING: 5, DbType.VECTOR_INT: 11, DbType.VECTOR_DOUBLE: 15, DbType.VECTOR_STRING: 19,
    DbType.SET_INT: 27, DbType.SET_STRING: 35, DbType.LIST_INT: 43, DbType.LIST_STRING: 51,
    DbType.PAIR_INT_INT: 57, DbType.MAP_INT_INT: 83, DbType.MAP_INT_DOUBLE: 87, DbType.MAP_INT_STRING: 91,
    DbType.MAP_STRING_INT: 115, DbType.MAP_STRING_DOUBLE: 119, DbType.MAP_STRING_STRING: 123,
    DbType.MAP_STRING_VECTOR_DOUBLE: 139, DbType.MAP_STRING_MAP_INT_DOUBLE: 147,
    DbType.MAP_STRING_PAIR_DOUBLE_MAP_INT_DOUBLE: 155, DbType.MAP_STRING_PAIR_STRING_VECTOR_DOUBLE: 214,
    DbType.MAP_STRING_VECTOR_PAIR_INT_PAIR_STRING_STRING: 196, DbType.LIST_PAIR_INT_INT: 198,
    DbType.MAP_INT_MAP_STRING_DOUBLE: 164, DbType.MAP_STRING_MAP_STRING_DOUBLE: 296,
    DbType.MAP_PAIR_STRING_STRING_INT: 280, DbType.VECTOR_PAIR_PAIR_DOUBLE_DOUBLE_MAP_STRING_DOUBLE: 238,
}

Type = str | CType


def hdf5_code(dbtype: DbType) -> int:
    """The type code Cyclus's HDF5 backend records for a column of `dbtype` (no fixed shape)."""
    return VL_CODES.get(dbtype, int(dbtype))


def digest_words(data: bytes) -> tuple[int, ...]:
    """SHA-1 of `data` as Cyclus stores it: five uint32, most significant word first."""
    return struct.unpack(">5I", hashlib.sha1(data).digest())


def _type_name(t: Type) -> str:
    return t if isinstance(t, str) else "_".join([t.kind, *(_type_name(a) for a in t.args)])


def store_name(t: Type) -> str:
    """``MAP_INT_DOUBLE`` -> ``MapIntDouble``: the prefix of a type's ``Keys``/``Vals`` datasets."""
    return "".join(part.capitalize() for part in _type_name(t).split("_"))


def _is_vl(t: Type) -> bool:
    return t in ("STRING", "BLOB") or (isinstance(t, CType) and t.kind != "PAIR")


def _packed(fields: list[tuple[str, np.dtype]]) -> np.dtype:
    offsets, size = [], 0
    for _, dt in fields:
        offsets.append(size)
        size += dt.itemsize
    return np.dtype({"names": [n for n, _ in fields], "formats": [dt for _, dt in fields],
                     "offsets": offsets, "itemsize": size})


def _cell_dtype(t: Type) -> np.dtype:
    """How a value of `t` sits inside a row or an item: digests for variable-length parts."""
    if _is_vl(t):
        return SHA1
    if isinstance(t, str):
        return _SCALAR_DTYPES[t]
    return _packed([("first", _cell_dtype(t.args[0])), ("second", _cell_dtype(t.args[1]))])


def _item_dtype(t: CType) -> np.dtype:
    """The element type of a container's ``Vals`` entry (map items are ``key``/``val`` pairs)."""
    if t.kind == "MAP":
        return _packed([("key", _cell_dtype(t.args[0])), ("val", _cell_dtype(t.args[1]))])
    return _cell_dtype(t.args[0])


def _item_array(items: list[Any], item: np.dtype) -> np.ndarray:
    """`items` as an array of `item`; digests (a subarray type) as rows of five uint32."""
    if item.subdtype is not None:
        return np.array(items, dtype=item.base).reshape(-1, *item.shape)
    return np.array(items, dtype=item)


def _hash_bytes(value: Any, t: Type, out: list[bytes]) -> None:
    """The bytes Cyclus's `Sha1::Update` feeds for `value`: elements packed natively, in order."""
    if isinstance(t, str):
        if t in _STRUCT:
            out.append(struct.pack(_STRUCT[t], value))
        elif t == "UUID":
            out.append(value.bytes if isinstance(value, uuid.UUID) else bytes(value))
        else:
            out.append(value.encode() if isinstance(value, str) else bytes(value))
    elif t.kind == "MAP":
        for k, v in sorted(value.items(), key=lambda kv: kv[0]):
            _hash_bytes(k, t.args[0], out)
            _hash_bytes(v, t.args[1], out)
    elif t.kind == "PAIR":
        _hash_bytes(value[0], t.args[0], out)
        _hash_bytes(value[1], t.args[1], out)
    else:
        for item in sorted(value) if t.kind == "SET" else value:
            _hash_bytes(item, t.args[0], out)


class _VLStore:
    """One ``<Name>Keys``/``<Name>Vals`` pair: each distinct value written once, under its digest."""

    def __init__(self, file: h5py.File, name: str, item: np.dtype | None) -> None:
        self.item = item
        keys_name, vals_name = name + "Keys", name + "Vals"
        if keys_name in file:
            self.keys = file[keys_name]
            self.known = {tuple(int(w) for w in k) for k in self.keys[:]}
        else:
            self.keys = file.create_dataset(keys_name, shape=(0,), maxshape=(None,), chunks=(KEY_CHUNK,),
                                            dtype=SHA1)
            self.known = set()
        if vals_name in file:
            self.vals = file[vals_name]
        elif item is None:
            self.vals = file.create_dataset(vals_name, shape=_VALS_SHAPE, chunks=(1,) * 5,
                                            dtype=h5py.string_dtype("ascii"))
        else:
            vl_type = h5py.h5t.vlen_create(h5py.h5t.py_create(item))
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_chunk((1,) * 5)
            space = h5py.h5s.create_simple(_VALS_SHAPE, _VALS_SHAPE)
            h5py.h5d.create(file.id, vals_name.encode(), vl_type, space, dcpl=dcpl)
            self.vals = file[vals_name]
        self._vl_type = self.vals.id.get_type()
        self._new: list[tuple[int, ...]] = []

    def put(self, key: tuple[int, ...], value: bytes | np.ndarray) -> None:
        """Store `value` under `key` unless it is already there."""
        if key in self.known:
            return
        self.known.add(key)
        self._new.append(key)
        if self.item is None:
            self.vals[key] = value
            return
        items = np.ascontiguousarray(value, dtype=self.item.base)
        hvl = np.zeros(1, dtype=_HVL)
        hvl["len"] = len(items)
        hvl["p"] = items.ctypes.data if len(items) else 0
        space = self.vals.id.get_space()
        space.select_hyperslab(key, (1,) * 5)
        self.vals.id.write(h5py.h5s.create_simple((1,)), space, hvl, mtype=self._vl_type)

    def flush_keys(self) -> None:
        """Append the digests stored since the last call to ``<Name>Keys``."""
        if not self._new:
            return
        n = self.keys.shape[0]
        self.keys.resize((n + len(self._new),))
        self.keys[n:] = np.array(self._new, dtype="<u4")
        self._new = []


class _Encoder:
    """Turns Python values into table cells and container items, filling the value stores."""

    def __init__(self, file: h5py.File) -> None:
        self.file = file
        self.stores: dict[str, _VLStore] = {}
        self._strings: dict[str, tuple[int, ...]] = {}  # digests of strings already stored

    def store(self, t: Type) -> _VLStore:
        name = store_name(t)
        found = self.stores.get(name)
        if found is None:
            item = None if isinstance(t, str) else _item_dtype(t)
            found = self.stores[name] = _VLStore(self.file, name, item)
        return found

    def cell(self, value: Any, t: Type) -> Any:
        """The value of `value` as a cell of type `_cell_dtype(t)` (a digest for VL types)."""
        if isinstance(t, str):
            if t == "STRING" and isinstance(value, str):
                key = self._strings.get(value)
                if key is None:
                    key = self._strings[value] = self.cell(value.encode(), "STRING")
                return key
            if t in ("STRING", "BLOB"):
                data = value.encode() if isinstance(value, str) else bytes(value)
                key = digest_words(data)
                self.store(t).put(key, data)
                return key
            if t == "UUID":
                return value.bytes if isinstance(value, uuid.UUID) else bytes(value)
            return value
        if t.kind == "PAIR":
            return (self.cell(value[0], t.args[0]), self.cell(value[1], t.args[1]))
        parts: list[bytes] = []
        _hash_bytes(value, t, parts)
        key = digest_words(b"".join(parts))
        store = self.store(t)
        if key not in store.known:
            if t.kind == "MAP":
                items = [(self.cell(k, t.args[0]), self.cell(v, t.args[1]))
                         for k, v in sorted(value.items(), key=lambda kv: kv[0])]
            else:
                ordered = sorted(value) if t.kind == "SET" else value
                items = [self.cell(v, t.args[0]) for v in ordered]
            store.put(key, _item_array(items, store.item))
        return key

    def flush_keys(self) -> None:
        for store in self.stores.values():
            store.flush_keys()


def _column_type(dbtype: DbType) -> Type:
    if is_container(dbtype):
        return ctype_of(dbtype)
    return {DbType.VL_STRING: "STRING"}.get(dbtype, dbtype.name)


class _Table:
    """One table dataset and how its rows are encoded."""

    def __init__(self, file: h5py.File, schema: TableSchema) -> None:
        self.name = schema.name
        self.types = [_column_type(f.dbtype) for f in schema.fields]
        self.dtype = _packed([("SimId", _SCALAR_DTYPES["UUID"]),
                              *((f.name, _cell_dtype(t)) for f, t in zip(schema.fields, self.types, strict=True))])
        if schema.name in file:
            self.dataset = file[schema.name]
            found = tuple(self.dataset.dtype.names or ())
            if found != self.dtype.names:
                raise ValueError(f"table {schema.name} in {file.filename} has columns {found}, "
                                 f"not {self.dtype.names}: is this a Cyclus output of another version?")
            self._ready()
            return
        ds = file.create_dataset(schema.name, shape=(0,), maxshape=(None,), chunks=(CHUNK_ROWS,), dtype=self.dtype)
        attrs = ds.attrs
        attrs["CLASS"] = np.bytes_("TABLE")
        attrs["VERSION"] = np.bytes_("3.0")
        attrs["TITLE"] = np.bytes_(schema.name)
        for i, name in enumerate(self.dtype.names):
            attrs[f"FIELD_{i}_NAME"] = np.bytes_(name)
        codes = [int(DbType.UUID), *(hdf5_code(f.dbtype) for f in schema.fields)]
        attrs.create("cyclus_dbtypes", np.array(codes, dtype="<i4"))
        for i in range(len(codes)):
            attrs.create(f"shape{i}", np.array([-1], dtype="<i4"))
        self.dataset = ds
        self._ready()

    def _ready(self) -> None:
        self.rows = self.dataset.shape[0]
        self._mtype = h5py.h5t.py_create(self.dtype)

    def append(self, batch: TableBatch, encoder: _Encoder) -> None:
        rows = batch.rows
        out = np.zeros(len(rows), dtype=self.dtype)
        out["SimId"] = batch.sim_id.bytes
        for i, (name, t) in enumerate(zip(self.dtype.names[1:], self.types, strict=True)):
            column = [row[i] for row in rows]
            if t in _STRUCT:
                out[name] = column
            else:
                cell: Callable[[Any, Type], Any] = encoder.cell
                out[name] = [cell(v, t) for v in column]
        # low-level calls: h5py's slicing costs more than the write itself at one batch a step
        n, k = self.rows, len(rows)
        dsid = self.dataset.id
        dsid.set_extent((n + k,))
        space = dsid.get_space()
        space.select_hyperslab((n,), (k,))
        dsid.write(h5py.h5s.create_simple((k,)), space, out, mtype=self._mtype)
        self.rows = n + k


def _hold_metadata(file: h5py.File) -> None:
    """Keep every metadata change in memory until the next flush (see the module docstring)."""
    config = file.id.get_mdc_config()
    config.evictions_enabled = False
    config.incr_mode = 0
    config.flash_incr_mode = 0
    config.decr_mode = 0
    file.id.set_mdc_config(config)


class Hdf5Backend:
    """Writes recorded tables to the HDF5 file at `path` (appending if it exists, as Cyclus does).

    Thread-safe like `SqliteBackend`: `notify` runs in the simulation thread, `table_names`
    may be called from another. A table exists once it has a row.
    """

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        if os.path.exists(self.path):
            self._file = h5py.File(self.path, "r+")
        else:
            self._file = h5py.File(self.path, "w", fs_strategy="none")
        _hold_metadata(self._file)
        self._encoder = _Encoder(self._file)
        self._tables: dict[str, _Table] = {}
        self._names = {name for name in self._file if not name.endswith(("Keys", "Vals"))}
        self._closed = False

    def notify(self, batches: Sequence[TableBatch]) -> None:
        """Append `batches` and flush; tables are created on their first non-empty batch."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"HDF5 backend {self.path} is closed")
            for batch in batches:
                if not batch.rows:
                    continue
                table = self._tables.get(batch.schema.name)
                if table is None:
                    table = self._tables[batch.schema.name] = _Table(self._file, batch.schema)
                    self._names.add(batch.schema.name)
                table.append(batch, self._encoder)
            self._encoder.flush_keys()
            self._file.flush()

    def table_names(self) -> list[str]:
        """Names of the tables, sorted, without the ``*Keys``/``*Vals`` value stores (as Cyclus's `Tables()`)."""
        with self._lock:
            return sorted(self._names)

    def close(self) -> None:
        """Flush and close the file; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._file.close()
