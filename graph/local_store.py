"""The embedded store: a graph of Parquet tables and a set of JSON documents in one directory, no server.

It composes two parts that share the directory's lock
(:class:`~ringwatch.graph.local_files.StoreLock`): the graph
(:class:`~ringwatch.graph.local_graph.LocalGraph`, ``directory/tables``: the
snapshot, its projections and accounts) and the documents
(:class:`~ringwatch.graph.local_documents.LocalDocuments`: rings, runs, API
keys, the audit log). The shared work of every store is
:class:`~ringwatch.graph.store.GraphStore`'s; this class only routes each hook
to its part, and takes the lock for what spans both (``load --replace``
writes a new snapshot generation, drops the runs and rings just before it
switches to it, and keeps API keys, the audit log, verdicts and cases).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from ringwatch.domain import ApiKey, AuditEntry, Case, Ring, Run, Verdict
from ringwatch.tables import Snapshot

from .capabilities import IdentifierUse, KeyRevocation, Node, WriteProgress
from .local_documents import LocalDocuments
from .local_files import StoreLock
from .local_graph import LocalGraph
from .store import GraphStore


class LocalStore(GraphStore):
    """Keyed Parquet tables under ``directory/tables``, rings, runs, keys and the audit log beside them."""

    backend = "local"
    embedded = True

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._lock = StoreLock(self.directory)
        self.graph = LocalGraph(self.directory / "tables")
        self.documents = LocalDocuments(self.directory, self._lock)

    # --- the graph ----------------------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        """One stored table (see :meth:`LocalGraph.table`)."""
        return self.graph.table(name)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every stored table by name."""
        return self.graph.tables()

    def _write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None,
                        replace: bool) -> dict[str, int]:
        with self._lock.held():
            # The old runs and rings go only once the new generation is written in full, just
            # before the switch: a load killed before that leaves the store as it was.
            drop_detections = self.documents.clear_detections_locked if replace else None
            return self.graph.write_locked(snapshot, progress, replace=replace,
                                           before_commit=drop_detections)

    def counts(self) -> dict[str, int]:
        return self.graph.counts()

    def projection(self, name: str) -> pd.DataFrame:
        return self.graph.projection(name)

    def _identifiers(self, account_type: str, account_id: str) -> list[IdentifierUse] | None:
        return self.graph.identifiers(account_type, account_id)

    def _account_exists(self, account_type: str, account_id: str) -> bool:
        return self.graph.account_exists(account_type, account_id)

    def _adjacent(self, nodes: Sequence[Node], per_node: int) -> Mapping[Node, Iterable[Node]]:
        return self.graph.adjacent(nodes, per_node)

    # --- the documents ------------------------------------------------------------------------

    def save_run(self, run: Run, rings: Iterable[Ring]) -> None:
        self.documents.save_run(run, rings)

    def _stored_rings(self) -> Iterable[Ring]:
        return self.documents.rings()

    def runs(self) -> list[Run]:
        return self.documents.runs()

    def ring(self, ring_id: str) -> Ring | None:
        return self.documents.ring(ring_id)

    def _replace_ring(self, ring: Ring, *, expected_version: int, version: int) -> bool:
        return self.documents.replace_ring(ring, expected_version=expected_version)

    def append_audit(self, entry: AuditEntry) -> None:
        self.documents.append_audit(entry)

    def audit_entries(self) -> list[AuditEntry]:
        return self.documents.audit_entries()

    def append_verdict(self, verdict: Verdict) -> None:
        self.documents.append_verdict(verdict)

    def verdicts(self) -> list[Verdict]:
        return self.documents.verdicts()

    def case(self, case_id: str) -> Case | None:
        return self.documents.case(case_id)

    def _stored_cases(self) -> Iterable[Case]:
        return self.documents.cases()

    def _insert_case(self, case: Case) -> bool:
        return self.documents.insert_case(case)

    def _replace_case(self, case: Case, *, expected_version: int) -> bool:
        return self.documents.replace_case(case, expected_version=expected_version)

    def _save_api_key(self, key: ApiKey) -> None:
        self.documents.save_api_key(key)

    def _api_key_records(self) -> Iterable[ApiKey]:
        return self.documents.api_keys()

    def revoke_api_key(self, key_id: str, *, at: str) -> KeyRevocation | None:
        return self.documents.revoke_api_key(key_id, at=at)

    def record_api_key_use(self, key_id: str, *, at: str) -> None:
        self.documents.record_api_key_use(key_id, at=at)

    def api_keys_revision(self) -> Hashable:
        return self.documents.api_keys_revision()

    # --- the whole store ----------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock.held():
            self._clear_locked()

    def _clear_locked(self) -> None:
        """:meth:`clear`'s work, for a caller that already holds the lock (it is not reentrant)."""
        self.graph.clear_locked()
        self.documents.clear_locked()
