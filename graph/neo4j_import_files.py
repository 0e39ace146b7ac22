"""A validated snapshot as the CSV files of Neo4j's offline importer, the same graph a driver load makes.

Why a module of its own: ``neo4j-admin database import full`` builds a store
from node and relationship files far faster than any transaction can, but it
only reproduces :class:`~ringwatch.graph.neo4j_store.Neo4jStore`'s graph if the
files say exactly what its write statements (``cypher/write_*.cypher``) do.
This module is that translation, and nothing else:

- every node of a label once, keyed by its contract id in property ``id``
  (the ``|``-joined key for violations and allowlist entries, as the driver
  load makes it), with the table row's other columns as properties, the
  references that become relationships left out, and timestamps as Neo4j
  ``datetime`` values with microsecond precision in UTC;
- a node that a row only names (a seller, a buyer, an agency, an identifier)
  with nothing but its ``id``, as ``MERGE`` makes it;
- one relationship per row and reference, with the row's properties on
  ``USES`` and ``PROMOTES``; a missing optional reference (an organic order's
  creator, a creator without agency) makes none.

Nodes get integer import ids (``--id-type=integer``: the importer's cheapest
id mapping), numbered across all labels; those ids are not stored. The files
are written by Arrow's CSV writer from columns converted in one vectorised step
each: strings always quoted (so ``""`` stays an empty string and a missing value
stays absent), floats in shortest round-trip form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ringwatch.tables import TABLES, Snapshot, SnapshotError

from .errors import StoreError
from .model import NODE_KEY, account_labels, identifier_labels, member_labels
from .neo4j_ingest import _TIME_COLUMNS, _WRITES, _composite_id

#: Threads that convert and write the import files side by side (the machine's two cores).
WRITERS = 2


class UnimportableColumnError(StoreError, SnapshotError):
    """A column name the importer's header syntax cannot carry (a ``:``, ``,``, quote or line break).

    The input as it is cannot be bulk-loaded (exit code 2), and nothing was changed yet.
    """


@dataclass(frozen=True)
class _End:
    """One end of a relationship: the row's own node (``column`` None), or the node a column names.

    ``label`` is fixed, or ``label_by`` names the column whose value (a member
    type) picks it, as identity links pick their account's and identifier's.
    """

    column: str | None = None
    label: str | None = None
    label_by: str | None = None


@dataclass(frozen=True)
class _Relationship:
    type: str
    table: str
    start: _End
    end: _End
    properties: bool = False


#: The node label each node table's rows make (write_*.cypher's MERGE).
_TABLE_LABELS: dict[str, str] = {
    "creators": "Creator", "shops": "Shop", "orders": "Order", "commissions": "Commission",
    "violations": "Violation", "allowlist": "AllowlistEntry",
}


def _relationships() -> tuple[_Relationship, ...]:
    """Every relationship a snapshot makes, as write_*.cypher makes it (read when asked: the
    account labels come from the domain's type table)."""
    accounts = account_labels()
    return (
        _Relationship("OWNS", "shops", _End("seller_id", accounts["seller"]), _End()),
        _Relationship("USES", "identity_links", _End("account_id", label_by="account_type"),
                      _End("identifier", label_by="identifier_type"), properties=True),
        _Relationship("PLACED", "orders", _End("buyer_id", accounts["buyer"]), _End()),
        _Relationship("FROM", "orders", _End(), _End("shop_id", "Shop")),
        _Relationship("ATTRIBUTED_TO", "orders", _End(), _End("creator_id", "Creator")),
        _Relationship("EARNED", "commissions", _End("creator_id", "Creator"), _End()),
        _Relationship("FOR", "commissions", _End(), _End("order_id", "Order")),
        _Relationship("PROMOTES", "affiliations", _End("creator_id", "Creator"),
                      _End("shop_id", "Shop"), properties=True),
        _Relationship("MEMBER_OF", "creators", _End(), _End("agency_id", "Agency")),
        _Relationship("COMMITTED", "violations", _End("creator_id", "Creator"), _End()),
    )


@dataclass(frozen=True)
class ImportFiles:
    """The files of one import: ``(label, path)`` node files, ``(type, path)`` relationship files.

    ``multiline`` says whether a value holds a line break (the importer must then
    be told, at some cost in speed); ``rows`` counts each table's rows.
    """

    nodes: tuple[tuple[str, Path], ...]
    relationships: tuple[tuple[str, Path], ...]
    multiline: bool
    rows: dict[str, int]

    def arguments(self) -> list[str]:
        """The importer's ``--nodes``/``--relationships`` options (and ``--multiline-fields``)."""
        args = [f"--nodes={label}={path}" for label, path in self.nodes]
        args += [f"--relationships={kind}={path}" for kind, path in self.relationships]
        if self.multiline:
            args.append("--multiline-fields=true")
        return args


def write_import_files(snapshot: Snapshot, directory: Path, *,
                       workers: int = WRITERS) -> ImportFiles:
    """Write ``snapshot`` as node and relationship CSV files into ``directory``; returns what to import.

    The files are independent, so ``workers`` threads convert and write them side
    by side (Arrow's compute functions and CSV writer release the GIL).
    Raises :class:`UnimportableColumnError` for a column whose name the
    importer's header cannot hold (load without ``--bulk`` then).
    """
    directory.mkdir(parents=True, exist_ok=True)
    tables = {spec.name: snapshot[spec.name] for spec in TABLES}
    _check_names(tables)
    ids = _node_ids(tables)
    node_jobs: list[tuple[str, Callable[[], _File]]] = []
    for table, label in _TABLE_LABELS.items():
        if len(tables[table]):
            node_jobs.append((label, partial(_table_nodes, directory, tables[table], table, ids)))
    for label in ids:
        if len(ids[label]) > ids.from_tables[label]:
            node_jobs.append((label, partial(_named_nodes, directory, label, ids)))
    rel_jobs = [(rel.type, partial(_relationship_file, directory, tables[rel.table], rel, ids))
                for rel in _relationships()]
    with ThreadPoolExecutor(max_workers=max(1, workers),
                            thread_name_prefix="import-files") as pool:
        nodes = [(label, pool.submit(job)) for label, job in node_jobs]
        rels = [(kind, pool.submit(job)) for kind, job in rel_jobs]
        written = [(label, future.result()) for label, future in nodes]
        related = [(kind, future.result()) for kind, future in rels]
    return ImportFiles(tuple((label, f.path) for label, f in written if f.path is not None),
                       tuple((kind, f.path) for kind, f in related if f.path is not None),
                       any(f.multiline for _, f in (*written, *related)),
                       {name: len(frame) for name, frame in tables.items()})


def _table_nodes(directory: Path, frame: pd.DataFrame, table: str, ids: _NodeIds) -> _File:
    """The node file of a node table: one node per row, numbered in row order."""
    label = _TABLE_LABELS[table]
    start = ids.offset(label)
    columns = {":ID": pa.array(np.arange(start, start + len(frame), dtype=np.int64)),
               **_properties(frame, table)}
    return _write(directory / f"nodes_{table}.csv", columns)


def _named_nodes(directory: Path, label: str, ids: _NodeIds) -> _File:
    """The node file of the nodes of ``label`` that rows only name: an ``id`` and nothing else."""
    named_only = ids[label][ids.from_tables[label]:]
    start = ids.offset(label) + ids.from_tables[label]
    columns = {":ID": pa.array(np.arange(start, start + len(named_only), dtype=np.int64)),
               f"{NODE_KEY}:string": named_only}
    return _write(directory / f"nodes_{label}.csv", columns)


def _relationship_file(directory: Path, table_frame: pd.DataFrame, rel: _Relationship,
                       ids: _NodeIds) -> _File:
    """The file of one relationship type made by one table: a row per row whose ends are named."""
    present = np.ones(len(table_frame), dtype=bool)
    for end in (rel.start, rel.end):
        if end.column is not None:
            present &= table_frame[end.column].notna().to_numpy()
    rows = np.flatnonzero(present)
    if not len(rows):
        return _File(None, False)
    frame = table_frame if len(rows) == len(table_frame) else table_frame.iloc[rows]
    columns = {":START_ID": pa.array(_end_ids(frame, rows, rel.table, rel.start, ids)),
               ":END_ID": pa.array(_end_ids(frame, rows, rel.table, rel.end, ids))}
    if rel.properties:
        columns.update(_properties(frame, rel.table))
    return _write(directory / f"rels_{rel.type}_{rel.table}.csv", columns)


# --- node ids ------------------------------------------------------------------------------------


class _NodeIds(dict[str, pa.Array]):
    """Each label's node keys in import order (its table's rows first), numbered across labels."""

    def __init__(self) -> None:
        super().__init__()
        self.from_tables: dict[str, int] = {}
        self._offsets: dict[str, int] = {}

    def number(self) -> None:
        total = 0
        for label, keys in self.items():
            self._offsets[label] = total
            total += len(keys)

    def offset(self, label: str) -> int:
        return self._offsets[label]

    def of(self, label: str, keys: pa.Array) -> np.ndarray:
        """The import ids of nodes ``keys`` of ``label`` (every one of them numbered)."""
        found = pc.index_in(keys, value_set=self[label])
        if found.null_count:
            raise StoreError(f"{found.null_count} {label} keys have no node in the import files")
        return found.to_numpy().astype(np.int64) + self.offset(label)


def _text(values: pd.Series) -> pa.Array:
    """A column as one Arrow large-string array: no copy for pandas' Arrow-backed strings,
    anything else as its text (``str(value)``, as the driver load's ids are); nulls stay null."""
    if isinstance(values.dtype, pd.StringDtype):
        array = pa.array(values, from_pandas=True)
    else:
        text = values.astype(object).where(values.notna(), None)
        array = pa.array(text.map(_as_str, na_action="ignore"), type=pa.large_string(),
                         from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _as_str(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _node_key(frame: pd.DataFrame, table: str) -> pa.Array:
    """The ``id`` property of a node table's rows, as the driver load computes it."""
    columns = _WRITES[table].id_columns
    return _text(_composite_id(frame, columns) if len(columns) > 1 else frame[columns[0]])


def _named(tables: dict[str, pd.DataFrame]) -> Iterator[tuple[str, pa.Array]]:
    """Every ``(label, ids)`` that a relationship's far end names."""
    for rel in _relationships():
        frame = tables[rel.table]
        for end in (rel.start, rel.end):
            if end.column is None:
                continue
            keys = _text(frame[end.column])
            if end.label is not None:
                yield end.label, pc.drop_null(keys)
                continue
            assert end.label_by is not None
            types = _text(frame[end.label_by])
            for member_type in pc.unique(types).to_pylist():
                chosen = keys.filter(pc.equal(types, member_type))
                yield member_labels()[str(member_type)], pc.drop_null(chosen)


def _node_ids(tables: dict[str, pd.DataFrame]) -> _NodeIds:
    """Every node's key per label: a node table's rows, then keys that rows only name."""
    ids = _NodeIds()
    rows: dict[str, pa.Array] = {label: _node_key(tables[table], table)
                                 for table, label in _TABLE_LABELS.items()}
    named: dict[str, list[pa.Array]] = {}
    for label, values in _named(tables):
        named.setdefault(label, []).append(values)
    labels = [*_TABLE_LABELS.values(), "Agency", *account_labels().values(),
              *identifier_labels().values()]
    none = pa.array([], type=pa.large_string())
    for label in dict.fromkeys(labels):
        own = rows.get(label, none)
        extra = none
        if named.get(label):
            extra = pc.unique(pa.concat_arrays(named[label]))
            extra = extra.filter(pc.invert(pc.is_in(extra, value_set=own)))
        ids[label] = pa.concat_arrays([own, extra])
        ids.from_tables[label] = len(own)
    ids.number()
    return ids


def _end_ids(frame: pd.DataFrame, rows: np.ndarray, table: str, end: _End,
             ids: _NodeIds) -> np.ndarray:
    """The import ids of one end of each row's relationship; ``rows``: the rows' positions in
    their table (the row's own node is numbered by its position)."""
    if end.column is None:
        return rows.astype(np.int64) + ids.offset(_TABLE_LABELS[table])
    keys = _text(frame[end.column])
    if end.label is not None:
        return ids.of(end.label, keys)
    assert end.label_by is not None
    out = np.empty(len(frame), dtype=np.int64)
    types = _text(frame[end.label_by])
    for member_type in pc.unique(types).to_pylist():
        chosen = pc.equal(types, member_type)
        out[chosen.to_numpy(zero_copy_only=False)] = ids.of(member_labels()[str(member_type)],
                                                            keys.filter(chosen))
    return out


# --- properties and files ------------------------------------------------------------------------


def _properties(frame: pd.DataFrame, table: str) -> dict[str, pa.Array]:
    """The row's properties as typed header names and Arrow columns, as write_*.cypher SETs them."""
    write = _WRITES[table]
    times = set(_TIME_COLUMNS[table])
    left_out = set(write.references)
    if len(write.id_columns) == 1:
        left_out.add(write.id_columns[0])
    columns: dict[str, pa.Array] = {}
    if write.id_columns:
        columns[f"{NODE_KEY}:string"] = _node_key(frame, table)
    for name in frame.columns:
        if name in left_out:
            continue
        values = frame[name]
        if name in times or isinstance(values.dtype, pd.DatetimeTZDtype):
            columns[f"{name}:datetime"] = _datetimes(values)
        elif pd.api.types.is_bool_dtype(values.dtype):
            columns[f"{name}:boolean"] = pa.array(values, from_pandas=True)
        elif pd.api.types.is_integer_dtype(values.dtype):
            columns[f"{name}:long"] = pa.array(values, type=pa.int64(), from_pandas=True)
        elif pd.api.types.is_float_dtype(values.dtype):
            columns[f"{name}:double"] = pa.array(values, type=pa.float64(), from_pandas=True)
        else:
            columns[f"{name}:string"] = _text(values)
    return columns


def _datetimes(values: pd.Series) -> pa.Array:
    """Timestamps as ISO-8601 UTC text with microseconds, which the importer reads as ``datetime``.

    Arrow formats a zoneless timestamp about ten times faster than a zoned one
    (``strftime`` looks the zone up per value), so the UTC instants are cast
    zoneless, formatted, and given their ``T`` and ``Z``: the same text as
    ``strftime("%Y-%m-%dT%H:%M:%SZ")`` of the zoned ones.
    """
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    micros = pa.array(values.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), from_pandas=True)
    text = pc.cast(micros.cast(pa.timestamp("us")), pa.string())
    return pc.binary_join_element_wise(pc.replace_substring(text, " ", "T", max_replacements=1),
                                       "Z", "")


def _check_names(tables: dict[str, pd.DataFrame]) -> None:
    for table, frame in tables.items():
        for name in frame.columns:
            if any(ch in str(name) for ch in ':,"\r\n') or str(name) != str(name).strip():
                raise UnimportableColumnError(
                    f"column {name!r} of table {table!r} cannot be a property name in the offline "
                    "importer's files; load without --bulk (through the driver) instead")


@dataclass(frozen=True)
class _File:
    """A written import file (``None``: no rows, none written) and whether a value spans lines."""

    path: Path | None
    multiline: bool


def _write(path: Path, columns: dict[str, pa.Array]) -> _File:
    """Write the header and the Arrow columns as one CSV file."""
    multiline = any(pc.any(pc.match_substring_regex(array, "[\\r\\n]")).as_py()
                    for array in columns.values()
                    if pa.types.is_large_string(array.type) or pa.types.is_string(array.type))
    table = pa.table(list(columns.values()), names=[f"c{i}" for i in range(len(columns))])
    with path.open("wb") as out:
        out.write((",".join(columns) + "\n").encode())
        pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))
    return _File(path, multiline)
