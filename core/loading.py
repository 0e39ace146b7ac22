"""Loading a snapshot into a store: the one function the command line and batch jobs call.

Validation and quarantine happen before the store is touched, and the column
names are checked against what the graph can hold before anything is written,
so a refused snapshot leaves the store as it was (``replace`` included); the
store writes the rest as a snapshot generation that readers see only once it
is complete, so a load killed while writing leaves no half graph to detect on.
Callers pass progress callbacks; nothing here prints.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ringwatch.graph.capabilities import SnapshotSink
from ringwatch.graph.store import check_property_names
from ringwatch.loaders import LoadResult, load_snapshot

#: Called with a table's name once it is validated.
TableDone = Callable[[str], None]
#: Called with a table's name and how many more of its rows were written.
RowsWritten = Callable[[str, int], None]

#: A test hook, as ``RINGWATCH_ENFORCE_CRASH_AFTER`` is for enforcement: ``table:NAME`` makes
#: the process kill itself with SIGKILL once the store reported the first rows of table NAME
#: written (the local store: the whole table in the new generation; Neo4j: its first batch),
#: so that tests can prove a load killed there leaves the previous generation readable.
CRASH_AT_ENV = "RINGWATCH_LOAD_CRASH_AT"


def _crashing(written: RowsWritten | None) -> RowsWritten | None:
    """``written``, killing the process at the point :data:`CRASH_AT_ENV` names (if it is set)."""
    point = os.environ.get(CRASH_AT_ENV, "").strip()
    if not point.startswith("table:"):
        return written
    table = point.removeprefix("table:")

    def hook(name: str, rows: int) -> None:
        if written:
            written(name, rows)
        if name == table:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def validated_snapshot(data: Path, *, quarantine_dir: Path | None,
                       progress: TableDone | None = None) -> LoadResult:
    """:func:`~ringwatch.loaders.load_snapshot`, its snapshot marked as holding each key once.

    The loader quarantines every repeat of a table's key (``duplicate_key``, the
    first row wins; every key column is required, so no key is missing), so the
    store need not look for repeats again (:attr:`Snapshot.unique_keys`).
    """
    result = load_snapshot(data, quarantine_dir=quarantine_dir, progress=progress)
    return replace(result, snapshot=replace(result.snapshot, unique_keys=True))


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
    result = validated_snapshot(data, quarantine_dir=quarantine_dir, progress=validated)
    # Checked here too, to name the files in the message; the store's write checks it again.
    check_property_names(result.snapshot, files={t.table: t.file for t in result.summary.tables})
    if checked:
        checked(result)
    store.write_snapshot(result.snapshot, progress=_crashing(written), replace=replace)
    return result
