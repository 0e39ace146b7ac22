"""The compiled kernels (``_native.c``), when the install built them.

Hashing a text column's values, finding the rows whose hash another row has,
looking values up in a set of ids, and numbering text ids are each one pass over
Arrow's buffers in C, a few nanoseconds a value, where numpy needs several
passes (and a sort, at about 50 ns a value on these machines) and Arrow's
``is_in`` and ``dictionary_encode`` build a hash table of the text for every
call. The loader's key and reference checks use them, and so do the projections
and the detectors' context where they number ids. The library is an optional
part of the package: built by ``pip install`` where a C compiler is at hand, and
where it is not (or ``RINGWATCH_NATIVE=0`` says not to use it) every caller
keeps its numpy and Arrow path, which gives the same answers (the hashes bit for
bit; lookups and numbers exactly, by bytes). ``tests/loaders/test_native.py``
compares the two.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import weakref

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: The longest value (UTF-8 bytes) the C code hashes; as
#: :data:`ringwatch.loaders.key_hashes.MAX_BYTES`.
MAX_BYTES = 32
#: The most rows a C table indexes (a row number takes half of a slot's 64 bits).
MAX_ROWS = (1 << 31) - 1

_P = ctypes.c_void_p
_I64 = ctypes.c_int64


def _load() -> ctypes.CDLL | None:
    """The compiled library, or None when it was not built or is switched off."""
    if os.environ.get("RINGWATCH_NATIVE", "1") == "0":
        return None
    try:
        spec = importlib.util.find_spec(f"{__package__}._native")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    try:
        library = ctypes.CDLL(spec.origin)
    except OSError:
        return None
    library.rw_hash_text.argtypes = [_P, ctypes.c_int, _P, _P, _I64, _I64, _P]
    library.rw_hash_text.restype = _I64
    library.rw_shared_hashes.argtypes = [_P, _I64, _P, _P, _I64]
    library.rw_shared_hashes.restype = _I64
    library.rw_id_set_new.argtypes = [_P, ctypes.c_int, _P, _I64, _P, _P, _I64]
    library.rw_id_set_new.restype = _P
    library.rw_id_set_free.argtypes = [_P]
    library.rw_id_set_free.restype = None
    library.rw_id_set_contains.argtypes = [_P, _P, ctypes.c_int, _P, _P, _I64, _I64, _P]
    library.rw_id_set_contains.restype = _I64
    return library


_LIBRARY = _load()


def available() -> bool:
    """Whether the compiled kernels are in use."""
    return _LIBRARY is not None


def _text_buffers(chunk: pa.Array) -> tuple[int, int, int, int, int]:
    """(offsets address, wide, data address, validity address or 0, bit offset) of a text
    array, its offsets moved to the array's first value."""
    validity, offsets, data = chunk.buffers()
    wide = 1 if pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type) \
        else 0
    width = 8 if wide else 4
    validity_at = validity.address if validity is not None and chunk.null_count else 0
    # An all-empty column may have no data buffer: any address is fine, no byte is read.
    data_at = data.address if data is not None else offsets.address
    return offsets.address + chunk.offset * width, wide, data_at, validity_at, chunk.offset


def text_hashes(chunk: pa.Array) -> np.ndarray | None:
    """:mod:`ringwatch.loaders.key_hashes`' hash of every value of a text array (0 for a
    missing one), or None when a value is longer than :data:`MAX_BYTES`."""
    assert _LIBRARY is not None
    out = np.empty(len(chunk), dtype=np.uint64)
    offsets, wide, data, validity, bit = _text_buffers(chunk)
    if _LIBRARY.rw_hash_text(offsets, wide, data, validity or None, bit, len(chunk),
                             out.ctypes.data) < 0:
        return None
    return out


def _table(rows: int) -> pa.Buffer:
    """Slots for a C table of ``rows`` rows: a power of two, at least twice the rows, of
    64 bits each, from Arrow's pool. The ``ringwatch`` command's pool keeps freed pages
    (``memory_pool.py``): a table for millions of rows is tens of megabytes, which the C
    library would map afresh for every check and the kernel zero page by page."""
    capacity = 1 << max(4, (2 * rows - 1).bit_length())
    return pa.allocate_buffer(capacity * 8)


def shared_hashes(hashes: np.ndarray) -> np.ndarray | None:
    """Per row, whether another row has its hash (``hashes``: uint64); None past
    :data:`MAX_ROWS` rows."""
    assert _LIBRARY is not None
    if len(hashes) > MAX_ROWS:
        return None
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    shared = np.zeros(len(hashes), dtype=np.uint8)
    slots = _table(len(hashes))
    _LIBRARY.rw_shared_hashes(hashes.ctypes.data, len(hashes), shared.ctypes.data, slots.address,
                              slots.size // 8)
    return shared.view(bool)


class IdSet:
    """A set of text ids (none missing, none longer than :data:`MAX_BYTES`) to look values
    up in, byte for byte: :meth:`contains` is ``pc.is_in`` for them. Building it finds the
    ids given more than once (:attr:`first_of`), which a table's key check reads and
    :func:`factorize` numbers them by."""

    def __init__(self, ids: pa.Array) -> None:
        assert _LIBRARY is not None
        self._ids = ids  # its buffers must live as long as the C set that points into them
        offsets, wide, data, _, _ = _text_buffers(ids)
        #: Per id, the first row holding the same id, or -1 for the first (found while built).
        self.first_of = np.empty(len(ids), dtype=np.int64)
        self._slots = _table(len(ids))  # as long as the set too
        handle = _LIBRARY.rw_id_set_new(offsets, wide, data, len(ids), self.first_of.ctypes.data,
                                        self._slots.address, self._slots.size // 8)
        if not handle:
            raise MemoryError("no memory for a set of ids")
        self._handle = handle
        weakref.finalize(self, _LIBRARY.rw_id_set_free, handle)

    @staticmethod
    def holds(ids: pa.Array) -> bool:
        """Whether ``ids`` can make a set: text, none missing, none longer than the limit,
        at most :data:`MAX_ROWS` of them."""
        if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
            return False
        if ids.null_count or not len(ids) or len(ids) > MAX_ROWS:
            return False
        return pc.max(pc.binary_length(ids)).as_py() <= MAX_BYTES

    def contains(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Per value (text), whether the set holds it; a missing value is not held."""
        assert _LIBRARY is not None
        chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
        found = np.empty(len(values), dtype=np.uint8)
        at = 0
        for chunk in chunks:
            if not len(chunk):
                continue
            offsets, wide, data, validity, bit = _text_buffers(chunk)
            _LIBRARY.rw_id_set_contains(self._handle, offsets, wide, data, validity or None, bit,
                                        len(chunk), found[at:].ctypes.data)
            at += len(chunk)
        return found.view(bool)


def factorize(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array] | None:
    """Each value's code (int64) and the distinct values, numbered by first appearance:
    what ``pc.dictionary_encode`` (and ``pd.factorize``) give, from one pass over a C set of
    the values. None when the values cannot make a set (:meth:`IdSet.holds`: a missing or a
    long value, or not text) or the kernels are not built: the caller asks Arrow."""
    if _LIBRARY is None:
        return None
    whole = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not IdSet.holds(whole):
        return None
    first_of = IdSet(whole).first_of
    first = first_of < 0
    number = np.cumsum(first) - 1  # each distinct value's code, at its first row
    codes = np.where(first, number, number[np.maximum(first_of, 0)])
    return codes, whole.filter(pa.array(first))
