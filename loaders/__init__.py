"""Reading a marketplace snapshot (docs/contract.md section 1): validation, quarantine, reconciliation."""

from .errors import MissingColumnError, MissingTableError, SnapshotError, UnreadableFileError
from .schema import TABLES, TABLES_BY_NAME, TableSpec
from .snapshot import LoadResult, LoadSummary, Snapshot, TableSummary, check_shape, load_snapshot

__all__ = [
    "TABLES",
    "TABLES_BY_NAME",
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
