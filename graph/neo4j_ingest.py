"""How a snapshot's tables become Neo4j writes: rows per batch, and CREATE where a key is new.

Why it exists: a ``MERGE`` of a relationship looks for it first, and the
single-valued facts (an order's buyer, a commission's order) need a subquery per
row to drop a stale relationship; on a first load (or after ``--replace``) none of
that can find anything, and it cost more than half of the ingest. So before a load
writes anything, :func:`new_keys` asks which of its keys already name a node (an
empty label answers at once); rows whose key is new go through an
``ingest_TABLE.cypher`` statement that CREATEs the node and its relationships,
the others through ``write_TABLE.cypher`` as before (MERGE, stale relationships
dropped). The two statements take the same ``$rows``.

Loads stay idempotent: a key is new only if it named no node when the load began,
and the snapshot's keys are unique (the loader keeps the first of a repeated key),
so a CREATE can never make a second copy; loading the same snapshot again finds
every key and MERGEs. The one way a CREATE could run twice is a retry of a batch
whose commit went through but whose answer was lost, so a retried batch runs as its
``write_`` statement (``retry_as``), and a batch that breaks a uniqueness
constraint (another load wrote the key meanwhile) is run again the same way.

Relationship tables are keyed by their ends: a link (``identity_links``) is new
when its account named no node when the load began, an affiliation when its
creator did not; an affiliation's ends are still MERGEd, since a table written
earlier in the same load may have made them.

Identity links, the largest table, go nodes first: the ends of its new rows that
name no node yet (identifiers, buyers, accounts no earlier table wrote) are
CREATEd by ``ingest_nodes.cypher``, 20,000 ids a statement; then the new rows,
sorted by (account type, identifier type), go in batches of one pair each through
``ingest_identity_links.cypher``, which MATCHes both ends with their labels fixed
and CREATEs the ``USES``. That statement says how many links it made; a batch
that made fewer (an end missing after all) runs again as its MERGE twin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ringwatch.domain import identifier_types, linked_account_types
from ringwatch.tables import TABLES, ColumnType, Snapshot

from .capabilities import WriteProgress


@dataclass(frozen=True)
class _TableWrite:
    """How one snapshot table becomes the rows of its write statement.

    ``id_columns`` make the node's ``id`` (joined by ``|`` when several; none for a
    table that only holds relationships); ``references`` are sent beside the
    properties because they name other nodes (relationships), not properties.
    Every other column, extra ones included, is a property; timestamp columns
    travel separately as epoch microseconds. ``owner`` is the column whose node
    makes a row new (its key names no node yet) and ``owner_label`` that node's
    label (``None``: the label of the row's ``account_type``); no owner: always MERGE.
    """

    statement: str
    id_columns: tuple[str, ...]
    references: tuple[str, ...]
    owner: str | None = None
    owner_label: str | None = None

    @property
    def fast_statement(self) -> str:
        """The statement for rows whose owner is new: ``ingest_`` instead of ``write_``."""
        return "ingest_" + self.statement.removeprefix("write_")


#: The owner ``"id"`` is the node's (composite) id as written.
_WRITES: dict[str, _TableWrite] = {
    "creators": _TableWrite("write_creators", ("creator_id",), ("agency_id",),
                            "creator_id", "Creator"),
    "shops": _TableWrite("write_shops", ("shop_id",), ("seller_id",), "shop_id", "Shop"),
    "identity_links": _TableWrite(
        "write_identity_links", (),
        ("account_type", "account_id", "identifier_type", "identifier"), "account_id", None),
    "orders": _TableWrite("write_orders", ("order_id",), ("buyer_id", "shop_id", "creator_id"),
                          "order_id", "Order"),
    "commissions": _TableWrite("write_commissions", ("commission_id",),
                               ("order_id", "creator_id"), "commission_id", "Commission"),
    "affiliations": _TableWrite("write_affiliations", (), ("creator_id", "shop_id"),
                                "creator_id", "Creator"),
    "violations": _TableWrite("write_violations", ("creator_id", "policy", "occurred_at"),
                              ("creator_id",), "id", "Violation"),
    "allowlist": _TableWrite("write_allowlist", ("identifier_type", "identifier"), ()),
}

_TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    spec.name: tuple(c.name for c in spec.columns if c.type is ColumnType.TIMESTAMP) for spec in TABLES
}

#: Ids asked about per existence query (one read transaction each).
_LOOKUP_BATCH = 20_000

#: Ids per ``ingest_nodes`` statement (a node with one property is a small write).
_NODE_BATCH = 20_000


class StatementRunner(Protocol):
    """The store's one query runner (:meth:`Neo4jStore._run`), as the ingest uses it."""

    def __call__(self, name: str, consume: Callable[[Any], Any] | None = None, *,
                 mode: str = "read", retry_as: str | None = None, **params: Any) -> Any: ...


# --- converting a batch of a table into statement rows, vectorised -----------------------------


def _column(values: pd.Series) -> list[Any]:
    """A column as plain Python values, every missing value (NaN, NaT, <NA>) as None."""
    return values.astype(object).where(values.notna(), None).tolist()


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
    """The ``$rows`` of ``table``'s write statements for one batch of its frame.

    Each row: the references, the times (epoch microseconds) and ``props`` (every
    other column, and ``id``). Built from whole columns turned into lists and
    zipped, which is several times faster than a DataFrame's ``to_dict``.
    """
    write = _WRITES[table]
    times = [c for c in _TIME_COLUMNS[table] if c in frame.columns]
    sent_apart = {*write.references, *times}
    if len(write.id_columns) == 1:
        sent_apart.add(write.id_columns[0])
    prop_names = [c for c in frame.columns if c not in sent_apart]
    prop_values = [_column(frame[c]) for c in prop_names]
    if write.id_columns:
        prop_names.append("id")
        prop_values.append(_composite_id(frame, write.id_columns).tolist())
    props: list[dict[str, Any]] = ([dict(zip(prop_names, values, strict=True))
                                    for values in zip(*prop_values, strict=True)]
                                   if prop_names else [{} for _ in range(len(frame))])
    names = [*write.references, *times, "props"]
    columns = [*(_column(frame[c]) for c in write.references),
               *(_epoch_us(frame[c]).tolist() for c in times), props]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


# --- which keys are new ------------------------------------------------------------------------


def _owner_ids(frame: pd.DataFrame, write: _TableWrite) -> pd.Series:
    """Each row's owner id: the column, or the composite id when the owner is ``"id"``."""
    if write.owner == "id":
        return _composite_id(frame, write.id_columns)
    assert write.owner is not None
    return frame[write.owner].astype(str)


def _existing(run: StatementRunner, label: str, ids: pd.Series) -> np.ndarray:
    """Whether each id names a node of ``label`` now (an empty label is not asked id by id)."""
    if ids.empty or run("ingest_label_empty", lambda result: result.single(strict=True)["empty"],
                        label=label):
        return np.zeros(len(ids), dtype=bool)
    unique = ids.drop_duplicates().tolist()
    found: set[str] = set()
    for start in range(0, len(unique), _LOOKUP_BATCH):
        found.update(run("ingest_existing_ids", lambda result: result.value("id"), label=label,
                         ids=unique[start:start + _LOOKUP_BATCH]) or [])
    return ids.isin(found).to_numpy() if found else np.zeros(len(ids), dtype=bool)


def new_keys(run: StatementRunner, snapshot: Snapshot) -> dict[str, np.ndarray]:
    """Per table, whether each row's owner names no node now: those rows may be CREATEd.

    Called before the load writes anything: a table written earlier in the same load
    (creators) makes nodes that a later one (identity links) must still count as new.
    A table without an owner (the allowlist) is all ``False``: always MERGEd.
    """
    labels = {t.name: t.neo4j_label for t in linked_account_types()}
    out: dict[str, np.ndarray] = {}
    for spec in TABLES:
        frame, write = snapshot[spec.name], _WRITES[spec.name]
        if write.owner is None or frame.empty:
            out[spec.name] = np.zeros(len(frame), dtype=bool)
            continue
        ids = _owner_ids(frame, write)
        if write.owner_label is not None:
            out[spec.name] = ~_existing(run, write.owner_label, ids)
            continue
        new = np.zeros(len(frame), dtype=bool)
        kinds = frame["account_type"].astype(str)
        for kind in kinds.unique():
            rows = (kinds == kind).to_numpy()
            if kind in labels:  # an unknown type's rows MERGE, and fail as they always did
                new[rows] = ~_existing(run, labels[kind], ids[rows])
        out[spec.name] = new
    return out


# --- writing -----------------------------------------------------------------------------------


def _batches(length: int, size: int) -> Iterator[slice]:
    for start in range(0, length, size):
        yield slice(start, min(start + size, length))


def _write_batch(run: StatementRunner, table: str, frame: pd.DataFrame, fresh: np.ndarray,
                 part: slice) -> int:
    """Write rows ``part`` of a table: the new ones through its ``ingest_`` statement, the rest
    through its ``write_`` statement; the batch's rows."""
    write, batch, new = _WRITES[table], frame.iloc[part], fresh[part]
    if new.any():
        run(write.fast_statement, mode="write", retry_as=write.statement,
            rows=_rows(batch[new], table))
    if not new.all():
        run(write.statement, mode="write", rows=_rows(batch[~new], table))
    return len(batch)


def _create_missing(run: StatementRunner, labels: dict[str, str], kinds: pd.Series,
                    ids: pd.Series) -> None:
    """CREATE the nodes ``ids`` name that do not exist now, each with its kind's label.

    Kinds without a label (unknown types) are left alone: their rows are MERGEd
    and fail as they always did. A CREATE that meets a node after all (another
    load) or is retried runs as ``write_nodes`` (MERGE).
    """
    pairs = pd.DataFrame({"kind": kinds.astype(str).to_numpy(), "id": ids.astype(str).to_numpy()})
    pairs = pairs.drop_duplicates()
    for kind, group in pairs.groupby("kind", sort=True):
        label = labels.get(str(kind))
        if label is None:
            continue
        candidates = group["id"].reset_index(drop=True)
        missing = candidates[~_existing(run, label, candidates)].tolist()
        for start in range(0, len(missing), _NODE_BATCH):
            run("ingest_nodes", mode="write", retry_as="write_nodes", label=label,
                ids=missing[start:start + _NODE_BATCH])


def _link_jobs(run: StatementRunner, frame: pd.DataFrame, fresh: np.ndarray,
               batch_size: int) -> list[Callable[[], int]]:
    """The identity links' writes, nodes first: missing ends are CREATEd now, and the returned
    jobs write the links (known rows MERGEd, new ones by pair of labels; see the module doc)."""
    write = _WRITES["identity_links"]
    accounts = {t.name: t.neo4j_label for t in linked_account_types()}
    identifiers = {t.name: t.neo4j_label for t in identifier_types()}
    known_pair = (frame["account_type"].astype(str).isin(list(accounts)).to_numpy()
                  & frame["identifier_type"].astype(str).isin(list(identifiers)).to_numpy())
    new = frame[fresh & known_pair]
    rest = frame[~(fresh & known_pair)]
    jobs: list[Callable[[], int]] = [partial(_merge_rows, run, "identity_links", rest, part)
                                     for part in _batches(len(rest), batch_size)]
    if new.empty:
        return jobs
    _create_missing(run, accounts, new["account_type"], new["account_id"])
    _create_missing(run, identifiers, new["identifier_type"], new["identifier"])
    grouped = new.groupby([new["account_type"].astype(str), new["identifier_type"].astype(str)],
                          sort=True)
    for (account_type, identifier_type), rows in grouped:
        jobs.extend(partial(_create_links, run, rows.iloc[part], str(account_type),
                            str(identifier_type), write.statement)
                    for part in _batches(len(rows), batch_size))
    return jobs


def _merge_rows(run: StatementRunner, table: str, frame: pd.DataFrame, part: slice) -> int:
    """Rows ``part`` of ``frame`` through the table's ``write_`` (MERGE) statement; the rows."""
    batch = frame.iloc[part]
    run(_WRITES[table].statement, mode="write", rows=_rows(batch, table))
    return len(batch)


def _create_links(run: StatementRunner, batch: pd.DataFrame, account_type: str,
                  identifier_type: str, twin: str) -> int:
    """New links of one (account type, identifier type) pair, both ends MATCHed; the rows.

    Runs again as ``twin`` (MERGE) when the statement made fewer links than rows.
    """
    rows = _rows(batch, "identity_links")
    made = run("ingest_identity_links", lambda result: result.single(strict=True)["made"],
               mode="write", retry_as=twin, account_type=account_type,
               identifier_type=identifier_type, rows=rows)
    if made is not None and made < len(rows):
        run(twin, mode="write", rows=rows)
    return len(batch)


def write_tables(run: StatementRunner, snapshot: Snapshot, *, batch_size: int,
                 progress: WriteProgress | None, workers: int = 1) -> dict[str, int]:
    """Write every table in batches of ``batch_size`` rows; rows per table.

    Each batch is at most two write transactions: its new rows through the table's
    ``ingest_`` statement, the rest through its ``write_`` statement (identity
    links: nodes first, then one transaction per batch of one label pair; see the
    module doc). Tables are written one after the other (a table's rows MERGE the
    nodes of the tables before it); ``workers`` sessions write a table's batches
    side by side (two batches that lock the same shop wait for each other, and a
    deadlock is a transient error, retried as the ``write_`` statement). Progress
    is reported once per batch with that batch's rows, in order, and once with 0
    for an empty table, as the local store does.
    """
    new = new_keys(run, snapshot)
    written: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for spec in TABLES:
            frame = snapshot[spec.name]
            if spec.name == "identity_links":
                jobs = _link_jobs(run, frame, new[spec.name], batch_size)
            else:
                one = partial(_write_batch, run, spec.name, frame, new[spec.name])
                jobs = [partial(one, part) for part in _batches(len(frame), batch_size)]
            done: Iterator[int] = (pool.map(_call, jobs) if workers > 1 and len(jobs) > 1
                                   else map(_call, jobs))
            for rows in done:
                if progress:
                    progress(spec.name, rows)
            if frame.empty and progress:
                progress(spec.name, 0)
            written[spec.name] = len(frame)
    return written


def _call(job: Callable[[], int]) -> int:
    return job()
