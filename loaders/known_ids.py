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
``is_in``, so the answer is exactly ``is_in``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .key_hashes import column_hashes

#: Below this many ids Arrow's hash table fits in the cache and ``is_in`` is the faster way.
MIN_HASHED = 1 << 16


@dataclass(frozen=True)
class KnownIds:
    """Ids a reference may name; for a large set also their hashes, sorted, and each sorted
    hash's position in ``values``."""

    values: pa.Array
    hashes: np.ndarray | None = None
    positions: np.ndarray | None = None


def known_ids(values: pa.Array) -> KnownIds:
    """``values`` ready for :func:`contains` (hashed and sorted when there are many)."""
    hashes = column_hashes(values) if len(values) >= MIN_HASHED else None
    if hashes is None:
        return KnownIds(values)
    order = np.argsort(hashes)
    return KnownIds(values, hashes[order], order)


def contains(known: KnownIds, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Per row of ``values``, whether ``known`` holds it: exactly ``pc.is_in(values, known.values)``.

    >>> ids = known_ids(pa.array(["a", "b"]))
    >>> contains(ids, pa.array(["b", "c", None])).to_pylist()
    [True, False, False]
    """
    probe = column_hashes(values) if known.hashes is not None and len(known.hashes) else None
    if probe is None or known.hashes is None or known.positions is None:
        return pc.is_in(values, value_set=known.values)
    by_hash = np.argsort(probe)
    at = np.empty(len(probe), dtype=np.int64)
    at[by_hash] = np.searchsorted(known.hashes, probe[by_hash])
    np.minimum(at, len(known.hashes) - 1, out=at)
    candidate = known.hashes[at] == probe
    ids = known.values.take(pa.array(known.positions[at]))
    if ids.type != values.type:
        ids = ids.cast(values.type)
    same = pc.fill_null(pc.equal(values, ids), False).to_numpy(zero_copy_only=False)
    found = candidate & same
    doubt = np.flatnonzero(candidate & ~same)
    if len(doubt):  # a hash shared by different values: let Arrow decide those rows
        found[doubt] = pc.is_in(values.take(pa.array(doubt)),
                                value_set=known.values).to_numpy(zero_copy_only=False)
    return pa.array(found)
