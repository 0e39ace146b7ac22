"""The one seam between Ringwatch and where its graph lives.

Loaders write snapshots through it, detectors read projections from it and
write rings back, the API serves from it; only the wiring (command line, app
factory) picks an implementation: :class:`~ringwatch.graph.local_store.LocalStore`
(embedded, the default) or :class:`~ringwatch.graph.neo4j_store.Neo4jStore`.
Every behaviour documented here is proven for both by the same tests.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from ringwatch.loaders import Snapshot

#: Called as ``progress(table, rows_done)`` while a snapshot is written.
WriteProgress = Callable[[str, int], None]


@dataclass(frozen=True)
class WriteReport:
    """What a snapshot write did: rows written per table and how long it took."""

    rows: dict[str, int]
    seconds: float


class GraphStore(abc.ABC):
    """A graph of creators, shops, sellers, buyers, identifiers, orders and commissions.

    Writes are upserts keyed by each table's key (CONTRACT.md section 1):
    writing the same snapshot twice changes nothing, and a later snapshot
    updates nodes and single-valued relationships (an order's status, a
    creator's agency) in place. Nothing a snapshot omits is deleted.
    """

    #: ``"local"`` or ``"neo4j"``: shown in logs and run records.
    backend: str = ""

    @abc.abstractmethod
    def write_snapshot(self, snapshot: Snapshot, *,
                       progress: WriteProgress | None = None) -> WriteReport:
        """Upsert every table of a validated snapshot into the graph."""

    @abc.abstractmethod
    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type (names from :mod:`ringwatch.graph.model`)."""

    @abc.abstractmethod
    def projection(self, name: str) -> pd.DataFrame:
        """One projection of :data:`ringwatch.graph.projections.PROJECTIONS`, normalised."""

    @abc.abstractmethod
    def save_run(self, run: dict[str, Any], rings: Iterable[dict[str, Any]]) -> None:
        """Record a detection run and upsert its rings (by ``ring_id``) with their members.

        ``rings`` is every ring the run touched, including ones it marked
        dissolved; a ring is never deleted. Each ring is a JSON-able dict in
        the shape of CONTRACT.md section 2 (plus history fields).
        """

    @abc.abstractmethod
    def rings(self) -> list[dict[str, Any]]:
        """Every ring ever recorded, in its latest state, highest score first."""

    @abc.abstractmethod
    def runs(self) -> list[dict[str, Any]]:
        """Every recorded detection run, oldest first."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove everything (tests and ``ringwatch load --replace``)."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
