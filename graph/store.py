"""The one seam between Ringwatch and where its graph lives: the base both stores build on.

Loaders write snapshots through it, detectors read projections from it and
write rings back, the API serves from it. Each consumer names only the
capability it uses (:mod:`ringwatch.graph.capabilities`, where every contract
is documented); :class:`GraphStore` is all of them at once, for the code that
opens a store (:func:`ringwatch.stores.open_store` picks
:class:`~ringwatch.graph.local_store.LocalStore`, embedded and the default,
or :class:`~ringwatch.graph.neo4j_store.Neo4jStore`).

The work both stores share is done here once: argument checks, the order of
rings and keys, a ring's new version, the neighbourhood walk. Each store
fills in the hooks (the abstract methods). Every behaviour documented on the
capabilities is proven for both by the same tests.
"""

from __future__ import annotations

import abc
import dataclasses
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

import pandas as pd

from ringwatch.domain import (
    LINKED_ACCOUNT_TYPES,
    ApiKey,
    AuditEntry,
    Case,
    Ring,
    Run,
    Verdict,
    in_queue_order,
    is_identifier_type,
)
from ringwatch.tables import Snapshot

from .capabilities import (
    DEFAULT_PER_NODE,
    AccountView,
    GraphEdge,
    IdentifierUse,
    KeyRevocation,
    Neighbourhood,
    Node,
    WriteProgress,
    WriteReport,
)
from .errors import UnstorableColumnError
from .model import NODE_KEY, NODE_TABLES, account_labels
from .paths import PathSearch, shortest_paths


class GraphStore(abc.ABC):
    """Every capability of a store (snapshot sink, projection source, ring repository, audit
    log, key store, account graph), plus clearing and closing it.

    The public methods are the capabilities' (see :mod:`ringwatch.graph.capabilities`
    for what each promises); where both stores share work, a public method does
    it and calls a hook named after it with a leading underscore. Rings, runs,
    audit entries, verdicts and key records cross this seam as :mod:`ringwatch.domain`
    records, hooks included: each store turns them into JSON (``to_json``) and back
    (``from_json``) only where it writes and reads them.
    """

    #: ``"local"`` or ``"neo4j"``: shown in logs and run records.
    backend: str = ""

    #: See :attr:`~ringwatch.graph.capabilities.KeyStore.embedded`.
    embedded: bool = False

    # --- snapshot sink ------------------------------------------------------------------------

    def write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None = None,
                       replace: bool = False) -> WriteReport:
        """Check the snapshot (:func:`check_property_names`), then write it; see ``SnapshotSink``."""
        check_property_names(snapshot)
        started = time.perf_counter()
        written = self._write_snapshot(snapshot, progress=progress, replace=replace)
        return WriteReport(written, time.perf_counter() - started)

    @abc.abstractmethod
    def _write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None,
                        replace: bool) -> dict[str, int]:
        """Write a checked snapshot; rows per table.

        With ``replace``, first remove the graph, runs and rings, keeping API keys,
        the audit log and verdicts (see ``SnapshotSink.write_snapshot``).
        """

    @abc.abstractmethod
    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type (names from :mod:`ringwatch.graph.model`)."""

    # --- projection source --------------------------------------------------------------------

    @abc.abstractmethod
    def projection(self, name: str) -> pd.DataFrame:
        """One projection of :data:`ringwatch.graph.projections.PROJECTIONS`, normalised."""

    # --- ring repository ----------------------------------------------------------------------

    @abc.abstractmethod
    def save_run(self, run: Run, rings: Iterable[Ring]) -> None:
        """Record a run and upsert its rings; see ``RingRepository.save_run``."""

    def rings(self) -> list[Ring]:
        """Every ring ever recorded, in its latest state, in the review queue's order
        (:func:`ringwatch.domain.in_queue_order`: score, then commission at stake, then id)."""
        return in_queue_order(self._stored_rings())

    @abc.abstractmethod
    def _stored_rings(self) -> Iterable[Ring]:
        """Every stored ring, in any order."""

    @abc.abstractmethod
    def runs(self) -> list[Run]:
        """Every recorded detection run, oldest first."""

    @abc.abstractmethod
    def ring(self, ring_id: str) -> Ring | None:
        """One ring in its latest state, ``None`` when there is no such ring."""

    def update_ring(self, ring: Ring, *, expected_version: int) -> bool:
        """Compare-and-set a ring; see ``RingRepository.update_ring``."""
        version = new_version(ring, expected_version)
        return self._replace_ring(ring, expected_version=expected_version, version=version)

    def undo_ring_update(self, previous: Ring, *, written_version: int) -> bool:
        """Put back a ring a failed review wrote; see ``RingRepository.undo_ring_update``."""
        return self._replace_ring(previous, expected_version=written_version,
                                  version=previous.version or 0)

    @abc.abstractmethod
    def _replace_ring(self, ring: Ring, *, expected_version: int, version: int) -> bool:
        """Replace the ring if its stored version is ``expected_version``, atomically with the check.

        ``version`` is the new document's, already checked to be higher.
        """

    # --- audit log ----------------------------------------------------------------------------

    @abc.abstractmethod
    def append_audit(self, entry: AuditEntry) -> None:
        """Append one entry, durably, numbered by :func:`numbered`; see ``AuditLog.append_audit``."""

    @abc.abstractmethod
    def audit_entries(self) -> list[AuditEntry]:
        """Every audit entry, oldest first (by ``seq``), each with its ``seq`` and ``audit_id``."""

    # --- verdict log --------------------------------------------------------------------------

    @abc.abstractmethod
    def append_verdict(self, verdict: Verdict) -> None:
        """Append one reviewer's verdict, durably; see ``VerdictLog.append_verdict``."""

    @abc.abstractmethod
    def verdicts(self) -> list[Verdict]:
        """Every verdict, oldest first; see ``VerdictLog.verdicts``."""

    # --- cases ------------------------------------------------------------------------------

    def save_case(self, case: Case, *, expected_version: int | None) -> bool:
        """Check the new version, then insert or compare-and-set; see ``CaseRepository.save_case``."""
        floor = expected_version or 0
        if not isinstance(case.version, int) or case.version <= floor:
            raise ValueError(f"case {case.case_id!r}: version {case.version!r} must be an int "
                             f"greater than {floor}")
        if expected_version is None:
            return self._insert_case(case)
        return self._replace_case(case, expected_version=expected_version)

    def cases(self) -> list[Case]:
        """Every case, oldest first (``created_at``, then ``case_id``)."""
        return sorted(self._stored_cases(), key=lambda c: (c.created_at, c.case_id))

    @abc.abstractmethod
    def case(self, case_id: str) -> Case | None:
        """One case, ``None`` when there is none."""

    @abc.abstractmethod
    def _stored_cases(self) -> Iterable[Case]:
        """Every stored case, in any order (:meth:`cases` sorts them)."""

    @abc.abstractmethod
    def _insert_case(self, case: Case) -> bool:
        """Store a new case unless its id is taken (atomically); ``True`` when stored."""

    @abc.abstractmethod
    def _replace_case(self, case: Case, *, expected_version: int) -> bool:
        """Replace a stored case if its version is still ``expected_version`` (atomically)."""

    # --- key store ----------------------------------------------------------------------------

    def save_api_key(self, key: ApiKey) -> None:
        """Check the record (:func:`check_api_key`), then upsert it; see ``KeyStore.save_api_key``."""
        check_api_key(key)
        self._save_api_key(key)

    @abc.abstractmethod
    def _save_api_key(self, key: ApiKey) -> None:
        """Upsert a checked key record as :func:`upserted_api_key` merges it, and move the revision."""

    def api_keys(self) -> list[ApiKey]:
        """Every stored API key record, oldest first (:func:`sorted_api_keys`)."""
        return sorted_api_keys(self._api_key_records())

    @abc.abstractmethod
    def _api_key_records(self) -> Iterable[ApiKey]:
        """Every stored key record, in any order."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str, *, at: str) -> KeyRevocation | None:
        """Mark a key revoked, keep its record; see ``KeyStore.revoke_api_key``."""

    @abc.abstractmethod
    def record_api_key_use(self, key_id: str, *, at: str) -> None:
        """Move a key's ``last_used_at`` forward to ``at``; see ``KeyStore.record_api_key_use``."""

    @abc.abstractmethod
    def api_keys_revision(self) -> Hashable:
        """A cheap value that moves on every save and revocation; see ``KeyStore.api_keys_revision``."""

    # --- account graph ------------------------------------------------------------------------

    def account(self, account_type: str, account_id: str) -> AccountView | None:
        """One account and the identifiers it uses; see ``AccountGraph.account``."""
        check_account_type(account_type)
        identifiers = self._identifiers(account_type, account_id)
        if identifiers is None:
            return None
        return {"type": account_type, "id": account_id, "identifiers": sorted_identifiers(identifiers)}

    @abc.abstractmethod
    def _identifiers(self, account_type: str, account_id: str) -> list[IdentifierUse] | None:
        """The account's identifiers as ``{"type", "id", "shared_by"}``, any order; ``None``: no account."""

    def neighbourhood(self, account_type: str, account_id: str, *, hops: int, limit: int,
                      per_node: int = DEFAULT_PER_NODE) -> Neighbourhood | None:
        """The accounts and identifiers around one account (:func:`walk` over :meth:`_adjacent`);
        see ``AccountGraph.neighbourhood``.

        Examples
        --------
        A local store holding one creator on one device:

        >>> import tempfile
        >>> from pathlib import Path
        >>> from ringwatch.graph.local_store import LocalStore
        >>> from ringwatch.loaders import load_snapshot
        >>> snapshot = Path(tempfile.mkdtemp())
        >>> for name, header, *rows in (
        ...         ("creators", "creator_id,registered_at", "c1,2026-01-01"),
        ...         ("shops", "shop_id,seller_id,registered_at"),
        ...         ("identity_links", "account_type,account_id,identifier_type,identifier,"
        ...          "first_seen", "creator,c1,device,d1,2026-01-02"),
        ...         ("orders", "order_id,buyer_id,shop_id,amount,placed_at,status"),
        ...         ("commissions", "commission_id,order_id,creator_id,shop_id,amount,rate,"
        ...          "created_at,status")):
        ...     _ = (snapshot / f"{name}.csv").write_text("\\n".join([header, *rows]) + "\\n")
        >>> store = LocalStore(tempfile.mkdtemp())
        >>> _ = store.write_snapshot(load_snapshot(snapshot).snapshot)
        >>> store.neighbourhood("creator", "c1", hops=1, limit=200)
        {'nodes': [{'id': 'creator:c1', 'type': 'creator', 'label': 'c1'},
                   {'id': 'device:d1', 'type': 'device', 'label': 'd1'}],
         'edges': [{'source': 'creator:c1', 'target': 'device:d1', 'type': 'USES'}],
         'truncated': False}
        """
        check_account_type(account_type)
        for name, value in (("hops", hops), ("limit", limit), ("per_node", per_node)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if not self._account_exists(account_type, account_id):
            return None
        return walk((account_type, account_id), self._adjacent, hops=hops, limit=limit,
                    per_node=per_node)

    def paths(self, source: Node, target: Node, *, max_hops: int, per_node: int = DEFAULT_PER_NODE,
              max_paths: int = 10, time_limit: float = 10.0) -> PathSearch | None:
        """Every shortest path between two accounts (:func:`shortest_paths` over :meth:`_adjacent`);
        see ``AccountGraph.paths``."""
        for node_type, _ in (source, target):
            check_account_type(node_type)
        for name, value in (("max_hops", max_hops), ("per_node", per_node),
                            ("max_paths", max_paths)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if not all(self._account_exists(*end) for end in (source, target)):
            return None
        return shortest_paths(source, target, self._adjacent, max_hops=max_hops,
                              per_node=per_node, max_paths=max_paths,
                              deadline=time.monotonic() + time_limit)

    @abc.abstractmethod
    def _account_exists(self, account_type: str, account_id: str) -> bool:
        """Whether :meth:`account` would find the account (``account_type`` already checked)."""

    @abc.abstractmethod
    def _adjacent(self, nodes: Sequence[Node], per_node: int) -> Mapping[Node, Iterable[Node]]:
        """The neighbours of each of ``nodes`` (see ``AccountGraph.neighbourhood`` for which ones).

        For each node, at least its first ``per_node + 1`` distinct neighbours in
        :func:`node_order` (all of them if it has fewer; more are allowed), so
        that the walk can take the first ``per_node`` and see that there were
        more. A node without neighbours may be missing from the result.
        """

    # --- the whole store ----------------------------------------------------------------------

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove everything, audit entries, API keys and verdicts included (tests, a fresh demo).

        ``ringwatch load --replace`` does not call this: it keeps what the team
        made (see ``SnapshotSink.write_snapshot``).
        """

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- shared by both stores: argument checks, orders, the neighbourhood walk --------------------


def check_property_names(snapshot: Snapshot, *, files: Mapping[str, str | None] | None = None) -> None:
    """Raise :class:`UnstorableColumnError` unless every column of ``snapshot`` can be a property.

    The contract keeps extra columns as properties under their own names. Neo4j
    refuses an empty name or one holding a NUL character (``TokenNameError``,
    found only when the batch reaches the server, after earlier tables were
    written), the driver refuses a name that is not text or not valid Unicode,
    and a column named ``id`` in a table whose rows are nodes would be
    overwritten by the node's key (:data:`~ringwatch.graph.model.NODE_KEY`) and
    silently lost. Both stores refuse such a snapshot before they change
    anything, so that a snapshot loads the same way into either and a refused
    load (also with ``--replace``) leaves the graph as it was. Every bad column
    is named, in one message.

    Parameters
    ----------
    snapshot
        The tables about to be written.
    files
        Table name -> the file it was read from, to name in the message
        (``LoadSummary`` has them); a table without one is named as a table.
    """
    problems = []
    for table, frame in snapshot.tables.items():
        where = (files or {}).get(table) or f"table {table}"
        for column in frame.columns:
            why = _unstorable(table, column)
            if why:
                problems.append(f"{where}: column {_shown(column)} {why}")
    if problems:
        raise UnstorableColumnError(f"{'; '.join(problems)}; rename or drop "
                                    f"{'these columns' if len(problems) > 1 else 'it'} and load again")


def _unstorable(table: str, column: object) -> str | None:
    """Why ``column`` of ``table`` cannot be a property under its name, ``None`` when it can."""
    if not isinstance(column, str):
        return "is not named by text, and a graph property needs a name"
    if not column:
        return "has no name, and a graph property needs one"
    if "\x00" in column:
        return "holds a NUL character, which Neo4j refuses in a property name"
    try:
        column.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text, which a property name must be"
    if column == NODE_KEY and table in NODE_TABLES:
        return (f"clashes with '{NODE_KEY}', the key Ringwatch gives every node of {table} "
                "(its value would be lost)")
    return None


def _shown(column: object) -> str:
    """A column name as a message shows it: quoted, control characters escaped."""
    return repr(column) if isinstance(column, str) else f"{column!r} (a {type(column).__name__})"


def check_account_type(account_type: str) -> None:
    """Raise ``ValueError`` unless ``account_type`` is an account type (creator, shop, seller, buyer)."""
    known = account_labels()
    if account_type not in known:
        raise ValueError(f"unknown account type {account_type!r}; "
                         f"known: {', '.join(sorted(known))}")


def new_version(ring: Ring, expected_version: int) -> int:
    """The ``version`` of a ring about to replace ``expected_version``; ``ValueError`` unless it is higher.

    A write that kept the version would let a second writer holding the same
    ETag succeed too, so the version must move forward.
    """
    version = ring.version
    if not isinstance(version, int) or isinstance(version, bool) or version <= expected_version:
        raise ValueError(f"ring {ring.ring_id!r}: the new ring's version must be an int "
                         f"greater than expected_version {expected_version}, got {version!r}")
    return version


def default_audit_id(seq: int) -> str:
    """The ``audit_id`` the store gives an entry that has none: ``A-`` and its zero-padded ``seq``."""
    return f"A-{seq:010d}"


def numbered(entry: AuditEntry, seq: int) -> AuditEntry:
    """The entry as the log keeps it at position ``seq``: that ``seq``, and its own ``audit_id``
    or else :func:`default_audit_id` of ``seq``."""
    return dataclasses.replace(entry, seq=seq, audit_id=entry.audit_id or default_audit_id(seq))


def check_api_key(key: ApiKey) -> None:
    """Raise ``ValueError`` for a key record that lacks ``key_id`` or ``hash``, or carries a raw key."""
    for field in ("key_id", "hash"):
        value = getattr(key, field)
        if not isinstance(value, str) or not value:
            raise ValueError(f"an API key record needs a non-empty string {field!r}")
    raw = sorted({"key", "raw_key"} & set(key.extra))
    if raw:
        raise ValueError(f"API key record {key.key_id!r} has field(s) {', '.join(raw)}: "
                         "the raw key must never be stored, only its hash")


def upserted_api_key(stored: ApiKey | None, key: ApiKey) -> ApiKey:
    """The record :meth:`GraphStore.save_api_key` keeps for ``key`` when ``stored`` is already there.

    A stored ``revoked_at`` wins (a revocation is never undone by a save), and
    ``last_used_at`` is the later of the two (ISO times compare as text).
    """
    if stored is None:
        return key
    used = max(str(stored.last_used_at or ""), str(key.last_used_at or ""))
    return dataclasses.replace(key, revoked_at=stored.revoked_at or key.revoked_at,
                               last_used_at=used or key.last_used_at)


def sorted_api_keys(keys: Iterable[ApiKey]) -> list[ApiKey]:
    """Key records oldest first: by ``created_at`` (as given), then ``key_id``."""
    return sorted(keys, key=lambda k: (str(k.created_at or ""), str(k.key_id)))


def text_order(text: str) -> bytes:
    """A sort key that orders strings as Neo4j does: by UTF-16 code unit.

    Python orders by code point; the two differ only when ids mix characters
    above U+FFFF with ones in U+E000..U+FFFF, and both stores must agree on
    which neighbours a capped hub keeps.
    """
    return text.encode("utf-16-be", "surrogatepass")


def node_order(node: Node) -> tuple[bytes, bytes]:
    """The order of neighbours in :meth:`GraphStore.neighbourhood`: by type, then id (:func:`text_order`)."""
    return text_order(node[0]), text_order(node[1])


def sorted_identifiers(identifiers: Iterable[IdentifierUse]) -> list[IdentifierUse]:
    """Identifiers of :meth:`GraphStore.account`: most shared first, then by id, then by type."""
    return sorted(identifiers, key=lambda i: (-int(i["shared_by"]), text_order(i["id"]),
                                              text_order(i["type"])))


def edge(a: Node, b: Node) -> GraphEdge:
    """The edge between two adjacent nodes, in the direction the graph has it (USES, OWNS, TRADES, BOUGHT)."""
    for source, target in ((a, b), (b, a)):
        ends = source[0], target[0]
        if ends[0] in LINKED_ACCOUNT_TYPES and is_identifier_type(ends[1]):
            edge_type = "USES"
        elif ends == ("seller", "shop"):
            edge_type = "OWNS"
        elif ends == ("creator", "shop"):
            edge_type = "TRADES"
        elif ends in (("buyer", "shop"), ("buyer", "creator")):
            edge_type = "BOUGHT"
        else:
            continue
        return {"source": node_key(source), "target": node_key(target), "type": edge_type}
    raise ValueError(f"no edge between a {a[0]} and a {b[0]}")


def node_key(node: Node) -> str:
    """A node's id in a neighbourhood: ``type:id`` (ids are opaque and may repeat across types)."""
    return f"{node[0]}:{node[1]}"


def walk(start: Node, adjacent: Callable[[Sequence[Node], int], Mapping[Node, Iterable[Node]]], *,
         hops: int, limit: int, per_node: int) -> Neighbourhood:
    """The breadth-first walk of :meth:`GraphStore.neighbourhood` over an ``adjacent`` hook.

    One ``adjacent`` call per hop for the whole frontier at once, and one more
    for the nodes reached last, which only adds the edges among kept nodes.
    """
    kept: dict[Node, None] = {start: None}  # insertion-ordered set
    found: set[tuple[Node, Node]] = set()
    truncated = False
    frontier = [start]
    for hop in range(hops + 1):
        if not frontier:
            break
        neighbours = adjacent(frontier, per_node)
        reached: list[Node] = []
        for node in frontier:
            candidates = sorted(set(neighbours.get(node, ())), key=node_order)
            if len(candidates) > per_node:
                truncated = truncated or hop < hops
                candidates = candidates[:per_node]
            for other in candidates:
                if other not in kept:
                    if hop == hops:
                        continue  # beyond the last hop: edges only
                    if len(kept) >= limit:
                        truncated = True
                        continue
                    kept[other] = None
                    reached.append(other)
                found.add((node, other))
        frontier = reached
    edges = {(e["source"], e["target"], e["type"]): e
             for e in (edge(a, b) for a, b in found if a in kept and b in kept)}
    return {
        "nodes": [{"id": node_key(n), "type": n[0], "label": n[1]} for n in kept],
        "edges": [edges[k] for k in sorted(edges, key=lambda k: (text_order(k[0]), text_order(k[1])))],
        "truncated": truncated,
    }
