"""The one seam between Ringwatch and where its graph lives.

Loaders write snapshots through it, detectors read projections from it and
write rings back, the API serves from it; only the wiring (command line, app
factory) picks an implementation: :class:`~ringwatch.graph.local_store.LocalStore`
(embedded, the default) or :class:`~ringwatch.graph.neo4j_store.Neo4jStore`.
Every behaviour documented here is proven for both by the same tests.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ringwatch.loaders import Snapshot

from .errors import UnstorableColumnError
from .model import ACCOUNT_LABELS, IDENTIFIER_LABELS, NODE_KEY, NODE_TABLES

#: Called as ``progress(table, rows)`` while a snapshot is written: ``rows`` more rows of
#: ``table`` were just written. An increment, never a running total, so that a progress bar
#: can add the calls up: those of a table add up to its row count, those of a whole write to
#: ``snapshot.rows`` (each row counted once, whatever a store writes per row).
WriteProgress = Callable[[str, int], None]

#: A node of the account graph as ``(type, id)``: an account type (``creator``, ``shop``,
#: ``seller``, ``buyer``) or an identifier type (``device``, ``ip``, ...), and its contract id.
Node = tuple[str, str]

#: Neighbours expanded per node in :meth:`GraphStore.neighbourhood` unless told otherwise.
DEFAULT_PER_NODE = 50

#: The fields of a stored API key record; the raw key is never one of them.
API_KEY_FIELDS: tuple[str, ...] = ("key_id", "hash", "role", "label", "created_at")


@dataclass(frozen=True)
class KeyRevocation:
    """What :meth:`GraphStore.revoke_api_key` did: the key's record as now stored, and whether
    this call revoked it (``False``: it was revoked before), so the caller audits a revocation once."""

    record: dict[str, Any]
    revoked_now: bool


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

    #: True when the store lives in this process's files, with no server in between: its
    #: cheap reads (:meth:`api_keys_revision`, a ``stat``) take microseconds, so a server
    #: may make them on its event loop instead of paying for a hop to a worker thread.
    embedded: bool = False

    @abc.abstractmethod
    def write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None = None,
                       replace: bool = False) -> WriteReport:
        """Upsert every table of a validated snapshot into the graph.

        The snapshot is checked first (:func:`check_property_names`): a snapshot
        the graph cannot hold raises :class:`~ringwatch.graph.errors.UnstorableColumnError`
        before anything is changed.

        Parameters
        ----------
        snapshot
            The validated tables.
        progress
            Told the rows written, table by table (see :data:`WriteProgress`).
        replace
            Remove everything first (as :meth:`clear` does), but only once the
            snapshot passed its check: a refused snapshot never leaves an
            emptied store behind (``ringwatch load --replace``).
        """

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
    def ring(self, ring_id: str) -> dict[str, Any] | None:
        """One ring's latest document (as :meth:`rings` lists it), ``None`` when there is no such ring."""

    @abc.abstractmethod
    def update_ring(self, ring: dict[str, Any], *, expected_version: int) -> bool:
        """Replace a stored ring's document if nobody changed it since it was read (compare-and-set).

        A review reads a ring, changes it and writes it back while a detection
        run or another reviewer may write the same ring: without a check, the
        later write silently undoes the earlier one. Every ring document carries
        an integer ``version`` (absent counts as 0); the write happens only if
        the stored ring's version still equals ``expected_version``, atomically
        with the check, across threads and processes.

        Parameters
        ----------
        ring
            The whole new document, keyed by its ``ring_id``. The caller bumps
            its ``version``: it must be an ``int`` greater than ``expected_version``
            (so a version never repeats and a stale ETag can never match again).
        expected_version
            The version the caller read (the API's ``If-Match``).

        Returns
        -------
        bool
            ``True`` when the document was replaced; ``False`` when the ring is
            missing or its stored version differs (nothing is changed then).

        Only the document and its searchable fields (kind, score, status,
        version) change; ring membership is :meth:`save_run`'s job.
        """

    @abc.abstractmethod
    def append_audit(self, entry: dict[str, Any]) -> None:
        """Append one entry to the audit log, durably (it is on disk or committed when this returns).

        The store numbers entries: ``seq`` (1, 2, 3, ... in the order they were
        appended, also across processes; any ``seq`` the caller gives is
        replaced) and, unless the entry has one, ``audit_id``
        (:func:`default_audit_id` of ``seq``). The log is append-only: nothing
        in this interface changes or deletes an entry (only :meth:`clear`, for tests).
        """

    @abc.abstractmethod
    def audit_entries(self) -> list[dict[str, Any]]:
        """Every audit entry, oldest first (by ``seq``), each with its ``seq`` and ``audit_id``."""

    @abc.abstractmethod
    def save_api_key(self, key: dict[str, Any]) -> None:
        """Store an API key record, upserted by ``key_id``, and move :meth:`api_keys_revision`.

        A record is ``{key_id, hash, role, label, created_at}`` (see
        :data:`API_KEY_FIELDS`; extra fields are kept). The raw key never
        reaches the store: a record with a ``key`` or ``raw_key`` field, or
        without ``key_id`` or ``hash``, is a ``ValueError``.

        Saving never undoes what happened to a stored key: it keeps the stored
        ``revoked_at`` (a relabelling that raced a revocation must not revive
        the key) and the later of the stored and the given ``last_used_at``.
        """

    @abc.abstractmethod
    def api_keys(self) -> list[dict[str, Any]]:
        """Every stored API key record, oldest first (by ``created_at``, then ``key_id``).

        Revoked keys are included, with ``revoked_at``; ``last_used_at`` is there
        once :meth:`record_api_key_use` recorded a use. A record that has neither
        comes back exactly as it was saved.
        """

    @abc.abstractmethod
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

    @abc.abstractmethod
    def record_api_key_use(self, key_id: str, *, at: str) -> None:
        """Set a key's ``last_used_at`` to ``at`` unless it already holds a later time.

        A no-op for an unknown key. Callers throttle it (the API records a key's
        use at most once a minute), so reads do not turn into writes. It need not
        move :meth:`api_keys_revision`.
        """

    @abc.abstractmethod
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

    @abc.abstractmethod
    def account(self, account_type: str, account_id: str) -> dict[str, Any] | None:
        """One account and the identifiers it uses, or ``None`` when the graph has no such account.

        An account exists when a snapshot made it: a creator or a shop when it
        is in its table, a seller when it owns a shop or has identity links, a
        buyer when it placed an order or has identity links (a ring member
        alone does not make an account).

        Returns
        -------
        dict or None
            ``{"type", "id", "identifiers": [{"type", "id", "shared_by"}]}``, where
            ``shared_by`` is the number of distinct accounts using the
            identifier (this one included), most shared first, then by id
            (:func:`sorted_identifiers`). A shop uses no identifiers.

        Raises
        ------
        ValueError
            ``account_type`` is not an account type (:data:`ringwatch.graph.model.ACCOUNT_LABELS`).
        """

    def neighbourhood(self, account_type: str, account_id: str, *, hops: int, limit: int,
                      per_node: int = DEFAULT_PER_NODE) -> dict[str, Any] | None:
        """The accounts and identifiers around one account, breadth first, or ``None`` when it is unknown.

        An investigator's question after "which rings is this account in?" is
        "who is it connected to?": the identifiers it uses, the shops it owns
        or trades with, the buyers and creators it trades with, and the same
        again one hop further. The walk is defined here, once, on top of each
        store's :meth:`_adjacent`, so both stores give the same answer for the
        same data.

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
        neighbours are taken in :func:`node_order` and only the first
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
        dict or None
            ``{"nodes": [{"id": "type:id", "type", "label"}], "edges": [{"source",
            "target", "type"}], "truncated": bool}``: nodes in the order they
            were reached (the account first), edges sorted by source, target;
            ``truncated`` when a node within ``hops`` was left out, by ``limit``
            or because a node expanded within ``hops`` had more than
            ``per_node`` neighbours. ``None`` when :meth:`account` would be ``None``.

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

    @abc.abstractmethod
    def _account_exists(self, account_type: str, account_id: str) -> bool:
        """Whether :meth:`account` would find the account (``account_type`` already checked)."""

    @abc.abstractmethod
    def _adjacent(self, nodes: Sequence[Node], per_node: int) -> Mapping[Node, Iterable[Node]]:
        """The neighbours of each of ``nodes`` (see :meth:`neighbourhood` for which ones).

        For each node, at least its first ``per_node + 1`` distinct neighbours in
        :func:`node_order` (all of them if it has fewer; more are allowed), so
        that the walk can take the first ``per_node`` and see that there were
        more. A node without neighbours may be missing from the result.
        """

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove everything, audit entries and API keys included (tests and ``ringwatch load --replace``)."""

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
    if account_type not in ACCOUNT_LABELS:
        raise ValueError(f"unknown account type {account_type!r}; "
                         f"known: {', '.join(sorted(ACCOUNT_LABELS))}")


def new_version(ring: dict[str, Any], expected_version: int) -> int:
    """The ``version`` of a ring about to replace ``expected_version``; ``ValueError`` unless it is higher.

    A write that kept the version would let a second writer holding the same
    ETag succeed too, so the version must move forward.
    """
    version = ring.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version <= expected_version:
        raise ValueError(f"ring {ring.get('ring_id')!r}: the new document's version must be an int "
                         f"greater than expected_version {expected_version}, got {version!r}")
    return version


def default_audit_id(seq: int) -> str:
    """The ``audit_id`` the store gives an entry that has none: ``A-`` and its zero-padded ``seq``."""
    return f"A-{seq:010d}"


def check_api_key(key: dict[str, Any]) -> None:
    """Raise ``ValueError`` for a key record that lacks ``key_id`` or ``hash``, or carries a raw key."""
    for field in ("key_id", "hash"):
        if not isinstance(key.get(field), str) or not key[field]:
            raise ValueError(f"an API key record needs a non-empty string {field!r}")
    raw = sorted({"key", "raw_key"} & set(key))
    if raw:
        raise ValueError(f"API key record {key['key_id']!r} has field(s) {', '.join(raw)}: "
                         "the raw key must never be stored, only its hash")


def upserted_api_key(stored: dict[str, Any] | None, key: dict[str, Any]) -> dict[str, Any]:
    """The record :meth:`GraphStore.save_api_key` keeps for ``key`` when ``stored`` is already there.

    A stored ``revoked_at`` wins (a revocation is never undone by a save), and
    ``last_used_at`` is the later of the two (ISO times compare as text).
    """
    if stored is None:
        return dict(key)
    record = dict(key)
    if stored.get("revoked_at"):
        record["revoked_at"] = stored["revoked_at"]
    used = max(str(stored.get("last_used_at") or ""), str(key.get("last_used_at") or ""))
    if used:
        record["last_used_at"] = used
    return record


def sorted_api_keys(keys: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Key records oldest first: by ``created_at`` (as given), then ``key_id``."""
    return sorted(keys, key=lambda k: (str(k.get("created_at") or ""), str(k["key_id"])))


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


def sorted_identifiers(identifiers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Identifiers of :meth:`GraphStore.account`: most shared first, then by id, then by type."""
    return sorted(identifiers, key=lambda i: (-int(i["shared_by"]), text_order(i["id"]),
                                              text_order(i["type"])))


def edge(a: Node, b: Node) -> dict[str, str]:
    """The edge between two adjacent nodes, in the direction the graph has it (USES, OWNS, TRADES, BOUGHT)."""
    for source, target in ((a, b), (b, a)):
        kinds = source[0], target[0]
        if kinds[0] in ("creator", "seller", "buyer") and kinds[1] in IDENTIFIER_LABELS:
            kind = "USES"
        elif kinds == ("seller", "shop"):
            kind = "OWNS"
        elif kinds == ("creator", "shop"):
            kind = "TRADES"
        elif kinds in (("buyer", "shop"), ("buyer", "creator")):
            kind = "BOUGHT"
        else:
            continue
        return {"source": node_key(source), "target": node_key(target), "type": kind}
    raise ValueError(f"no edge between a {a[0]} and a {b[0]}")


def node_key(node: Node) -> str:
    """A node's id in a neighbourhood: ``type:id`` (ids are opaque and may repeat across types)."""
    return f"{node[0]}:{node[1]}"


def walk(start: Node, adjacent: Callable[[Sequence[Node], int], Mapping[Node, Iterable[Node]]], *,
         hops: int, limit: int, per_node: int) -> dict[str, Any]:
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
