"""Loading a snapshot into a store: the one function the command line and batch jobs call.

Validation and quarantine happen before the store is touched, and the column
names are checked against what the graph can hold before anything is written,
so a refused snapshot leaves the store as it was (``replace`` included).
Callers pass progress callbacks; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ringwatch.graph.capabilities import SnapshotSink
from ringwatch.graph.store import check_property_names
from ringwatch.loaders import LoadResult, load_snapshot

#: Called with a table's name once it is validated.
TableDone = Callable[[str], None]
#: Called with a table's name and how many more of its rows were written.
RowsWritten = Callable[[str, int], None]


def load_into(store: SnapshotSink, data: Path, *, quarantine_dir: Path, replace: bool = False,
              validated: TableDone | None = None,
              checked: Callable[[LoadResult], None] | None = None,
              written: RowsWritten | None = None) -> LoadResult:
    """Validate ``data``, quarantine its bad rows, write the rest into ``store``; returns both.

    ``validated`` hears of each table as it is validated, ``checked`` gets the
    validated snapshot before the first write (its row count sizes a progress
    bar), ``written`` hears of rows as they are written. Raises the loaders'
    :class:`~ringwatch.loaders.SnapshotError` (the snapshot cannot be used) or
    the store's errors; a snapshot refused before writing leaves the store as
    it was.
    """
    result = load_snapshot(data, quarantine_dir=quarantine_dir, progress=validated)
    # Checked here too, to name the files in the message; the store's write checks it again.
    check_property_names(result.snapshot, files={t.table: t.file for t in result.summary.tables})
    if checked:
        checked(result)
    store.write_snapshot(result.snapshot, progress=written, replace=replace)
    return result
