"""Reading a marketplace snapshot (docs/contract.md section 1): validation, quarantine, reconciliation."""

from .errors import (
    BadHeaderError,
    ColumnTypeError,
    MissingColumnError,
    MissingTableError,
    SnapshotError,
    UnreadableFileError,
)
from .schema import QUARANTINE_COLUMNS, RAW_LINE, REASON, SOURCE_ROW, TABLES, TABLES_BY_NAME, TableSpec
from .snapshot import LoadResult, LoadSummary, Snapshot, TableSummary, check_shape, load_snapshot

__all__ = [
    "QUARANTINE_COLUMNS",
    "RAW_LINE",
    "REASON",
    "SOURCE_ROW",
    "TABLES",
    "TABLES_BY_NAME",
    "BadHeaderError",
    "ColumnTypeError",
    "LoadResult",
    "LoadSummary",
    "MissingColumnError",
    "MissingTableError",
    "Snapshot",
    "SnapshotError",
    "TableSpec",
    "TableSummary",
    "UnreadableFileError",
    "check_shape",
    "load_snapshot",
]
