"""The Neo4j store: the graph of CONTRACT.md in a real Neo4j 5 database, through the official driver.

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

Snapshots are written as ``UNWIND $rows`` batches of ``batch_size`` rows per
transaction, each batch converted from its DataFrame in one vectorised step;
timestamps travel as epoch microseconds and become Neo4j ``DATETIME`` values in
Cypher, which is much faster than building Python datetime objects and keeps
their full precision (``refunded_after_commission`` compares them).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
from neo4j import (
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationDisabledCategory,
    Result,
)
from neo4j.exceptions import (
    AuthError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)
from ringwatch import cypher
from ringwatch.loaders import TABLES, Snapshot
from ringwatch.loaders.schema import Kind

from .errors import QueryError, StoreError, StoreUnavailableError
from .model import ACCOUNT_LABELS, IDENTIFIER_LABELS, NODE_LABELS, RELATIONSHIP_TYPES
from .projections import PROJECTIONS, normalise
from .store import (
    GraphStore,
    KeyRevocation,
    Node,
    WriteProgress,
    WriteReport,
    check_account_type,
    check_api_key,
    default_audit_id,
    new_version,
    sorted_api_keys,
    sorted_identifiers,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How a statement runs: a managed read or write transaction (retried by the driver on
#: transient errors), or ``auto``: an implicit transaction, which ``CALL {...} IN
#: TRANSACTIONS`` needs.
Mode = Literal["read", "write", "auto"]

DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"

#: Ring member types (CONTRACT.md section 2) that save_rings.cypher knows a label for.
MEMBER_TYPES: frozenset[str] = frozenset({*ACCOUNT_LABELS, *IDENTIFIER_LABELS})


@dataclass(frozen=True)
class _TableWrite:
    """How one snapshot table becomes the rows of its write statement.

    ``id_columns`` make the node's ``id`` (joined by ``|`` when several; none for a
    table that only holds relationships); ``references`` are sent beside the
    properties because they name other nodes (relationships), not properties.
    Every other column, extra ones included, is a property; timestamp columns
    travel separately as epoch microseconds.
    """

    statement: str
    id_columns: tuple[str, ...]
    references: tuple[str, ...]


_WRITES: dict[str, _TableWrite] = {
    "creators": _TableWrite("write_creators", ("creator_id",), ("agency_id",)),
    "shops": _TableWrite("write_shops", ("shop_id",), ("seller_id",)),
    "identity_links": _TableWrite(
        "write_identity_links", (),
        ("account_type", "account_id", "identifier_type", "identifier")),
    "orders": _TableWrite("write_orders", ("order_id",), ("buyer_id", "shop_id", "creator_id")),
    "commissions": _TableWrite("write_commissions", ("commission_id",),
                               ("order_id", "creator_id")),
    "affiliations": _TableWrite("write_affiliations", (), ("creator_id", "shop_id")),
    "violations": _TableWrite("write_violations", ("creator_id", "policy", "occurred_at"),
                              ("creator_id",)),
    "allowlist": _TableWrite("write_allowlist", ("identifier_type", "identifier"), ()),
}

_TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    spec.name: tuple(c.name for c in spec.columns if c.kind is Kind.TIMESTAMP) for spec in TABLES
}


class Neo4jStore(GraphStore):
    """A :class:`GraphStore` in a Neo4j 5 database (Community is enough).

    Parameters
    ----------
    uri, user, password:
        Where and as whom to connect (``bolt://`` or ``neo4j://``).
    database:
        The database to use (Community has one: ``neo4j``).
    batch_size:
        Rows per write transaction: large enough that a commit is rare, small
        enough that one transaction stays well inside Neo4j's memory.

    Example
    -------
    >>> with Neo4jStore.from_env() as store:  # doctest: +SKIP
    ...     store.write_snapshot(load_snapshot("data/").snapshot)
    ...     store.projection("creator_shop_trade")
    """

    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, *, database: str = DEFAULT_DATABASE,
                 batch_size: int = 10_000) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.uri = uri
        self.database = database
        self.batch_size = batch_size
        try:
            # Absent labels and properties are normal (a snapshot without violations): keep the
            # server's "unrecognized" notices out of the log.
            self._driver: Driver = GraphDatabase.driver(
                uri, auth=(user, password),
                notifications_disabled_categories=[NotificationDisabledCategory.UNRECOGNIZED])
        except (DriverError, ValueError) as exc:
            raise StoreUnavailableError(f"cannot use Neo4j URI {uri!r}: {exc}") from exc
        self._schema_ready = False

    @classmethod
    def from_env(cls, *, batch_size: int = 10_000) -> Neo4jStore:
        """A store configured from ``RINGWATCH_NEO4J_*`` environment variables.

        ``RINGWATCH_NEO4J_URI`` (default ``bolt://127.0.0.1:7687``),
        ``RINGWATCH_NEO4J_USER`` (default ``neo4j``), ``RINGWATCH_NEO4J_PASSWORD``
        (required: there is no safe default password) and
        ``RINGWATCH_NEO4J_DATABASE`` (default ``neo4j``).
        """
        password = os.environ.get("RINGWATCH_NEO4J_PASSWORD")
        if not password:
            raise StoreUnavailableError(
                "RINGWATCH_NEO4J_PASSWORD is not set: set it to the password of the Neo4j user "
                "(RINGWATCH_NEO4J_USER, default 'neo4j') to use the neo4j backend")
        return cls(
            os.environ.get("RINGWATCH_NEO4J_URI") or DEFAULT_URI,
            os.environ.get("RINGWATCH_NEO4J_USER") or DEFAULT_USER,
            password,
            database=os.environ.get("RINGWATCH_NEO4J_DATABASE") or DEFAULT_DATABASE,
            batch_size=batch_size,
        )

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
            raise StoreUnavailableError(f"Neo4j at {self.uri} is not usable: {exc}") from exc

    def close(self) -> None:
        self._driver.close()

    # --- the one query runner ---------------------------------------------------------------

    def _run(self, name: str, consume: Callable[[Result], T] | None = None, *,
             mode: Mode = "read", **params: Any) -> T | None:
        """Run every statement of ``cypher/NAME.cypher`` in one transaction; return ``consume``'s result.

        ``consume`` reads the last statement's result inside the transaction
        (a managed transaction's result is gone once the function returns).
        """
        statements = cypher.statements(name)
        read = consume or _drain

        def work(tx: ManagedTransaction) -> T | None:
            out = None
            for text in statements:
                out = read(tx.run(text, params))
            return out

        try:
            with self._driver.session(database=self.database) as session:
                if mode == "write":
                    return session.execute_write(work)
                if mode == "read":
                    return session.execute_read(work)
                out = None
                for text in statements:
                    out = read(session.run(text, params))
                return out
        except (ServiceUnavailable, SessionExpired, AuthError) as exc:
            raise StoreUnavailableError(
                f"Neo4j at {self.uri} failed while running Cypher statement {name!r}: {exc}"
            ) from exc
        except (Neo4jError, DriverError) as exc:
            raise QueryError(f"Cypher statement {name!r} failed: {exc}") from exc

    def _ensure_schema(self) -> None:
        """Create the constraints and indexes (all ``IF NOT EXISTS``) once per store object."""
        if not self._schema_ready:
            self._run("schema", mode="write")
            self._schema_ready = True

    # --- snapshots --------------------------------------------------------------------------

    def write_snapshot(self, snapshot: Snapshot, *,
                       progress: WriteProgress | None = None) -> WriteReport:
        started = time.perf_counter()
        self._ensure_schema()
        written: dict[str, int] = {}
        for spec in TABLES:
            frame = snapshot[spec.name]
            write = _WRITES[spec.name]
            for start in range(0, len(frame), self.batch_size):
                batch = frame.iloc[start:start + self.batch_size]
                self._run(write.statement, mode="write", rows=_rows(batch, spec.name))
                done = start + len(batch)
                log.debug("%s: %d of %d rows written", spec.name, done, len(frame))
                if progress:
                    progress(spec.name, done)
            written[spec.name] = len(frame)
        return WriteReport(written, time.perf_counter() - started)

    def counts(self) -> dict[str, int]:
        row = self._run("counts", lambda result: result.single(strict=True).data())
        assert row is not None
        return {name: int(row[name]) for name in (*NODE_LABELS, *RELATIONSHIP_TYPES)}

    def projection(self, name: str) -> pd.DataFrame:
        if name not in PROJECTIONS:
            raise KeyError(f"unknown projection {name!r}; known: {', '.join(PROJECTIONS)}")
        frame = self._run(f"projection_{name}", lambda result: result.to_df())
        assert frame is not None
        return normalise(frame, name)

    # --- rings and runs ---------------------------------------------------------------------

    def save_run(self, run: dict[str, Any], rings: Iterable[dict[str, Any]]) -> None:
        self._ensure_schema()
        batch: list[dict[str, Any]] = []
        for ring in rings:
            batch.append(_ring_row(ring, run["run_id"]))
            if len(batch) >= self.batch_size:
                self._run("save_rings", mode="write", rings=batch)
                batch = []
        if batch:
            self._run("save_rings", mode="write", rings=batch)
        # The run is recorded last: a run that is listed had all its rings written.
        self._run("save_run", mode="write", run_id=run["run_id"], props=_flat(run),
                  doc=json.dumps(run))

    def rings(self) -> list[dict[str, Any]]:
        docs = self._run("rings", lambda result: result.value("doc")) or []
        return sorted((json.loads(doc) for doc in docs), key=lambda r: (-r["score"], r["ring_id"]))

    def runs(self) -> list[dict[str, Any]]:
        docs = self._run("runs", lambda result: result.value("doc")) or []
        return [json.loads(doc) for doc in docs]

    def ring(self, ring_id: str) -> dict[str, Any] | None:
        record = self._run("ring", lambda result: result.single(strict=False), ring_id=ring_id)
        return json.loads(record["doc"]) if record is not None else None

    def update_ring(self, ring: dict[str, Any], *, expected_version: int) -> bool:
        version = new_version(ring, expected_version)
        self._ensure_schema()
        updated = self._run("update_ring", lambda result: result.single(strict=True)["updated"],
                            mode="write", ring_id=ring["ring_id"], expected_version=expected_version,
                            version=version, doc=json.dumps(ring), kind=ring.get("kind"),
                            score=ring.get("score"), status=ring.get("status"))
        return bool(updated)

    # --- audit log and API keys -------------------------------------------------------------

    def append_audit(self, entry: dict[str, Any]) -> None:
        self._ensure_schema()
        self._run("append_audit", mode="write", doc=json.dumps(entry),
                  audit_id=entry.get("audit_id") or None)

    def audit_entries(self) -> list[dict[str, Any]]:
        rows = self._run("audit_entries", lambda result: result.values("seq", "doc")) or []
        entries = []
        for seq, doc in rows:
            entry = json.loads(doc)
            entries.append({**entry, "seq": seq,
                            "audit_id": entry.get("audit_id") or default_audit_id(seq)})
        return entries

    def save_api_key(self, key: dict[str, Any]) -> None:
        check_api_key(key)
        self._ensure_schema()
        self._run("save_api_key", mode="write", key_id=key["key_id"], role=key.get("role"),
                  created_at=_text_or_none(key.get("created_at")), doc=json.dumps(key),
                  revoked_at=_text_or_none(key.get("revoked_at") or None),
                  last_used_at=_text_or_none(key.get("last_used_at") or None),
                  revision=uuid.uuid4().hex)

    def api_keys(self) -> list[dict[str, Any]]:
        rows = self._run("api_keys", lambda result: result.values(
            "doc", "revoked_at", "last_used_at")) or []
        return sorted_api_keys(_key_record(*row) for row in rows)

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

    def account(self, account_type: str, account_id: str) -> dict[str, Any] | None:
        check_account_type(account_type)
        rows = self._run("account", lambda result: result.data(), account_type=account_type,
                         account_id=account_id)
        if not rows:
            return None
        identifiers = [{"type": r["type"], "id": r["id"], "shared_by": int(r["shared_by"])}
                       for r in rows if r["id"] is not None]
        return {"type": account_type, "id": account_id, "identifiers": sorted_identifiers(identifiers)}

    def _adjacent(self, nodes: Sequence[Node], per_node: int) -> Mapping[Node, Iterable[Node]]:
        rows = self._run("neighbours", lambda result: result.values("from_type", "from_id", "type", "id"),
                         nodes=[{"type": kind, "id": node_id} for kind, node_id in nodes],
                         first=per_node + 1) or []
        out: dict[Node, list[Node]] = {}
        for from_type, from_id, kind, node_id in rows:
            out.setdefault((from_type, from_id), []).append((kind, node_id))
        return out

    def clear(self) -> None:
        self._run("clear", mode="auto", batch_size=self.batch_size)


def _drain(result: Result) -> None:
    """Read a result to its end (its summary is all a write statement returns)."""
    result.consume()


# --- converting a batch of a table into statement rows, vectorised -----------------------------


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, every missing value (NaN, NaT, <NA>) as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _epoch_us(values: pd.Series) -> np.ndarray:
    """Timestamps as epoch microseconds (Python ints in an object array), missing as None."""
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    micros = values.dt.tz_convert("UTC").astype("datetime64[us, UTC]").array.asi8
    out = micros.astype(object)
    out[values.isna().to_numpy()] = None
    return out


def _composite_id(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The ``|``-joined key of each row; timestamps as ISO-8601 UTC with microseconds."""
    parts = []
    for column in columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
            values = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parts.append(values.astype(str))
    return parts[0].str.cat(parts[1:], sep="|") if len(parts) > 1 else parts[0]


def _rows(frame: pd.DataFrame, table: str) -> list[dict[str, Any]]:
    """The ``$rows`` of ``table``'s write statement for one batch of its frame."""
    write = _WRITES[table]
    times = [c for c in _TIME_COLUMNS[table] if c in frame.columns]
    sent_apart = {*write.references, *times}
    if len(write.id_columns) == 1:
        sent_apart.add(write.id_columns[0])
    props = frame[[c for c in frame.columns if c not in sent_apart]]
    if write.id_columns:
        props = props.assign(id=_composite_id(frame, write.id_columns))
    rows = pd.DataFrame({c: frame[c] for c in write.references}, index=frame.index)
    for column in times:
        rows[column] = _epoch_us(frame[column])
    rows["props"] = _records(props)
    return _records(rows)


# --- rings and runs as Neo4j properties --------------------------------------------------------

_SCALARS = (str, int, float, bool)


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record's fields as Neo4j properties: scalars as they are, nested values as JSON text."""
    return {key: value if value is None or isinstance(value, _SCALARS) else json.dumps(value)
            for key, value in record.items()}


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _key_record(doc: str, revoked_at: str | None, last_used_at: str | None) -> dict[str, Any]:
    """An API key record as saved, with the revocation and last use kept as node properties."""
    record = json.loads(doc)
    if revoked_at is not None:
        record["revoked_at"] = revoked_at
    if last_used_at is not None:
        record["last_used_at"] = last_used_at
    return record


def _ring_row(ring: dict[str, Any], run_id: str) -> dict[str, Any]:
    """One ``$rings`` entry of save_rings.cypher: searchable fields, the whole ring, its members."""
    members = ring.get("members") or []
    unknown = sorted({str(m.get("type")) for m in members} - MEMBER_TYPES)
    if unknown:
        raise StoreError(f"ring {ring.get('ring_id')!r} has members of unknown type "
                         f"{', '.join(unknown)}; known: {', '.join(sorted(MEMBER_TYPES))}")
    props = {
        "ring_id": ring["ring_id"],
        "kind": ring.get("kind"),
        "score": ring.get("score"),
        "status": ring.get("status"),
        "first_detected": ring.get("first_detected"),
        "last_run_id": ring.get("last_run_id") or run_id,
        "version": ring.get("version"),  # update_ring compares it (absent counts as 0)
        "doc": json.dumps(ring),
    }
    return {"props": props,
            "members": [{"type": m["type"], "id": m["id"]} for m in members]}
