"""Python's cyclic garbage collector, set for a command's process once its imports are done.

Why: a command allocates millions of small objects (frames' indexes, the
rings' JSON, evidence, the report's rows), so the collector runs hundreds of
times, and each full collection walks every object the process holds, the
few hundred thousand that importing pandas, pyarrow, igraph and Ringwatch
made included, though they live as long as the process. :func:`gc.freeze`
takes those out of every later collection. It matters twice over for the
worker processes a command forks (:mod:`ringwatch.forked`): a collection in a
worker writes into each object it walks, so every page of them was copied
into the worker; frozen, they stay shared. And the youngest generation is
collected every :data:`YOUNG` allocations instead of every 700 (Python's
default, tuned for small scripts): the objects a run makes in bulk are
mostly not cyclic, and freed by reference counting anyway.

Measured on a 2 M-row ``ringwatch run`` (BENCHMARKS.md, issue 18, item 6):
the run's process spent 0.27 to 0.36 s in about 490 collections, and 0.12
to 0.13 s in 236 after this; the whole process, paired with the code before
it, took 0.97x the wall time. What the collector would reclaim it still
reclaims, a little later.
"""

from __future__ import annotations

import gc

#: Allocations (less deallocations) of container objects between collections of the youngest
#: generation; the older generations keep Python's default thresholds.
YOUNG = 20_000

_settled = False


def settle_after_imports() -> None:
    """Freeze every object alive now (the imports') and make young collections rarer.

    Called once the command's modules are imported, before it starts its work.
    Only the first call in a process freezes: a process that runs commands one
    after another (the tests, a notebook) would otherwise freeze each
    command's leftovers, cyclic garbage included, for good. A threshold set
    higher already is kept.
    """
    global _settled
    if _settled:
        return
    _settled = True
    gc.freeze()
    young, middle, old = gc.get_threshold()
    if 0 < young < YOUNG:  # 0: the collector was turned off; leave it off
        gc.set_threshold(YOUNG, middle, old)
