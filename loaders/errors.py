"""Errors a snapshot can raise before any row is loaded."""

from __future__ import annotations

from ringwatch.tables import SnapshotError


class MissingTableError(SnapshotError):
    """A required table has no file in the snapshot directory."""


class MissingColumnError(SnapshotError):
    """A table's file lacks a required column: the whole table is rejected."""


class UnreadableFileError(SnapshotError):
    """A table's file exists but cannot be read as CSV or Parquet."""


class BadHeaderError(SnapshotError):
    """A table's header cannot name its columns unambiguously (a column twice, an unnamed
    column, a name reserved for the loader's own quarantine columns, bytes that are not UTF-8)."""


class ColumnTypeError(SnapshotError):
    """A typed (Parquet) file stores a contract column as a type that cannot be read as its
    kind (a struct, a list, ...): the whole table is rejected, like a missing column."""
