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

from collections.abc import Iterator
from dataclasses import dataclass
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


def write_import_files(snapshot: Snapshot, directory: Path) -> ImportFiles:
    """Write ``snapshot`` as node and relationship CSV files into ``directory``; returns what to import.

    Raises :class:`UnimportableColumnError` for a column whose name the
    importer's header cannot hold (load without ``--bulk`` then).
    """
    directory.mkdir(parents=True, exist_ok=True)
    tables = {spec.name: snapshot[spec.name] for spec in TABLES}
    _check_names(tables)
    writer = _Writer(directory)

    ids = _node_ids(tables)
    node_files: list[tuple[str, Path]] = []
    for table, label in _TABLE_LABELS.items():
        frame = tables[table]
        if len(frame):
            columns = {":ID": pa.array(ids[label].get_indexer(_node_key(frame, table))
                                       + ids.offset(label)), **_properties(frame, table)}
            node_files.append((label, writer.write(f"nodes_{table}", columns)))
    for label, index in ids.items():
        named_only = index[ids.from_tables.get(label, 0):]
        if len(named_only):
            start = ids.offset(label) + ids.from_tables.get(label, 0)
            columns = {":ID": pa.array(np.arange(start, start + len(named_only), dtype=np.int64)),
                       f"{NODE_KEY}:string": pa.array(named_only.to_numpy(dtype=object),
                                                      type=pa.string())}
            node_files.append((label, writer.write(f"nodes_{label}", columns)))

    relationship_files: list[tuple[str, Path]] = []
    for rel in _relationships():
        frame = tables[rel.table]
        present = pd.Series(True, index=frame.index)
        for end in (rel.start, rel.end):
            if end.column is not None:
                present &= frame[end.column].notna()
        frame = frame[present]
        if not len(frame):
            continue
        columns = {":START_ID": pa.array(_end_ids(frame, rel.table, rel.start, ids)),
                   ":END_ID": pa.array(_end_ids(frame, rel.table, rel.end, ids))}
        if rel.properties:
            columns.update(_properties(frame, rel.table))
        relationship_files.append((rel.type, writer.write(f"rels_{rel.type}_{rel.table}", columns)))
    return ImportFiles(tuple(node_files), tuple(relationship_files), writer.multiline,
                       {name: len(frame) for name, frame in tables.items()})


# --- node ids ------------------------------------------------------------------------------------


class _NodeIds(dict[str, pd.Index]):
    """Each label's node keys in import order (its table's rows first), numbered across labels."""

    def __init__(self) -> None:
        super().__init__()
        self.from_tables: dict[str, int] = {}
        self._offsets: dict[str, int] = {}

    def number(self) -> None:
        total = 0
        for label, index in self.items():
            self._offsets[label] = total
            total += len(index)

    def offset(self, label: str) -> int:
        return self._offsets[label]


def _node_key(frame: pd.DataFrame, table: str) -> pd.Series:
    """The ``id`` property of a node table's rows, as the driver load computes it."""
    columns = _WRITES[table].id_columns
    key = _composite_id(frame, columns) if len(columns) > 1 else frame[columns[0]]
    return key.astype(object)


def _named(tables: dict[str, pd.DataFrame]) -> Iterator[tuple[str, pd.Series]]:
    """Every ``(label, ids)`` that a relationship's far end names."""
    for rel in _relationships():
        frame = tables[rel.table]
        for end in (rel.start, rel.end):
            if end.column is None:
                continue
            if end.label is not None:
                yield end.label, frame[end.column].dropna()
                continue
            assert end.label_by is not None
            for member_type, group in frame.groupby(end.label_by, sort=False)[end.column]:
                yield member_labels()[str(member_type)], group.dropna()


def _node_ids(tables: dict[str, pd.DataFrame]) -> _NodeIds:
    """Every node's key per label: a node table's rows, then keys that rows only name."""
    ids = _NodeIds()
    rows: dict[str, pd.Index] = {label: pd.Index(_node_key(tables[table], table))
                                 for table, label in _TABLE_LABELS.items()}
    named: dict[str, list[pd.Series]] = {}
    for label, values in _named(tables):
        named.setdefault(label, []).append(values.astype(object))
    labels = [*_TABLE_LABELS.values(), "Agency", *account_labels().values(),
              *identifier_labels().values()]
    for label in dict.fromkeys(labels):
        own = rows.get(label, pd.Index([], dtype=object))
        names = named.get(label)
        extra = (pd.Index(pd.concat(names, ignore_index=True).unique()).difference(own, sort=False)
                 if names else pd.Index([], dtype=object))
        ids[label] = own.append(extra)
        ids.from_tables[label] = len(own)
    ids.number()
    return ids


def _end_ids(frame: pd.DataFrame, table: str, end: _End, ids: _NodeIds) -> np.ndarray:
    """The import ids of one end of each row's relationship."""
    if end.column is None:
        label = _TABLE_LABELS[table]
        return ids[label].get_indexer(_node_key(frame, table)) + ids.offset(label)
    if end.label is not None:
        return ids[end.label].get_indexer(frame[end.column].astype(object)) + ids.offset(end.label)
    assert end.label_by is not None
    out = np.empty(len(frame), dtype=np.int64)
    types = frame[end.label_by].to_numpy(dtype=object)
    for member_type in pd.unique(types):
        label = member_labels()[str(member_type)]
        rows = types == member_type
        keys = frame[end.column].to_numpy(dtype=object)[rows]
        out[rows] = ids[label].get_indexer(keys) + ids.offset(label)
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
        columns[f"{NODE_KEY}:string"] = pa.array(_node_key(frame, table), type=pa.string())
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
            text = values.astype(object).where(values.notna(), None)
            columns[f"{name}:string"] = pa.array(text.map(_text, na_action="ignore"),
                                                 type=pa.string(), from_pandas=True)
    return columns


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _datetimes(values: pd.Series) -> pa.Array:
    """Timestamps as ISO-8601 UTC text with microseconds, which the importer reads as ``datetime``."""
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    micros = pa.array(values.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), from_pandas=True)
    return pc.strftime(micros, format="%Y-%m-%dT%H:%M:%SZ")


def _check_names(tables: dict[str, pd.DataFrame]) -> None:
    for table, frame in tables.items():
        for name in frame.columns:
            if any(ch in str(name) for ch in ':,"\r\n') or str(name) != str(name).strip():
                raise UnimportableColumnError(
                    f"column {name!r} of table {table!r} cannot be a property name in the offline "
                    "importer's files; load without --bulk (through the driver) instead")


class _Writer:
    """Writes header plus Arrow columns as one CSV file each; notes whether a value spans lines."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.multiline = False

    def write(self, stem: str, columns: dict[str, pa.Array]) -> Path:
        path = self.directory / f"{stem}.csv"
        for array in columns.values():
            if pa.types.is_string(array.type) and not self.multiline:
                self.multiline = bool(pc.any(pc.match_substring(array, "\n")).as_py()
                                      or pc.any(pc.match_substring(array, "\r")).as_py())
        table = pa.table(list(columns.values()), names=[f"c{i}" for i in range(len(columns))])
        with path.open("wb") as out:
            out.write((",".join(columns) + "\n").encode())
            pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))
        return path
