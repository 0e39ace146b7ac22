"""The Neo4j store's projections: the snapshot's tables read back in columns, computed by pandas.

Why not aggregate in Cypher: at a million snapshot rows, Cypher aggregations
streamed as one record per row made a detection run 19.6x the local store's
(BENCHMARKS.md, issue 18 item 4). Two things were slow, and neither was
reading the graph: the driver builds a Python record per row (reading the
``identity_links`` rows took 9-14 s where the server needed under 1 s), and
Neo4j's aggregation of orders with their commissions (6.7 s for
``buyer_orders``). So each statement here (``cypher/projection_table_*.cypher``)
returns one row whose values are whole columns (lists), which the driver
decodes many times faster, and the aggregation is the local store's own code,
:func:`ringwatch.graph.projections.from_tables`, run on tables of the snapshot's
shape rebuilt from those columns: one place per concept, and the projections are
the same on both stores by construction (the parity tests check it).

Orders are read as four statements, joined here on the order node's internal id
(its properties; its buyer, shop and creator; its commissions): following the
three relationships of every order in one Cypher pattern cost more than reading
each relationship type by its own scan. The statements of one request run on
two sessions at once (:data:`READERS`).

Times travel as epoch microseconds, ``t.epochMillis * 1000 + t.microsecond % 1000``:
``epochMillis`` rounds down, as the local store's tables do, where ``epochSeconds``
rounds toward zero (a time half a second before 1970 would come back half a
second after it).

Kept with the load: a load that completes a generation computes every
projection once and keeps it in the database, as the local store keeps
``projection-NAME.parquet`` in its generation (:mod:`~ringwatch.graph.kept_projections`:
the same computation and the same Parquet bytes), on ``(:KeptProjection {key,
name, part, parts, generation, data})`` nodes in parts of :data:`PART_BYTES`.
Their ``key`` is the generation's id and the snapshot's sizes
(``projection_generation.cypher``), the same key a reader computes, so a kept
projection is used only for the generation it was computed for, and not once
the graph's sizes changed behind the loads' backs; a completed load deletes
those of the generations it forgets. Why in the database rather than a cache
directory beside the process: every process that reaches the database (a
``detect`` on another machine, the API server) finds them, they live and die
with the generation in the same store (``clear``, ``--replace``, the next
load), and nothing needs configuring or cleaning; reading them back costs
0.1-0.25 s per 20 MB at a million rows (BENCHMARKS.md, issue 18 item 4), next
to 0.3 s to decode the Parquet, which a file would cost too.

A graph without kept projections (written before they existed, or whose sizes
changed) gets them computed from its tables as before: the tables are kept for
the snapshot generation they were read from and read again once it changes: a
detection run asks for seven projections, and two of them start from the same
orders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .kept_projections import PreparedProjections, decoded, prepared_projections
from .projections import PROJECTIONS, from_tables

#: Runs a ``cypher/NAME.cypher`` read statement with parameters and returns its columns
#: (the lists of its result rows, concatenated per column).
ColumnReader = Callable[..., dict[str, list[Any]]]

#: Reads the bytes of projection ``name`` kept under ``key`` (``None``: none whole kept).
KeptReader = Callable[[str, str], bytes | None]

#: Writes one part of a kept projection: ``key``, ``generation``, ``projection``, ``part``, ``parts``,
#: ``data`` as keyword arguments (``cypher/keep_projection.cypher``).
KeptWriter = Callable[..., None]

#: Bytes of a kept projection per node (and per write transaction): well inside a server heap
#: of a gigabyte; a projection of ten million rows is some twenty parts.
PART_BYTES = 8 << 20

#: How many statements run at once, each on its own session (the machine's two cores:
#: Neo4j answers each statement on one thread).
READERS = 2

#: What a missing time is sent as: the int64 minimum, which numpy reads as ``NaT`` when the
#: column is viewed as ``datetime64``. (``collect`` skips nulls, so columns cannot hold them.)
MISSING_TIME = np.iinfo(np.int64).min

#: The snapshot tables each projection is computed from (what ``from_tables`` reads).
TABLES_OF: dict[str, tuple[str, ...]] = {
    "creators": ("creators", "violations"),
    "shops": ("shops",),
    "identity_links": ("identity_links",),
    "creator_shop_trade": ("orders", "commissions"),
    "buyer_orders": ("orders", "commissions"),
    "affiliations": ("affiliations",),
    "allowlist": ("allowlist",),
}


@dataclass(frozen=True)
class _TableRead:
    """The statements a snapshot table is read with, and the dtype of each column they return.

    ``statements`` are ``cypher/projection_table_<name>.cypher`` (without the prefix);
    with several, the first gives one row per table row and each later one
    a column or two joined on ``key`` (``how``: inner, or left with ``""``
    for rows it has nothing for). A table of ``parts`` > 1 is read in that many
    parts (the statement takes ``$part`` and ``$parts``), concatenated.
    """

    statements: tuple[str, ...]
    dtypes: dict[str, str]
    key: str = ""
    how: dict[str, str] | None = None
    parts: int = 1


_TIME = "time"  # epoch microseconds -> datetime64[us, UTC], MISSING_TIME -> NaT

_READS: dict[str, _TableRead] = {
    "creators": _TableRead(("creators",), {"creator_id": "str", "registered_at": _TIME,
                                          "agency_id": "str"}),
    "violations": _TableRead(("violations",), {"creator_id": "str", "severity": "str"}),
    "shops": _TableRead(("shops",), {"shop_id": "str", "seller_id": "str",
                                     "registered_at": _TIME, "category": "str"}),
    "identity_links": _TableRead(("identity_links",), {
        "account_type": "str", "account_id": "str", "identifier_type": "str",
        "identifier": "str", "events": "int64", "first_seen": _TIME, "last_seen": _TIME},
        parts=4),
    "orders": _TableRead(
        ("orders", "order_buyers", "order_shops", "order_creators"),
        {"order_id": "int64", "amount": "float64", "status": "str", "currency": "str",
         "refunded_at": _TIME, "buyer_id": "str", "shop_id": "str", "creator_id": "str"},
        key="order_id",
        how={"order_buyers": "inner", "order_shops": "inner", "order_creators": "left"}),
    "commissions": _TableRead(("commissions",), {
        "order_id": "int64", "amount": "float64", "rate": "float64", "created_at": _TIME,
        "status": "str"}),
    "affiliations": _TableRead(("affiliations",), {
        "creator_id": "str", "shop_id": "str", "commission_rate": "float64",
        "started_at": _TIME}),
    "allowlist": _TableRead(("allowlist",), {
        "identifier_type": "str", "identifier": "str", "owner": "str", "reason": "str",
        "expires_at": _TIME}),
}


def statement_name(statement: str) -> str:
    """The ``cypher/`` file name of a table read statement."""
    return f"projection_table_{statement}"


def _column(values: list[Any], dtype: str) -> pd.Series:
    """One returned list as a typed column (vectorised: no Python loop over its values)."""
    if dtype == _TIME:
        micros = np.asarray(values, dtype=np.int64).view("datetime64[us]")
        return pd.Series(micros).dt.tz_localize("UTC")
    if dtype == "str":  # (through Arrow: 2.5x faster than pd.array(values, dtype="str"))
        return pa.array(values, type=pa.large_string()).to_pandas()
    return pd.Series(np.asarray(values, dtype=dtype))


def _frame(columns: dict[str, list[Any]], dtypes: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: _column(columns.get(name, []), dtypes[name])
                         for name in columns if name in dtypes})


def _assemble(read: _TableRead, results: Mapping[str, dict[str, list[Any]]]) -> pd.DataFrame:
    """The table from its statements' columns: the first statement's rows, the others joined."""
    first, *joined = read.statements
    table = _frame(results[first], read.dtypes)
    for statement in joined:
        part = _frame(results[statement], read.dtypes)
        how = (read.how or {}).get(statement, "inner")
        table = table.merge(part, on=read.key, how=how, sort=False)
        if how == "left":
            for column in part.columns.drop(read.key):
                table[column] = table[column].fillna("")
    return table


class Neo4jProjections:
    """Reads the projections a load kept, or the tables they are computed from, per snapshot generation.

    ``read_kept(key, name)`` returns the bytes of projection ``name`` kept under
    ``key``, or ``None`` when not every part of it is there.
    ``read_columns(name, **params)`` runs one ``cypher/`` read statement and
    returns its columns; it is called from :data:`READERS` threads at once, so
    it must open its own session per call (the store's query runner does).
    """

    def __init__(self, read_columns: ColumnReader, read_kept: KeptReader, *,
                 readers: int = READERS) -> None:
        self._read_columns = read_columns
        self._read_kept = read_kept
        self._readers = readers
        self._generation: str | None = None
        self._tables: dict[str, pd.DataFrame] = {}
        self._kept: dict[str, pd.DataFrame] = {}
        self._lock = threading.Lock()

    def projection(self, name: str, generation: str) -> pd.DataFrame:
        """Projection ``name`` of the snapshot that ``generation`` identifies.

        As its load kept it when it did, else computed from the snapshot's tables.
        """
        if name not in PROJECTIONS:
            raise KeyError(f"unknown projection {name!r}; known: {', '.join(PROJECTIONS)}")
        with self._lock:
            if generation != self._generation:
                self._tables, self._kept = {}, {}  # another generation's: let them go first
                self._generation = generation
            if name not in self._kept:
                data = self._read_kept(generation, name)
                if data is not None:
                    self._kept[name] = decoded(data)
            if name in self._kept:
                return self._kept[name].copy(deep=False)  # a caller's new column stays its own
            missing = [t for t in TABLES_OF[name] if t not in self._tables]
            self._tables = tables = {**self._tables, **self.read_tables(missing)}
        return from_tables(tables, name)

    def keep(self, key: str, generation: str, write: KeptWriter, *,
             prepared: PreparedProjections | None = None) -> int:
        """Keep every projection of a load's generation under ``key``; returns their bytes.

        ``prepared``: computed already from the snapshot the load wrote, when the
        graph holds exactly it (a load that replaced the graph, or wrote into one
        that held no snapshot, or an import:
        :func:`~ringwatch.graph.kept_projections.prepared_projections`); ``None``:
        computed here from the tables read out of the graph first (a load that
        added to a snapshot already there). The computed frames stay in memory
        for ``key``, so a detection by the same store object (``ringwatch run``)
        reads nothing back.
        """
        if prepared is None:
            prepared = prepared_projections(self.read_tables(list(_READS)))
        for name, data in prepared.data.items():
            parts = max(1, -(-len(data) // PART_BYTES))
            for part in range(parts):
                write(key=key, generation=generation, projection=name, part=part, parts=parts,
                      data=data[part * PART_BYTES:(part + 1) * PART_BYTES])
        with self._lock:
            self._generation, self._tables, self._kept = key, {}, dict(prepared.frames)
        return prepared.size

    def forget(self) -> None:
        """Drop the tables and projections kept in memory (the store cleared the graph)."""
        with self._lock:
            self._tables, self._kept, self._generation = {}, {}, None

    def read_tables(self, names: list[str]) -> dict[str, pd.DataFrame]:
        """Read snapshot tables ``names`` from Neo4j, their statements on parallel sessions."""
        jobs = [(s, part, _READS[name].parts) for name in names
                for s in _READS[name].statements for part in range(_READS[name].parts)]
        if not jobs:
            return {}
        with ThreadPoolExecutor(max_workers=min(self._readers, len(jobs)),
                                thread_name_prefix="neo4j-projection") as pool:
            futures = [(s, pool.submit(self._read_columns, statement_name(s),
                                       missing=MISSING_TIME, part=part, parts=parts))
                       for s, part, parts in jobs]
            results: dict[str, dict[str, list[Any]]] = {}
            for s, future in futures:
                for column, values in future.result().items():
                    results.setdefault(s, {}).setdefault(column, []).extend(values)
        return {name: _assemble(_READS[name], results) for name in names}
