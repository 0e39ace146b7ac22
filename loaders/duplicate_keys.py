"""Finding repeated keys on dictionary codes: one hash pass per key column, then integer arithmetic.

A table's key is one to four columns of opaque ids. Grouping the rows by the
key columns themselves (an Arrow ``group_by`` with a ``min`` aggregate) hashes
every value and builds a row per group, and cost as much as reading the whole
file. Here each key column is dictionary-encoded once (Arrow's hash, the same
equality as ``group_by``: bytes for text, nulls equal to each other), the codes
of a multi-column key are combined into one integer per row, and the check
that decides the common case (no key given twice) is a ``bincount``. Only a
table that does repeat a key pays for finding which row came first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Combined codes stay below this, so that ``code * size + next`` cannot overflow int64.
_CODE_LIMIT = 1 << 62


@dataclass(frozen=True)
class Repeats:
    """Rows whose key an earlier row already gave (``rows``), and that earlier row (``first``).

    Both are 0-based row positions, ``rows`` ascending.
    """

    rows: np.ndarray
    first: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


def repeated_keys(columns: Sequence[pa.Array | pa.ChunkedArray], eligible: np.ndarray) -> Repeats:
    """Among the ``eligible`` rows, each row whose key (the ``columns``' values) an earlier
    eligible row holds, with the first eligible row that holds it (first one wins).

    Rows that are not eligible (already quarantined) neither repeat nor win.

    >>> import pyarrow as pa, numpy as np
    >>> found = repeated_keys([pa.array(["a", "b", "a", "a"])], np.array([False, True, True, True]))
    >>> found.rows.tolist(), found.first.tolist()
    ([3], [2])
    """
    n = len(eligible)
    code, size = _codes(columns[0])
    for column in columns[1:]:
        more, more_size = _codes(column)
        if size * more_size >= _CODE_LIMIT:
            code, size = _dense(code)
        code = code * more_size + more
        size *= more_size
    if len(columns) > 1:
        code, size = _dense(code)
    rows = np.flatnonzero(eligible)
    kept = code[rows]
    if len(kept) == 0 or np.bincount(kept, minlength=size).max() <= 1:
        return Repeats(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    first = np.full(size, n, dtype=np.int64)
    np.minimum.at(first, kept, rows)
    winner = first[kept]
    repeat = winner != rows
    return Repeats(rows[repeat], winner[repeat])


def _codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """Each row's dictionary code (int64; null is a value of its own) and how many codes there are."""
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    if isinstance(encoded, pa.ChunkedArray):
        chunks = encoded.chunks
        if not chunks:
            return np.zeros(0, dtype=np.int64), 0
        # Arrow gives every chunk the one dictionary the whole column was encoded into; if a
        # version ever did not, the codes would not compare across chunks: encode it whole.
        shared = _addresses(chunks[0].dictionary)
        if any(_addresses(c.dictionary) != shared for c in chunks[1:]):
            return _codes(values.combine_chunks())
        dictionary = chunks[0].dictionary
        indices = np.concatenate([c.indices.to_numpy() for c in chunks]).astype(np.int64)
    else:
        dictionary = encoded.dictionary
        indices = encoded.indices.to_numpy().astype(np.int64)
    return indices, len(dictionary)


def _addresses(array: pa.Array) -> list[int | None]:
    return [None if b is None else b.address for b in array.buffers()]


def _dense(code: np.ndarray) -> tuple[np.ndarray, int]:
    """The same equalities as ``code``, renumbered from 0 (so that they can be counted)."""
    encoded = pc.dictionary_encode(pa.array(code, pa.int64()))
    return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)
