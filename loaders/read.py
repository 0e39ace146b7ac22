"""Finding and reading a snapshot's table files (CSV, CSV.gz or Parquet) as Arrow tables.

CSV is read as text in every column, so that a bad value is kept exactly as the
marketplace wrote it (for its quarantine row) instead of failing the read; the
validator parses the text afterwards, vectorised. Rows the CSV parser itself
cannot split into the header's columns are collected, not dropped.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import MissingTableError, SnapshotError, UnreadableFileError

SUFFIXES = (".csv", ".csv.gz", ".parquet")


@dataclass(frozen=True)
class MalformedRow:
    """A CSV line the parser could not split into the header's columns."""

    line: int  # 1-based line number in the file, or -1 when the parser did not know it
    text: str
    detail: str


@dataclass
class RawTable:
    """A table's file as read: every parsed row, plus the lines that could not be parsed."""

    path: Path
    table: pa.Table
    malformed: list[MalformedRow] = field(default_factory=list)


def find_table_file(snapshot: Path, name: str) -> Path | None:
    """Return the one file holding table ``name``, or None; two candidate files are an error."""
    found = [snapshot / f"{name}{suffix}" for suffix in SUFFIXES]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise SnapshotError(f"{snapshot}: table {name} is given twice ({names}); keep one file")
    return found[0] if found else None


def require_table_file(snapshot: Path, name: str) -> Path:
    """Like :func:`find_table_file`, but a missing file is a :class:`MissingTableError`."""
    path = find_table_file(snapshot, name)
    if path is None:
        raise MissingTableError(
            f"{snapshot}: required table {name} is missing "
            f"(expected {name}.csv, {name}.csv.gz or {name}.parquet)"
        )
    return path


def read_columns(path: Path) -> list[str]:
    """Return a table file's column names without reading its rows."""
    try:
        if path.name.endswith(".parquet"):
            return list(pq.read_schema(path).names)
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
        if not header:
            raise UnreadableFileError(f"{path}: has no header row")
        return [name.strip() for name in header]
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableFileError(f"{path}: cannot read the header: {exc}") from exc


def read_table(path: Path) -> RawTable:
    """Read a whole table file; CSV columns come back as text, Parquet columns as stored."""
    try:
        if path.name.endswith(".parquet"):
            return RawTable(path, pq.read_table(path))
        return _read_csv(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableFileError(f"{path}: cannot be read: {exc}") from exc


def _read_csv(path: Path) -> RawTable:
    malformed: list[MalformedRow] = []

    def keep_malformed(row: pacsv.InvalidRow) -> str:
        detail = f"expected {row.expected_columns} columns, found {row.actual_columns}"
        line = row.number if row.number is not None else -1
        malformed.append(MalformedRow(line, row.text, detail))
        return "skip"

    names = read_columns(path)
    table = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(invalid_row_handler=keep_malformed),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return RawTable(path, table, malformed)
