"""Opening the store that settings describe: the one place that picks a store implementation.

The command line, the API server and batch jobs build a
:class:`~ringwatch.store_settings.StoreSettings` (from the environment and
their own options) and call :func:`open_store`; everything else receives the
store, or better one capability of it (:mod:`ringwatch.graph.capabilities`).
"""

from __future__ import annotations

import logging

from ringwatch.graph.errors import StoreEmptyError
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore
from ringwatch.store_settings import Backend, StoreSettings


def open_store(settings: StoreSettings, *, create: bool = True) -> GraphStore:
    """Open the store ``settings`` describe: the local one in ``settings.store_dir``, or Neo4j.

    ``create=False`` is for commands that only read: a mistyped ``--store`` then
    fails with :class:`StoreEmptyError` instead of leaving an empty store behind.
    A Neo4j store is checked before it is returned (the driver connects lazily),
    so a wrong password or a stopped server fails here, with exit code 3.
    """
    if settings.backend is Backend.local:
        directory = settings.store_dir
        if not create and not (directory / "tables").is_dir():
            raise StoreEmptyError(f"there is no local store at {directory}: load a snapshot "
                                  f"into it first (ringwatch load --data DIR --store {directory})")
        return LocalStore(directory)
    from ringwatch.graph.neo4j_store import Neo4jStore  # the driver loads only when it is used

    quiet_driver_logs()
    store = Neo4jStore(settings.neo4j)
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
