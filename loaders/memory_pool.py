"""Arrow's allocations during a load come from the system allocator, which keeps freed memory.

A load allocates and frees its tables' memory many times over: the read's
blocks, each check's masks and casts, the frames. Arrow's default pool
(mimalloc, or jemalloc) hands freed pages back to the system within
milliseconds, so the next allocation of the same size faults them in again
and the kernel zeroes every page once more. On a virtual machine with
transparent huge pages, zeroing took two fifths of a load's CPU time at
10 M rows (``perf``: ``clear_page_erms`` under ``mi_page_free_list_extend``
and Arrow's copies); the C library's allocator reuses freed memory within the
process, and the same load cost about a sixth less CPU with it
(BENCHMARKS.md, issue 18, item 1). Arrow's default pool is process-wide, so
it is switched for as long as any load runs and put back when the last one
ends; a default pool that allocates with the system allocator already (the
caller's choice, a proxy or logging pool over it) is left as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

#: Arrow's own pools, which return freed memory to the system at once; only these are switched.
SWITCHED_BACKENDS = frozenset({"mimalloc", "jemalloc"})

_LOCK = threading.Lock()
_loads = 0
_saved: pa.MemoryPool | None = None


@contextmanager
def system_allocator() -> Iterator[None]:
    """Within the block (and while any other load's block runs), Arrow allocates with the system
    allocator, unless its default pool is one the caller chose; on leaving, the pool it had."""
    global _loads, _saved
    with _LOCK:
        if _loads == 0:
            current = pa.default_memory_pool()
            if current.backend_name in SWITCHED_BACKENDS:
                _saved = current
                pa.set_memory_pool(pa.system_memory_pool())
        _loads += 1
    try:
        yield
    finally:
        with _LOCK:
            _loads -= 1
            if _loads == 0 and _saved is not None:
                pa.set_memory_pool(_saved)
                _saved = None
