"""Errors of the graph stores, named for what went wrong where."""

from __future__ import annotations

from ringwatch import RingwatchError


class StoreError(RingwatchError):
    """A store could not do what was asked (unreachable, misconfigured, a query failed)."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached at all (Neo4j down, wrong URI or password)."""


class StoreEmptyError(StoreError):
    """The store holds nothing to work on (no snapshot loaded): the input, not the store, is at fault."""


class QueryError(StoreError):
    """A named Cypher statement failed; the message names the statement."""
