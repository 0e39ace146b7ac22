"""The store's capabilities: one small contract each, so that every consumer asks for what it uses.

A detection run needs projections and the ring repository, the API's key
check needs the key store, the account routes the account graph, a review
the ring repository, the audit log and the verdict log. Each of those is a
:class:`typing.Protocol` here, documented on the contract itself; both stores
(:class:`~ringwatch.graph.local_store.LocalStore` and
:class:`~ringwatch.graph.neo4j_store.Neo4jStore`) implement every one of them
through :class:`~ringwatch.graph.store.GraphStore`, which is their union plus
what only the code that opens a store needs (``clear``, ``close``). A test
holds both stores to every protocol, and one parametrised suite proves the
behaviour documented here for both.

The protocols are ``runtime_checkable`` so that a test can check them with
``isinstance``; a consumer only names them in type hints.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypedDict, runtime_checkable

import pandas as pd

from ringwatch.domain import ApiKey, AuditEntry, Case, Ring, Run, Verdict
from ringwatch.tables import Snapshot

if TYPE_CHECKING:
    from .paths import PathSearch

#: Called as ``progress(table, rows)`` while a snapshot is written: ``rows`` more rows of
#: ``table`` were just written. An increment, never a running total, so that a progress bar
#: can add the calls up: those of a table add up to its row count, those of a whole write to
#: ``snapshot.rows`` (each row counted once, whatever a store writes per row).
WriteProgress = Callable[[str, int], None]

#: A node of the account graph as ``(type, id)``: an account type (``creator``, ``shop``,
#: ``seller``, ``buyer``) or an identifier type (``device``, ``ip``, ...), and its contract id.
Node = tuple[str, str]

#: Neighbours expanded per node in :meth:`AccountGraph.neighbourhood` unless told otherwise.
DEFAULT_PER_NODE = 50


class IdentifierUse(TypedDict):
    """An identifier an account uses, and how many distinct accounts use it (this one included)."""

    type: str
    id: str
    shared_by: int


class AccountView(TypedDict):
    """An account and the identifiers it uses (:meth:`AccountGraph.account`)."""

    type: str
    id: str
    identifiers: list[IdentifierUse]


class GraphNode(TypedDict):
    """A node of a neighbourhood: ``id`` is ``type:id``, ``label`` the contract id."""

    id: str
    type: str
    label: str


class GraphEdge(TypedDict):
    """An edge of a neighbourhood, in the graph's direction; ``type`` is USES, OWNS, TRADES or BOUGHT."""

    source: str
    target: str
    type: str


class Neighbourhood(TypedDict):
    """What :meth:`AccountGraph.neighbourhood` returns (JSON-able as it is: the API serves it)."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool


@dataclass(frozen=True)
class KeyRevocation:
    """What :meth:`KeyStore.revoke_api_key` did: the key's record as now stored, and whether
    this call revoked it (``False``: it was revoked before), so the caller audits a revocation once."""

    record: ApiKey
    revoked_now: bool


@dataclass(frozen=True)
class WriteReport:
    """What a snapshot write did: rows written per table and how long it took."""

    rows: dict[str, int]
    seconds: float


@runtime_checkable
class SnapshotSink(Protocol):
    """Where validated snapshots are written: a graph of creators, shops, sellers, buyers,
    identifiers, orders and commissions.

    Writes are upserts keyed by each table's key (docs/contract.md section 1):
    writing the same snapshot twice changes nothing, and a later snapshot
    updates nodes and single-valued relationships (an order's status, a
    creator's agency) in place. Nothing a snapshot omits is deleted.
    """

    def write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None = None,
                       replace: bool = False) -> WriteReport:
        """Upsert every table of a validated snapshot into the graph.

        The snapshot is checked first (:func:`~ringwatch.graph.store.check_property_names`): a snapshot
        the graph cannot hold raises :class:`~ringwatch.graph.errors.UnstorableColumnError`
        before anything is changed.

        Parameters
        ----------
        snapshot
            The validated tables.
        progress
            Told the rows written, table by table (see :data:`WriteProgress`).
        replace
            Remove the marketplace graph and the detection runs and rings found in
            it, but only once the snapshot passed its check: a refused
            snapshot never leaves an emptied store behind (``ringwatch load
            --replace``). What the team made stays: API keys, the audit log and
            reviewers' verdicts (:class:`VerdictLog`).

        Every write is a snapshot generation that readers see only once it is
        complete (docs/contract.md, "Loads are snapshot generations"); a write
        killed at any point never leaves half a graph that a reader would use:
        the local store keeps showing the previous generation, Neo4j refuses
        the graph with :class:`~ringwatch.graph.errors.IncompleteGenerationError`
        naming the unfinished one. Runs and rings are dropped (``replace``) only
        after every table is written.
        """
        ...

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type (names from :mod:`ringwatch.graph.model`)."""
        ...


@runtime_checkable
class ProjectionSource(Protocol):
    """Where detectors read the graph from: projections, the same typed frames from either store."""

    def projection(self, name: str) -> pd.DataFrame:
        """One projection of :data:`ringwatch.graph.projections.PROJECTIONS`, normalised."""
        ...


@runtime_checkable
class RingRepository(Protocol):
    """The rings and the detection runs that found them: saved by runs, reviewed in place.

    Rings and runs come and go as :mod:`ringwatch.domain` records (:class:`~ringwatch.domain.Ring`,
    :class:`~ringwatch.domain.Run`); a store writes their JSON (``to_json``, the contract's)
    and reads it back with ``from_json``, so a record saved is the record read.
    """

    #: ``"local"`` or ``"neo4j"``: recorded with each run, shown in logs.
    backend: str

    def save_run(self, run: Run, rings: Iterable[Ring]) -> None:
        """Record a detection run and upsert its rings (by ``ring_id``) with their members.

        ``rings`` is every ring the run touched, including ones it marked
        dissolved; a ring is never deleted. A ring is stored as its
        :meth:`~ringwatch.domain.Ring.to_json` (docs/contract.md section 2,
        plus history and review fields).
        """
        ...

    def rings(self) -> list[Ring]:
        """Every ring ever recorded, in its latest state, in the review queue's order: highest
        score first, ties by commission at stake, then by id (:mod:`ringwatch.domain.queue`)."""
        ...

    def runs(self) -> list[Run]:
        """Every recorded detection run, oldest first."""
        ...

    def ring(self, ring_id: str) -> Ring | None:
        """One ring in its latest state (as :meth:`rings` lists it), ``None`` when there is no such ring."""
        ...

    def update_ring(self, ring: Ring, *, expected_version: int) -> bool:
        """Replace a stored ring if nobody changed it since it was read (compare-and-set).

        A review reads a ring, changes it and writes it back while a detection
        run or another reviewer may write the same ring: without a check, the
        later write silently undoes the earlier one. Every stored ring carries
        an integer ``version`` (``None`` counts as 0); the write happens only if
        the stored ring's version still equals ``expected_version``, atomically
        with the check, across threads and processes.

        Parameters
        ----------
        ring
            The whole new ring, keyed by its ``ring_id``. The caller bumps
            its ``version``: it must be an ``int`` greater than ``expected_version``
            (so a version never repeats and a stale ETag can never match again).
        expected_version
            The version the caller read (the API's ``If-Match``).

        Returns
        -------
        bool
            ``True`` when the ring was replaced; ``False`` when the ring is
            missing or its stored version differs (nothing is changed then).

        Only the ring's document and its searchable fields (kind, score, status,
        version) change; ring membership is :meth:`save_run`'s job.
        """
        ...

    def undo_ring_update(self, previous: Ring, *, written_version: int) -> bool:
        """Put ``previous`` back, version and all, if the stored ring is still at ``written_version``.

        Why: a review's ring and its audit entry must be saved together, and
        the audit write can fail after the ring was written; the review then
        undoes its own write (compare-and-set on the version it wrote, so a
        later writer's ring is never overwritten). Returns ``True`` when the
        ring was put back.
        """
        ...


@runtime_checkable
class AuditLog(Protocol):
    """The append-only record of who did what: reviews, runs started, keys revoked, enforcement."""

    def append_audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log, durably (it is on disk or committed when this returns).

        The store numbers entries: ``seq`` (1, 2, 3, ... in the order they were
        appended, also across processes; any ``seq`` the caller gives is
        replaced) and, unless the entry has one, ``audit_id``
        (:func:`~ringwatch.graph.store.default_audit_id` of ``seq``). The log is append-only: nothing
        in this interface changes or deletes an entry (only ``GraphStore.clear``, for tests).
        """
        ...

    def audit_entries(self) -> list[AuditEntry]:
        """Every audit entry, oldest first (by ``seq``), each with its ``seq`` and ``audit_id``."""
        ...


@runtime_checkable
class VerdictLog(Protocol):
    """Reviewers' verdicts (confirm, dismiss) with the scores they judged: the team's memory.

    Detection runs learn from them (:mod:`ringwatch.detectors.recalibration`),
    so they outlive the rings they judged: ``ringwatch load --replace`` keeps
    them, as it keeps the audit log and the API keys.
    """

    def append_verdict(self, verdict: Verdict) -> None:
        """Append one verdict, durably; never changed after."""
        ...

    def verdicts(self) -> list[Verdict]:
        """Every verdict ever appended, oldest first (in the order they were appended)."""
        ...


@runtime_checkable
class CaseRepository(Protocol):
    """Investigators' cases (:class:`~ringwatch.domain.Case`): rings and accounts under one owner.

    Cases are the team's work, like verdicts: ``ringwatch load --replace`` keeps
    them (a case may name rings the new snapshot no longer has; it says so, it
    is not emptied). Every change is a compare-and-set on the case's
    ``version``, so two editors never overwrite each other unseen.
    """

    def save_case(self, case: Case, *, expected_version: int | None) -> bool:
        """Create a case (``expected_version=None``) or replace it if still at ``expected_version``.

        The write and its check are one atomic step, across threads and
        processes. The caller sets ``case.version``: greater than
        ``expected_version`` (or than 0 for a new case), else ``ValueError``.

        Returns
        -------
        bool
            ``True`` when the case was written; ``False`` when a new case's id is
            taken, or a stored case is missing or at another version (nothing
            changes then).
        """
        ...

    def cases(self) -> list[Case]:
        """Every case, oldest first (by ``created_at``, then ``case_id``)."""
        ...

    def case(self, case_id: str) -> Case | None:
        """One case, ``None`` when there is no such case."""
        ...


@runtime_checkable
class KeyStore(Protocol):
    """The API keys' records (hashes, roles, revocations), never the raw keys."""

    #: True when the store lives in this process's files, with no server in between: its
    #: cheap reads (:meth:`api_keys_revision`, a ``stat``) take microseconds, so a server
    #: may make them on its event loop instead of paying for a hop to a worker thread.
    embedded: bool

    def save_api_key(self, key: ApiKey) -> None:
        """Store an API key record, upserted by ``key_id``, and move :meth:`api_keys_revision`.

        A record is an :class:`~ringwatch.domain.ApiKey` (its ``extra`` fields are kept). The
        raw key never reaches the store: a record with a ``key`` or ``raw_key`` field among
        its extras, or an empty ``key_id`` or ``hash``, is a ``ValueError``.

        Saving never undoes what happened to a stored key: it keeps the stored
        ``revoked_at`` (a relabelling that raced a revocation must not revive
        the key) and the later of the stored and the given ``last_used_at``.
        """
        ...

    def api_keys(self) -> list[ApiKey]:
        """Every stored API key record, oldest first (by ``created_at``, then ``key_id``).

        Revoked keys are included, with ``revoked_at``; ``last_used_at`` is there
        once :meth:`record_api_key_use` recorded a use. A record that has neither
        comes back exactly as it was saved.
        """
        ...

    def revoke_api_key(self, key_id: str, *, at: str) -> KeyRevocation | None:
        """Mark a key revoked at ``at`` (an ISO time), keep its record, and move :meth:`api_keys_revision`.

        The record stays so that audit entries made with the key still resolve
        to its role and label; only ``revoked_at`` is added. Revoking a revoked
        key changes nothing (it keeps its first ``revoked_at``).

        Returns
        -------
        KeyRevocation or None
            The key's record as now stored (as :meth:`api_keys` lists it) and
            whether this call revoked it; ``None`` when no key has ``key_id``
            (nothing is written then).
        """
        ...

    def record_api_key_use(self, key_id: str, *, at: str) -> None:
        """Set a key's ``last_used_at`` to ``at`` unless it already holds a later time.

        A no-op for an unknown key. Callers throttle it (the API records a key's
        use at most once a minute), so reads do not turn into writes. It need not
        move :meth:`api_keys_revision`.
        """
        ...

    def api_keys_revision(self) -> Hashable:
        """A value that changes whenever a key is saved or revoked (``None`` before any key).

        Why it exists: a running server keeps the keys in memory, and a key
        revoked by another process (``ringwatch keys revoke``) must be refused
        at the very next request. The server compares this value on every
        request and re-reads :meth:`api_keys` only when it moved, so it must be
        cheap: a file's status in the local store, one lookup of an indexed
        node in Neo4j. It may also change when nothing relevant did (a
        recorded use); it must never stay equal across a save or a revocation.
        """
        ...


@runtime_checkable
class AccountGraph(Protocol):
    """One account and what surrounds it, for an investigator's questions."""

    def account(self, account_type: str, account_id: str) -> AccountView | None:
        """One account and the identifiers it uses, or ``None`` when the graph has no such account.

        An account exists when a snapshot made it: a creator or a shop when it
        is in its table, a seller when it owns a shop or has identity links, a
        buyer when it placed an order or has identity links (a ring member
        alone does not make an account).

        Returns
        -------
        AccountView or None
            ``{"type", "id", "identifiers": [{"type", "id", "shared_by"}]}``, where
            ``shared_by`` is the number of distinct accounts using the
            identifier (this one included), most shared first, then by id
            (:func:`~ringwatch.graph.store.sorted_identifiers`). A shop uses no identifiers.

        Raises
        ------
        ValueError
            ``account_type`` is not an account type (:func:`ringwatch.graph.model.account_labels`).
        """
        ...

    def neighbourhood(self, account_type: str, account_id: str, *, hops: int, limit: int,
                      per_node: int = DEFAULT_PER_NODE) -> Neighbourhood | None:
        """The accounts and identifiers around one account, breadth first, or ``None`` when it is unknown.

        An investigator's question after "which rings is this account in?" is
        "who is it connected to?": the identifiers it uses, the shops it owns
        or trades with, the buyers and creators it trades with, and the same
        again one hop further. The walk is defined once, in
        :class:`~ringwatch.graph.store.GraphStore`, on top of each store's
        ``_adjacent`` hook, so both stores give the same answer for the same data.

        Adjacency (undirected for the walk; edges are reported in the graph's direction):

        ========  ===============================================  ==========
        edge      between                                          type
        ========  ===============================================  ==========
        uses      account (creator, seller, buyer) -> identifier   ``USES``
        owns      seller -> shop                                   ``OWNS``
        trades    creator -> shop, with an order attributed to it  ``TRADES``
        bought    buyer -> shop, buyer -> creator (attributed)     ``BOUGHT``
        ========  ===============================================  ==========

        The walk: hop 1 expands the account, hop ``k + 1`` expands every node
        first reached at hop ``k``, in the order they were reached. A node's
        neighbours are taken in :func:`~ringwatch.graph.store.node_order` and only the first
        ``per_node`` of them are used: a hub (a carrier NAT IP shared by
        thousands of buyers) adds at most ``per_node`` nodes, and reading it
        holds at most ``per_node + 1`` of its neighbours per relationship type
        in Neo4j (a top-N heap; the time still grows with its degree, as it
        does in the local store, which reads its rows from the tables).
        Nodes are added until there are ``limit`` of them (the account
        included); later ones are left out. The edges are every edge between
        two kept nodes where one end has the other among its first
        ``per_node`` neighbours: the nodes of the last hop are looked at once
        more for their edges to kept nodes (one read per hop, plus that one).

        Parameters
        ----------
        account_type, account_id
            The account (an account type, as for :meth:`account`).
        hops
            How far to walk (the API allows 1 or 2).
        limit
            At most this many nodes.
        per_node
            At most this many neighbours used per expanded node.

        Returns
        -------
        Neighbourhood or None
            ``{"nodes": [{"id": "type:id", "type", "label"}], "edges": [{"source",
            "target", "type"}], "truncated": bool}``: nodes in the order they
            were reached (the account first), edges sorted by source, target;
            ``truncated`` when a node within ``hops`` was left out, by ``limit``
            or because a node expanded within ``hops`` had more than
            ``per_node`` neighbours. ``None`` when :meth:`account` would be ``None``.

        :meth:`ringwatch.graph.store.GraphStore.neighbourhood` has an example
        that runs on a small local store.
        """
        ...

    def paths(self, source: Node, target: Node, *, max_hops: int, per_node: int = DEFAULT_PER_NODE,
              max_paths: int = 10, time_limit: float = 10.0) -> PathSearch | None:
        """Every shortest path between two accounts through the account graph, or ``None``.

        The same graph and adjacency as :meth:`neighbourhood`; the search
        (:func:`ringwatch.graph.paths.shortest_paths`) is defined once in
        :class:`~ringwatch.graph.store.GraphStore` on each store's ``_adjacent``
        hook, so both stores give the same paths. Hubs (nodes with more than
        ``per_node`` neighbours) are met but never walked through.

        Parameters
        ----------
        source, target
            ``(account type, id)`` of the two accounts.
        max_hops
            Longest path looked for, in edges (an identifier shared by two
            accounts is two hops: account, identifier, account).
        max_paths
            At most this many of the shortest paths.
        time_limit
            Seconds after which the search stops (``complete`` is then False).

        Returns
        -------
        PathSearch or None
            ``None`` when either account is unknown (:meth:`account` is ``None``).
        """
        ...


@runtime_checkable
class DetectionStore(ProjectionSource, RingRepository, VerdictLog, Protocol):
    """What a detection run needs: projections to read, the ring repository to save to, and
    reviewers' verdicts to recalibrate scores on."""


@runtime_checkable
class ReviewStore(RingRepository, AuditLog, VerdictLog, Protocol):
    """What a review needs: rings to compare-and-set, the audit log to record the decision in,
    the verdict log to remember it by."""


@runtime_checkable
class CaseStore(RingRepository, AuditLog, AccountGraph, CaseRepository, Protocol):
    """What working on cases needs: the cases, the rings and accounts they name (checked to
    exist when added), and the audit log every change is recorded in."""


@runtime_checkable
class EnforcementStore(ProjectionSource, ReviewStore, CaseRepository, Protocol):
    """What the enforcement job needs: a review's capabilities, projections for the money at
    stake, and the cases that name a ring (their id goes into its actions)."""


#: Every capability, for the test that holds both stores to each of them.
CAPABILITIES: tuple[type, ...] = (SnapshotSink, ProjectionSource, RingRepository, AuditLog,
                                  VerdictLog, KeyStore, AccountGraph, CaseRepository)
