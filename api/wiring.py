"""The command line's and the app's way to a store: their options on top of the environment's settings.

A thin adapter, not a second factory: :func:`ringwatch.stores.open_store` is
the one function that opens a store; :func:`store_for` only folds
``--backend`` and ``--store`` (or the API's settings) into
:meth:`StoreSettings.from_env <ringwatch.store_settings.StoreSettings.from_env>`
and hands the result to it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ringwatch import RingwatchError
from ringwatch.graph.store import GraphStore
from ringwatch.store_settings import Backend, BundledNeo4jSettings, StoreSettings
from ringwatch.stores import open_store, quiet_driver_logs

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ringwatch.graph.neo4j_bulk import Neo4jBulkImport


def store_for(backend: Backend | str, *, store_dir: Path | None = None,
              create: bool = True) -> GraphStore:
    """The store the command line's options name: ``local`` under ``store_dir`` (default
    ``$RINGWATCH_STORE``), ``neo4j`` from the ``RINGWATCH_NEO4J_*`` variables, opened by
    :func:`ringwatch.stores.open_store` (``create=False``: refuse a local store never loaded)."""
    return open_store(StoreSettings.from_env(backend=backend, store_dir=store_dir), create=create)


def bulk_import_for() -> Neo4jBulkImport:
    """The offline importer's sink for ``ringwatch load --backend neo4j --bulk``, from the
    ``RINGWATCH_NEO4J_*`` variables; refuses a server that is not the bundled one or a database
    that holds anything, before a snapshot is read."""
    from ringwatch.graph.neo4j_bulk import Neo4jBulkImport  # the driver loads only when it is used

    settings = StoreSettings.from_env(backend=Backend.neo4j)
    quiet_driver_logs()
    return Neo4jBulkImport.open(settings.neo4j, BundledNeo4jSettings.from_env())


def run_sink(backend: Backend | str, *, store_dir: Path | None = None,
             bulk: bool | None = None) -> GraphStore | Neo4jBulkImport:
    """Where ``ringwatch run`` loads: the offline importer for a new Neo4j deployment, else the store.

    ``bulk=None`` (the default) takes the offline importer's path when it can
    (``--backend neo4j``, the bundled server, a database that holds nothing at
    all: a new deployment) and the driver's otherwise (a database that holds a
    snapshot, keys, audit entries or verdicts, or a server that is not the
    bundled one), saying which in the log; ``True`` insists on the importer
    (refused as ``load --bulk`` refuses), ``False`` on the driver.
    """
    if Backend(backend) is not Backend.neo4j or bulk is False:
        if bulk:
            raise RingwatchError("--bulk loads through Neo4j's offline importer: it needs "
                                 "--backend neo4j")
        return store_for(backend, store_dir=store_dir)
    if bulk:
        return bulk_import_for()
    from ringwatch.graph.neo4j_bulk import DatabaseNotEmptyError, NotBundledServerError

    try:
        return bulk_import_for()
    except DatabaseNotEmptyError:
        log.info("the Neo4j database holds data already: loading through the driver, in place")
    except NotBundledServerError:
        log.info("Neo4j is not the bundled server of tools/neo4j_launcher (or its data dir and "
                 "port differ): loading through the driver")
    return store_for(backend, store_dir=store_dir)


def loaded_store(sink: GraphStore | Neo4jBulkImport) -> GraphStore:
    """The store ``sink`` wrote into, for the same process's detection (``ringwatch run``).

    The offline importer's sink hands over the store on the imported database,
    which holds the projections the load kept in memory.
    """
    return sink if isinstance(sink, GraphStore) else sink.store
