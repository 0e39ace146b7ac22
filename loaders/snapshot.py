"""Load a snapshot directory: check its shape, validate every table, quarantine bad rows, reconcile.

The shape (every required table and column) is checked for all tables before
any row is validated or any file written, so an unusable snapshot leaves
nothing behind. Tables are validated in dependency order so that a reference
is checked against the rows that actually loaded (a commission whose order
was quarantined is itself quarantined, with that reason).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ringwatch.domain import LoadSummaryDocument, reason_codes
from ringwatch.tables import TABLES, Snapshot, SnapshotError, TableSpec, empty_table

from .errors import MissingColumnError
from .known_ids import KnownIds, known_ids
from .memory_pool import is_large, load_allocator
from .read import find_table_file, read_header, read_table, read_table_parsed, require_table_file
from .schema import QUARANTINE_COLUMNS, REASON
from .typed_columns import check_column_types
from .validate import REFERENCED, ValidatedTable, check_columns, finish_table, parsed_types

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableSummary:
    """How one table reconciled: ``read == loaded + quarantined``, and why rows were quarantined."""

    table: str
    file: str | None
    read: int
    loaded: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what the load had to leave out, e.g. an extra nested column

    @property
    def reconciles(self) -> bool:
        return self.read == self.loaded + self.quarantined


@dataclass(frozen=True)
class LoadSummary:
    """The reconciliation of a whole snapshot, one entry per contract table."""

    snapshot: str
    tables: tuple[TableSummary, ...]

    @property
    def reconciles(self) -> bool:
        return all(t.reconciles for t in self.tables)

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables)

    def table(self, name: str) -> TableSummary:
        return next(t for t in self.tables if t.table == name)

    @property
    def warnings(self) -> list[str]:
        """Tables that left nothing to work with, and columns left out, each one sentence for the user.

        A load that reconciles can still be useless: a required table with a
        header and no rows, or a table whose every row was quarantined; or it
        can leave out an extra column it cannot hold (a nested Parquet column).
        Exit 0 is right (the snapshot was usable), silence is not.
        """
        required = {spec.name for spec in TABLES if spec.required}
        found = []
        for t in self.tables:
            found += [f"{t.table}: {note}" for note in t.notes]
            if t.table in required and t.read == 0:
                where = t.file or f"{t.table} table"
                found.append(f"{t.table}: {where} has no rows")
            elif t.read and not t.loaded:
                reasons = ", ".join(f"{code} {n:,}" for code, n in sorted(t.reasons.items()))
                found.append(f"{t.table}: every one of its {t.read:,} rows was quarantined "
                             f"({reasons})")
        return found

    def as_dict(self) -> LoadSummaryDocument:
        """The summary as ``load_summary.json`` and the run record's ``load_summary`` have it."""
        return {
            "snapshot": self.snapshot,
            "reconciles": self.reconciles,
            "warnings": self.warnings,
            "tables": [
                {"table": t.table, "file": t.file, "read": t.read, "loaded": t.loaded,
                 "quarantined": t.quarantined, "reasons": t.reasons, "notes": list(t.notes)}
                for t in self.tables
            ],
        }


@dataclass(frozen=True)
class LoadResult:
    snapshot: Snapshot
    summary: LoadSummary


Progress = Callable[[str], None]


def check_shape(snapshot_dir: Path) -> dict[str, Path | None]:
    """Find every table's file and check its header; raise before any row is read.

    Checks that each header names its columns unambiguously (normalised as the
    read will name them), holds every required column, and, for Parquet, that
    no contract column is stored as a type with no text form.
    """
    if not snapshot_dir.is_dir():
        raise SnapshotError(f"{snapshot_dir}: snapshot directory does not exist")
    files: dict[str, Path | None] = {}
    for spec in TABLES:
        path = require_table_file(snapshot_dir, spec.name) if spec.required else \
            find_table_file(snapshot_dir, spec.name)
        if path is not None:
            header = read_header(path)
            columns = list(header.names)
            if header.types is not None:
                check_column_types(path, header.names, header.types, spec)
            missing = [c for c in spec.required_columns if c not in columns]
            if missing:
                raise MissingColumnError(
                    f"{path}: required column {', '.join(missing)} is missing "
                    f"(table {spec.name} rejected; found columns: {', '.join(columns)})"
                )
        files[spec.name] = path
    return files


def load_snapshot(
    snapshot_dir: Path | str,
    *,
    quarantine_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Read and validate a snapshot; write each table's bad rows to ``quarantine_dir/TABLE.csv``.

    Returns the good rows and the per-table reconciliation. Raises
    :class:`SnapshotError` (nothing written) when a required table or column is
    missing, a header is ambiguous, a file cannot be read at all (a corrupt
    gzip, a truncated Parquet) or a Parquet contract column has a type with no
    text form; a damaged row is quarantined, never an error. Quarantine files
    from an earlier load of the same tables are replaced, so the directory
    always describes the latest load.
    """
    snapshot_dir = Path(snapshot_dir)
    files = check_shape(snapshot_dir)
    validated: dict[str, ValidatedTable] = {}
    summaries: list[TableSummary] = []
    with load_allocator(is_large(path for path in files.values() if path is not None)):
        for spec, table in _validate_tables(files, progress):
            path = files[spec.name]
            validated[spec.name] = table
            if path is None:
                summaries.append(TableSummary(spec.name, None, 0, 0, 0))
                continue
            summary = _summarise(spec, path, table)
            summaries.append(summary)
            log.info("%s: read %d, loaded %d, quarantined %d", spec.name, summary.read,
                     summary.loaded, summary.quarantined)
    if quarantine_dir is not None:
        write_quarantine(validated, Path(quarantine_dir))
    snapshot = Snapshot({name: t.frame for name, t in validated.items()})
    return LoadResult(snapshot, LoadSummary(str(snapshot_dir), tuple(summaries)))


#: Tables validated at once: one per core, so that both cores of a small machine work (a table's
#: checks are Arrow kernels, which release the GIL), and no more than four tables in memory raw.
WORKERS = max(1, min(4, os.cpu_count() or 1))

Known = dict[tuple[str, str], KnownIds]


def _validate_tables(files: dict[str, Path | None], progress: Progress | None,
                     ) -> Iterator[tuple[TableSpec, ValidatedTable]]:
    """Read and validate every table, several at once; yield them in the contract's order.

    Tables are submitted in the contract's order, which is their dependency
    order, to a pool that starts them in that order; a table sees the ids of
    the tables submitted before it only, so it waits only for tables already
    running or done (never a deadlock), and a reference to a later table finds
    no ids, as in a serial load. Each table's columns are checked before that
    wait. An error is raised for the first table, in the contract's order, that
    has one, as a serial load would.
    """
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ringwatch-load") \
        if WORKERS > 1 else None
    futures: dict[str, Future[tuple[ValidatedTable, Known]]] = {}
    try:
        for spec in TABLES:
            path = files[spec.name]
            if path is not None:  # it may wait only for tables submitted before it
                futures[spec.name] = _submit(pool, spec, path, dict(futures))
        for spec in TABLES:
            if progress:
                progress(spec.name)
            future = futures.get(spec.name)
            yield spec, future.result()[0] if future is not None else _empty(spec)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ThreadPoolExecutor | None, spec: TableSpec, path: Path,
            earlier: dict[str, Future[tuple[ValidatedTable, Known]]],
            ) -> Future[tuple[ValidatedTable, Known]]:
    """The table's validation, on the pool, or done here and now with one worker."""
    if pool is not None:
        return pool.submit(_validate_one, spec, path, earlier)
    done: Future[tuple[ValidatedTable, Known]] = Future()
    try:
        done.set_result(_validate_one(spec, path, earlier))
    except Exception as exc:  # raised when its result is asked for, in table order
        done.set_exception(exc)
    return done


def _validate_one(spec: TableSpec, path: Path,
                  earlier: dict[str, Future[tuple[ValidatedTable, Known]]],
                  ) -> tuple[ValidatedTable, Known]:
    """Read, check and finish one table; return it with its ids that other tables reference.

    A clean CSV file is read with its times parsed by the read
    (:func:`~.read.read_table_parsed`); a file that read cannot take, or a table
    with a bad row (whose quarantine row keeps every value as given), is read as
    text, as every table was before.
    """
    raw = read_table_parsed(path, parsed_types(spec)) or \
        read_table(path, dictionary=[c.name for c in spec.columns if c.domain()])
    checked = check_columns(raw, spec)
    known: Known = {}
    for table in sorted({reference.table for reference in spec.references}):
        if table in earlier:
            known.update(earlier[table].result()[1])
    validated = finish_table(checked, known)
    if raw.parsed and validated.quarantined:
        validated = finish_table(check_columns(read_table(path), spec), known)
    return validated, _ids(spec, validated)


def write_quarantine(validated: dict[str, ValidatedTable], quarantine_dir: Path) -> None:
    """Write ``TABLE.csv`` for every table with bad rows; remove stale files of clean tables."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    for name, table in validated.items():
        target = quarantine_dir / f"{name}.csv"
        if table.quarantined:
            table.quarantine.to_csv(target, index=False)
        elif target.exists():
            target.unlink()


def _ids(spec: TableSpec, validated: ValidatedTable) -> Known:
    """The loaded values of the table's columns that other tables reference, for their checks
    (those the validation indexed already as they are)."""
    ids: Known = {}
    frame = validated.frame
    for table, column in sorted(REFERENCED):
        if table != spec.name:
            continue
        if (table, column) in validated.ids:
            ids[(table, column)] = validated.ids[(table, column)]
            continue
        values = frame[column] if spec.key == (column,) else frame[column].unique()  # keys are unique
        ids[(table, column)] = known_ids(pa.array(values, pa.string()))
    return ids


def _summarise(spec: TableSpec, path: Path, table: ValidatedTable) -> TableSummary:
    codes = reason_codes(table.quarantine[REASON]) if table.quarantined else None
    reasons = {str(k): int(v) for k, v in codes.value_counts().items()} if codes is not None else {}
    return TableSummary(spec.name, path.name, table.read, table.loaded, table.quarantined, reasons,
                        table.notes)


def _empty(spec: TableSpec) -> ValidatedTable:
    return ValidatedTable(spec.name, empty_table(spec), pd.DataFrame(columns=list(QUARANTINE_COLUMNS)), 0)
