"""Opaque identifiers: a type prefix and ten base-32 characters that look random.

Each entity kind gets a keyed permutation of the 50-bit space (xor-shifts and
odd multiplications, each invertible, so distinct indices always give distinct
ids, with no sort and no uniqueness check), keyed from the seed. Neither an id's
value nor the order of ids says when an account was made or which stage
(honest or planted) made it.

Ids are spelled straight into one Arrow byte buffer, a column of characters at
a time, so millions of them cost a few vectorised passes and no Python string.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_ALPHABET = np.frombuffer(b"0123456789abcdefghjkmnpqrstvwxyz", dtype=np.uint8)
_DIGITS = 10
_BITS = 5 * _DIGITS
_MASK = np.uint64((1 << _BITS) - 1)


class OpaqueIds:
    """The ids of one kind of entity (``c_`` creators, ``o_`` orders, ...), keyed by ``rng``."""

    def __init__(self, prefix: str, rng: np.random.Generator) -> None:
        self.prefix = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
        self.width = len(self.prefix) + _DIGITS
        self._offset = rng.integers(0, 1 << _BITS, dtype=np.uint64)
        self._multipliers = rng.integers(0, 1 << (_BITS - 1), 2, dtype=np.uint64) * 2 + 1

    def scramble(self, index: np.ndarray) -> np.ndarray:
        """A keyed bijection of [0, 2**50): index -> the 50-bit number the id spells."""
        x = (np.asarray(index, dtype=np.uint64) + self._offset) & _MASK
        x ^= x >> np.uint64(23)
        x = (x * self._multipliers[0]) & _MASK
        x ^= x >> np.uint64(26)
        x = (x * self._multipliers[1]) & _MASK
        x ^= x >> np.uint64(21)
        return x

    def encode(self, index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
        """The ids of entities ``index`` as an Arrow string array (null where ``missing``)."""
        return encode_ids([self], np.zeros(len(index), dtype=np.int8), index, missing)


def encode_ids(kinds: Sequence[OpaqueIds], kind: np.ndarray, index: np.ndarray,
               missing: np.ndarray | None = None) -> pa.Array:
    """Ids of mixed kinds in one string array: row ``i`` is entity ``index[i]`` of ``kinds[kind[i]]``.

    Each id is spelled right-aligned in a fixed-width byte matrix (prefix, then
    digits); when prefixes differ in length the leading padding is squeezed out.
    """
    index = np.asarray(index, dtype=np.int64)
    kind = np.asarray(kind, dtype=np.int64)
    n = len(index)
    if missing is not None:
        missing = np.asarray(missing, dtype=bool)
        index = np.where(missing, 0, index)
    values = np.empty(n, dtype=np.uint64)
    if len(kinds) == 1:
        values = kinds[0].scramble(index)
    for number, ids in enumerate(kinds if len(kinds) > 1 else ()):
        rows = kind == number
        values[rows] = ids.scramble(index[rows])
    head = max(len(ids.prefix) for ids in kinds)
    prefixes = np.zeros((len(kinds), head), dtype=np.uint8)
    for number, ids in enumerate(kinds):
        prefixes[number, head - len(ids.prefix):] = ids.prefix
    digits = np.empty((_DIGITS, n), dtype=np.uint8)
    for position in range(_DIGITS):
        shift = np.uint64(5 * (_DIGITS - 1 - position))
        np.take(_ALPHABET, (values >> shift) & np.uint64(31), out=digits[position])
    text = np.empty((n, head + _DIGITS), dtype=np.uint8)
    text[:, :head] = prefixes[kind] if len(kinds) > 1 else prefixes[0]
    text[:, head:] = digits.T
    widths = np.array([ids.width for ids in kinds], dtype=np.int64)
    if np.all(widths == widths[0]):
        data = text.reshape(-1)
        offsets = np.arange(0, (n + 1) * widths[0], widths[0], dtype=np.int64)
    else:
        row_width = widths[kind]
        data = text[np.arange(head + _DIGITS) >= (head + _DIGITS - row_width)[:, None]]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(row_width, out=offsets[1:])
    large = offsets[-1] >= 2**31
    validity = None
    if missing is not None and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(
        pa.large_string() if large else pa.string(), n,
        [validity, pa.py_buffer(offsets if large else offsets.astype(np.int32)),
         pa.py_buffer(data)])
