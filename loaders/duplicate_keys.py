"""Finding repeated keys without grouping the rows by their values.

A table's key is one to four columns of opaque ids. Grouping the rows by the
key columns themselves (an Arrow ``group_by`` with a ``min`` aggregate) hashes
every value into a table and builds a row per group, and cost as much as
reading the whole file. Keys of short values are hashed from their buffers
instead (:mod:`.key_hashes`) and sorted: the rows whose hash no other row
has, nearly all of them, cannot repeat a key, and only the rest are compared
by their values.
Keys with a long value or of another type are dictionary-encoded by Arrow, one
hash pass per column, and their codes combined into one integer per row. The
rule is the same either way: equal bytes for text, nulls equal to each other,
and the first eligible row wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch import native

from .key_hashes import column_hashes, key_hashes

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


def repeated_keys(columns: Sequence[pa.Array | pa.ChunkedArray], eligible: np.ndarray, *,
                  hashed: Sequence[int] | None = None) -> Repeats:
    """Among the ``eligible`` rows, each row whose key (the ``columns``' values) an earlier
    eligible row holds, with the first eligible row that holds it (first one wins).

    Rows that are not eligible (already quarantined) neither repeat nor win.
    ``hashed`` names the columns (by position) whose hashes narrow the search, all of
    them by default: two rows with the same key agree on any of its columns, so a
    caller leaves out the columns of a few words each (an account type), which
    would cost a hash pass and tell few rows apart; every column is still compared
    for the rows the others cannot tell apart.

    >>> import pyarrow as pa, numpy as np
    >>> found = repeated_keys([pa.array(["a", "b", "a", "a"])], np.array([False, True, True, True]))
    >>> found.rows.tolist(), found.first.tolist()
    ([3], [2])
    """
    narrowing = [columns[i] for i in hashed] if hashed else columns
    hashes = [column_hashes(column) for column in narrowing]
    if any(h is None for h in hashes):
        return _repeated_codes(columns, eligible)
    rows = _sharing_a_hash(key_hashes([h for h in hashes if h is not None]), eligible)
    return _compared(columns, rows)


def repeated_in_sorted(columns: Sequence[pa.Array | pa.ChunkedArray], hashes: np.ndarray,
                       positions: np.ndarray) -> Repeats:
    """:func:`repeated_keys` with every row eligible, for a key whose hashes are sorted already.

    ``hashes`` are the key's hashes in ascending order (cut or not: only their
    equality is read) and ``positions`` each one's row, as
    :func:`~.known_ids.sorted_hashes` gives them; rows sharing a hash are
    adjacent, and are compared by value.
    """
    same = hashes[1:] == hashes[:-1]
    if not same.any():
        return _NONE
    sharing = np.zeros(len(hashes), dtype=bool)
    sharing[1:] = same
    sharing[:-1] |= same
    return _compared(columns, np.sort(positions[sharing]))


def repeats_of(first_of: np.ndarray) -> Repeats:
    """The repeats a per-row "first row with this key, or -1" array names (every row eligible).

    >>> repeats_of(np.array([-1, -1, 0, 1, 0])).first.tolist()
    [0, 1, 0]
    """
    rows = np.flatnonzero(first_of >= 0)
    return Repeats(rows, first_of[rows]) if len(rows) else _NONE


def _compared(columns: Sequence[pa.Array | pa.ChunkedArray], rows: np.ndarray) -> Repeats:
    """The repeats among ``rows`` (ascending), compared by value with Arrow's dictionary codes."""
    if len(rows) == 0:
        return _NONE
    # The rows left share a hash with another: repeats, bar a small chance. Arrow
    # compares their values exactly.
    at = pa.array(rows)
    found = _repeated_codes([column.take(at) for column in columns], np.ones(len(rows), bool))
    return Repeats(rows[found.rows], rows[found.first])


def _sharing_a_hash(hashes: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """The eligible rows whose hash another eligible row has, ascending.

    With the compiled checks (:mod:`ringwatch.native`), one pass over a hash table;
    otherwise one sort of the hashes shows whether a hash repeats, and only
    then are the rows holding a repeated hash looked up.
    """
    rows = np.flatnonzero(eligible) if not eligible.all() else None
    kept = hashes if rows is None else hashes[rows]
    shared = native.shared_hashes(kept) if native.available() else None
    if shared is not None:
        sharing = np.flatnonzero(shared)
        return sharing if rows is None else rows[sharing]
    ordered = np.sort(kept)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if len(repeated) == 0:
        return np.zeros(0, dtype=np.int64)
    sharing = np.flatnonzero(np.isin(kept, repeated))
    return sharing if rows is None else rows[sharing]


def _first_wins(rows: np.ndarray, group: np.ndarray) -> Repeats:
    """Given ascending rows and their key's group, each row that is not its group's first."""
    first = np.full(int(group.max()) + 1 if len(group) else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group, rows)
    winner = first[group]
    repeat = winner != rows
    return Repeats(rows[repeat], winner[repeat])


def _repeated_codes(columns: Sequence[pa.Array | pa.ChunkedArray], eligible: np.ndarray) -> Repeats:
    """:func:`repeated_keys` for any values: Arrow's dictionary codes, combined and counted."""
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
        return _NONE
    return _first_wins(rows, kept)


_NONE = Repeats(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


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
