"""Reading a marketplace snapshot (docs/contract.md section 1): validation, quarantine, reconciliation.

The tables it validates against and the :class:`Snapshot` it returns are the
root package's (:mod:`ringwatch.tables`), shared with the stores; both are
offered here too because a loader's caller gets them from the loader.
"""

from ringwatch.tables import Snapshot, SnapshotError

from .errors import (
    BadHeaderError,
    ColumnTypeError,
    MissingColumnError,
    MissingTableError,
    UnreadableFileError,
)
from .schema import QUARANTINE_COLUMNS, RAW_LINE, REASON, SOURCE_ROW
from .snapshot import LoadResult, LoadSummary, TableSummary, check_shape, load_snapshot

__all__ = [
    "QUARANTINE_COLUMNS",
    "RAW_LINE",
    "REASON",
    "SOURCE_ROW",
    "BadHeaderError",
    "ColumnTypeError",
    "LoadResult",
    "LoadSummary",
    "MissingColumnError",
    "MissingTableError",
    "Snapshot",
    "SnapshotError",
    "TableSummary",
    "UnreadableFileError",
    "check_shape",
    "load_snapshot",
]
