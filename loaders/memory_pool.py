"""Arrow's allocations during a load come from a pool that keeps freed memory for a while.

A load allocates and frees its tables' memory many times over: the read's
blocks, each check's masks and casts, the frames. Arrow's default pool
(mimalloc) hands freed pages back to the system within milliseconds, so the
next allocation of the same size faults them in again and the kernel zeroes
every page once more. On a virtual machine with transparent huge pages,
zeroing took two fifths of a load's CPU time at 10 M rows (``perf``:
``clear_page_erms`` under ``mi_page_free_list_extend`` and Arrow's copies).
Arrow's jemalloc pool keeps freed pages for about a second and reuses them:
the same load cost a quarter less CPU with it at 10 M rows, and the same at
1 M (BENCHMARKS.md, issue 18, item 1). Where pyarrow has no jemalloc (its
Windows wheels), the C library's allocator, which also reuses freed memory
(as fast at 10 M rows, about a tenth slower at 1 M). A small snapshot gains
nothing (its tables fit in what mimalloc keeps) and lost about 7 % of CPU to
the switch at 1 M rows, so only a snapshot of at least :data:`LARGE_SNAPSHOT_BYTES`
switches. Arrow's default pool is process-wide, so it is switched for as long
as any large load runs and put back when the last one ends; a default pool
other than mimalloc (the caller's choice) is left as it is.

The ``ringwatch`` command does more than load: it writes the store, reads its
projections back and detects, all on Arrow-backed frames. For its whole
process it allocates from the same pool (:func:`reuse_freed_memory`), whatever
the snapshot's size: with mimalloc a ``ringwatch run`` of 1 M rows spent 4 to
5.5 s of system time zeroing pages (6.9 to 7.4 s wall) against 0.5 s with
jemalloc (4.7 s wall), and at 100,000 rows 2.2 to 2.5 s against 1.8 s wall
(BENCHMARKS.md, issue 18, item 6). A pool named in ``ARROW_DEFAULT_MEMORY_POOL``
is the user's choice and is left alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

#: The default pool switched during a load: mimalloc, pyarrow's default, which returns freed
#: memory to the system at once.
SWITCHED_BACKENDS = frozenset({"mimalloc"})

#: The size from which a load switches pools, in bytes of CSV text (a Parquet file counts
#: :data:`PARQUET_WEIGHT` times its size, its compression on the generator's data): about 3 M rows.
LARGE_SNAPSHOT_BYTES = 256 << 20
PARQUET_WEIGHT = 4

_LOCK = threading.Lock()
_loads = 0
_saved: pa.MemoryPool | None = None


def load_pool() -> pa.MemoryPool:
    """The pool a load allocates from: jemalloc, or the system allocator where there is none."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.system_memory_pool()


def reuse_freed_memory(environ: Mapping[str, str] = os.environ) -> bool:
    """Switch Arrow's default pool to :func:`load_pool` for the rest of the process, unless
    the user named one (``ARROW_DEFAULT_MEMORY_POOL`` in ``environ``) or the default is not
    mimalloc. Whether it switched."""
    if environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    with _LOCK:
        return not _loads and _switched() is not None


def _switched() -> pa.MemoryPool | None:
    """Arrow's default pool made :func:`load_pool` when it is one of :data:`SWITCHED_BACKENDS`;
    the pool it was, or None when it was left alone. The caller holds ``_LOCK``."""
    current = pa.default_memory_pool()
    if current.backend_name not in SWITCHED_BACKENDS:
        return None
    pa.set_memory_pool(load_pool())
    return current


def is_large(files: Iterable[Path]) -> bool:
    """Whether table files this large gain from :func:`load_allocator` (sizes from the
    directory, nothing read)."""
    total = sum(path.stat().st_size * (PARQUET_WEIGHT if path.name.endswith(".parquet") else 1)
                for path in files)
    return total >= LARGE_SNAPSHOT_BYTES


@contextmanager
def load_allocator(switch: bool = True) -> Iterator[None]:
    """Within the block (and while any other load's block runs), Arrow allocates from
    :func:`load_pool`, unless its default pool is one the caller chose; on leaving, the pool
    it had. ``switch`` False leaves the pool alone (a small snapshot: :func:`is_large`)."""
    global _loads, _saved
    if not switch:
        yield
        return
    with _LOCK:
        if _loads == 0:
            _saved = _switched()
        _loads += 1
    try:
        yield
    finally:
        with _LOCK:
            _loads -= 1
            if _loads == 0 and _saved is not None:
                pa.set_memory_pool(_saved)
                _saved = None
