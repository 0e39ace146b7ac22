"""Errors a snapshot can raise before any row is loaded."""

from __future__ import annotations

from ringwatch import RingwatchError


class SnapshotError(RingwatchError):
    """The snapshot as a whole cannot be used (a table or a column is missing, a file is unreadable).

    The command line turns it into exit code 2 and prints ``str(error)`` as its one line.
    """


class MissingTableError(SnapshotError):
    """A required table has no file in the snapshot directory."""


class MissingColumnError(SnapshotError):
    """A table's file lacks a required column: the whole table is rejected."""


class UnreadableFileError(SnapshotError):
    """A table's file exists but cannot be read as CSV or Parquet."""
