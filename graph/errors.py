"""Errors of the graph stores, named for what went wrong where."""

from __future__ import annotations

from ringwatch import RingwatchError
from ringwatch.tables import SnapshotError


class StoreError(RingwatchError):
    """A store could not do what was asked (unreachable, misconfigured, a query failed)."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached at all (Neo4j down, wrong URI or password)."""


class StoreTimeoutError(StoreUnavailableError):
    """The store did not answer in time (a hung or frozen Neo4j, or a query over its time limit).

    A kind of unavailability, because what a scheduler should do is the same:
    retry later. The message names the setting that bounds the wait.
    """


class StoreEmptyError(StoreError):
    """The store holds nothing to work on (no snapshot loaded): the input, not the store, is at fault."""


class IncompleteGenerationError(StoreEmptyError):
    """The store's snapshot generation is incomplete: its load was interrupted (or still runs).

    A :class:`StoreEmptyError`: there is no complete snapshot to work on, and
    loading again fixes it (exit code 2). The message names the generation.
    """


class QueryError(StoreError):
    """A named Cypher statement failed; the message names the statement."""


class UnstorableColumnError(StoreError, SnapshotError):
    """A snapshot column cannot become a graph property under its name (empty, or one the graph
    model keeps for itself).

    Also a :class:`~ringwatch.tables.SnapshotError`: the input is at fault and
    cannot be used as it is (exit code 2), and it is raised before the store
    is changed, so a refused load leaves the graph as it was.
    """


class DatabaseNotEmptyError(StoreError):
    """``load --bulk`` asked of a Neo4j database that holds nodes: the offline importer would
    replace them all. The store's state, not a failure, is at fault (exit code 2, like
    :class:`StoreEmptyError`)."""
