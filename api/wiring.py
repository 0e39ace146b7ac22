"""The one place that picks a store implementation: the command line and the app factory call it."""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path

from ringwatch.graph.errors import StoreEmptyError
from ringwatch.graph.local_store import LocalStore, default_store_dir
from ringwatch.graph.store import GraphStore


class Backend(str, Enum):
    """Where the graph lives: the embedded local store (default) or a Neo4j server."""

    local = "local"
    neo4j = "neo4j"


def open_store(backend: Backend | str, *, store_dir: Path | None = None,
               create: bool = True) -> GraphStore:
    """Open the chosen store: ``local`` under ``store_dir`` (default ``$RINGWATCH_STORE``),
    ``neo4j`` from the ``RINGWATCH_NEO4J_*`` environment variables.

    ``create=False`` is for commands that only read: a mistyped ``--store`` then
    fails with :class:`StoreEmptyError` instead of leaving an empty store behind.
    """
    if Backend(backend) is Backend.local:
        directory = store_dir or default_store_dir()
        if not create and not (directory / "tables").is_dir():
            raise StoreEmptyError(f"there is no local store at {directory}: load a snapshot "
                                  f"into it first (ringwatch load --data DIR --store {directory})")
        return LocalStore(directory)
    from ringwatch.graph.neo4j_store import Neo4jStore

    quiet_driver_logs()
    store = Neo4jStore.from_env()
    store.verify()
    return store


def quiet_driver_logs() -> None:
    """Keep the Neo4j driver's own log records out of the log unless debug logging is on.

    The driver logs each retry of a transaction (a warning) and each connection
    it loses (an error) as it happens, and the server's notices (info); the
    store then raises one error that says what failed, which the command line
    prints as its one line and the API as its problem response. At the usual
    levels those records would be the same failure told again over several
    lines; with debug logging (``--verbose``) they are what a bug report needs.
    Reads the root logger's level now: call it after logging is configured.
    """
    debug = logging.getLogger().isEnabledFor(logging.DEBUG)
    logging.getLogger("neo4j").setLevel(logging.NOTSET if debug else logging.CRITICAL + 1)
