"""The loaded ids a reference check looks values up in, with their 64-bit hashes sorted once.

Arrow's ``is_in`` builds a hash table of the referenced ids for every check and
probes it once per row. With a few hundred thousand ids (the orders that
commissions name) the table outgrows the cache and nearly every probe misses
it: the largest reference check cost as much as hashing, sorting and searching
both sides. So a large set of ids keeps its hashes (:mod:`.key_hashes`) sorted,
computed once when its table has loaded; a check hashes its column, sorts those
hashes (so that the binary searches walk the ids' hashes in order, from the
cache) and finds each, then compares every match's value with the id's exactly.
A row whose hash matches but whose value does not (a collision) is decided by
``is_in``, so the answer is exactly ``is_in``'s. A check against a set of ids
that is small next to the rows it looks up (the shops that orders name) still
takes ``is_in``, whose table of those ids stays in the cache
(:data:`ALWAYS_HASHED`). Where the install built the compiled kernels
(:mod:`ringwatch.native`), a set of text ids is instead one C hash table, built once and
probed in one pass per check, whatever its size: the same answers, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch import native

from .key_hashes import column_hashes
from .read import is_utf8

#: Below this many ids Arrow's hash table fits in the cache and ``is_in`` is the faster way.
MIN_HASHED = 1 << 16
#: From this many ids on, the sorted hashes are the faster way whatever the number of rows
#: looked up. Below it, ``is_in`` is, unless the ids are at least half as many as those rows:
#: it builds its table of the ids for each check and then probes it at a few tens of
#: nanoseconds a row while the table stays within the cache, where a lookup in sorted hashes
#: costs over a hundred (hashing, sorting and searching the rows looked up). Measured at
#: 10 M rows: the orders' 3.1 M ids, 0.19 s against 0.65 s for the commissions' 1.3 M rows;
#: the shops' 121,000 ids, 0.31 s against 0.11 s for the orders' 3.1 M rows.
ALWAYS_HASHED = 1 << 19


@dataclass(frozen=True)
class KnownIds:
    """Ids a reference may name; for a large set also their hashes, sorted, and each sorted
    hash's position in ``values``.

    The hashes are cut to their top ``64 - shift`` bits, the low ``shift`` bits having
    carried each hash's position through one sort (:func:`sorted_hashes`), cheaper than an
    ``argsort``; a cut hash is only a filter, every match is decided by value.
    """

    values: pa.Array | pa.ChunkedArray
    hashes: np.ndarray | None = None
    positions: np.ndarray | None = None
    shift: int = 0
    compiled: native.IdSet | None = None


def sorted_hashes(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``hashes`` sorted, cut to their top bits, with each one's position: (cut, positions, shift).

    The position rides in the low ``shift`` bits of its hash (enough bits for any
    position), so one ``sort`` of 64-bit integers does what an ``argsort`` does in
    about three times the time. Equal hashes stay equal once cut; different ones
    may become equal, which a caller that compares values anyway does not mind.
    """
    n = len(hashes)
    shift = max(1, (n - 1).bit_length())
    packed = hashes >> np.uint64(shift)
    packed <<= np.uint64(shift)
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    positions = (packed & np.uint64((1 << shift) - 1)).astype(np.intp)
    packed >>= np.uint64(shift)
    return packed, positions, shift


def known_ids(values: pa.Array | pa.ChunkedArray, hashes: np.ndarray | None = None) -> KnownIds:
    """``values`` ready for :func:`contains` (hashed and sorted when there are many).

    ``hashes`` are the values' :func:`~.key_hashes.column_hashes` when the caller
    has them already (a table's key, hashed for its duplicate check). With the
    compiled checks, text ids (none missing, none long) make a C set instead.
    """
    if native.available():
        whole = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if native.IdSet.holds(whole):
            return KnownIds(whole, compiled=native.IdSet(whole))
    if len(values) < MIN_HASHED:
        return KnownIds(values)
    if hashes is None:
        hashes = column_hashes(values)
    if hashes is None:
        return KnownIds(values)
    cut, positions, shift = sorted_hashes(hashes)
    return KnownIds(values, cut, positions, shift)


def contains(known: KnownIds, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Per row of ``values``, whether ``known`` holds it: exactly ``pc.is_in(values, known.values)``.

    >>> ids = known_ids(pa.array(["a", "b"]))
    >>> contains(ids, pa.array(["b", "c", None])).to_pylist()
    [True, False, False]
    """
    if known.compiled is not None and is_utf8(values.type):
        return pa.array(known.compiled.contains(values))
    many = len(known.values) >= ALWAYS_HASHED or 2 * len(known.values) >= len(values)
    probe = column_hashes(values) if many and known.hashes is not None and len(known.hashes) \
        else None
    if probe is None or known.hashes is None or known.positions is None:
        return pc.is_in(values, value_set=known.values)
    probe >>= np.uint64(known.shift)
    # Searched in (nearly) hash order, the binary searches walk the ids' hashes from the cache.
    _, order, _ = sorted_hashes(probe)
    at = np.empty(len(probe), dtype=np.intp)
    at[order] = np.searchsorted(known.hashes, probe[order])
    np.minimum(at, len(known.hashes) - 1, out=at)
    candidate = known.hashes[at] == probe
    ids = known.values.take(pa.array(known.positions[at]))
    if ids.type != values.type:
        ids = ids.cast(values.type)
    same = pc.fill_null(pc.equal(values, ids), False).to_numpy(zero_copy_only=False)
    found = candidate & same
    doubt = np.flatnonzero(candidate & ~same)
    if len(doubt):  # a hash shared by different values: Arrow decides, among the ids of that hash
        sharing = np.isin(known.hashes, probe[doubt])
        found[doubt] = pc.is_in(values.take(pa.array(doubt)),
                                value_set=known.values.take(pa.array(known.positions[sharing]))
                                ).to_numpy(zero_copy_only=False)
    return pa.array(found)
