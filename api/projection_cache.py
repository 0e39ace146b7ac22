"""The projections ring subgraphs are drawn from, read once per detection run.

Reading a projection scans the whole graph (pandas over every table, or a
Cypher aggregation over every relationship): seconds on a large store. A
subgraph only needs the four projections below, and they only change when
the data does, which for a reviewer means "when a new run is made"; so they
are kept per run id, and only for the latest couple of runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

import pandas as pd

from ringwatch.graph.store import GraphStore
from ringwatch.graph.subgraph import SUBGRAPH_PROJECTIONS


class ProjectionCache:
    """Projection name -> DataFrame, per run id, computed once (blocking; call from a thread)."""

    def __init__(self, store: GraphStore, *, keep: int = 2) -> None:
        self._store = store
        self._keep = keep
        self._by_run: OrderedDict[str | None, Mapping[str, pd.DataFrame]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_id: str | None) -> Mapping[str, pd.DataFrame]:
        """The projections for ``run_id``; the first caller reads them, the others wait for it."""
        with self._lock:
            found = self._by_run.get(run_id)
            if found is None:
                found = {name: self._store.projection(name) for name in SUBGRAPH_PROJECTIONS}
                self._by_run[run_id] = found
                while len(self._by_run) > self._keep:
                    self._by_run.popitem(last=False)
            else:
                self._by_run.move_to_end(run_id)
            return found
