"""The Neo4j store: the graph of docs/contract.md in a real Neo4j 5 database, through the official driver.

Why it exists beside the local store: investigators query the graph itself
(Cypher, Neo4j's tools), and Neo4j keeps one graph that several processes read
and write. Everything it does goes through :meth:`Neo4jStore._run`, which
loads a statement by name from :mod:`ringwatch.cypher`, binds every value as a
parameter and runs it in a managed transaction (the driver retries transient
failures, so every write statement is an idempotent ``MERGE``); driver errors
become :class:`~ringwatch.graph.errors.QueryError` naming the statement.

The review API's writes are the exceptions, and safe to retry all the same,
because the driver only retries a transaction that was rolled back:
``append_audit`` CREATEs an entry numbered by a locked sequence node, and
``update_ring`` is a compare-and-set that locks the ring before reading its
version (a plain ``MATCH ... WHERE version = $expected SET ...`` reads without
a lock under Neo4j's read-committed isolation, and concurrent writers holding
the same version would all succeed).

Every wait is bounded (:class:`~ringwatch.store_settings.Neo4jTimeouts`, from the
``RINGWATCH_NEO4J_*`` settings): opening a
connection (TCP, Bolt handshake, login) or waiting for a pooled one, each
transaction (a time limit the server enforces), and the driver's retries of
transient failures, so that a hung or frozen server fails a command within
seconds instead of a minute or more. A server that freezes in the middle of a
statement fails it within the transaction time limit too (:func:`_bound_receive`),
not the receive timeout the server announced at login (Neo4j's default: two
minutes), which only clearing statements (no time limit) keep.

Snapshots are written as ``UNWIND $rows`` batches of ``batch_size`` rows per
transaction (:mod:`~ringwatch.graph.neo4j_ingest`: rows whose key is new to the
database are CREATEd, the others MERGEd), each batch converted from its DataFrame
by whole columns;
timestamps travel as epoch microseconds and become Neo4j ``DATETIME`` values in
Cypher, which is much faster than building Python datetime objects and keeps
their full precision (``refunded_after_commission`` compares them).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import pandas as pd
from neo4j import (
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationDisabledCategory,
    Query,
    Result,
    unit_of_work,
)
from neo4j.exceptions import (
    AuthError,
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from ringwatch import cypher
from ringwatch.domain import ApiKey, AuditEntry, Case, Ring, Run, Verdict
from ringwatch.store_settings import Neo4jSettings
from ringwatch.tables import Snapshot

from .capabilities import IdentifierUse, KeyRevocation, Node, WriteProgress
from .errors import (
    IncompleteGenerationError,
    QueryError,
    StoreError,
    StoreTimeoutError,
    StoreUnavailableError,
)
from .kept_projections import PreparedProjections, as_kept, prepared_projections
from .model import RELATIONSHIP_TYPES, member_labels, node_labels
from .neo4j_ingest import write_tables
from .neo4j_projections import Neo4jProjections
from .projections import PROJECTIONS
from .store import GraphStore, numbered

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How a statement runs: a managed read or write transaction (retried by the driver on
#: transient errors), or ``auto``: an implicit transaction, which ``CALL {...} IN
#: TRANSACTIONS`` needs.
Mode = Literal["read", "write", "auto"]

#: Statements that run without a transaction time limit: clearing deletes the whole graph in
#: inner transactions, and how long that takes grows with the graph, not with a batch.
_UNTIMED: frozenset[str] = frozenset({"clear", "clear_snapshot", "clear_detections"})

#: How much longer than a transaction's time limit a reply may take from a live server: Neo4j
#: checks the limits every 2 s (db.transaction.monitor.check.interval), then sends its error.
_SERVER_TIMEOUT_LAG = 3.0

#: The server's error code (a prefix) for a transaction stopped by its time limit.
_TIMED_OUT_CODE = "Neo.ClientError.Transaction.TransactionTimedOut"

#: The server's error code for a write that would give a second node the same key.
_DUPLICATE_CODE = "Neo.ClientError.Schema.ConstraintValidationFailed"

#: Codes of a transaction stopped while it waited (for a lock): by its time limit, by an
#: operator, or by a shutdown. After at least the time limit, it was the limit.
_STOPPED_CODES: frozenset[str] = frozenset({
    "Neo.ClientError.Transaction.LockClientStopped",
    "Neo.TransientError.Transaction.LockClientStopped",
    "Neo.ClientError.Transaction.Terminated",
    "Neo.TransientError.Transaction.Terminated",
})


class Neo4jStore(GraphStore):
    """A :class:`GraphStore` in a Neo4j 5 database (Community is enough).

    Parameters
    ----------
    settings:
        Where and as whom to connect (``bolt://`` or ``neo4j://``), the database
        (Community has one: ``neo4j``) and how long to wait for the server;
        :meth:`Neo4jSettings.from_env <ringwatch.store_settings.Neo4jSettings.from_env>`
        reads them from the environment. An empty password is refused
        (:class:`StoreUnavailableError`): there is no safe default.
    batch_size:
        Rows per write transaction: large enough that a commit is rare, small
        enough that one transaction stays well inside Neo4j's memory.
    ingest_workers:
        Sessions that write a snapshot table's batches side by side, in lanes that
        name no node in common (1: one after the other); None: the settings'
        ``write_sessions`` (``RINGWATCH_NEO4J_WRITE_SESSIONS``, default 2).

    Example
    -------
    >>> with Neo4jStore(Neo4jSettings.from_env()) as store:  # doctest: +SKIP
    ...     store.write_snapshot(load_snapshot("data/").snapshot)
    ...     store.projection("creator_shop_trade")
    """

    backend = "neo4j"

    def __init__(self, settings: Neo4jSettings, *, batch_size: int = 10_000,
                 ingest_workers: int | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not settings.password:
            raise StoreUnavailableError(
                "RINGWATCH_NEO4J_PASSWORD is not set: set it to the password of the Neo4j user "
                "(RINGWATCH_NEO4J_USER, default 'neo4j') to use the neo4j backend")
        uri = self.uri = settings.uri
        self.database = settings.database
        self.batch_size = batch_size
        self.ingest_workers = settings.write_sessions if ingest_workers is None else ingest_workers
        if self.ingest_workers < 1:
            raise ValueError(f"ingest_workers must be >= 1, got {self.ingest_workers}")
        self.timeouts = settings.timeouts
        try:
            # Absent labels and properties are normal (a snapshot without violations), and so is
            # an index that exists (schema.cypher is all IF NOT EXISTS): keep the server's
            # "unrecognized" and "schema" notices out of the log. The handshake of a new
            # connection waits for the acquisition timeout, not the connection timeout: both
            # are bounded. The projections' table reads join on internal node ids (id(), which
            # Neo4j 5 calls deprecated): without DEPRECATION here, every run logs a warning each.
            self._driver: Driver = GraphDatabase.driver(
                uri, auth=(settings.user, settings.password),
                notifications_disabled_categories=[NotificationDisabledCategory.UNRECOGNIZED,
                                                   NotificationDisabledCategory.SCHEMA,
                                                   NotificationDisabledCategory.DEPRECATION],
                connection_timeout=self.timeouts.connect,
                connection_acquisition_timeout=self.timeouts.connect,
                max_transaction_retry_time=self.timeouts.retry)
        except (DriverError, ValueError) as exc:
            raise StoreUnavailableError(f"cannot use Neo4j URI {uri!r}: {exc}") from exc
        self._schema_ready = False
        self._projections = Neo4jProjections(self._read_columns, self._read_kept)

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r}, database={self.database!r})"

    def verify(self) -> None:
        """Check that the server answers and accepts the credentials; raise if not.

        The driver connects lazily, so without this a wrong password or a
        stopped server would only show at the first query.
        """
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError) as exc:
            if _timed_out(exc):
                raise StoreTimeoutError(self._no_answer()) from exc
            raise StoreUnavailableError(f"Neo4j at {self.uri} is not usable: {exc}") from exc

    def _no_answer(self, during: str = "") -> str:
        """The one line for a server that did not answer in time (the driver's text is in the cause)."""
        return (f"Neo4j at {self.uri} did not answer within {self.timeouts.connect:g} s{during}: "
                "it is hung, frozen or overloaded, or that address is not a Neo4j Bolt port "
                "(RINGWATCH_NEO4J_TIMEOUT sets the wait)")

    def close(self) -> None:
        self._driver.close()

    # --- the one query runner ---------------------------------------------------------------

    def _run(self, name: str, consume: Callable[[Result], T] | None = None, *,
             mode: Mode = "read", retry_as: str | None = None, **params: Any) -> T | None:
        """Run every statement of ``cypher/NAME.cypher`` in one transaction; return ``consume``'s result.

        ``consume`` reads the last statement's result inside the transaction
        (a managed transaction's result is gone once the function returns).
        ``retry_as`` names the statement that runs instead when the driver retries
        the transaction, or when ``name`` breaks a uniqueness constraint: for a
        statement that is right only the first time (the ingest's CREATEs,
        :mod:`~ringwatch.graph.neo4j_ingest`), its idempotent twin.
        """
        statements = cypher.statements(name)
        attempts = 0
        read = consume or _drain
        limit = None if name in _UNTIMED else self.timeouts.query
        started = time.monotonic()

        @unit_of_work(timeout=limit)
        def work(tx: ManagedTransaction) -> T | None:
            nonlocal attempts
            _bound_receive(getattr(tx, "_connection", None), limit)
            attempts += 1
            out = None
            for text in (statements if attempts == 1 or retry_as is None
                         else cypher.statements(retry_as)):
                out = read(tx.run(text, params))
            return out

        try:
            with self._driver.session(database=self.database) as session:
                if mode == "write":
                    return session.execute_write(work)
                if mode == "read":
                    return session.execute_read(work)
                _bound_auto_session(session, limit)
                out = None
                for text in statements:
                    out = read(session.run(Query(text, timeout=limit), params))
                return out
        except (Neo4jError, DriverError) as exc:
            if retry_as is not None and isinstance(exc, Neo4jError) and exc.code == _DUPLICATE_CODE:
                return self._run(retry_as, consume, mode=mode, **params)
            raise self._translated(exc, name, retried=mode != "auto", timed=limit is not None
                                   and time.monotonic() - started >= limit) from exc

    def _translated(self, exc: Neo4jError | DriverError, name: str, *, retried: bool,
                    timed: bool) -> StoreError:
        """The store error a driver error while running statement ``name`` stands for.

        Timeouts name the setting that bounds them (``timed``: the statement ran
        for at least its time limit, so a transaction the server stopped was
        stopped by the limit); an unreachable server is
        :class:`StoreUnavailableError` (exit 3: retry later), saying how long the
        driver retried when it did; any other failure of the statement is a
        :class:`QueryError` naming it.
        """
        code = exc.code if isinstance(exc, Neo4jError) else None
        if code and (code.startswith(_TIMED_OUT_CODE) or (timed and code in _STOPPED_CODES)):
            limit = (f"within {self.timeouts.query:g} s, the transaction time limit "
                     "(RINGWATCH_NEO4J_QUERY_TIMEOUT)" if self.timeouts.query is not None else
                     "within the server's transaction time limit (db.transaction.timeout)")
            return StoreTimeoutError(f"Cypher statement {name!r} did not finish {limit}, on Neo4j "
                                     f"at {self.uri}")
        gave_up = (f" (retried for {self.timeouts.retry:g} s, RINGWATCH_NEO4J_RETRY_TIME)"
                   if retried and exc.is_retryable() else "")
        timed_out = _timed_out(exc)
        if timed_out == "connect":
            return StoreTimeoutError(self._no_answer(f" while running Cypher statement {name!r}"
                                                     f"{gave_up}"))
        if timed_out == "read":
            within = ("within the receive timeout the server announced at login"
                      if name in _UNTIMED or self.timeouts.query is None else
                      f"within {self.timeouts.query:g} s (RINGWATCH_NEO4J_QUERY_TIMEOUT)")
            return StoreTimeoutError(
                f"Neo4j at {self.uri} stopped answering during Cypher statement {name!r}: no reply "
                f"{within}{gave_up}")
        if isinstance(exc, ServiceUnavailable | SessionExpired | AuthError):
            return StoreUnavailableError(f"Neo4j at {self.uri} failed while running Cypher "
                                         f"statement {name!r}{gave_up}: {exc}")
        return QueryError(f"Cypher statement {name!r} failed: {exc}")

    def _ensure_schema(self) -> None:
        """Create the constraints and indexes (all ``IF NOT EXISTS``) once per store object."""
        if not self._schema_ready:
            self.create_schema()

    def create_schema(self) -> None:
        """Create the constraints and indexes now, even if this store object did before.

        For a store written behind the driver's back (the offline importer of
        :mod:`~ringwatch.graph.neo4j_bulk` makes new store files without them).
        """
        self._run("schema", mode="write")
        self._schema_ready = True

    def holds_nothing(self) -> bool:
        """Whether the database has no node at all: no snapshot, and no key, audit entry or verdict."""
        return bool(self._run("holds_nothing", lambda result: result.single(strict=True)["empty"]))

    # --- snapshots --------------------------------------------------------------------------

    def _write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None,
                        replace: bool) -> dict[str, int]:
        """Write each table in batches of :attr:`batch_size` rows, one transaction per batch.

        The load is a snapshot generation: a :SnapshotGeneration marker is
        written incomplete before anything else and completed last, and every
        reader refuses the graph while a marker is incomplete
        (:meth:`_check_complete`), so a load killed half way is named, never
        detected on. Progress is reported once per batch, with the rows of that
        batch (not the relationships a row makes, nor a running total). With
        ``replace``, the graph (but not the API keys, the audit log and the
        verdicts) is cleared only after the snapshot passed its check and the
        server answered the schema statement, so a refused or unreachable load
        leaves the previous graph in place; the runs and rings go only once
        every table is written, so a killed load keeps them and their review status.
        The projections of the new generation are kept just before it is
        completed (:meth:`_keep_projections`).
        """
        self._ensure_schema()
        generation = _new_generation_id()
        whole = replace or not any(self._snapshot_state()[1])  # the graph will be this snapshot
        self._run("begin_generation", mode="write", generation=generation)
        if replace:
            self._run("clear_snapshot", mode="auto", batch_size=self.batch_size)
        written = write_tables(self._run, snapshot, batch_size=self.batch_size,
                               progress=progress, workers=self.ingest_workers)
        if replace:
            self._run("clear_detections", mode="auto", batch_size=self.batch_size)
        self._keep_projections(generation, snapshot if whole else None)
        self._run("complete_generation", mode="write", generation=generation)
        return written

    def complete_import(self, snapshot: Snapshot, *,
                        prepared: PreparedProjections | None = None) -> None:
        """Make what the offline importer wrote a complete generation, its projections kept.

        :mod:`~ringwatch.graph.neo4j_bulk` calls it once the server is back on the
        imported store, which holds ``snapshot`` and nothing else: a marker begun,
        the projections of ``snapshot`` kept (``prepared``: computed already, while
        the importer ran), the marker completed.
        """
        generation = _new_generation_id()
        self._run("begin_generation", mode="write", generation=generation)
        self._keep_projections(generation, snapshot, prepared=prepared)
        self._run("complete_generation", mode="write", generation=generation)

    def _keep_projections(self, generation: str, snapshot: Snapshot | None, *,
                          prepared: PreparedProjections | None = None) -> None:
        """Compute the projections of ``generation``, whose tables are all written, and keep them.

        ``snapshot``: the graph holds exactly it (a replacing load, a load into a
        graph that held no snapshot, an import), so the projections come from its
        tables as the store keeps them (one row per key), or are ``prepared``
        from them already; ``None``: from the tables read out of the graph (a
        load that added to a snapshot).
        """
        started = time.perf_counter()
        if prepared is None and snapshot is not None:
            prepared = prepared_projections(as_kept(snapshot))
        kept = self._projections.keep(self._snapshot_key(generation), generation,
                                      self._write_kept, prepared=prepared)
        log.info("projections of generation %s kept in %.1f s (%.1f MB, from %s)", generation,
                 time.perf_counter() - started, kept / 1e6,
                 "the snapshot" if snapshot is not None else "the tables read from the graph")

    def _check_complete(self) -> None:
        """Raise :class:`IncompleteGenerationError` naming the load that never completed, if any."""
        row = self._run("incomplete_generation", lambda result: result.single(strict=False))
        if row is not None:
            raise IncompleteGenerationError(
                f"the snapshot generation {row['generation']} in Neo4j at {self.uri} (begun "
                f"{row['started_at']}) is incomplete (its load was interrupted, or is still "
                "running): load the snapshot again")

    def counts(self) -> dict[str, int]:
        self._check_complete()
        row = self._run("counts", lambda result: result.single(strict=True).data())
        assert row is not None
        return {name: int(row[name]) for name in (*node_labels(), *RELATIONSHIP_TYPES)}

    def projection(self, name: str) -> pd.DataFrame:
        """Projection ``name``, computed from the snapshot's tables read in columns.

        See :mod:`~ringwatch.graph.neo4j_projections`: the tables are kept for the
        generation they were read from. The generation is checked before and after
        the read, so tables that a load began or completed while they were read
        are never used.
        """
        if name not in PROJECTIONS:
            raise KeyError(f"unknown projection {name!r}; known: {', '.join(PROJECTIONS)}")
        self._check_complete()
        generation = self._snapshot_key()
        frame = self._projections.projection(name, generation)
        self._check_complete()
        if self._snapshot_key() != generation:
            self._projections.forget()
            raise IncompleteGenerationError(
                f"a load into Neo4j at {self.uri} completed while projection {name!r} was read "
                "from the previous snapshot generation: run the detection again")
        return frame

    def _snapshot_state(self) -> tuple[str | None, list[int]]:
        """The latest complete generation's id and the snapshot's sizes (projection_generation)."""
        row = self._run("projection_generation", lambda result: result.single(strict=True))
        assert row is not None
        return row["generation"], [int(size) for size in row["sizes"]]

    def _snapshot_key(self, generation: str | None = None) -> str:
        """What identifies the snapshot now: its generation id and sizes.

        ``generation``: the id of a load's generation not completed yet (its
        projections are kept under the key readers will compute once it is).
        """
        latest, sizes = self._snapshot_state()
        return f"{generation or latest}/{'.'.join(str(size) for size in sizes)}"

    def _read_kept(self, key: str, name: str) -> bytes | None:
        """The bytes of projection ``name`` kept under ``key``; ``None`` unless every part is there."""
        rows = self._run("kept_projection", lambda result: result.values("part", "parts", "data"),
                         key=key, projection=name) or []
        if not rows or [part for part, _, _ in rows] != list(range(int(rows[0][1]))):
            return None
        return b"".join(bytes(data) for _, _, data in rows)

    def _write_kept(self, **params: Any) -> None:
        """Write one part of a kept projection (keep_projection.cypher)."""
        self._run("keep_projection", mode="write", **params)

    def _read_columns(self, name: str, **params: Any) -> dict[str, list[Any]]:
        """Run read statement ``name`` and return its columns (see :func:`_columns`)."""
        return self._run(name, _columns, **params) or {}

    # --- rings and runs: records in, JSON documents in Neo4j ----------------------------------

    def save_run(self, run: Run, rings: Iterable[Ring]) -> None:
        self._ensure_schema()
        batch: list[dict[str, Any]] = []
        for ring in rings:
            batch.append(_ring_row(ring, run.run_id))
            if len(batch) >= self.batch_size:
                self._run("save_rings", mode="write", rings=batch)
                batch = []
        if batch:
            self._run("save_rings", mode="write", rings=batch)
        # The run is recorded last: a run that is listed had all its rings written.
        doc = run.to_json()
        self._run("save_run", mode="write", run_id=run.run_id, props=_flat(doc),
                  doc=json.dumps(doc))

    def _stored_rings(self) -> Iterable[Ring]:
        docs = self._run("rings", lambda result: result.value("doc")) or []
        return [Ring.from_json(json.loads(doc)) for doc in docs]

    def runs(self) -> list[Run]:
        docs = self._run("runs", lambda result: result.value("doc")) or []
        return [Run.from_json(json.loads(doc)) for doc in docs]

    def ring(self, ring_id: str) -> Ring | None:
        record = self._run("ring", lambda result: result.single(strict=False), ring_id=ring_id)
        return Ring.from_json(json.loads(record["doc"])) if record is not None else None

    def _replace_ring(self, ring: Ring, *, expected_version: int, version: int) -> bool:
        self._ensure_schema()
        props = {**_ring_searchables(ring), "version": version, "doc": json.dumps(ring.to_json())}
        updated = self._run("update_ring", lambda result: result.single(strict=True)["updated"],
                            mode="write", ring_id=ring.ring_id, expected_version=expected_version,
                            props=props)
        return bool(updated)

    # --- audit log, verdicts and API keys ---------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> None:
        self._ensure_schema()
        self._run("append_audit", mode="write", doc=json.dumps(entry.to_json()),
                  audit_id=entry.audit_id or None)

    def audit_entries(self) -> list[AuditEntry]:
        rows = self._run("audit_entries", lambda result: result.values("seq", "doc")) or []
        return [numbered(AuditEntry.from_json(json.loads(doc)), seq) for seq, doc in rows]

    def append_verdict(self, verdict: Verdict) -> None:
        self._ensure_schema()
        self._run("append_verdict", mode="write", doc=json.dumps(verdict.to_json()),
                  ring_id=verdict.ring_id, kind=verdict.kind)

    def verdicts(self) -> list[Verdict]:
        docs = self._run("verdicts", lambda result: result.value("doc")) or []
        return [Verdict.from_json(json.loads(doc)) for doc in docs]

    def case(self, case_id: str) -> Case | None:
        record = self._run("case", lambda result: result.single(strict=False), case_id=case_id)
        return Case.from_json(json.loads(record["doc"])) if record is not None else None

    def _stored_cases(self) -> Iterable[Case]:
        docs = self._run("cases", lambda result: result.value("doc")) or []
        return [Case.from_json(json.loads(doc)) for doc in docs]

    def _insert_case(self, case: Case) -> bool:
        self._ensure_schema()  # the MERGE relies on the case_id constraint
        created = self._run("create_case", lambda result: result.single(strict=True)["created"],
                            mode="write", case_id=case.case_id, doc=json.dumps(case.to_json()),
                            version=case.version, owner=case.owner, status=case.status.value,
                            created_at=case.created_at)
        return bool(created)

    def _replace_case(self, case: Case, *, expected_version: int) -> bool:
        self._ensure_schema()
        updated = self._run("update_case", lambda result: result.single(strict=True)["updated"],
                            mode="write", case_id=case.case_id, expected_version=expected_version,
                            version=case.version, doc=json.dumps(case.to_json()),
                            owner=case.owner, status=case.status.value)
        return bool(updated)

    def _save_api_key(self, key: ApiKey) -> None:
        self._ensure_schema()
        self._run("save_api_key", mode="write", key_id=key.key_id, role=key.role,
                  created_at=_text_or_none(key.created_at), doc=json.dumps(key.to_json()),
                  revoked_at=_text_or_none(key.revoked_at or None),
                  last_used_at=_text_or_none(key.last_used_at or None),
                  revision=uuid.uuid4().hex)

    def _api_key_records(self) -> Iterable[ApiKey]:
        rows = self._run("api_keys", lambda result: result.values(
            "doc", "revoked_at", "last_used_at")) or []
        return [_key_record(*row) for row in rows]

    def revoke_api_key(self, key_id: str, *, at: str) -> KeyRevocation | None:
        self._ensure_schema()  # the revision's MERGE relies on the Sequence constraint
        row = self._run("revoke_api_key", lambda result: result.single(strict=False), mode="write",
                        key_id=key_id, at=at, revision=uuid.uuid4().hex)
        if row is None:
            return None
        record = _key_record(row["doc"], row["revoked_at"], row["last_used_at"])
        return KeyRevocation(record, revoked_now=bool(row["revoked_now"]))

    def record_api_key_use(self, key_id: str, *, at: str) -> None:
        self._run("record_api_key_use", mode="write", key_id=key_id, at=at)

    def api_keys_revision(self) -> Hashable:
        # Auto-commit: no BEGIN and COMMIT around a one-statement read that the API makes for
        # every request (about 15 % faster); a transient failure is not retried here, the
        # request gets a 503 and the next one asks again.
        value, token = self._run("api_keys_revision", lambda result: result.single(strict=True).values(),
                                 mode="auto") or (None, None)
        return None if value is None else (value, token)

    # --- accounts and neighbourhoods --------------------------------------------------------

    def _account_exists(self, account_type: str, account_id: str) -> bool:
        found = self._run("account_exists", lambda result: result.single(strict=True)["found"],
                          account_type=account_type, account_id=account_id)
        return bool(found)

    def _identifiers(self, account_type: str, account_id: str) -> list[IdentifierUse] | None:
        rows = self._run("account", lambda result: result.data(), account_type=account_type,
                         account_id=account_id)
        if not rows:
            return None
        return [{"type": r["type"], "id": r["id"], "shared_by": int(r["shared_by"])}
                for r in rows if r["id"] is not None]

    def _adjacent(self, nodes: Sequence[Node], per_node: int) -> Mapping[Node, Iterable[Node]]:
        rows = self._run("neighbours", lambda result: result.values("from_type", "from_id", "type", "id"),
                         nodes=[{"type": node_type, "id": node_id} for node_type, node_id in nodes],
                         first=per_node + 1) or []
        out: dict[Node, list[Node]] = {}
        for from_type, from_id, node_type, node_id in rows:
            out.setdefault((from_type, from_id), []).append((node_type, node_id))
        return out

    def clear(self) -> None:
        self._run("clear", mode="auto", batch_size=self.batch_size)
        self._projections.forget()


def _new_generation_id() -> str:
    """A new snapshot generation's id: when it began, and a random part."""
    return f"g-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"


def _bound_receive(connection: object, limit: float | None) -> None:
    """Make a frozen server fail a statement within its time limit, not the server's 120 s.

    The server enforces a transaction's time limit itself, so a server that
    froze (SIGSTOP, a stalled VM, a full GC that never ends) never sends the
    error, and the driver waits for the receive timeout the server announced at
    login (``connection.recv_timeout_seconds``: two minutes by default), whatever
    ``RINGWATCH_NEO4J_QUERY_TIMEOUT`` says. So each statement's connection
    waits for a reply at most its time limit and :data:`_SERVER_TIMEOUT_LAG`
    (a live server replies within that: the result, or its own timeout error,
    which is not retried, unlike a lost connection); an untimed statement
    (clearing) gets the announced timeout back.
    The driver has no public setting for this, so it reaches the connection's
    socket; should a driver release move it, nothing changes but the bound
    (``tests/graph/test_neo4j_frozen.py`` freezes a real server to notice).
    """
    sock = getattr(connection, "socket", None)
    if sock is None or not hasattr(sock, "settimeout"):
        return
    if limit is None:
        hints = getattr(connection, "connection_hints", None) or {}
        announced = hints.get("connection.recv_timeout_seconds")
        sock.settimeout(announced if isinstance(announced, int) and announced > 0 else None)
    else:
        sock.settimeout(limit + _SERVER_TIMEOUT_LAG)


def _bound_auto_session(session: Any, limit: float | None) -> None:
    """:func:`_bound_receive` for an auto-commit statement: its session connects first."""
    connect = getattr(session, "_connect", None)
    if connect is None:
        return
    if getattr(session, "_connection", None) is None:
        connect(None)
    _bound_receive(getattr(session, "_connection", None), limit)


def _timed_out(exc: BaseException) -> Literal["connect", "read"] | None:
    """Whether a driver error means the server did not answer in time, and when.

    ``"connect"``: while a connection was opened (TCP connect, Bolt handshake,
    login) or taken from the pool, bounded by :attr:`~ringwatch.store_settings.Neo4jTimeouts.connect`;
    ``"read"``: while a statement waited for its reply, bounded by the receive
    timeout the server announced. The driver says so in several shapes: a
    :class:`ServiceUnavailable` whose cause (or context) is a socket timeout, or
    a :class:`ClientError` without a server code when no pooled connection was
    free in time (a driver-made error, a DriverError from the 6.x driver on).
    """
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and all(cause is not seen for seen in chain):
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    text = " ".join(str(e) for e in chain).lower()
    if isinstance(exc, ClientError) and exc.code is None and "failed to obtain a connection" in text:
        return "connect"
    if not any(isinstance(e, TimeoutError) for e in chain):
        return None
    return "connect" if any(m in text for m in ("establish connection", "handshake",
                                                 "couldn't connect")) else "read"


def _columns(result: Result) -> dict[str, list[Any]]:
    """A result whose rows hold whole columns (lists), as one list per column.

    The projections' table reads return one row of lists (a few, if a statement
    splits its columns): the driver decodes a list of a million values many times
    faster than a million records.
    """
    columns: dict[str, list[Any]] = {}
    for record in result:
        for key, values in zip(record.keys(), record.values(), strict=True):
            columns.setdefault(key, []).extend(values)
    return columns


def _drain(result: Result) -> None:
    """Read a result to its end (its summary is all a write statement returns)."""
    result.consume()


# --- rings and runs as Neo4j properties --------------------------------------------------------

_SCALARS = (str, int, float, bool)


def _flat(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's fields as Neo4j properties: scalars as they are, nested values as JSON text."""
    return {key: value if value is None or isinstance(value, _SCALARS) else json.dumps(value)
            for key, value in record.items()}


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _key_record(doc: str, revoked_at: str | None, last_used_at: str | None) -> ApiKey:
    """An API key record as saved, with the revocation and last use kept as node properties."""
    record = ApiKey.from_json(json.loads(doc))
    return dataclasses.replace(record, revoked_at=revoked_at or record.revoked_at,
                               last_used_at=last_used_at or record.last_used_at)


def _ring_searchables(ring: Ring) -> dict[str, Any]:
    """The ring's fields an investigator's Cypher filters on (docs/contract.md, "Graph model").

    The whole ring stays in ``doc`` (the JSON the store reads back); these are copies that
    a query can match without parsing JSON: the evidence as three parallel lists (``codes[i]``
    goes with ``weights[i]`` and ``texts[i]``), and the last review's time as a DATETIME so
    that "confirmed last week" is a range query. Rings saved before these existed lack them;
    their next save or review adds them.
    """
    last = ring.reviews[-1] if ring.reviews else None
    return {
        "kind": str(ring.kind),
        "score": ring.score,
        "status": ring.status,
        "evidence_codes": [e.code for e in ring.evidence],
        "evidence_weights": [round(float(e.weight), 4) for e in ring.evidence],
        "evidence_texts": [e.text for e in ring.evidence],
        "reviewed_at": _datetime_or_none(last.at) if last else None,
        "reviewed_by": last.actor if last else None,
    }


def _datetime_or_none(stamp: str) -> datetime | None:
    """An ISO time as a timezone-aware datetime (a Neo4j DATETIME); ``None`` if it does not parse."""
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ring_row(ring: Ring, run_id: str) -> dict[str, Any]:
    """One ``$rings`` entry of save_rings.cypher: searchable fields, the whole ring, its members."""
    known = member_labels()  # save_rings.cypher has a branch per label
    unknown = sorted({str(m.type) for m in ring.members} - set(known))
    if unknown:
        raise StoreError(f"ring {ring.ring_id!r} has members of unknown type "
                         f"{', '.join(unknown)}; known: {', '.join(sorted(known))}")
    props = {
        "ring_id": ring.ring_id,
        **_ring_searchables(ring),
        "first_detected": ring.first_detected,
        "last_run_id": ring.extra.get("last_run_id") or run_id,
        "version": ring.version,  # update_ring compares it (absent counts as 0)
        "doc": json.dumps(ring.to_json()),
    }
    # SET g = props drops null entries: a ring never reviewed has no reviewed_at at all.
    props = {key: value for key, value in props.items() if value is not None}
    return {"props": props, "members": [m.to_json() for m in ring.members]}
