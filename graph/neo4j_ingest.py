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
creator did not; the ends themselves are still MERGEd, since a table written
earlier in the same load may have made them.

A transaction runs on one server thread, so several sessions write a table at
once (:func:`write_tables`), each in a lane of rows that names no node another
lane of the same phase names (:func:`lanes`): sessions that MERGE one hub
identifier at once wait on each other's locks and deadlock on its index entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch.domain import linked_account_types
from ringwatch.tables import TABLES, TABLES_BY_NAME, ColumnType, Snapshot

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
#: A label holding at most this many nodes per id asked about has every id read, in one list,
#: instead of each id sought: a read of the label's index costs about 1 us a node, a seek
#: about 5 an id asked (a reload of 390,000 rows checked its keys in 0.4 s instead of 4).
READ_WHOLE = 4
#: ... and at most this many nodes: the list is one record, held whole in the server's heap
#: (about 100 bytes an id).
READ_WHOLE_MAX = 2_000_000


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
    """Whether each id names a node of ``label`` now.

    An empty label is not asked id by id. A label with few nodes next to the ids
    asked about (:data:`READ_WHOLE`) has every id read in one list; otherwise each
    id is sought in the label's index, :data:`_LOOKUP_BATCH` at a time. Either
    answer comes back as one list per read: the driver takes about 20 us a record
    and 1 a list item.
    """
    if ids.empty:
        return np.zeros(len(ids), dtype=bool)
    nodes = run("ingest_label_nodes", lambda result: result.single(strict=True)["nodes"],
                label=label)
    if not nodes:
        return np.zeros(len(ids), dtype=bool)
    unique = ids.drop_duplicates().tolist()
    found: list[str] = []
    if nodes <= min(READ_WHOLE * len(unique), READ_WHOLE_MAX):
        found = run("ingest_label_ids", lambda result: result.single(strict=True)["ids"],
                    label=label) or []
    else:
        for start in range(0, len(unique), _LOOKUP_BATCH):
            found.extend(run("ingest_existing_ids",
                             lambda result: result.single(strict=True)["ids"], label=label,
                             ids=unique[start:start + _LOOKUP_BATCH]) or [])
    if not found:
        return np.zeros(len(ids), dtype=bool)
    # Arrow's lookup: pandas' ``isin`` of a text column walks the found ids in Python (1.2 s
    # of a 390,000-key check).
    return pc.is_in(pa.array(ids.to_numpy(dtype=object), pa.string()),
                    value_set=pa.array(found, pa.string())).to_numpy(zero_copy_only=False)


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


def _ends(table: str) -> tuple[str, ...]:
    """The columns of ``table`` that name the other nodes a row writes to: its references of
    ids (an identity link's account and identifier, an order's buyer, shop and creator). A
    row's own node is its own (keys are unique), so rows conflict only through these."""
    spec = TABLES_BY_NAME[table]
    return tuple(column for column in _WRITES[table].references
                 if spec.column(column).type is ColumnType.ID)


def lanes(frame: pd.DataFrame, ends: tuple[str, ...], workers: int) -> list[list[np.ndarray]]:
    """``frame``'s rows (positions) as phases of up to ``workers`` lanes each, such that two rows
    of one phase in different lanes name no node in common through ``ends``.

    Why: two sessions that write batches naming the same node (a hub identifier, a
    shop) wait for each other's locks, and deadlock on the index entries of the
    nodes they MERGE (BENCHMARKS.md, "Neo4j ingest"). Each end's value gets a
    colour, its number (by first appearance) modulo ``workers``; a row's lane is
    the colour of its first end and its phase the colours of the others relative
    to it, so rows of one phase in different lanes differ in the colour, and so
    the value, of every end.
    ``workers ** (len(ends) - 1)`` phases at most. A missing end names no node, so it
    may take any colour: the lane's own (an order without a creator), or for a
    missing first end the row's position modulo ``workers``, so that the rows
    without one spread over the lanes instead of crowding one (half the orders
    had no creator, and one lane of each phase got three quarters of the rows).
    Rows keep their order within a lane. A table with no ends is one phase of
    ``workers`` even lanes.

    >>> frame = pd.DataFrame({"a": ["x", "x", "y", "z"], "b": ["p", "q", "p", "q"]})
    >>> phases = lanes(frame, ("a", "b"), 2)
    >>> sorted(int(i) for phase in phases for lane in phase for i in lane)
    [0, 1, 2, 3]
    """
    n = len(frame)
    if not ends:
        return [[part for part in np.array_split(np.arange(n), workers) if len(part)]]

    def colour(column: str) -> tuple[np.ndarray, np.ndarray]:
        codes, _ = pd.factorize(frame[column])  # equal values, equal codes; missing: -1
        return codes.astype(np.int64) % workers, codes < 0

    lane, missing = colour(ends[0])
    lane = np.where(missing, np.arange(n) % workers, lane)
    phase = np.zeros(n, dtype=np.int64)
    for column in ends[1:]:
        other, missing = colour(column)
        phase = phase * workers + np.where(missing, 0, (other - lane) % workers)
    order = np.lexsort((lane, phase))  # stable: rows keep their order within a lane
    key = phase[order] * workers + lane[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    groups = np.split(order, starts[1:])
    phases: dict[int, list[np.ndarray]] = {}
    for group, first in zip(groups, key[starts], strict=True):
        phases.setdefault(int(first) // workers, []).append(group)
    return list(phases.values())


def _write_batch(run: StatementRunner, table: str, frame: pd.DataFrame, fresh: np.ndarray,
                 part: slice | np.ndarray) -> int:
    """Write rows ``part`` of a table: the new ones through its ``ingest_`` statement, the rest
    through its ``write_`` statement; the batch's rows."""
    write, batch, new = _WRITES[table], frame.iloc[part], fresh[part]
    if new.any():
        run(write.fast_statement, mode="write", retry_as=write.statement,
            rows=_rows(batch[new], table))
    if not new.all():
        run(write.statement, mode="write", rows=_rows(batch[~new], table))
    return len(batch)


def _write_lane(run: StatementRunner, table: str, frame: pd.DataFrame, fresh: np.ndarray,
                rows: np.ndarray, batch_size: int) -> list[int]:
    """Write a lane's rows in batches, one after the other; each batch's rows."""
    return [_write_batch(run, table, frame, fresh, rows[part])
            for part in _batches(len(rows), batch_size)]


def write_tables(run: StatementRunner, snapshot: Snapshot, *, batch_size: int,
                 progress: WriteProgress | None, workers: int = 1) -> dict[str, int]:
    """Write every table in batches of ``batch_size`` rows; rows per table.

    Each batch is at most two write transactions: its new rows through the table's
    ``ingest_`` statement, the rest through its ``write_`` statement. Tables are
    written one after the other (a table's rows MERGE the nodes of the tables
    before it). With ``workers`` > 1, a table of at least two batches is written in
    :func:`lanes`, one session per lane, a phase at a time: the lanes of a phase name
    no node in common, so they do not wait on each other's node locks (a deadlock
    that happens anyway, through a stale relationship or a relationship record the
    server reuses, is a transient error, retried as the ``write_`` statement: the
    same graph). Progress is reported once per batch with that
    batch's rows (in row order with one worker, phase by phase with more), and
    once with 0 for an empty table, as the local store does.
    """
    new = new_keys(run, snapshot)
    written: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for spec in TABLES:
            frame = snapshot[spec.name]
            if workers > 1 and len(frame) >= 2 * batch_size:
                for phase in lanes(frame, _ends(spec.name), workers):
                    done = [pool.submit(_write_lane, run, spec.name, frame, new[spec.name], rows,
                                        batch_size) for rows in phase]
                    for future in done:
                        for rows_written in future.result():
                            if progress:
                                progress(spec.name, rows_written)
            else:
                for part in _batches(len(frame), batch_size):
                    rows_written = _write_batch(run, spec.name, frame, new[spec.name], part)
                    if progress:
                        progress(spec.name, rows_written)
            if frame.empty and progress:
                progress(spec.name, 0)
            written[spec.name] = len(frame)
    return written
